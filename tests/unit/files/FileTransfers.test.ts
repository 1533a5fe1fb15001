import { EventEmitter } from 'eventemitter3';
import { beforeAll, describe, expect, it } from 'vitest';
import { sealFile } from '../../../src/lib/crypto/fileCrypto.js';
import { readyCrypto } from '../../../src/lib/crypto/sodium.js';
import { FileError, FileTransfers, type FileKv } from '../../../src/lib/files/FileTransfers.js';
import {
	BLOB_PART_BYTES,
	blobId,
	blobPartCount,
	blobPartLength
} from '../../../src/lib/protocol/blob.js';
import { concatBytes, equalBytes, toBase64Url, toHex } from '../../../src/lib/protocol/bytes.js';
import { RelayError } from '../../../src/lib/protocol/errors.js';
import type { OkFrame, Request, RequestType } from '../../../src/lib/protocol/frames.js';

beforeAll(async () => {
	await readyCrypto();
});

const DOC = toBase64Url(new Uint8Array(32).fill(7));

/** A store that keeps values as given (the real one seals them again). */
class MemoryKv implements FileKv {
	readonly map = new Map<string, { key: string[]; data: Uint8Array }>();
	async load(key: string[]) {
		return this.map.get(key.join('/'))?.data;
	}
	async loadRange(prefix: string[]) {
		const p = `${prefix.join('/')}/`;
		return [...this.map.entries()].filter(([k]) => k.startsWith(p)).map(([, v]) => v);
	}
	async write(puts: { key: string[]; data: Uint8Array }[], removes: string[][]) {
		for (const put of puts) this.map.set(put.key.join('/'), { key: put.key, data: put.data });
		for (const key of removes) this.map.delete(key.join('/'));
	}
}

/**
 * The relay's blob frames in memory, with the same rules as sync-server/handlers/blobs.ts,
 * and a switch that drops the "connection" after a number of parts.
 */
class FakeRelay extends EventEmitter<{ 'doc-live': (doc: string) => void }> {
	blobs = new Map<string, { size: number; parts: Map<number, Uint8Array>; complete: boolean }>();
	live = true;
	dropAfterParts = Infinity;
	partsReceived = 0;
	maxBytes = Infinity;
	/** Refusals to answer `blob.begin` with before serving normally. */
	refuseBegin: RelayError[] = [];
	/** Blob ids (hex) `blob.delete` was asked for, in order. */
	deleted: string[] = [];
	/** Answer `blob.delete` with `not-writer`. */
	refuseDelete = false;
	/** Bytes to serve instead of a stored blob (a dishonest relay). */
	forged: Uint8Array | undefined;

	readonly connection = {
		request: async <T extends RequestType>(type: T, body: Omit<Request<T>, 't' | 'rid'>): Promise<OkFrame> => {
			if (!this.live) throw new RelayError('internal', 'connection closed');
			const req = body as unknown as Record<string, unknown>;
			const key = toHex(req.blob as Uint8Array);
			const blob = this.blobs.get(key);
			const ok = (fields: Record<string, unknown> = {}): OkFrame => ({ t: 'ok', rid: 1, ...fields });
			switch (type) {
				case 'blob.begin': {
					const refusal = this.refuseBegin.shift();
					if (refusal) throw refusal;
					const size = req.size as number;
					if (blob?.complete) return ok({ done: true });
					if (blob) return ok({ have: [...blob.parts.keys()].sort((a, b) => a - b) });
					if (size > this.maxBytes) throw new RelayError('blob-too-large');
					this.blobs.set(key, { size, parts: new Map(), complete: false });
					return ok({ have: [] });
				}
				case 'blob.part': {
					if (this.partsReceived >= this.dropAfterParts) {
						this.live = false;
						throw new RelayError('internal', 'connection closed');
					}
					const i = req.i as number;
					const data = req.data as Uint8Array;
					if (!blob || data.length !== blobPartLength(blob.size, i)) throw new RelayError('bad-blob');
					blob.parts.set(i, data);
					this.partsReceived++;
					return ok();
				}
				case 'blob.end': {
					if (!blob || blob.parts.size !== blobPartCount(blob.size)) throw new RelayError('bad-blob');
					const bytes = concatBytes(...[...blob.parts.entries()].sort((a, b) => a[0] - b[0]).map(([, d]) => d));
					if (!equalBytes(blobId(bytes), req.blob as Uint8Array)) throw new RelayError('bad-blob');
					blob.complete = true;
					return ok();
				}
				case 'blob.delete': {
					if (this.refuseDelete) throw new RelayError('not-writer');
					this.deleted.push(key);
					this.blobs.delete(key);
					return ok();
				}
				case 'blob.get': {
					if (!blob?.complete) throw new RelayError('unknown-blob');
					const all = this.forged ?? concatBytes(...[...blob.parts.entries()].sort((a, b) => a[0] - b[0]).map(([, d]) => d));
					const offset = req.offset as number;
					return ok({ size: blob.size, data: all.slice(offset, offset + (req.length as number)) });
				}
			}
			throw new Error(`unexpected ${type}`);
		}
	};

	isLive = () => this.live;

	reconnect(): void {
		this.live = true;
		this.emit('doc-live', DOC);
	}
}

function sample(size: number, marker = 'plaintext-marker'): Uint8Array {
	const text = new TextEncoder().encode(marker);
	const out = new Uint8Array(size);
	for (let i = 0; i < size; i++) out[i] = text[i % text.length];
	return out;
}

async function until(condition: () => boolean): Promise<void> {
	for (let i = 0; i < 500 && !condition(); i++) await new Promise((r) => setTimeout(r, 5));
	expect(condition()).toBe(true);
}

/** 32 bytes that name no stored blob. */
const randomBytesHex = () => new Uint8Array(32).map((_, i) => (i * 37 + 11) & 0xff);

const refOf = (sealed: ReturnType<typeof sealFile>) => ({ ...sealed, stored: sealed.ciphertext.length });

describe('FileTransfers', () => {
	it('keeps a queued file across a restart and uploads it when the document connects', async () => {
		const kv = new MemoryKv();
		const relay = new FakeRelay();
		relay.live = false;
		const sealed = sealFile(sample(300_000));
		await new FileTransfers(kv, relay).queueUpload(DOC, sealed);

		// A new instance on the same store (a reload) still has it queued.
		const after = new FileTransfers(kv, relay);
		await after.load(DOC);
		const hex = toHex(sealed.id);
		expect(after.isQueued(DOC, hex)).toBe(true);
		expect(after.state(DOC, hex)).toEqual({ state: 'queued' });
		relay.reconnect();
		await until(() => !after.isQueued(DOC, hex));
		expect(relay.blobs.get(hex)?.complete).toBe(true);
		expect(after.has(DOC, hex)).toBe(true);
	});

	it('resumes a dropped upload from the parts the relay holds, sending each part once', async () => {
		const kv = new MemoryKv();
		const relay = new FakeRelay();
		const sealed = sealFile(sample(5 * BLOB_PART_BYTES));
		const parts = blobPartCount(sealed.ciphertext.length);
		relay.dropAfterParts = 2;
		const files = new FileTransfers(kv, relay);
		await files.queueUpload(DOC, sealed);
		const hex = toHex(sealed.id);
		await until(() => !relay.live && files.state(DOC, hex)?.state === 'queued');
		expect(relay.blobs.get(hex)?.parts.size).toBe(2);

		relay.dropAfterParts = Infinity;
		relay.reconnect();
		await until(() => !files.isQueued(DOC, hex));
		expect(relay.partsReceived).toBe(parts);
		expect(relay.blobs.get(hex)?.complete).toBe(true);
	});

	it('tries again after a passing refusal on a live connection', async () => {
		const relay = new FakeRelay();
		relay.refuseBegin = [new RelayError('rate-limited')];
		const files = new FileTransfers(new MemoryKv(), relay);
		const sealed = sealFile(sample(2000));
		await files.queueUpload(DOC, sealed);
		const hex = toHex(sealed.id);
		await until(() => relay.refuseBegin.length === 0);
		expect(files.isQueued(DOC, hex)).toBe(true);
		// The retry comes after a pause (5 s), without a reconnect.
		for (let i = 0; i < 160 && files.isQueued(DOC, hex); i++) await new Promise((r) => setTimeout(r, 50));
		expect(files.isQueued(DOC, hex)).toBe(false);
		expect(relay.blobs.get(hex)?.complete).toBe(true);
	});

	it('dequeues a file the relay refuses for good and says why', async () => {
		const relay = new FakeRelay();
		relay.maxBytes = 1000;
		const files = new FileTransfers(new MemoryKv(), relay);
		const sealed = sealFile(sample(5000));
		await files.queueUpload(DOC, sealed);
		const hex = toHex(sealed.id);
		await until(() => files.state(DOC, hex)?.state === 'refused');
		expect(files.state(DOC, hex)).toEqual({ state: 'refused', code: 'blob-too-large' });
		expect(files.isQueued(DOC, hex)).toBe(false);
	});

	it('downloads, checks and keeps a file; it then opens with the relay gone', async () => {
		const relay = new FakeRelay();
		const plaintext = sample(200_000);
		const sealed = sealFile(plaintext);
		await new FileTransfers(new MemoryKv(), relay).queueUpload(DOC, sealed);
		await until(() => relay.blobs.get(toHex(sealed.id))?.complete === true);

		const kv = new MemoryKv();
		const receiver = new FileTransfers(kv, relay);
		expect(equalBytes(await receiver.open(DOC, refOf(sealed)), plaintext)).toBe(true);
		expect(receiver.has(DOC, toHex(sealed.id))).toBe(true);
		relay.live = false;
		expect(equalBytes(await new FileTransfers(kv, relay).open(DOC, refOf(sealed)), plaintext)).toBe(true);
		// The store holds ciphertext only (the real store seals it once more).
		const marker = new TextEncoder().encode('plaintext-marker');
		for (const { data } of kv.map.values()) expect(Buffer.from(data).includes(Buffer.from(marker))).toBe(false);
	});

	it('refuses bytes the relay swapped, and keeps nothing of them', async () => {
		const relay = new FakeRelay();
		const sealed = sealFile(sample(100_000));
		await new FileTransfers(new MemoryKv(), relay).queueUpload(DOC, sealed);
		await until(() => relay.blobs.get(toHex(sealed.id))?.complete === true);
		const other = sealFile(sample(100_000, 'another-file'));
		relay.forged = other.ciphertext;

		const kv = new MemoryKv();
		const receiver = new FileTransfers(kv, relay);
		await expect(receiver.open(DOC, refOf(sealed))).rejects.toEqual(new FileError('wrong-blob'));
		expect(receiver.state(DOC, toHex(sealed.id))).toEqual({ state: 'failed', code: 'wrong-blob' });
		expect(receiver.has(DOC, toHex(sealed.id))).toBe(false);
		expect(kv.map.size).toBe(0);
	});

	it('says a file is not at the relay yet, or that it is offline', async () => {
		const relay = new FakeRelay();
		const sealed = sealFile(sample(1000));
		const receiver = new FileTransfers(new MemoryKv(), relay);
		await expect(receiver.open(DOC, refOf(sealed))).rejects.toEqual(new FileError('unavailable'));
		relay.live = false;
		await expect(receiver.open(DOC, refOf(sealed))).rejects.toEqual(new FileError('offline'));
		const noRelay = new FileTransfers(new MemoryKv());
		await expect(noRelay.open(DOC, refOf(sealed))).rejects.toEqual(new FileError('offline'));
	});

	it('discards a deleted message\'s file here at once, and at the relay once connected, across a restart', async () => {
		const kv = new MemoryKv();
		const relay = new FakeRelay();
		const sealed = sealFile(sample(300_000, 'discarded-file-marker'));
		const transfers = new FileTransfers(kv, relay);
		await transfers.queueUpload(DOC, sealed);
		const hex = toHex(sealed.id);
		await until(() => relay.blobs.get(hex)?.complete === true && !transfers.isQueued(DOC, hex));
		const ref = refOf(sealed);

		relay.live = false;
		await transfers.discard(DOC, [hex], true);
		expect(transfers.has(DOC, hex)).toBe(false);
		expect(transfers.isGone(DOC, hex)).toBe(true);
		// No ciphertext of it is left in the store; only the marker of the deletion to make.
		expect([...kv.map.keys()].filter((k) => k.includes(hex))).toEqual([`tend/blob-delete/${DOC}/${hex}`]);

		// A reload keeps the deletion waiting and makes it when the document connects.
		relay.removeAllListeners('doc-live');
		const after = new FileTransfers(kv, relay);
		await after.load(DOC);
		expect(after.isGone(DOC, hex)).toBe(true);
		relay.reconnect();
		await until(() => relay.deleted.includes(hex));
		await until(() => kv.map.has(`tend/blob-gone/${DOC}/${hex}`));
		expect(kv.map.has(`tend/blob-delete/${DOC}/${hex}`)).toBe(false);
		expect(relay.blobs.has(hex)).toBe(false);
		// Discarding again asks the relay nothing more; opening it again finds nothing to keep.
		await after.discard(DOC, [hex], true);
		expect(relay.deleted).toEqual([hex]);
		await expect(after.open(DOC, ref)).rejects.toThrow(FileError);
		expect([...kv.map.keys()].filter((k) => k.includes(`file/${DOC}/${hex}`))).toEqual([]);
	});

	it('drops a queued upload of a discarded file, and leaves the relay alone without the right to delete', async () => {
		const kv = new MemoryKv();
		const relay = new FakeRelay();
		relay.live = false;
		const queued = sealFile(sample(2000, 'never-uploaded'));
		const transfers = new FileTransfers(kv, relay);
		await transfers.queueUpload(DOC, queued);
		const hex = toHex(queued.id);
		await transfers.discard(DOC, [hex], false);
		expect(transfers.isQueued(DOC, hex)).toBe(false);
		relay.reconnect();
		await new Promise((r) => setTimeout(r, 50));
		expect(relay.blobs.has(hex)).toBe(false);
		expect(relay.deleted).toEqual([]);
		expect([...kv.map.keys()].filter((k) => k.includes(hex))).toEqual([`tend/blob-gone/${DOC}/${hex}`]);
	});

	it('stops asking when the relay says this device may not delete the file', async () => {
		const kv = new MemoryKv();
		const relay = new FakeRelay();
		relay.refuseDelete = true;
		const transfers = new FileTransfers(kv, relay);
		const hex = toHex(randomBytesHex());
		await transfers.discard(DOC, [hex], true);
		await until(() => kv.map.has(`tend/blob-gone/${DOC}/${hex}`));
		expect(kv.map.has(`tend/blob-delete/${DOC}/${hex}`)).toBe(false);
	});
});
