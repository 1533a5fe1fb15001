import { hashStream, Tag, type StreamHasher } from '../crypto/primitives.js';

/**
 * Blobs: the encrypted bytes of a file, stored by the relay beside a document's entry log.
 * The relay sees only ciphertext, its size and its id; the key, the name, the type and the
 * plaintext hash live inside the document (src/lib/files/). docs/protocol.md, "Blobs".
 */

/**
 * The unit of upload and of resume (256 KiB): part `i` is bytes `[i·P, (i+1)·P)` of the
 * ciphertext, the last one shorter. Four parts fit in one 1 MiB frame's budget with room to
 * spare, and a dropped connection loses at most the parts in flight.
 */
export const BLOB_PART_BYTES = 256 * 1024;

/** The largest range one `blob.get` returns (512 KiB, well under the 1 MiB frame limit). */
export const BLOB_RANGE_MAX_BYTES = 512 * 1024;

/** Default largest blob a relay accepts: 25 MiB of ciphertext (operators may change it). */
export const DEFAULT_MAX_BLOB_BYTES = 25 * 1024 * 1024;

/** Default total of blob bytes one document may hold at the relay: 1 GiB. */
export const DEFAULT_BLOB_QUOTA_BYTES = 1024 * 1024 * 1024;

/** How many parts a blob of `size` bytes has (at least one, even for an empty blob). */
export function blobPartCount(size: number): number {
	return Math.max(1, Math.ceil(size / BLOB_PART_BYTES));
}

/** The byte length part `i` of a blob of `size` bytes must have. */
export function blobPartLength(size: number, i: number): number {
	return Math.max(0, Math.min(BLOB_PART_BYTES, size - i * BLOB_PART_BYTES));
}

/**
 * Blob id = BLAKE2b-256("tend/blob-id/v1\0" ‖ ciphertext): a hash of the ciphertext (rule 20),
 * which the relay computes itself when an upload ends, so a blob is stored under its own hash
 * and a retried upload of the same bytes is the same blob.
 */
export function blobIdHasher(): StreamHasher {
	return hashStream(Tag.blobId);
}

export function blobId(ciphertext: Uint8Array): Uint8Array {
	const hasher = blobIdHasher();
	hasher.update(ciphertext);
	return hasher.digest();
}
