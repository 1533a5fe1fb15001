import { blobIdHasher } from '../protocol/blob.js';
import { equalBytes } from '../protocol/bytes.js';
import { hashStream, Tag } from './primitives.js';
import { sodium } from './sodium.js';

/**
 * End-to-end encryption of files (photos, voice notes, documents) before they become blobs at
 * the relay.
 *
 * @remarks
 * Each file gets a fresh 32-byte key and is encrypted with libsodium's secretstream
 * (crypto_secretstream_xchacha20poly1305): a 24-byte header, then one authenticated chunk per
 * {@link FILE_CHUNK_BYTES} of plaintext, the last one tagged FINAL. The stream's state chains
 * the chunks, so a changed, dropped, reordered or repeated chunk fails its tag, and a stream
 * cut after any chunk but the FINAL one is detected as truncated.
 *
 * Before encryption the plaintext is padded with zero bytes to a size bucket (rule 20): 512 B,
 * then powers of two up to 1 MiB, then whole MiB, so the relay learns the size only roughly
 * (at most 2× or 1 MiB of padding). The real size, the key, the plaintext hash and the blob id
 * go into the reference that travels inside the encrypted document (src/lib/files/).
 */

/** Plaintext bytes per secretstream chunk (64 KiB); every chunk but the last is this long. */
export const FILE_CHUNK_BYTES = 64 * 1024;

/** secretstream's header and per-chunk overhead (crypto_secretstream_xchacha20poly1305_*). */
const HEADER_BYTES = 24;
const CHUNK_OVERHEAD = 17;

/** What a receiver needs to fetch and open a file; kept only inside the encrypted document. */
export interface FileSecrets {
	/** Blob id: hash of the ciphertext (src/lib/protocol/blob.ts). */
	id: Uint8Array;
	/** The file's own secretstream key. */
	key: Uint8Array;
	/** BLAKE2b-256("tend/file-hash/v1\0" ‖ plaintext), checked after decryption. */
	hash: Uint8Array;
	/** Plaintext size in bytes (before padding). */
	size: number;
}

export interface SealedFile extends FileSecrets {
	ciphertext: Uint8Array;
}

/** Why a file did not open; none of them shows any of its bytes. */
export type FileOpenError =
	| 'wrong-blob' // the ciphertext doesn't hash to the id in the reference
	| 'tampered' // a chunk failed authentication: changed, dropped, reordered, or the wrong key
	| 'truncated' // the stream ends before its FINAL chunk
	| 'trailing' // bytes after the FINAL chunk
	| 'wrong-size' // the padded length doesn't fit the size in the reference
	| 'wrong-hash'; // decrypted, but not the file the reference names

export type FileOpenResult = { ok: true; plaintext: Uint8Array } | { ok: false; code: FileOpenError };

/** The padded plaintext length for a file of `size` bytes (rule 20). */
export function paddedFileSize(size: number): number {
	const MiB = 1024 * 1024;
	if (size <= 512) return 512;
	if (size <= MiB) return 2 ** Math.ceil(Math.log2(size));
	return Math.ceil(size / MiB) * MiB;
}

/** The ciphertext length of a file of `size` bytes: what the relay stores and sees. */
export function sealedFileSize(size: number): number {
	const padded = paddedFileSize(size);
	const chunks = Math.ceil(padded / FILE_CHUNK_BYTES);
	return HEADER_BYTES + padded + chunks * CHUNK_OVERHEAD;
}

/** The BLAKE2b-256 plaintext hash stored in a file's reference. */
export function fileHash(plaintext: Uint8Array): Uint8Array {
	const hasher = hashStream(Tag.fileHash);
	hasher.update(plaintext);
	return hasher.digest();
}

/** Encrypts a file under a fresh key; the caller stores the result and puts the secrets in a reference. */
export function sealFile(plaintext: Uint8Array): SealedFile {
	const s = sodium();
	const key = s.crypto_secretstream_xchacha20poly1305_keygen();
	const padded = new Uint8Array(paddedFileSize(plaintext.length));
	padded.set(plaintext);

	const { state, header } = s.crypto_secretstream_xchacha20poly1305_init_push(key);
	const ciphertext = new Uint8Array(sealedFileSize(plaintext.length));
	ciphertext.set(header, 0);
	let at = HEADER_BYTES;
	for (let offset = 0; offset < padded.length; offset += FILE_CHUNK_BYTES) {
		const end = Math.min(padded.length, offset + FILE_CHUNK_BYTES);
		const tag =
			end === padded.length
				? s.crypto_secretstream_xchacha20poly1305_TAG_FINAL
				: s.crypto_secretstream_xchacha20poly1305_TAG_MESSAGE;
		const chunk = s.crypto_secretstream_xchacha20poly1305_push(
			state,
			padded.subarray(offset, end),
			null,
			tag
		);
		ciphertext.set(chunk, at);
		at += chunk.length;
	}
	s.memzero(padded);

	const idHasher = blobIdHasher();
	idHasher.update(ciphertext);
	return { ciphertext, id: idHasher.digest(), key, hash: fileHash(plaintext), size: plaintext.length };
}

/**
 * Checks and decrypts a file: its blob id, every chunk's tag, the FINAL tag at the very end,
 * the padding and the plaintext hash. Nothing is returned unless all of them hold.
 */
export function openFile(ciphertext: Uint8Array, secrets: FileSecrets): FileOpenResult {
	const s = sodium();
	const idHasher = blobIdHasher();
	idHasher.update(ciphertext);
	if (!equalBytes(idHasher.digest(), secrets.id)) return { ok: false, code: 'wrong-blob' };
	if (ciphertext.length < HEADER_BYTES + CHUNK_OVERHEAD) return { ok: false, code: 'truncated' };

	let state;
	try {
		state = s.crypto_secretstream_xchacha20poly1305_init_pull(
			ciphertext.subarray(0, HEADER_BYTES),
			secrets.key
		);
	} catch {
		return { ok: false, code: 'tampered' };
	}
	const parts: Uint8Array[] = [];
	let at = HEADER_BYTES;
	let finished = false;
	while (at < ciphertext.length) {
		if (finished) return { ok: false, code: 'trailing' };
		const end = Math.min(ciphertext.length, at + FILE_CHUNK_BYTES + CHUNK_OVERHEAD);
		let pulled: { message: Uint8Array; tag: number } | false;
		try {
			pulled = s.crypto_secretstream_xchacha20poly1305_pull(state, ciphertext.subarray(at, end), null);
		} catch {
			pulled = false;
		}
		if (!pulled) return { ok: false, code: 'tampered' };
		parts.push(pulled.message);
		finished = pulled.tag === s.crypto_secretstream_xchacha20poly1305_TAG_FINAL;
		at = end;
	}
	if (!finished) return { ok: false, code: 'truncated' };

	const total = parts.reduce((n, part) => n + part.length, 0);
	if (total !== paddedFileSize(secrets.size)) return { ok: false, code: 'wrong-size' };
	const padded = new Uint8Array(total);
	let offset = 0;
	for (const part of parts) {
		padded.set(part, offset);
		offset += part.length;
	}
	if (padded.subarray(secrets.size).some((byte) => byte !== 0)) {
		return { ok: false, code: 'wrong-size' };
	}
	const plaintext = padded.slice(0, secrets.size);
	s.memzero(padded);
	if (!equalBytes(fileHash(plaintext), secrets.hash)) return { ok: false, code: 'wrong-hash' };
	return { ok: true, plaintext };
}
