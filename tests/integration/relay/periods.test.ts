import { describe, expect, it } from 'vitest';
import { RelayError } from '../../../src/lib/protocol/errors.js';
import { toBase64Url, toHex } from '../../../src/lib/protocol/bytes.js';
import { periodDocId } from '../../../src/lib/protocol/period.js';
import { RelayClient } from '../../helpers/relayClient.js';
import { connectAs, createDoc, fakeEntry, makeDoc, makeEpoch, newDevice, useRelay } from './fixtures.js';

/**
 * Period documents at the relay (SECURITY-RULES.md, rule 19): registered only by a writer of
 * the conversation on a connection that proved its current access key, one number at a time;
 * they share the conversation's chain, access keys and writer lists; a rotation closes them for
 * connections that proved the old key; and they survive a relay restart.
 */

const ctx = useRelay();
const track = ctx.track;

async function refusal(promise: Promise<unknown>): Promise<string> {
	try {
		await promise;
	} catch (error) {
		if (error instanceof RelayError) return error.code;
		throw error;
	}
	return 'ok';
}

describe('relay: period documents', () => {
	it('registers a period for a writer holding the current access key, and for nobody else', async () => {
		const alice = newDevice();
		const bob = newDevice();
		const reader = newDevice();
		const doc = makeDoc(alice, { writers: [alice, bob] });
		const a = track(await createDoc(ctx.relay.url, alice, doc));
		const pid = periodDocId(doc.id, 1);

		// Attack: a device that never proved the access key (not a member) registers a period.
		const outsider = track(await connectAs(ctx.relay.url, newDevice()));
		expect(await refusal(outsider.request('period.create', { doc: doc.id, n: 1 }))).toBe('no-access');
		// Attack: a member that reads but doesn't write (announcements) registers one.
		const r = track(await connectAs(ctx.relay.url, reader));
		await r.openDoc(doc.id, doc.access);
		expect(await refusal(r.request('period.create', { doc: doc.id, n: 1 }))).toBe('not-writer');
		// Attack: reserving a number far ahead.
		expect(await refusal(a.request('period.create', { doc: doc.id, n: 5 }))).toBe('bad-frame');
		expect(await refusal(a.request('period.create', { doc: doc.id, n: 0 }))).toBe('bad-frame');

		// The writer registers period 1; the relay computes its id; readers are told.
		const told = r.waitForPush('period');
		const created = await a.request('period.create', { doc: doc.id, n: 1 });
		expect(toHex(created.doc as Uint8Array)).toBe(toHex(pid));
		const push = await told;
		expect(push.n).toBe(1);
		expect(toHex(push.doc as Uint8Array)).toBe(toHex(doc.id));

		// Two devices that rolled over offline both register it: the second is `ok` too.
		const b = track(await connectAs(ctx.relay.url, bob));
		await b.openDoc(doc.id, doc.access);
		expect(toHex((await b.request('period.create', { doc: doc.id, n: 1 })).doc as Uint8Array)).toBe(toHex(pid));
		// Opening the conversation says how many periods it has.
		expect((await b.openDoc(doc.id, doc.access)).periods).toBe(1);
		// A period has no periods of its own.
		await b.openDoc(pid, doc.access);
		expect(await refusal(b.request('period.create', { doc: pid, n: 1 }))).toBe('bad-frame');
	});

	it('serves a period like a document under the conversation\'s key and writers', async () => {
		const alice = newDevice();
		const bob = newDevice();
		const doc = makeDoc(alice, { writers: [alice, bob] });
		const a = track(await createDoc(ctx.relay.url, alice, doc));
		const pid = periodDocId(doc.id, 1);

		// Unknown until registered.
		expect(await refusal(a.openDoc(pid, doc.access))).toBe('unknown-doc');
		await a.request('period.create', { doc: doc.id, n: 1 });

		// Attack: the access key of another document opens nothing.
		const other = makeDoc(alice);
		expect(await refusal(a.openDoc(pid, other.access))).toBe('no-access');

		await a.openDoc(pid, doc.access);
		const b = track(await connectAs(ctx.relay.url, bob));
		await b.openDoc(pid, doc.access);
		await b.request('sub', { doc: pid, after: 0 });
		const entry = fakeEntry(pid);
		const pushed = await a.request('push', { doc: pid, entry });
		expect(pushed.seq).toBe(1);
		await b.waitForEntries(pid, 1);
		// An entry whose header names the conversation can't be pushed into its period.
		expect(await refusal(a.request('push', { doc: pid, entry: fakeEntry(doc.id) }))).toBe('bad-entry');
		// A reader that isn't a writer of the conversation can't push into a period.
		const c = track(await connectAs(ctx.relay.url, newDevice()));
		await c.openDoc(pid, doc.access);
		expect(await refusal(c.request('push', { doc: pid, entry: fakeEntry(pid) }))).toBe('not-writer');

		// The chain is the conversation's; a period has none of its own, and no files.
		const chain = await a.request('doc.chain', { doc: pid, from: 0 });
		expect((chain.records as Uint8Array[]).length).toBe(1);
		const { record } = makeEpoch(doc, alice, { writers: [alice] });
		expect(await refusal(a.request('epoch.append', { doc: pid, record }))).toBe('bad-record');
		expect(await refusal(a.request('blob.begin', { doc: pid, blob: new Uint8Array(32), size: 10 }))).toBe('unknown-doc');

		// A writer removed from the conversation (a new epoch) can no longer write its periods.
		await a.request('epoch.append', { doc: doc.id, record });
		expect(await refusal(b.request('push', { doc: pid, entry: fakeEntry(pid) }))).toBe('not-writer');
	});

	it('closes periods to connections that proved a key a rotation replaced', async () => {
		const alice = newDevice();
		const doc = makeDoc(alice);
		const a = track(await createDoc(ctx.relay.url, alice, doc));
		await a.request('period.create', { doc: doc.id, n: 1 });
		const pid = periodDocId(doc.id, 1);
		const old = track(await RelayClient.connect(ctx.relay.url));
		await old.openDoc(pid, doc.access);
		await old.request('sub', { doc: pid, after: 0 });

		const { record, next } = makeEpoch(doc, alice, { rotate: true });
		await a.request('epoch.append', { doc: doc.id, record });
		expect(await refusal(old.request('sub', { doc: pid, after: 0 }))).toBe('no-access');
		expect(await refusal(old.openDoc(pid, doc.access))).toBe('no-access');
		// The new key opens it, at the new epoch.
		await a.openDoc(pid, next!.access, next!.head.n);
		await a.request('push', { doc: pid, entry: fakeEntry(pid, 1) });
	});

	it('keeps periods and their entries across a restart, and logs no id in clear', async () => {
		const alice = newDevice();
		const doc = makeDoc(alice);
		const a = await createDoc(ctx.relay.url, alice, doc);
		await a.request('period.create', { doc: doc.id, n: 1 });
		await a.request('period.create', { doc: doc.id, n: 2 });
		const pid = periodDocId(doc.id, 2);
		await a.openDoc(pid, doc.access);
		await a.request('push', { doc: pid, entry: fakeEntry(pid) });
		await a.close();

		await ctx.relay.restart();
		const b = track(await connectAs(ctx.relay.url, alice));
		expect((await b.openDoc(doc.id, doc.access)).periods).toBe(2);
		expect((await b.openDoc(pid, doc.access)).seq).toBe(1);
		expect(await refusal(b.request('period.create', { doc: doc.id, n: 4 }))).toBe('bad-frame');

		const logs = ctx.relay.logs.join('\n');
		expect(ctx.relay.logRecords().some((r) => r.msg === 'period created')).toBe(true);
		for (const id of [doc.id, pid, periodDocId(doc.id, 1)]) {
			expect(logs).not.toContain(toHex(id).slice(0, 16));
			expect(logs).not.toContain(toBase64Url(id).slice(0, 16));
		}
	});
});
