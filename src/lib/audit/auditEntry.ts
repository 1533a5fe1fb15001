import {
	deriveKey,
	open,
	openFromSealedBox,
	pad,
	seal,
	sealToDevice,
	unpad,
	Tag,
	type BoxKeyPair,
	type SignKeyPair
} from '../crypto/primitives.js';
import { concatBytes, equalBytes } from '../protocol/bytes.js';
import { decodeCbor, encodeCbor } from '../protocol/cbor.js';
import {
	encodeEntryHeader,
	ENTRY_HEADER_BYTES,
	EntryKind,
	parseEntryHeader
} from '../protocol/entry.js';
import { encodeSignedRecord, isListed, openSignedRecord } from '../protocol/records.js';

/**
 * Sealing audit records to a trail's owners (SECURITY-RULES.md rule 21), and the signed record
 * that says who the owners are.
 *
 * A trail is an audit document at the relay (docs/protocol.md, "Audit trails"). Every device
 * that may write to it holds its document secret, which opens the relay's access check and the
 * outer layer of each entry; the record itself is inside `crypto_box_seal` boxes, one per owner
 * device, so a client's device can append records but read none, its own included once sealed.
 */

type Bytes = Uint8Array;

/** Records are padded to a multiple of this before sealing, so sizes say little about kinds. */
const RECORD_PAD_BLOCK = 256;

/** An owner device: its signing key (identity) and the X25519 key records are sealed to. */
export interface AuditOwner {
	device: Bytes;
	box: Bytes;
}

/** What a writing device knows about a trail. */
export interface TrailKeys {
	/** The trail's id: the audit document's relay id. */
	trail: Bytes;
	/** The audit document's secret (key generation 0; audit documents never rotate yet). */
	secret: Bytes;
}

export interface OwnersBody {
	t: 'audit-owners';
	v: 1;
	trail: Bytes;
	owners: AuditOwner[];
	at: number;
}

/** The owners record, signed by an owner device (an admin of the trail's chain). */
export function createOwnersRecord(
	signer: SignKeyPair,
	trail: Bytes,
	owners: AuditOwner[],
	at: number
): Bytes {
	const body: OwnersBody = { t: 'audit-owners', v: 1, trail, owners, at };
	return encodeSignedRecord(body, Tag.auditOwners, signer);
}

/**
 * Reads an owners record. `admins` are the administering devices of the trail's verified chain:
 * a record signed by anyone else is refused (so a relay or member can't add itself as owner).
 */
export function openOwnersRecord(
	bytes: Bytes,
	trail: Bytes,
	admins: Bytes[]
): { owners: AuditOwner[]; signer: Bytes; at: number } | undefined {
	const opened = openSignedRecord(bytes, Tag.auditOwners);
	if (!opened.ok) return undefined;
	const { body, signer } = opened.value;
	if (body.t !== 'audit-owners' || body.v !== 1) return undefined;
	if (!(body.trail instanceof Uint8Array) || !equalBytes(body.trail, trail)) return undefined;
	if (!isListed(admins, signer) || typeof body.at !== 'number') return undefined;
	const owners = body.owners;
	if (!Array.isArray(owners) || owners.length === 0 || owners.length > 64) return undefined;
	for (const owner of owners as unknown[]) {
		const o = owner as Partial<AuditOwner>;
		if (!(o.device instanceof Uint8Array) || o.device.length !== 32) return undefined;
		if (!(o.box instanceof Uint8Array) || o.box.length !== 32) return undefined;
		// Every owner device must administer the trail: an owners record can't widen who reads.
		if (!isListed(admins, o.device)) return undefined;
	}
	return { owners: owners as AuditOwner[], signer, at: body.at };
}

/** The outer layer's key: keyed BLAKE2b of the trail's secret (purpose `audit-log`, rule 5). */
function logKey(keys: TrailKeys): Bytes {
	return deriveKey(keys.secret, 'audit-log', keys.trail);
}

/**
 * A relay entry (rule 8 layout, kind `audit`, epoch 0) carrying one record sealed to each owner:
 * header ‖ XChaCha20-Poly1305(logKey, CBOR { boxes: [{ to, b }] }, header).
 */
export function sealAuditEntry(keys: TrailKeys, record: Bytes, owners: AuditOwner[]): Bytes {
	if (owners.length === 0) throw new Error('an audit trail needs at least one owner');
	const padded = pad(record, RECORD_PAD_BLOCK);
	const boxes = owners.map((owner) => ({ to: owner.device, b: sealToDevice(owner.box, padded) }));
	const header = encodeEntryHeader({ kind: EntryKind.audit, doc: keys.trail, epoch: 0 });
	return concatBytes(header, seal(logKey(keys), encodeCbor({ boxes }), header));
}

export type OpenedAuditEntry =
	| { ok: true; record: Bytes }
	/** `not-for-me`: a well-formed entry with no box for this device (it isn't an owner). */
	| { ok: false; why: 'malformed' | 'not-for-me' | 'box' };

/** Opens an audit entry with an owner device's box key; returns the record bytes inside. */
export function openAuditEntry(
	keys: TrailKeys,
	entry: Bytes,
	me: { device: Bytes; box: BoxKeyPair }
): OpenedAuditEntry {
	const header = parseEntryHeader(entry);
	if (!header || header.kind !== EntryKind.audit || !equalBytes(header.doc, keys.trail)) {
		return { ok: false, why: 'malformed' };
	}
	const headerBytes = entry.subarray(0, ENTRY_HEADER_BYTES);
	const plain = open(logKey(keys), entry.subarray(ENTRY_HEADER_BYTES), headerBytes);
	if (!plain) return { ok: false, why: 'malformed' };
	let boxes: { to: Bytes; b: Bytes }[];
	try {
		const decoded = decodeCbor(plain) as { boxes?: unknown };
		if (!Array.isArray(decoded.boxes)) return { ok: false, why: 'malformed' };
		boxes = decoded.boxes as { to: Bytes; b: Bytes }[];
	} catch {
		return { ok: false, why: 'malformed' };
	}
	const mine = boxes.find((box) => box?.to instanceof Uint8Array && equalBytes(box.to, me.device));
	if (!mine || !(mine.b instanceof Uint8Array)) return { ok: false, why: 'not-for-me' };
	const padded = openFromSealedBox(me.box, mine.b);
	const record = padded && unpad(padded, RECORD_PAD_BLOCK);
	return record ? { ok: true, record } : { ok: false, why: 'box' };
}
