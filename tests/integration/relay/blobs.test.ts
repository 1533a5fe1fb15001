import Database from 'better-sqlite3';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openFile, sealFile } from '../../../src/lib/crypto/fileCrypto.js';
import { randomBytes } from '../../../src/lib/crypto/primitives.js';
import { readyCrypto } from '../../../src/lib/crypto/sodium.js';
import {
	BLOB_PART_BYTES,
	BLOB_RANGE_MAX_BYTES,
	blobId,
	blobPartCount
} from '../../../src/lib/protocol/blob.js';
import { concatBytes, equalBytes } from '../../../src/lib/protocol/bytes.js';
import { RelayError } from '../../../src/lib/protocol/errors.js';
import { RelayClient } from '../../helpers/relayClient.js';
import { RelayProcess } from '../../helpers/relayProcess.js';
import { filesUnder, findInFiles } from '../../helpers/scanFiles.js';
import { connectAs, createDoc, makeDoc, newDevice, sleep, type TestDoc } from './fixtures.js';

/**
 * Blobs through the real relay process (docs/protocol.md, "Blobs"): chunked upload that resumes
 * after the relay is killed, the size limit and the quota, uploads that stay invisible until
 * complete and are deleted when abandoned, access bound to the document, and no plaintext of a
 * file anywhere in the relay's data folder.
 */

const relays: RelayProcess[] = [];
const clients: RelayClient[] = [];

async function startRelay(env: Record<string, string> = {}): Promise<RelayProcess> {
	const relay = await RelayProcess.start({ env });
	relays.push(relay);
	return relay;
}

const track = (client: RelayClient) => (clients.push(client), client);

beforeAll(async () => {
	await readyCrypto();
});
afterAll(async () => {
	await Promise.all(clients.map((c) => c.close().catch(() => {})));
	await Promise.all(relays.map((r) => r.dispose()));
});

/** A file's plaintext: a recognisable marker repeated, so a scan can look for it. */
function fileWithMarker(marker: string, size: number): Uint8Array {
	const text = new TextEncoder().encode(`${marker} `);
	const bytes = new Uint8Array(size);
	for (let at = 0; at < size; at += text.length) bytes.set(text.subarray(0, size - at), at);
	return bytes;
}

function part(ciphertext: Uint8Array, i: number): Uint8Array {
	return ciphertext.slice(i * BLOB_PART_BYTES, (i + 1) * BLOB_PART_BYTES);
}

/** Uploads the parts not in `have`, then ends the upload. */
async function uploadRest(client: RelayClient, doc: TestDoc, ciphertext: Uint8Array, id: Uint8Array) {
	const begun = await client.request('blob.begin', { doc: doc.id, blob: id, size: ciphertext.length });
	if (begun.done) return;
	const have = new Set(begun.have as number[]);
	for (let i = 0; i < blobPartCount(ciphertext.length); i++) {
		if (!have.has(i)) await client.request('blob.part', { doc: doc.id, blob: id, i, data: part(ciphertext, i) });
	}
	await client.request('blob.end', { doc: doc.id, blob: id });
}

/** Downloads a whole blob in ranges. */
async function download(client: RelayClient, doc: TestDoc, id: Uint8Array): Promise<Uint8Array> {
	const ranges: Uint8Array[] = [];
	let offset = 0;
	for (;;) {
		const answer = await client.request('blob.get', {
			doc: doc.id,
			blob: id,
			offset,
			length: BLOB_RANGE_MAX_BYTES
		});
		const data = answer.data as Uint8Array;
		ranges.push(data);
		offset += data.length;
		if (offset >= (answer.size as number) || data.length === 0) break;
	}
	return concatBytes(...ranges);
}

async function refusal(promise: Promise<unknown>): Promise<RelayError> {
	const error = await promise.then(
		() => undefined,
		(e: unknown) => e
	);
	if (!(error instanceof RelayError)) throw new Error(`expected a refusal, got ${String(error)}`);
	return error;
}

function countRows(relay: RelayProcess, table: 'blobs' | 'blob_parts'): number {
	const db = new Database(join(relay.dataDir, 'relay.sqlite'), { readonly: true });
	try {
		return (db.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;
	} finally {
		db.close();
	}
}

describe('relay: blobs', () => {
	it('resumes an upload after a SIGKILL of the relay: acknowledged parts survive, the rest follow, the file opens', async () => {
		const relay = await startRelay();
		const writer = newDevice();
		const doc = makeDoc(writer);
		const plaintext = fileWithMarker('resume-after-kill', 1_500_000);
		const sealed = sealFile(plaintext);
		const parts = blobPartCount(sealed.ciphertext.length);
		expect(parts).toBeGreaterThan(4);

		const first = track(await createDoc(relay.url, writer, doc));
		const begun = await first.request('blob.begin', { doc: doc.id, blob: sealed.id, size: sealed.ciphertext.length });
		expect(begun.have).toEqual([]);
		for (const i of [0, 1, 2]) {
			await first.request('blob.part', { doc: doc.id, blob: sealed.id, i, data: part(sealed.ciphertext, i) });
		}
		// Part 3 is on its way when the relay dies: it may or may not have been stored.
		void first
			.requestRaw('blob.part', { doc: doc.id, blob: sealed.id, i: 3, data: part(sealed.ciphertext, 3) })
			.catch(() => {});
		await relay.kill();
		await relay.restart();

		const second = track(await connectAs(relay.url, writer));
		await second.openDoc(doc.id, doc.access);
		// Incomplete: invisible, even to the uploader.
		const hidden = await refusal(second.request('blob.get', { doc: doc.id, blob: sealed.id, offset: 0, length: 10 }));
		expect(hidden.code).toBe('unknown-blob');
		const resumed = await second.request('blob.begin', { doc: doc.id, blob: sealed.id, size: sealed.ciphertext.length });
		// Every acknowledged part survived the kill (rule 15); nothing beyond what was sent.
		const have = resumed.have as number[];
		expect(have.slice(0, 3)).toEqual([0, 1, 2]);
		expect(have.every((i) => i <= 3)).toBe(true);
		// Ending early names the missing parts' problem and keeps what is there.
		expect((await refusal(second.request('blob.end', { doc: doc.id, blob: sealed.id }))).code).toBe('bad-blob');

		await uploadRest(second, doc, sealed.ciphertext, sealed.id);
		const again = await second.request('blob.begin', { doc: doc.id, blob: sealed.id, size: sealed.ciphertext.length });
		expect(again.done).toBe(true);

		const reader = track(await RelayClient.connect(relay.url));
		await reader.openDoc(doc.id, doc.access);
		const fetched = await download(reader, doc, sealed.id);
		expect(equalBytes(fetched, sealed.ciphertext)).toBe(true);
		const opened = openFile(fetched, sealed);
		expect(opened.ok && equalBytes(opened.plaintext, plaintext)).toBe(true);

		// A range in the middle, across a part boundary.
		const mid = await reader.request('blob.get', {
			doc: doc.id,
			blob: sealed.id,
			offset: BLOB_PART_BYTES - 10,
			length: 20
		});
		expect(equalBytes(mid.data as Uint8Array, sealed.ciphertext.slice(BLOB_PART_BYTES - 10, BLOB_PART_BYTES + 10))).toBe(true);
	});

	it('refuses an upload above the size limit with a clear error, and stores nothing', async () => {
		const relay = await startRelay({ TEND_MAX_BLOB_BYTES: String(300_000) });
		const writer = newDevice();
		const doc = makeDoc(writer);
		const client = track(await createDoc(relay.url, writer, doc));
		const big = sealFile(fileWithMarker('too-big', 400_000));
		const refused = await refusal(
			client.request('blob.begin', { doc: doc.id, blob: big.id, size: big.ciphertext.length })
		);
		expect(refused.code).toBe('blob-too-large');
		expect(refused.message).toContain('300000');
		const small = sealFile(fileWithMarker('fits', 200_000));
		await uploadRest(client, doc, small.ciphertext, small.id);
		expect(countRows(relay, 'blobs')).toBe(1);
	});

	it('refuses an upload past the document quota; other documents are not affected', async () => {
		const relay = await startRelay({ TEND_BLOB_QUOTA_BYTES: String(600_000) });
		const writer = newDevice();
		const doc = makeDoc(writer);
		const other = makeDoc(writer);
		const client = track(await createDoc(relay.url, writer, doc));
		await client.request('doc.create', { genesis: other.genesis });
		await client.openDoc(other.id, other.access);

		const a = sealFile(fileWithMarker('quota-a', 300_000));
		const b = sealFile(fileWithMarker('quota-b', 300_000));
		await uploadRest(client, doc, a.ciphertext, a.id);
		const refused = await refusal(
			client.request('blob.begin', { doc: doc.id, blob: b.id, size: b.ciphertext.length })
		);
		expect(refused.code).toBe('quota-exceeded');
		// The same file fits in another document's quota.
		await uploadRest(client, other, b.ciphertext, b.id);
		// Uploading the stored blob again costs nothing.
		const again = await client.request('blob.begin', { doc: doc.id, blob: a.id, size: a.ciphertext.length });
		expect(again.done).toBe(true);
	});

	it('deletes an abandoned upload after its expiry; it was never visible', async () => {
		const relay = await startRelay({ TEND_BLOB_UPLOAD_TTL_SECONDS: '1' });
		const writer = newDevice();
		const doc = makeDoc(writer);
		const client = track(await createDoc(relay.url, writer, doc));
		const sealed = sealFile(fileWithMarker('abandoned', 600_000));
		await client.request('blob.begin', { doc: doc.id, blob: sealed.id, size: sealed.ciphertext.length });
		await client.request('blob.part', { doc: doc.id, blob: sealed.id, i: 0, data: part(sealed.ciphertext, 0) });
		expect(countRows(relay, 'blob_parts')).toBe(1);
		const hidden = await refusal(client.request('blob.get', { doc: doc.id, blob: sealed.id, offset: 0, length: 10 }));
		expect(hidden.code).toBe('unknown-blob');

		const deadline = Date.now() + 20_000;
		while (countRows(relay, 'blobs') > 0 && Date.now() < deadline) await sleep(200);
		expect(countRows(relay, 'blobs')).toBe(0);
		expect(countRows(relay, 'blob_parts')).toBe(0);
		// Beginning again starts from nothing.
		const begun = await client.request('blob.begin', { doc: doc.id, blob: sealed.id, size: sealed.ciphertext.length });
		expect(begun.have).toEqual([]);
	});

	it('binds blobs to their document and its access proof; only writers upload', async () => {
		const relay = await startRelay();
		const writer = newDevice();
		const reader = newDevice();
		const doc = makeDoc(writer);
		const other = makeDoc(writer);
		const owner = track(await createDoc(relay.url, writer, doc));
		await owner.request('doc.create', { genesis: other.genesis });
		await owner.openDoc(other.id, other.access);
		const sealed = sealFile(fileWithMarker('bound', 10_000));
		await uploadRest(owner, doc, sealed.ciphertext, sealed.id);
		const get = { doc: doc.id, blob: sealed.id, offset: 0, length: 100 };

		// A connection that did not prove the access key reads nothing.
		const stranger = track(await connectAs(relay.url, newDevice()));
		expect((await refusal(stranger.request('blob.get', get))).code).toBe('no-access');
		// Access to another document doesn't reach this one's blobs.
		expect((await refusal(owner.request('blob.get', { ...get, doc: other.id }))).code).toBe('unknown-blob');
		// A reader (access key, not a listed writer) reads but can't upload.
		const member = track(await connectAs(relay.url, reader));
		await member.openDoc(doc.id, doc.access);
		expect(((await member.request('blob.get', get)).data as Uint8Array).length).toBe(100);
		const mine = sealFile(fileWithMarker('reader-upload', 1000));
		const refused = await refusal(
			member.request('blob.begin', { doc: doc.id, blob: mine.id, size: mine.ciphertext.length })
		);
		expect(refused.code).toBe('not-writer');
	});

	it('deletes a blob for its uploader or an administrator only; a deleted blob is gone with its parts', async () => {
		const relay = await startRelay();
		const admin = newDevice();
		const alice = newDevice();
		const bob = newDevice();
		const doc = makeDoc(admin, { admins: [admin], writers: [admin, alice, bob] });
		const adminClient = track(await createDoc(relay.url, admin, doc));
		const open = async (device: typeof alice) => {
			const client = track(await connectAs(relay.url, device));
			await client.openDoc(doc.id, doc.access);
			return client;
		};
		const aliceClient = await open(alice);
		const bobClient = await open(bob);
		const first = sealFile(fileWithMarker('deleted-by-uploader', 300_000));
		const second = sealFile(fileWithMarker('deleted-by-admin', 2000));
		await uploadRest(aliceClient, doc, first.ciphertext, first.id);
		await uploadRest(aliceClient, doc, second.ciphertext, second.id);
		expect(countRows(relay, 'blob_parts')).toBe(blobPartCount(first.ciphertext.length) + 1);

		// Another writer, neither uploader nor administrator, may not delete it.
		const refused = await refusal(bobClient.request('blob.delete', { doc: doc.id, blob: first.id }));
		expect(refused.code).toBe('not-writer');
		// A connection that didn't prove the access key learns nothing.
		const stranger = track(await connectAs(relay.url, newDevice()));
		expect((await refusal(stranger.request('blob.delete', { doc: doc.id, blob: first.id }))).code).toBe('no-access');
		expect(await download(bobClient, doc, first.id)).toEqual(first.ciphertext);

		// The uploader deletes one, the administrator the other.
		await aliceClient.request('blob.delete', { doc: doc.id, blob: first.id });
		await adminClient.request('blob.delete', { doc: doc.id, blob: second.id });
		for (const id of [first.id, second.id]) {
			const gone = await refusal(bobClient.request('blob.get', { doc: doc.id, blob: id, offset: 0, length: 10 }));
			expect(gone.code).toBe('unknown-blob');
		}
		expect(countRows(relay, 'blobs')).toBe(0);
		expect(countRows(relay, 'blob_parts')).toBe(0);
		// Deleting again, or a blob that never was, succeeds: it is gone either way.
		await aliceClient.request('blob.delete', { doc: doc.id, blob: first.id });
		await bobClient.request('blob.delete', { doc: doc.id, blob: randomBytes(32) });
		// The quota counts only what is left: the same file can be uploaded again.
		await uploadRest(aliceClient, doc, first.ciphertext, first.id);
		expect(await download(bobClient, doc, first.id)).toEqual(first.ciphertext);
	});

	it('refuses bytes that do not hash to the id, parts of the wrong length and oversized ranges; it keeps serving', async () => {
		const relay = await startRelay();
		const writer = newDevice();
		const doc = makeDoc(writer);
		const client = track(await createDoc(relay.url, writer, doc));
		const sealed = sealFile(fileWithMarker('forged', 300_000));
		const forgedId = randomBytes(32);
		const size = sealed.ciphertext.length;

		await client.request('blob.begin', { doc: doc.id, blob: forgedId, size });
		const wrongLength = await refusal(
			client.request('blob.part', { doc: doc.id, blob: forgedId, i: 0, data: new Uint8Array(10) })
		);
		expect(wrongLength.code).toBe('bad-blob');
		const noSuchPart = await refusal(
			client.request('blob.part', { doc: doc.id, blob: forgedId, i: 99, data: new Uint8Array(10) })
		);
		expect(noSuchPart.code).toBe('bad-blob');
		for (let i = 0; i < blobPartCount(size); i++) {
			await client.request('blob.part', { doc: doc.id, blob: forgedId, i, data: part(sealed.ciphertext, i) });
		}
		expect((await refusal(client.request('blob.end', { doc: doc.id, blob: forgedId }))).code).toBe('bad-blob');
		// The forged upload is forgotten, not left half-visible.
		expect(countRows(relay, 'blobs')).toBe(0);
		expect(countRows(relay, 'blob_parts')).toBe(0);
		// Another size for a known id is refused.
		await client.request('blob.begin', { doc: doc.id, blob: sealed.id, size });
		expect((await refusal(client.request('blob.begin', { doc: doc.id, blob: sealed.id, size: size + 1 }))).code).toBe('bad-blob');

		await uploadRest(client, doc, sealed.ciphertext, sealed.id);
		const tooMuch = await refusal(
			client.request('blob.get', { doc: doc.id, blob: sealed.id, offset: 0, length: BLOB_RANGE_MAX_BYTES + 1 })
		);
		expect(tooMuch.code).toBe('too-large');
		// Malformed blob frames get an error; the relay goes on serving.
		const bad = await client.requestUnchecked({ t: 'blob.part', doc: doc.id, blob: 'x', i: -1, data: 5 });
		expect(bad).toMatchObject({ t: 'err', code: 'bad-frame' });
		const past = await client.request('blob.get', { doc: doc.id, blob: sealed.id, offset: size + 5, length: 10 });
		expect((past.data as Uint8Array).length).toBe(0);
		expect(equalBytes(await download(client, doc, sealed.id), sealed.ciphertext)).toBe(true);
		expect(equalBytes(blobId(sealed.ciphertext), sealed.id)).toBe(true);
	});

	it("holds no plaintext of any file in its data folder, while the same scan finds the file's bytes stored in clear", async () => {
		const relay = await startRelay();
		const writer = newDevice();
		const doc = makeDoc(writer);
		const client = track(await createDoc(relay.url, writer, doc));
		const marker = `file-plaintext-${Date.now().toString(36)}-Тенд`;
		const complete = sealFile(fileWithMarker(marker, 120_000));
		await uploadRest(client, doc, complete.ciphertext, complete.id);
		// And an incomplete upload of another file.
		const halfMarker = `half-upload-${Date.now().toString(36)}`;
		const half = sealFile(fileWithMarker(halfMarker, 700_000));
		await client.request('blob.begin', { doc: doc.id, blob: half.id, size: half.ciphertext.length });
		await client.request('blob.part', { doc: doc.id, blob: half.id, i: 0, data: part(half.ciphertext, 0) });

		// Positive control: a blob whose "ciphertext" is the plaintext itself is found by the same scan.
		const controlMarker = `control-${Date.now().toString(36)}-Тенд`;
		const control = fileWithMarker(controlMarker, 2000);
		await uploadRest(client, doc, control, blobId(control));
		await relay.stop();
		await relay.restart();

		const found = findInFiles(filesUnder(relay.dataDir), [marker, halfMarker, controlMarker]);
		expect(found.has(controlMarker)).toBe(true);
		expect(found.has(marker)).toBe(false);
		expect(found.has(halfMarker)).toBe(false);
		expect(relay.logs.join('\n')).not.toContain(marker);
	});
});
