import {
	BLOB_PART_BYTES,
	BLOB_RANGE_MAX_BYTES,
	blobIdHasher,
	blobPartCount,
	blobPartLength
} from '../../src/lib/protocol/blob.js';
import { equalBytes } from '../../src/lib/protocol/bytes.js';
import { RelayError } from '../../src/lib/protocol/errors.js';
import type { DocState } from '../DocRegistry.js';
import type { Connection } from '../Connection.js';
import { requireDevice, requireReader, type Handler, type RelayContext } from './context.js';

/**
 * Blobs (docs/protocol.md, "Blobs"): encrypted files stored beside a document's entry log.
 *
 * @remarks
 * The relay sees a blob's size, its id (a hash of its ciphertext) and which document it belongs
 * to; never its key, name, type or content. A blob belongs to one document: only a connection
 * that proved the document's access key may read it, and only a listed writer (rule 7) may
 * upload. An upload is invisible until `blob.end` has checked that the stored parts hash to
 * the id; an upload nobody finishes expires (`uploadTtlMs`) and is deleted with its parts.
 */

/** The relay's blob settings (flags and environment in config.ts; docs/operations.md). */
export interface BlobLimits {
	/** Largest blob accepted, in bytes of ciphertext. */
	maxBytes: number;
	/** Total bytes of blobs, complete or not, one document may hold. */
	quotaBytes: number;
	/** An incomplete upload with no new part for this long (ms) is deleted. */
	uploadTtlMs: number;
}

function requireWriter(ctx: RelayContext, conn: Connection, doc: Uint8Array): DocState {
	requireDevice(conn);
	const state = requireReader(ctx, conn, doc);
	// Files belong to the conversation document: a period counted apart would multiply the quota.
	if (state.parent) throw new RelayError('unknown-doc', 'files belong to the conversation');
	if (!conn.deviceKey || !state.writers.has(conn.deviceKey)) throw new RelayError('not-writer');
	return state;
}

/**
 * `blob.begin`: `{ done: true }` for a complete blob, else `{ have }`, the parts already stored
 * (empty for a new upload), so a device resumes where its last connection stopped.
 */
export const begin: Handler<'blob.begin'> = (ctx, conn, req) => {
	const doc = requireWriter(ctx, conn, req.doc);
	const existing = ctx.store.getBlob(doc.id, req.blob);
	if (existing) {
		// The id is a hash of the bytes: another size for the same id can't be the same blob.
		if (existing.size !== req.size) throw new RelayError('bad-blob', 'the size does not match');
		if (existing.complete) return { done: true };
		return { have: ctx.store.blobPartIndexes(doc.id, req.blob) };
	}

	const { maxBytes, quotaBytes } = ctx.blobs;
	if (req.size < 1) throw new RelayError('bad-blob', 'a blob has at least one byte');
	if (req.size > maxBytes) {
		throw new RelayError('blob-too-large', `the blob is larger than ${maxBytes} bytes`);
	}
	const used = ctx.store.blobBytes(doc.id);
	if (used + req.size > quotaBytes) {
		throw new RelayError(
			'quota-exceeded',
			`the document holds ${used} of ${quotaBytes} bytes of blobs`
		);
	}
	ctx.store.createBlob(doc.id, req.blob, req.size, ctx.now(), conn.device!);
	ctx.log.info({ doc: doc.logId, size: req.size }, 'blob upload started');
	return { have: [] };
};

/** `blob.part`: stores one part of an incomplete blob; the answer comes after the commit. */
export const part: Handler<'blob.part'> = (ctx, conn, req) => {
	const doc = requireWriter(ctx, conn, req.doc);
	const blob = ctx.store.getBlob(doc.id, req.blob);
	if (!blob) throw new RelayError('unknown-blob', 'begin the upload first');
	if (blob.complete) return {};
	if (req.i >= blobPartCount(blob.size)) throw new RelayError('bad-blob', 'no such part');
	if (req.data.length !== blobPartLength(blob.size, req.i)) {
		throw new RelayError('bad-blob', 'the part has the wrong length');
	}
	ctx.store.putBlobPart(doc.id, req.blob, req.i, req.data, ctx.now());
	return {};
};

/**
 * `blob.end`: checks that every part is stored and that the bytes hash to the id, then makes
 * the blob visible. Missing parts leave the upload to be resumed; a wrong hash deletes it.
 */
export const end: Handler<'blob.end'> = (ctx, conn, req) => {
	const doc = requireWriter(ctx, conn, req.doc);
	const blob = ctx.store.getBlob(doc.id, req.blob);
	if (!blob) throw new RelayError('unknown-blob', 'begin the upload first');
	if (blob.complete) return {};
	const count = blobPartCount(blob.size);
	if (ctx.store.blobPartIndexes(doc.id, req.blob).length !== count) {
		throw new RelayError('bad-blob', 'parts are missing; begin again to see which');
	}

	const hasher = blobIdHasher();
	for (let i = 0; i < count; i++) {
		const [bytes] = ctx.store.readBlobParts(doc.id, req.blob, i, i);
		hasher.update(bytes);
	}
	if (!equalBytes(hasher.digest(), req.blob)) {
		ctx.store.deleteBlob(doc.id, req.blob);
		throw new RelayError('bad-blob', 'the bytes do not hash to the blob id');
	}
	ctx.store.completeBlob(doc.id, req.blob);
	ctx.log.info({ doc: doc.logId, size: blob.size }, 'blob stored');
	return {};
};

/** `blob.get`: a range of a complete blob, `{ size, data }`; `data` is empty past the end. */
export const get: Handler<'blob.get'> = (ctx, conn, req) => {
	const doc = requireReader(ctx, conn, req.doc);
	const blob = ctx.store.getBlob(doc.id, req.blob);
	if (!blob?.complete) throw new RelayError('unknown-blob');
	if (req.length > BLOB_RANGE_MAX_BYTES) {
		throw new RelayError('too-large', `a range is at most ${BLOB_RANGE_MAX_BYTES} bytes`);
	}
	const start = Math.min(req.offset, blob.size);
	const stop = Math.min(blob.size, start + req.length);
	if (stop <= start) return { size: blob.size, data: new Uint8Array(0) };

	const partBytes = BLOB_PART_BYTES;
	const first = Math.floor(start / partBytes);
	const last = Math.floor((stop - 1) / partBytes);
	const parts = ctx.store.readBlobParts(doc.id, req.blob, first, last);
	const data = new Uint8Array(stop - start);
	let offset = 0;
	parts.forEach((bytes, k) => {
		const partStart = (first + k) * partBytes;
		const from = Math.max(0, start - partStart);
		const to = Math.min(bytes.length, stop - partStart);
		data.set(bytes.subarray(from, to), offset);
		offset += to - from;
	});
	return { size: blob.size, data };
};

/**
 * `blob.delete`: forgets a blob and its parts, e.g. after its message was deleted for everyone.
 * The relay can't tell which message a blob belongs to or who may delete it in the app's terms,
 * so it allows the two devices that plainly may: the one that uploaded it (while it still
 * writes the document) and an administering device. Deleting what isn't there succeeds.
 */
export const del: Handler<'blob.delete'> = (ctx, conn, req) => {
	requireDevice(conn);
	const doc = requireReader(ctx, conn, req.doc);
	const me = conn.deviceKey!;
	const uploader = ctx.store.blobUploader(doc.id, req.blob);
	const mayDelete =
		doc.admins.has(me) ||
		(uploader !== undefined && equalBytes(uploader, conn.device!) && doc.writers.has(me));
	if (!ctx.store.getBlob(doc.id, req.blob)) return {};
	if (!mayDelete) throw new RelayError('not-writer', 'only its uploader or an administrator');
	ctx.store.deleteBlob(doc.id, req.blob);
	ctx.log.info({ doc: doc.logId }, 'blob deleted');
	return {};
};
