import { Buffer } from 'node:buffer';
import { readFileSync as readFile } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { sealPresence } from '../../../src/lib/crypto/presence.js';
import { randomBytes } from '../../../src/lib/crypto/primitives.js';
import { equalBytes } from '../../../src/lib/protocol/bytes.js';
import { PRESENCE_FRAME_BYTES } from '../../../src/lib/protocol/presence.js';
import type { SignKeyPair } from '../../../src/lib/crypto/primitives.js';
import { filesUnder } from '../../helpers/scanFiles.js';
import { connectAs, createDoc, fakeEntry, makeDoc, newDevice, useRelay, type TestDoc } from './fixtures.js';

/**
 * Presence frames through the real relay (docs/protocol.md, "Presence"): forwarded as they came
 * to the document's other subscribers, never stored, only from connections that proved access,
 * and within a per-connection rate limit.
 */

const ctx = useRelay();

function frame(doc: TestDoc, device: SignKeyPair, typing = false): Uint8Array {
	return sealPresence({
		key: randomBytes(32),
		doc: doc.id,
		epoch: doc.head.n,
		device,
		online: true,
		typing,
		sentAt: Date.now(),
		vector: []
	});
}

/** Two subscribed members (a writer and a second reader) of a new document, and its sender. */
async function room() {
	const [alice, bob, carol] = [newDevice(), newDevice(), newDevice()];
	const doc = makeDoc(alice, { writers: [alice, bob] });
	const a = ctx.track(await createDoc(ctx.relay.url, alice, doc));
	await a.request('sub', { doc: doc.id, after: 0 });
	const others = [];
	for (const device of [bob, carol]) {
		const client = ctx.track(await connectAs(ctx.relay.url, device));
		await client.openDoc(doc.id, doc.access);
		await client.request('sub', { doc: doc.id, after: 0 });
		others.push(client);
	}
	return { doc, alice, a, b: others[0], c: others[1] };
}

function dataFilesContain(needle: Uint8Array): boolean {
	const bytes = Buffer.from(needle);
	return filesUnder(ctx.relay.dataDir).some((file) => {
		try {
			return readFile(file).includes(bytes);
		} catch {
			return false;
		}
	});
}

describe('relay: presence', () => {
	it('forwards a frame byte for byte to the other subscribers and stores none of it', async () => {
		const { doc, alice, a, b, c } = await room();
		const sent = frame(doc, alice, true);
		const entry = fakeEntry(doc.id);

		await a.request('presence', { doc: doc.id, frame: sent });
		await a.request('push', { doc: doc.id, entry });
		const got = await Promise.all(
			[b, c].map((client) => client.waitForPush('presence', (p) => equalBytes(p.doc, doc.id)))
		);
		await b.waitForEntries(doc.id, 1);

		for (const push of got) expect(equalBytes(push.frame, sent)).toBe(true);
		expect(a.pushes.some((p) => p.t === 'presence')).toBe(false);
		// The scan finds the entry pushed in the same moment (positive control), not the frame.
		expect(dataFilesContain(entry.subarray(40))).toBe(true);
		expect(dataFilesContain(sent.subarray(64, 1000))).toBe(false);
		expect(dataFilesContain(sent.subarray(1000))).toBe(false);
	});

	it('refuses frames from a connection that did not prove access, and forwards nothing', async () => {
		const { doc, b } = await room();
		const outsider = newDevice();
		const client = ctx.track(await connectAs(ctx.relay.url, outsider));

		const refused = client.request('presence', { doc: doc.id, frame: frame(doc, outsider) });
		await expect(refused).rejects.toMatchObject({ code: 'no-access' });
		// Access proved for another document doesn't help.
		const other = makeDoc(outsider);
		await client.request('doc.create', { genesis: other.genesis });
		await client.openDoc(other.id, other.access);
		await expect(
			client.request('presence', { doc: doc.id, frame: frame(doc, outsider) })
		).rejects.toMatchObject({ code: 'no-access' });
		await b.request('ping', {});

		expect(b.pushes.filter((p) => p.t === 'presence')).toHaveLength(0);
	});

	it('refuses frames of another size, another document or a later epoch', async () => {
		const { doc, alice, a, b } = await room();
		const good = frame(doc, alice);
		const other = makeDoc(alice);
		const elsewhere = frame(other, alice);
		const later = frame({ ...doc, head: { ...doc.head, n: 5 } }, alice);

		for (const bad of [good.subarray(0, PRESENCE_FRAME_BYTES - 1), elsewhere, later, fakeEntry(doc.id, 0, 2048 - 80)]) {
			await expect(a.request('presence', { doc: doc.id, frame: bad })).rejects.toMatchObject({
				code: 'bad-frame'
			});
		}
		await b.request('ping', {});

		expect(b.pushes.filter((p) => p.t === 'presence')).toHaveLength(0);
	});

	it('rate-limits presence per connection and forwards only what it accepted', async () => {
		const { doc, alice, a, b } = await room();
		const sent = Array.from({ length: 60 }, () => frame(doc, alice));

		const answers = await Promise.all(
			sent.map((f) => a.requestRaw('presence', { doc: doc.id, frame: f }))
		);
		const accepted = answers.filter((answer) => answer.t === 'ok').length;
		await b.waitUntil(() => b.pushes.filter((p) => p.t === 'presence').length >= accepted);
		await b.request('ping', {});

		expect(answers.some((answer) => answer.t === 'err' && answer.code === 'rate-limited')).toBe(true);
		expect(accepted).toBeGreaterThan(0);
		expect(accepted).toBeLessThan(60);
		expect(b.pushes.filter((p) => p.t === 'presence')).toHaveLength(accepted);
	});
});
