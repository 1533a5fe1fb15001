import { beforeAll, describe, expect, it } from 'vitest';
import {
	FILE_CHUNK_BYTES,
	fileHash,
	openFile,
	paddedFileSize,
	sealedFileSize,
	sealFile,
	type SealedFile
} from '../../../src/lib/crypto/fileCrypto.js';
import { randomBytes } from '../../../src/lib/crypto/primitives.js';
import { readyCrypto } from '../../../src/lib/crypto/sodium.js';
import { blobId } from '../../../src/lib/protocol/blob.js';
import { concatBytes, equalBytes } from '../../../src/lib/protocol/bytes.js';

beforeAll(async () => {
	await readyCrypto();
});

const HEADER = 24;
const CHUNK = FILE_CHUNK_BYTES + 17;

/** A plaintext whose bytes are all different from zero, so padding can't hide a change. */
function sample(size: number): Uint8Array {
	const bytes = new Uint8Array(size);
	for (let i = 0; i < size; i++) bytes[i] = 1 + ((i * 31 + 7) % 251);
	return bytes;
}

/** The chunks of a sealed file, header apart. */
function chunksOf(sealed: SealedFile): { header: Uint8Array; chunks: Uint8Array[] } {
	const chunks: Uint8Array[] = [];
	for (let at = HEADER; at < sealed.ciphertext.length; at += CHUNK) {
		chunks.push(sealed.ciphertext.slice(at, Math.min(sealed.ciphertext.length, at + CHUNK)));
	}
	return { header: sealed.ciphertext.slice(0, HEADER), chunks };
}

/** Opens changed ciphertext with a reference whose id matches it, so only the stream check is left. */
function openForged(sealed: SealedFile, ciphertext: Uint8Array) {
	return openFile(ciphertext, { ...sealed, id: blobId(ciphertext) });
}

describe('fileCrypto', () => {
	it('round-trips files of many sizes, across chunk and bucket boundaries', () => {
		for (const size of [0, 1, 511, 512, 513, FILE_CHUNK_BYTES - 1, FILE_CHUNK_BYTES, FILE_CHUNK_BYTES + 1, 300_000, 1024 * 1024 + 5]) {
			const plaintext = sample(size);
			const sealed = sealFile(plaintext);
			expect(sealed.ciphertext.length).toBe(sealedFileSize(size));
			expect(equalBytes(sealed.id, blobId(sealed.ciphertext))).toBe(true);
			const opened = openFile(sealed.ciphertext, sealed);
			expect(opened.ok && equalBytes(opened.plaintext, plaintext)).toBe(true);
		}
	});

	it('pads to size buckets, so the relay sees the size only roughly (rule 20)', () => {
		expect(paddedFileSize(0)).toBe(512);
		expect(paddedFileSize(600)).toBe(1024);
		expect(paddedFileSize(70_000)).toBe(131_072);
		expect(paddedFileSize(1024 * 1024 + 1)).toBe(2 * 1024 * 1024);
		expect(sealFile(sample(600)).ciphertext.length).toBe(sealFile(sample(1000)).ciphertext.length);
	});

	it('uses a fresh key per file: the same bytes seal to different blobs', () => {
		const plaintext = sample(2000);
		const a = sealFile(plaintext);
		const b = sealFile(plaintext);
		expect(equalBytes(a.key, b.key)).toBe(false);
		expect(equalBytes(a.id, b.id)).toBe(false);
		expect(equalBytes(a.hash, b.hash)).toBe(true);
	});

	it('rejects ciphertext that does not hash to the blob id', () => {
		const sealed = sealFile(sample(5000));
		const changed = sealed.ciphertext.slice();
		changed[HEADER + 3] ^= 1;
		expect(openFile(changed, sealed)).toEqual({ ok: false, code: 'wrong-blob' });
	});

	it('rejects a changed chunk', () => {
		const sealed = sealFile(sample(3 * FILE_CHUNK_BYTES));
		for (const at of [0, HEADER + 5, HEADER + CHUNK + 100, sealed.ciphertext.length - 1]) {
			const changed = sealed.ciphertext.slice();
			changed[at] ^= 0x40;
			expect(openForged(sealed, changed)).toEqual({ ok: false, code: 'tampered' });
		}
	});

	it('rejects a dropped, reordered or repeated chunk', () => {
		const sealed = sealFile(sample(4 * FILE_CHUNK_BYTES));
		const { header, chunks } = chunksOf(sealed);
		expect(chunks).toHaveLength(4);
		const dropped = concatBytes(header, chunks[0], chunks[2], chunks[3]);
		const reordered = concatBytes(header, chunks[1], chunks[0], chunks[2], chunks[3]);
		const repeated = concatBytes(header, chunks[0], chunks[0], chunks[1], chunks[2], chunks[3]);
		for (const forged of [dropped, reordered, repeated]) {
			expect(openForged(sealed, forged)).toEqual({ ok: false, code: 'tampered' });
		}
	});

	it('detects truncation after any chunk but the final one, and bytes after it', () => {
		const sealed = sealFile(sample(3 * FILE_CHUNK_BYTES));
		const { header, chunks } = chunksOf(sealed);
		expect(openForged(sealed, concatBytes(header, chunks[0]))).toEqual({ ok: false, code: 'truncated' });
		expect(openForged(sealed, concatBytes(header, chunks[0], chunks[1]))).toEqual({
			ok: false,
			code: 'truncated'
		});
		expect(openForged(sealed, header)).toEqual({ ok: false, code: 'truncated' });
		// Cut inside a chunk: that chunk fails its tag.
		expect(openForged(sealed, sealed.ciphertext.slice(0, -5))).toEqual({ ok: false, code: 'tampered' });
		// The final chunk followed by more of the stream.
		expect(openForged(sealed, concatBytes(sealed.ciphertext, chunks[0]))).toEqual({
			ok: false,
			code: 'trailing'
		});
	});

	it('rejects the wrong key', () => {
		const sealed = sealFile(sample(10_000));
		expect(openFile(sealed.ciphertext, { ...sealed, key: randomBytes(32) })).toEqual({
			ok: false,
			code: 'tampered'
		});
	});

	it('rejects a reference whose plaintext hash or size names another file', () => {
		const plaintext = sample(10_000);
		const sealed = sealFile(plaintext);
		expect(openFile(sealed.ciphertext, { ...sealed, hash: fileHash(sample(9_999)) })).toEqual({
			ok: false,
			code: 'wrong-hash'
		});
		// A smaller size inside the same bucket: the cut-off bytes aren't padding.
		expect(openFile(sealed.ciphertext, { ...sealed, size: 9_000 })).toEqual({
			ok: false,
			code: 'wrong-size'
		});
		// A size from another bucket.
		expect(openFile(sealed.ciphertext, { ...sealed, size: 100 })).toEqual({
			ok: false,
			code: 'wrong-size'
		});
	});

	it('rejects a stream sealed by someone else under a swapped header', () => {
		const a = sealFile(sample(5000));
		const b = sealFile(sample(5000));
		const spliced = concatBytes(b.ciphertext.subarray(0, HEADER), a.ciphertext.subarray(HEADER));
		expect(openForged(a, spliced)).toEqual({ ok: false, code: 'tampered' });
	});
});
