import Database from 'better-sqlite3';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { equalBytes } from '../../../src/lib/protocol/bytes.js';
import { entryId } from '../../../src/lib/protocol/entry.js';
import { MAX_FRAME_BYTES } from '../../../src/lib/protocol/frames.js';
import { RelayClient } from '../../helpers/relayClient.js';
import { connectAs, createDoc, fakeEntry, makeDoc, newDevice, useRelay } from './fixtures.js';

const env = useRelay();
const track = env.track;

describe('relay: document log', () => {
	it('round trip: create, open, sub and push reach every subscriber live, the sender too', async () => {
		const alice = newDevice();
		const bob = newDevice();
		const doc = makeDoc(alice, { writers: [alice, bob] });

		const a = track(await connectAs(env.relay.url, alice));
		const created = await a.request('doc.create', { genesis: doc.genesis });
		expect(equalBytes(created.doc as Uint8Array, doc.id)).toBe(true);
		await a.request('doc.create', { genesis: doc.genesis }); // idempotent retry
		expect(await a.openDoc(doc.id, doc.access)).toMatchObject({ head: 0, seq: 0 });
		expect(await a.request('sub', { doc: doc.id, after: 0 })).toMatchObject({ seq: 0 });

		const b = track(await connectAs(env.relay.url, bob));
		await b.openDoc(doc.id, doc.access);
		await b.request('sub', { doc: doc.id, after: 0 });

		const first = fakeEntry(doc.id);
		const ok = await a.request('push', { doc: doc.id, entry: first });
		expect(ok).toMatchObject({ seq: 1, dup: false });
		expect(equalBytes(ok.id as Uint8Array, entryId(first))).toBe(true);
		const second = fakeEntry(doc.id);
		expect(await b.request('push', { doc: doc.id, entry: second })).toMatchObject({ seq: 2 });

		for (const client of [a, b]) {
			const items = await client.waitForEntries(doc.id, 2);
			expect(items.map((i) => i.seq)).toEqual([1, 2]);
			expect(equalBytes(items[0].b, first) && equalBytes(items[1].b, second)).toBe(true);
		}
	});

	it('catch-up: a subscriber gets each entry after its cursor once and in order, then live ones', async () => {
		const alice = newDevice();
		const doc = makeDoc(alice);
		const a = track(await createDoc(env.relay.url, alice, doc));
		const pushed = Array.from({ length: 30 }, () => fakeEntry(doc.id));
		const answers = await Promise.all(
			pushed.map((entry) => a.request('push', { doc: doc.id, entry }))
		);
		const sent = new Map(answers.map((answer, i) => [answer.seq as number, pushed[i]]));

		const reader = track(await RelayClient.connect(env.relay.url));
		await reader.openDoc(doc.id, doc.access);
		expect(await reader.request('sub', { doc: doc.id, after: 10 })).toMatchObject({ seq: 30 });
		await reader.waitForEntries(doc.id, 20);
		const live = fakeEntry(doc.id);
		sent.set(31, live);
		await a.request('push', { doc: doc.id, entry: live });
		const items = await reader.waitForEntries(doc.id, 21);

		expect(items.map((i) => i.seq)).toEqual(Array.from({ length: 21 }, (_, i) => i + 11));
		for (const item of items) expect(equalBytes(item.b, sent.get(item.seq)!)).toBe(true);
	});

	it('retry: identical bytes are stored once, answered dup:true with the first seq, never fanned out twice', async () => {
		const alice = newDevice();
		const doc = makeDoc(alice);
		const a = track(await createDoc(env.relay.url, alice, doc));
		await a.request('sub', { doc: doc.id, after: 0 });
		const entry = fakeEntry(doc.id);

		const [first, sameBatch] = await Promise.all([
			a.request('push', { doc: doc.id, entry }),
			a.request('push', { doc: doc.id, entry })
		]);
		const again = await a.request('push', { doc: doc.id, entry });
		const a2 = track(await createDoc(env.relay.url, alice, doc)); // the outbox after a reconnect
		const afterReconnect = await a2.request('push', { doc: doc.id, entry });

		expect(first).toMatchObject({ seq: 1, dup: false });
		for (const retry of [sameBatch, again, afterReconnect]) {
			expect(retry).toMatchObject({ seq: 1, dup: true });
		}
		await a.request('push', { doc: doc.id, entry: fakeEntry(doc.id) });
		const items = await a.waitForEntries(doc.id, 2);
		expect(items.map((i) => i.seq)).toEqual([1, 2]);

		const db = new Database(join(env.relay.dataDir, 'relay.sqlite'), { readonly: true });
		try {
			const rows = db.prepare('SELECT count(*) AS n FROM entries WHERE doc = ? AND id = ?');
			expect(rows.get(doc.id, entryId(entry))).toEqual({ n: 1 });
		} finally {
			db.close();
		}
	});

	it('a large backlog arrives in several frames, each under MAX_FRAME_BYTES; oversized entries are refused', async () => {
		const alice = newDevice();
		const doc = makeDoc(alice);
		const a = track(await createDoc(env.relay.url, alice, doc));
		const big = Array.from({ length: 12 }, () => fakeEntry(doc.id, 0, 200 * 1024));
		await Promise.all(big.map((entry) => a.request('push', { doc: doc.id, entry })));
		const tooBig = fakeEntry(doc.id, 0, MAX_FRAME_BYTES - 1000);
		const refused = await a.requestRaw('push', { doc: doc.id, entry: tooBig });
		expect(refused).toMatchObject({ t: 'err', code: 'too-large' });

		const reader = track(await RelayClient.connect(env.relay.url));
		await reader.openDoc(doc.id, doc.access);
		await reader.request('sub', { doc: doc.id, after: 0 });
		await reader.waitForEntries(doc.id, big.length);

		const frames = reader.received.filter((f) => f.t === 'entries');
		expect(frames.length).toBeGreaterThan(1);
		for (const frame of frames) expect(frame.bytes).toBeLessThan(MAX_FRAME_BYTES);
		expect(reader.invalid).toEqual([]);
	});

	it('bad-entry: an entry whose header names another document or a future epoch is refused', async () => {
		const alice = newDevice();
		const doc = makeDoc(alice);
		const other = makeDoc(alice);
		const a = track(await createDoc(env.relay.url, alice, doc));
		await a.request('doc.create', { genesis: other.genesis });
		await a.openDoc(other.id, other.access);

		const spliced = fakeEntry(other.id); // valid for `other`, pushed into `doc`
		const future = fakeEntry(doc.id, 1);
		const garbage = new Uint8Array(200).fill(7);
		for (const entry of [spliced, future, garbage]) {
			const answer = await a.requestRaw('push', { doc: doc.id, entry });
			expect(answer).toMatchObject({ t: 'err', code: 'bad-entry' });
		}
		expect(await a.request('push', { doc: other.id, entry: spliced })).toMatchObject({ seq: 1 });
		expect(await a.request('push', { doc: doc.id, entry: fakeEntry(doc.id) })).toMatchObject({
			seq: 1
		});
	});

	it('unsub stops delivery; sub again from the cursor resumes without gaps', async () => {
		const alice = newDevice();
		const doc = makeDoc(alice);
		const a = track(await createDoc(env.relay.url, alice, doc));
		const reader = track(await RelayClient.connect(env.relay.url));
		await reader.openDoc(doc.id, doc.access);
		await reader.request('sub', { doc: doc.id, after: 0 });
		await a.request('push', { doc: doc.id, entry: fakeEntry(doc.id) });
		await reader.waitForEntries(doc.id, 1);

		await reader.request('unsub', { doc: doc.id });
		await a.request('push', { doc: doc.id, entry: fakeEntry(doc.id) });
		await a.request('sub', { doc: doc.id, after: 1 }); // the writer sees seq 2 arrive
		await a.waitForEntries(doc.id, 1);
		expect(reader.entries(doc.id)).toHaveLength(1);

		await reader.request('sub', { doc: doc.id, after: 1 });
		const items = await reader.waitForEntries(doc.id, 2);
		expect(items.map((i) => i.seq)).toEqual([1, 2]);
	});
});
