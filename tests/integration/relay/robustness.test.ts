import fc from 'fast-check';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { readyCrypto } from '../../../src/lib/crypto/sodium.js';
import { encodeCbor } from '../../../src/lib/protocol/cbor.js';
import { utf8 } from '../../../src/lib/protocol/bytes.js';
import { MAX_FRAME_BYTES, requestSchemas } from '../../../src/lib/protocol/frames.js';
import { RelayClient } from '../../helpers/relayClient.js';
import { RelayProcess } from '../../helpers/relayProcess.js';
import { createDoc, fakeEntry, makeDoc, newDevice, sleep } from './fixtures.js';

let relay: RelayProcess;
const clients: RelayClient[] = [];
const track = (client: RelayClient) => (clients.push(client), client);

beforeAll(async () => {
	await readyCrypto();
	relay = await RelayProcess.start();
});
afterEach(async () => {
	await Promise.all(clients.splice(0).map((c) => c.close()));
	await expectHealthy();
});
afterAll(async () => {
	await relay?.dispose();
});

/** The relay still serves a normal request on a new connection and has logged no crash. */
async function expectHealthy() {
	const probe = await RelayClient.connect(relay.url);
	const answer = await probe.requestRaw('invite.get', { invite: new Uint8Array(16) });
	expect(answer).toMatchObject({ t: 'err', code: 'invite-unknown' });
	await probe.close();
	expect((await relay.healthz()).body.ok).toBe(true);
	expect(relay.stderr).toBe('');
	expect(relay.logRecords().filter((r) => (r.level as number) >= 50)).toEqual([]);
}

/** Sends each frame and waits until each has drawn exactly one unsolicited `err`. */
async function expectOneErrorEach(client: RelayClient, frames: (Uint8Array | string)[]) {
	const before = client.errors.length;
	for (const frame of frames) client.sendRaw(frame);
	const want = before + frames.length;
	await client.waitUntil(() => client.errors.length >= want, 20_000, `${frames.length} errors`);
	await client.request('invite.get', { invite: new Uint8Array(16) }).catch(() => undefined);
	expect(client.errors.length).toBe(want);
	return client.errors.slice(before);
}

/** A CBOR map with the given keys, written by hand so that keys like `__proto__` survive. */
function cborMap(entries: [string, Uint8Array][]): Uint8Array {
	const parts: number[] = [0xa0 + entries.length];
	for (const [key, value] of entries) {
		const bytes = utf8.encode(key);
		parts.push(0x60 + bytes.length, ...bytes, ...value);
	}
	return new Uint8Array(parts);
}

const cbor = (value: unknown) => encodeCbor(value);

/** Values of every kind, for fields that expect another kind. */
const wrongValues: unknown[] = [
	'text',
	-1,
	1.5,
	2 ** 60,
	true,
	null,
	[],
	[new Uint8Array(32)],
	{ nested: new Uint8Array(32) },
	new Uint8Array(0),
	new Uint8Array(33),
	new Uint8Array(15)
];

describe('relay: hostile input (bad input never hurts)', () => {
	it('answers every frame of random bytes with an err and keeps serving', async () => {
		const client = track(await RelayClient.connect(relay.url));
		const frames = fc.sample(fc.uint8Array({ minLength: 0, maxLength: 4096 }), {
			numRuns: 400,
			seed: 42
		});
		const errors = await expectOneErrorEach(client, frames);
		for (const error of errors) expect(['bad-frame', 'too-large']).toContain(error.code);
	});

	it('answers random CBOR values (maps, arrays, tags, strings) with an err', async () => {
		const client = track(await RelayClient.connect(relay.url));
		const anything = fc.anything({
			maxDepth: 6,
			withBigInt: true,
			withDate: true,
			withMap: true,
			withNullPrototype: true,
			withSet: true,
			withTypedArray: true
		});
		const values = fc.sample(anything, { numRuns: 400, seed: 7 });
		const frames = values.flatMap((value) => {
			try {
				return [cbor(value)];
			} catch {
				return [];
			}
		});
		expect(frames.length).toBeGreaterThan(300);
		await expectOneErrorEach(client, frames);
	});

	it('answers requests with fields of the wrong kind with bad-frame and their rid', async () => {
		const client = track(await RelayClient.connect(relay.url));
		const pending: Promise<unknown>[] = [];
		for (const [t, schema] of Object.entries(requestSchemas)) {
			for (const [field, kind] of Object.entries(schema)) {
				for (const value of wrongValues.filter((v) => !fitsKind(kind, v))) {
					const frame = { ...validFields(schema), t, [field]: value };
					pending.push(client.requestUnchecked(frame));
				}
			}
		}
		const answers = await Promise.all(pending);
		expect(answers.length).toBeGreaterThan(300);
		for (const answer of answers) expect(answer).toMatchObject({ t: 'err', code: 'bad-frame' });
	});

	it('answers random requests of every type (fast-check) without crashing', async () => {
		const client = track(await RelayClient.connect(relay.url));
		const types = Object.keys(requestSchemas);
		const field = fc.oneof(
			fc.uint8Array({ minLength: 0, maxLength: 70 }),
			fc.nat(),
			fc.integer(),
			fc.string(),
			fc.constant(new Uint8Array(16)),
			fc.constant(new Uint8Array(32)),
			fc.constant(new Uint8Array(64)),
			fc.array(fc.nat(), { maxLength: 20 })
		);
		const names = fc.constantFrom('device', 'sig', 'doc', 'genesis', 'epoch', 'accessPk', 'from',
			'after', 'record', 'entry', 'invite', 'authPk', 'info', 'expires', 'boxPk', 'profile',
			'deviceSig', 'inviteSig', 'to', 'envelope', 'ids', '__proto__', 'constructor');
		const frames = fc.sample(
			fc.record({ t: fc.constantFrom(...types), fields: fc.dictionary(names, field) }),
			{ numRuns: 500, seed: 3 }
		);
		const answers = await Promise.all(
			frames.map(({ t, fields }) => client.requestUnchecked({ ...fields, t }))
		);
		for (const answer of answers) expect(['ok', 'err']).toContain(answer.t);
	});

	it('refuses prototype tricks: __proto__ keys and frame types named after Object members', async () => {
		const client = track(await RelayClient.connect(relay.url));
		const sneaky = [
			cborMap([
				['t', cbor('hello')],
				['rid', cbor(1)],
				['__proto__', cbor({ device: new Uint8Array(32), sig: new Uint8Array(64) })]
			]),
			cborMap([
				['__proto__', cbor({ t: 'mail.fetch', rid: 2 })],
				['rid', cbor(2)]
			])
		];
		await expectOneErrorEach(client, sneaky);
		for (const t of ['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf']) {
			expect(await client.requestUnchecked({ t })).toMatchObject({ t: 'err', code: 'bad-frame' });
		}
	});

	it('survives CBOR bombs: huge declared lengths, deep nesting, a 1 MiB frame of garbage', async () => {
		const client = track(await RelayClient.connect(relay.url));
		const bombs = [
			new Uint8Array([0x9b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]), // array of 2^64
			new Uint8Array([0x9a, 0x7f, 0xff, 0xff, 0xff]), // array of 2^31
			new Uint8Array([0xba, 0x7f, 0xff, 0xff, 0xff]), // map of 2^31
			new Uint8Array([0x5a, 0x7f, 0xff, 0xff, 0xff, 0x00]), // bytes of 2^31
			new Uint8Array([0x7b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]), // text of 2^64
			new Uint8Array(100_000).fill(0x81), // 100k nested arrays
			new Uint8Array(100_000).fill(0x9f), // 100k nested indefinite arrays
			new Uint8Array(MAX_FRAME_BYTES).fill(0xa1), // 1 MiB of nested maps
			new Uint8Array([0xd8, 0x1c, 0x81, 0xd8, 0x1d, 0x00]), // a shared reference to itself
			cbor({ t: 'mail.ack', rid: 1, ids: Array.from({ length: 100_000 }, (_, i) => i) })
		];
		await expectOneErrorEach(client, bombs);
	});

	it('answers text frames with bad-frame, frames over 1 MiB with too-large, and closes over 2 MiB', async () => {
		const client = track(await RelayClient.connect(relay.url));
		const errors = await expectOneErrorEach(client, [
			'{"t":"hello"}',
			new Uint8Array(MAX_FRAME_BYTES + 1)
		]);
		expect(errors.map((e) => e.code)).toEqual(['bad-frame', 'too-large']);

		const other = track(await RelayClient.connect(relay.url));
		client.sendRaw(new Uint8Array(2 * MAX_FRAME_BYTES + 1));
		expect(await client.closed).toBe(1009);
		expect(await other.requestRaw('mail.fetch', {})).toMatchObject({ code: 'unauthenticated' });
	});

	it('rate-limits a flood with rate-limited errors, then serves the connection again', async () => {
		const client = track(await RelayClient.connect(relay.url));
		const answers = await Promise.all(
			Array.from({ length: 3000 }, () => client.requestRaw('mail.fetch', {}, 30_000))
		);
		const limited = answers.filter((a) => a.t === 'err' && a.code === 'rate-limited');
		expect(limited.length).toBeGreaterThan(0);
		expect(answers.length - limited.length).toBeGreaterThanOrEqual(2000);

		await sleep(200); // refills ~100 tokens
		expect(await client.requestRaw('mail.fetch', {})).toMatchObject({ code: 'unauthenticated' });
	});

	it('cleans up subscriptions of sockets that vanish, and keeps serving the others', async () => {
		const writer = newDevice();
		const doc = makeDoc(writer);
		const owner = track(await createDoc(relay.url, writer, doc));
		const vanishing = await Promise.all(
			Array.from({ length: 20 }, async () => {
				const client = await RelayClient.connect(relay.url);
				await client.openDoc(doc.id, doc.access);
				await client.request('sub', { doc: doc.id, after: 0 });
				return client;
			})
		);
		for (const client of vanishing) client.terminate();
		await Promise.all(vanishing.map((client) => client.closed));

		await owner.request('sub', { doc: doc.id, after: 0 });
		const entries = Array.from({ length: 50 }, () => fakeEntry(doc.id));
		await Promise.all(entries.map((entry) => owner.request('push', { doc: doc.id, entry })));
		await owner.waitForEntries(doc.id, 50);
		// The closes may be logged after the last frame the owner gets: ask again until they are.
		for (let i = 0; i < 100 && closedCount() < 20; i++) {
			await owner.request('ping', {});
			await sleep(50);
		}
		expect(closedCount()).toBeGreaterThanOrEqual(20);
	});
});

/** How many `closed` lines the relay logged. */
function closedCount(): number {
	return relay.logRecords().filter((r) => r.msg === 'closed').length;
}

/** Whether `value` passes as `kind` (the few wrong values that happen to be right for it). */
function fitsKind(kind: string, value: unknown): boolean {
	if (kind === 'bytes') return value instanceof Uint8Array;
	if (kind === 'uints') return Array.isArray(value) && value.length === 0;
	return false;
}

/** Well-formed values for every field of a request schema. */
function validFields(schema: Record<string, string>): Record<string, unknown> {
	const sizes: Record<string, number> = { id16: 16, key32: 32, sig64: 64, bytes: 10 };
	const fields: Record<string, unknown> = {};
	for (const [name, kind] of Object.entries(schema)) {
		if (kind in sizes) fields[name] = new Uint8Array(sizes[kind]);
		else if (kind === 'uint') fields[name] = 1;
		else if (kind === 'uints') fields[name] = [1];
	}
	return fields;
}
