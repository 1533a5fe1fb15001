import { describe, expect, it } from 'vitest';
import { equalBytes, toHex } from '../../../src/lib/protocol/bytes.js';
import { entryId } from '../../../src/lib/protocol/entry.js';
import { RelayClient } from '../../helpers/relayClient.js';
import { createDoc, fakeEntry, makeDoc, newDevice, type TestDoc, useRelay } from './fixtures.js';

// Devices flood the relay here on purpose (three connections, then every outbox at once): what is
// tested is durability, so the per-device rate limit (tested in admission.test.ts) is lifted.
const env = useRelay({
	env: { TEND_DEVICE_RATE_PER_SECOND: '1000000000', TEND_DEVICE_RATE_BURST: '1000000000' }
});
const track = env.track;

/** Reads the whole log of a document from a fresh connection. */
async function readLog(doc: TestDoc) {
	const reader = track(await RelayClient.connect(env.relay.url));
	const opened = await reader.openDoc(doc.id, doc.access);
	const last = opened.seq as number;
	await reader.request('sub', { doc: doc.id, after: 0 });
	return { last, items: await reader.waitForEntries(doc.id, last, 30_000) };
}

describe('relay: durability (rule 15)', () => {
	it('/healthz reports WAL with synchronous=FULL read back from SQLite; other paths are 404', async () => {
		const health = await env.relay.healthz();
		expect(health.status).toBe(200);
		expect(health.body).toMatchObject({ ok: true, journalMode: 'wal', synchronous: 'full' });
		expect(typeof health.body.version).toBe('string');

		for (const path of ['/', '/healthz/x', '/env.relay.sqlite', '/../package.json']) {
			const res = await fetch(`${env.relay.httpUrl}${path}`);
			expect(res.status).toBe(404);
		}
		const post = await fetch(`${env.relay.httpUrl}/healthz`, { method: 'POST' });
		expect(post.status).toBe(404);
	});

	it('keeps every acknowledged entry through a SIGKILL mid-stream; retries fill the rest without duplicates', async () => {
		const writer = newDevice();
		const doc = makeDoc(writer);
		const connections = await Promise.all(
			[0, 1, 2].map(async () => track(await createDoc(env.relay.url, writer, doc)))
		);
		const perConnection = 1500; // under the rate limit's burst of 2000
		const outbox = connections.map(() =>
			Array.from({ length: perConnection }, () => fakeEntry(doc.id, 0, 1024))
		);
		const acked = new Map<string, { seq: number; entry: Uint8Array }>();

		// Push without waiting for acknowledgements, WINDOW requests in flight per connection (so
		// the relay can't finish everything before the kill, however slow this process is), and
		// kill -9 once some acknowledgements are in.
		const WINDOW = 200;
		let killing: Promise<void> | undefined;
		const sendAll = async (client: RelayClient, entries: Uint8Array[]) => {
			let next = 0;
			const lane = async () => {
				while (next < entries.length && !killing) {
					const entry = entries[next++];
					const answer = await client.requestRaw('push', { doc: doc.id, entry }).catch(() => null);
					if (answer?.t !== 'ok') continue;
					acked.set(toHex(entryId(entry)), { seq: answer.seq as number, entry });
					if (acked.size >= 400) killing ??= env.relay.kill();
				}
			};
			await Promise.all(Array.from({ length: WINDOW }, lane));
		};
		await Promise.all(connections.map((client, c) => sendAll(client, outbox[c])));
		await killing;
		const total = connections.length * perConnection;
		expect(acked.size).toBeGreaterThanOrEqual(400);
		expect(acked.size).toBeLessThan(total); // the kill landed mid-stream

		await env.relay.restart();
		expect((await env.relay.healthz()).body).toMatchObject({ journalMode: 'wal', synchronous: 'full' });
		const { last, items } = await readLog(doc);
		expect(items.map((item) => item.seq)).toEqual(Array.from({ length: last }, (_, i) => i + 1));
		const stored = new Map(items.map((item) => [item.seq, item.b]));
		for (const { seq, entry } of acked.values()) {
			expect(equalBytes(stored.get(seq) ?? new Uint8Array(), entry)).toBe(true);
		}

		// The devices' outboxes send everything again: nothing is stored twice.
		const retries = await Promise.all(
			outbox.map(async (entries) => {
				const client = track(await createDoc(env.relay.url, writer, doc));
				return Promise.all(entries.map((entry) => client.request('push', { doc: doc.id, entry })));
			})
		);
		expect(retries.flat().filter((answer) => answer.dup)).toHaveLength(last);
		const after = await readLog(doc);
		expect(after.last).toBe(total);
		const ids = new Set(after.items.map((item) => toHex(entryId(item.b))));
		expect(ids.size).toBe(total);
	});

	it('commits pending pushes and closes cleanly on SIGTERM', async () => {
		const writer = newDevice();
		const doc = makeDoc(writer);
		const client = track(await createDoc(env.relay.url, writer, doc));
		const entries = Array.from({ length: 200 }, () => fakeEntry(doc.id));
		await Promise.all(entries.map((entry) => client.request('push', { doc: doc.id, entry })));

		expect(await env.relay.stop()).toBe(0);
		expect(await client.closed).toBe(1001);
		await env.relay.restart();
		const { last } = await readLog(doc);
		expect(last).toBe(entries.length);
	});
});
