import * as A from '@automerge/automerge';

/**
 * A file attached to something in a document (a message today, a board card later): the
 * reference to its blob at the relay and everything needed to check and open it. It lives only
 * inside the encrypted document; the relay sees none of it (docs/security.md, "Files").
 * Written once with its parent and never edited, so plain values and ImmutableStrings.
 */
export interface Attachment {
	/** Blob id: hash of the ciphertext (src/lib/protocol/blob.ts). */
	blob: Uint8Array;
	/** The file's own secretstream key. */
	key: Uint8Array;
	/** BLAKE2b-256 of the plaintext, checked after decryption. */
	hash: Uint8Array;
	/** Plaintext size in bytes. */
	size: number;
	/** Ciphertext size in bytes (what the relay stores). */
	stored: number;
	kind: A.ImmutableString; // 'file' | 'image' | 'voice'
	mime: A.ImmutableString;
	name: A.ImmutableString;
	/** Images: a small JPEG made on the sender's device, encrypted with the document. */
	thumb?: Uint8Array;
	width?: number;
	height?: number;
	/** Voice notes: length in ms, and peaks (0–255) computed on the sender's device. */
	durationMs?: number;
	wave?: Uint8Array;
}

export type AttachmentKind = 'file' | 'image' | 'voice';

/** An attachment as the app builds it before it goes into a document. */
export interface AttachmentInput {
	blob: Uint8Array;
	key: Uint8Array;
	hash: Uint8Array;
	size: number;
	stored: number;
	kind: AttachmentKind;
	mime: string;
	name: string;
	thumb?: Uint8Array;
	width?: number;
	height?: number;
	durationMs?: number;
	wave?: Uint8Array;
}

/** The largest inline thumbnail and waveform kept in a document. */
export const MAX_THUMB_BYTES = 24 * 1024;
export const MAX_WAVE_POINTS = 256;

/** The document form of an attachment; optional fields are left out, never `undefined`. */
export function toAttachment(input: AttachmentInput): Attachment {
	const out: Attachment = {
		blob: input.blob,
		key: input.key,
		hash: input.hash,
		size: input.size,
		stored: input.stored,
		kind: new A.ImmutableString(input.kind),
		mime: new A.ImmutableString(input.mime.slice(0, 200)),
		name: new A.ImmutableString(input.name.slice(0, 300))
	};
	if (input.thumb && input.thumb.length <= MAX_THUMB_BYTES) out.thumb = input.thumb;
	if (input.width !== undefined) out.width = input.width;
	if (input.height !== undefined) out.height = input.height;
	if (input.durationMs !== undefined) out.durationMs = input.durationMs;
	if (input.wave) out.wave = input.wave.slice(0, MAX_WAVE_POINTS);
	return out;
}

function str(value: unknown): string {
	if (value instanceof A.ImmutableString) return value.val;
	return typeof value === 'string' ? value : '';
}

function bytes(value: unknown, length?: number): Uint8Array | undefined {
	if (!(value instanceof Uint8Array)) return undefined;
	return length === undefined || value.length === length ? value : undefined;
}

function count(value: unknown): number | undefined {
	return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0 ? value : undefined;
}

/**
 * Reads attachments from a document, skipping any that isn't well-formed (a hostile or buggy
 * writer can put anything in a document; the rest of the message still shows).
 */
export function readAttachments(list: unknown): AttachmentInput[] {
	if (!Array.isArray(list)) return [];
	const out: AttachmentInput[] = [];
	for (const item of list) {
		if (typeof item !== 'object' || item === null) continue;
		const a = item as Record<string, unknown>;
		const blob = bytes(a.blob, 32);
		const key = bytes(a.key, 32);
		const hash = bytes(a.hash, 32);
		const size = count(a.size);
		const stored = count(a.stored);
		const kind = str(a.kind);
		if (!blob || !key || !hash || size === undefined || stored === undefined) continue;
		if (kind !== 'file' && kind !== 'image' && kind !== 'voice') continue;
		const input: AttachmentInput = { blob, key, hash, size, stored, kind, mime: str(a.mime), name: str(a.name) };
		const thumb = bytes(a.thumb);
		if (thumb && thumb.length <= MAX_THUMB_BYTES) input.thumb = thumb;
		input.width = count(a.width);
		input.height = count(a.height);
		input.durationMs = count(a.durationMs);
		const wave = bytes(a.wave);
		if (wave) input.wave = wave.slice(0, MAX_WAVE_POINTS);
		out.push(input);
	}
	return out;
}
