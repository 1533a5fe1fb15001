import { describe, expect, it } from 'vitest';
import { randomFillSync } from 'node:crypto';
import { concatBytes } from '../../../src/lib/protocol/bytes.js';
import { encodeEntryHeader, EntryKind } from '../../../src/lib/protocol/entry.js';
import { connectAs, createDoc, fakeEntry, makeDoc, newDevice, useRelay } from './fixtures.js';

/**
 * `snap.put` and `snap.get` (SECURITY-RULES.md rule 14): only an administering device stores a
 * snapshot, a newer one (larger upTo) replaces an older one and never the reverse, and the log
 * is kept whole. The relay reads only the clear header; devices check the rest.
 */

const env = useRelay();
const track = env.track;

function fakeSnapshot(doc: Uint8Array, epoch = 0): Uint8Array {
	const header = encodeEntryHeader({ kind: EntryKind.snapshot, doc, epoch });
	return concatBytes(header, randomFillSync(new Uint8Array(24 + 16 + 300)));
}

/** A document administered by `admin` with `writer` as a plain writer, and `entries` logged. */
async function setup(entries: number) {
	const admin = newDevice();
	const writer = newDevice();
	const doc = makeDoc(admin, { writers: [admin, writer] });
	const a = track(await createDoc(env.relay.url, admin, doc));
	for (let i = 0; i < entries; i++) await a.request('push', { doc: doc.id, entry: fakeEntry(doc.id) });
	const w = track(await connectAs(env.relay.url, writer));
	await w.openDoc(doc.id, doc.access, doc.head.n);
	return { doc, a, w };
}

describe('relay: snapshots (rule 14)', () => {
	it('stores an admin snapshot, serves it, and replaces it only with a newer one', async () => {
		const { doc, a, w } = await setup(5);
		expect(await w.request('snap.get', { doc: doc.id })).toEqual({ t: 'ok', rid: expect.any(Number) });

		const first = fakeSnapshot(doc.id);
		expect((await a.request('snap.put', { doc: doc.id, upTo: 3, entry: first })).stored).toBe(true);
		expect(await w.request('snap.get', { doc: doc.id })).toMatchObject({ upTo: 3, entry: first });

		const older = fakeSnapshot(doc.id);
		expect((await a.request('snap.put', { doc: doc.id, upTo: 2, entry: older })).stored).toBe(false);
		const newer = fakeSnapshot(doc.id);
		expect((await a.request('snap.put', { doc: doc.id, upTo: 5, entry: newer })).stored).toBe(true);
		expect(await w.request('snap.get', { doc: doc.id })).toMatchObject({ upTo: 5, entry: newer });

		// No compaction: the whole log is still there.
		await w.request('sub', { doc: doc.id, after: 0 });
		expect(await w.waitForEntries(doc.id, 5)).toHaveLength(5);
	});

	it('refuses snap.put by a writer who does not administer the document (not-admin)', async () => {
		const { doc, w } = await setup(3);
		expect(
			await w.requestRaw('snap.put', { doc: doc.id, upTo: 3, entry: fakeSnapshot(doc.id) })
		).toMatchObject({ t: 'err', code: 'not-admin' });
		expect(await w.request('snap.get', { doc: doc.id })).not.toHaveProperty('entry');
	});

	it('refuses a snapshot beyond the log, of another kind or document, and before open', async () => {
		const { doc, a } = await setup(2);
		const put = (upTo: number, entry: Uint8Array) =>
			a.requestRaw('snap.put', { doc: doc.id, upTo, entry });
		expect(await put(3, fakeSnapshot(doc.id))).toMatchObject({ code: 'bad-entry' });
		expect(await put(0, fakeSnapshot(doc.id))).toMatchObject({ code: 'bad-entry' });
		expect(await put(2, fakeEntry(doc.id))).toMatchObject({ code: 'bad-entry' });
		const other = makeDoc(newDevice());
		expect(await put(2, fakeSnapshot(other.id))).toMatchObject({ code: 'bad-entry' });
		expect(await put(2, fakeSnapshot(doc.id, 1))).toMatchObject({ code: 'bad-entry' });

		const stranger = track(await connectAs(env.relay.url, newDevice()));
		expect(await stranger.requestRaw('snap.get', { doc: doc.id })).toMatchObject({
			code: 'no-access'
		});
	});
});
