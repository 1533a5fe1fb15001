import { concatBytes, readU32, readU64, u32, u64 } from '../protocol/bytes.js';
import {
	encodeEntryHeader,
	ENTRY_HEADER_BYTES,
	MAX_ENTRY_BYTES,
	parseEntryHeader,
	type EntryHeader,
	type EntryKind
} from '../protocol/entry.js';
import { hash, open, pad, seal, sign, Size, unpad, verify, Tag, type SignKeyPair } from './primitives.js';

/**
 * Sealing and opening entries (SECURITY-RULES.md, rules 8, 10 and 20).
 *
 * Inside the AEAD ciphertext, padded to a bucket:
 * ```
 * author device key (32) ‖ incarnation (16) ‖ counter (u64) ‖ payload length (u32) ‖ payload ‖
 * signature (64) over tag ‖ header ‖ author ‖ incarnation ‖ counter ‖ BLAKE2b(payload)
 * ```
 * The header is the AEAD's associated data and part of the signature, so the relay can route an
 * entry but can't move it to another document, epoch or kind, and can't see who wrote it.
 */

export const INCARNATION_BYTES = 16;
const INNER_FIXED = Size.signPublic + INCARNATION_BYTES + 8 + 4 + Size.signature;

/** Largest payload one entry carries; larger payloads are split by the caller. */
export const MAX_ENTRY_PAYLOAD = 256 * 1024;

/** Padding bucket: 512 bytes, then the next power of two (rule 20). */
export function paddingBlock(length: number): number {
	if (length < 512) return 512;
	let block = 1024;
	while (block <= length) block *= 2;
	return block;
}

export interface EntryAuthor {
	device: SignKeyPair;
	incarnation: Uint8Array;
}

export interface SealEntryParams {
	contentKey: Uint8Array;
	kind: EntryKind;
	doc: Uint8Array;
	epoch: number;
	author: EntryAuthor;
	counter: number;
	payload: Uint8Array;
}

export function sealEntry(params: SealEntryParams): Uint8Array {
	const { author, counter, payload } = params;
	if (payload.length > MAX_ENTRY_PAYLOAD) throw new Error('entry payload too large; split it');
	if (author.incarnation.length !== INCARNATION_BYTES) throw new Error('bad incarnation');

	const header = encodeEntryHeader({ kind: params.kind, doc: params.doc, epoch: params.epoch });
	const counterBytes = u64(counter);
	const signature = sign(
		author.device.privateKey,
		Tag.entry,
		header,
		author.device.publicKey,
		author.incarnation,
		counterBytes,
		hash(Tag.payload, payload)
	);
	const inner = concatBytes(
		author.device.publicKey,
		author.incarnation,
		counterBytes,
		u32(payload.length),
		payload,
		signature
	);
	const padded = pad(inner, paddingBlock(inner.length));
	const sealed = concatBytes(header, seal(params.contentKey, padded, header));
	if (sealed.length > MAX_ENTRY_BYTES) throw new Error('entry exceeds the frame limit');
	return sealed;
}

export interface OpenedEntry {
	header: EntryHeader;
	author: Uint8Array;
	incarnation: Uint8Array;
	counter: number;
	payload: Uint8Array;
}

export type OpenEntryResult =
	| { ok: true; entry: OpenedEntry }
	| { ok: false; why: 'malformed' | 'wrong-document' | 'unknown-epoch' | 'decrypt' | 'signature' };

/**
 * Opens and verifies an entry. `keyForEpoch` returns the content key of an epoch the device
 * holds. The caller still checks that the author is a writer of the epoch (rule 7).
 */
export function openEntry(
	bytes: Uint8Array,
	expectedDoc: Uint8Array,
	keyForEpoch: (epoch: number) => Uint8Array | undefined
): OpenEntryResult {
	const header = parseEntryHeader(bytes);
	if (!header) return { ok: false, why: 'malformed' };
	if (!header.doc.every((b, i) => b === expectedDoc[i])) return { ok: false, why: 'wrong-document' };
	const key = keyForEpoch(header.epoch);
	if (!key) return { ok: false, why: 'unknown-epoch' };

	const headerBytes = bytes.subarray(0, ENTRY_HEADER_BYTES);
	const padded = open(key, bytes.subarray(ENTRY_HEADER_BYTES), headerBytes);
	if (!padded) return { ok: false, why: 'decrypt' };
	const inner = unpad(padded, padded.length);
	if (!inner || inner.length < INNER_FIXED) return { ok: false, why: 'malformed' };

	const author = inner.slice(0, 32);
	const incarnation = inner.slice(32, 48);
	let counter: number;
	try {
		counter = readU64(inner, 48);
	} catch {
		return { ok: false, why: 'malformed' };
	}
	const length = readU32(inner, 56);
	if (inner.length !== INNER_FIXED + length) return { ok: false, why: 'malformed' };
	const payload = inner.slice(60, 60 + length);
	const signature = inner.slice(60 + length);
	const signed = verify(
		author,
		signature,
		Tag.entry,
		headerBytes,
		author,
		incarnation,
		inner.subarray(48, 56),
		hash(Tag.payload, payload)
	);
	if (!signed) return { ok: false, why: 'signature' };
	return { ok: true, entry: { header, author, incarnation, counter, payload } };
}
