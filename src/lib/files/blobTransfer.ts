import {
	BLOB_PART_BYTES,
	BLOB_RANGE_MAX_BYTES,
	blobPartCount
} from '../protocol/blob.js';
import type { OkFrame, Request, RequestType } from '../protocol/frames.js';

/**
 * Moving blobs to and from the relay (docs/protocol.md, "Blobs"), for any document: a
 * conversation's attachments today, a board's card files later. Nothing here knows what the
 * bytes are; they are ciphertext from src/lib/crypto/fileCrypto.ts.
 */

/** What the transfer needs of a relay connection (RelayConnection fits). */
export interface BlobRequester {
	request<T extends RequestType>(type: T, body: Omit<Request<T>, 't' | 'rid'>): Promise<OkFrame>;
}

/** Bytes done and total, for a progress bar. */
export type TransferProgress = (done: number, total: number) => void;

/** Parts sent at once: enough to keep the socket busy, few enough to lose little on a drop. */
const UPLOAD_WINDOW = 4;

/**
 * Uploads a blob, resuming from the parts the relay already holds (a previous connection's
 * work survives a drop or a relay restart). Rejects with the relay's error (`blob-too-large`,
 * `quota-exceeded`, …) or a connection error; calling it again resumes.
 */
export async function uploadBlob(
	relay: BlobRequester,
	doc: Uint8Array,
	id: Uint8Array,
	ciphertext: Uint8Array,
	onProgress?: TransferProgress
): Promise<void> {
	const size = ciphertext.length;
	const begun = await relay.request('blob.begin', { doc, blob: id, size });
	if (begun.done === true) {
		onProgress?.(size, size);
		return;
	}
	const have = new Set(Array.isArray(begun.have) ? (begun.have as number[]) : []);
	const missing: number[] = [];
	for (let i = 0; i < blobPartCount(size); i++) if (!have.has(i)) missing.push(i);

	let done = size - missing.reduce((n, i) => n + partOf(ciphertext, i).length, 0);
	onProgress?.(done, size);
	let next = 0;
	const lane = async () => {
		while (next < missing.length) {
			const i = missing[next++];
			const data = partOf(ciphertext, i);
			await relay.request('blob.part', { doc, blob: id, i, data });
			done += data.length;
			onProgress?.(done, size);
		}
	};
	await Promise.all(Array.from({ length: UPLOAD_WINDOW }, lane));
	await relay.request('blob.end', { doc, blob: id });
}

/** Downloads a whole blob by ranges. `size` is the expected ciphertext size, from the reference. */
export async function downloadBlob(
	relay: BlobRequester,
	doc: Uint8Array,
	id: Uint8Array,
	size: number,
	onProgress?: TransferProgress
): Promise<Uint8Array> {
	const out = new Uint8Array(size);
	let offset = 0;
	onProgress?.(0, size);
	while (offset < size) {
		const answer = await relay.request('blob.get', {
			doc,
			blob: id,
			offset,
			length: Math.min(BLOB_RANGE_MAX_BYTES, size - offset)
		});
		const data = answer.data;
		if (!(data instanceof Uint8Array) || data.length === 0 || answer.size !== size) {
			throw new Error('the relay holds a blob of another size');
		}
		out.set(data.subarray(0, size - offset), offset);
		offset += data.length;
		onProgress?.(Math.min(offset, size), size);
	}
	return out;
}

function partOf(ciphertext: Uint8Array, i: number): Uint8Array {
	// A copy: a view would make some encoders send the whole underlying buffer.
	return ciphertext.slice(i * BLOB_PART_BYTES, (i + 1) * BLOB_PART_BYTES);
}
