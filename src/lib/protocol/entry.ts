import { hash, Tag } from '../crypto/primitives.js';
import { readU32 } from './bytes.js';

/**
 * The clear header of an entry (SECURITY-RULES.md, rule 8). The relay reads it to check that an
 * entry belongs to the document it is pushed to; devices bind it into the AEAD and the signature,
 * so an entry can't be spliced into another document, epoch or kind.
 *
 * ```
 * offset size
 *      0    1  format version (1)
 *      1    1  kind (EntryKind)
 *      2    2  reserved, zero
 *      4   32  relay document id
 *     36    4  epoch (u32, big-endian)
 *     40   24  XChaCha20 nonce
 *     64    …  ciphertext and 16-byte Poly1305 tag
 * ```
 */
export const ENTRY_VERSION = 1;
export const ENTRY_HEADER_BYTES = 40;
export const ENTRY_MIN_BYTES = ENTRY_HEADER_BYTES + 24 + 16;
/**
 * The largest entry the relay accepts: it must fit, with room to spare, in the `entries` frame
 * that delivers it (a push frame's overhead is smaller than a delivery frame's).
 */
export const MAX_ENTRY_BYTES = 1024 * 1024 - 1024;

export const EntryKind = {
	/** Automerge changes written by one device. */
	changes: 1,
	/** A compacted document written by an administering device (rule 14). */
	snapshot: 2,
	/**
	 * Audit records sealed to a trail's owners (src/lib/audit/auditEntry.ts); only in audit
	 * documents. Conversation devices refuse it like any kind they don't expect.
	 */
	audit: 3
} as const;
export type EntryKind = (typeof EntryKind)[keyof typeof EntryKind];

export interface EntryHeader {
	version: number;
	kind: EntryKind;
	doc: Uint8Array;
	epoch: number;
}

export function encodeEntryHeader(header: Omit<EntryHeader, 'version'>): Uint8Array {
	const out = new Uint8Array(ENTRY_HEADER_BYTES);
	out[0] = ENTRY_VERSION;
	out[1] = header.kind;
	out.set(header.doc, 4);
	new DataView(out.buffer).setUint32(36, header.epoch);
	return out;
}

/** Parses the clear header; returns undefined for anything that isn't a well-formed entry. */
export function parseEntryHeader(entry: Uint8Array): EntryHeader | undefined {
	if (entry.length < ENTRY_MIN_BYTES) return undefined;
	if (entry[0] !== ENTRY_VERSION || entry[2] !== 0 || entry[3] !== 0) return undefined;
	const kind = entry[1];
	if (kind !== EntryKind.changes && kind !== EntryKind.snapshot && kind !== EntryKind.audit) {
		return undefined;
	}
	return {
		version: entry[0],
		kind,
		doc: entry.slice(4, 36),
		epoch: readU32(entry, 36)
	};
}

/** An entry's id: a hash of its sealed bytes, so a retried entry is stored once (rule 9). */
export function entryId(entry: Uint8Array): Uint8Array {
	return hash(Tag.entryId, entry);
}
