import { open, seal, sealToDevice, Tag, type SignKeyPair } from '../crypto/primitives.js';
import { concatBytes, utf8 } from './bytes.js';
import { decodeCbor, encodeCbor } from './cbor.js';
import type { InviteKeys } from './invite.js';
import { encodeSignedRecord, openSignedRecord, type RecordResult } from './records.js';

/**
 * Linking a new device of a person (SECURITY-RULES.md, rules 1 and 3; docs/protocol.md, "People
 * and devices"). It rides on the relay's invites: the existing device registers a **link** (an
 * invite whose sealed details say so; the relay can't tell the two apart), shows its id and
 * 128-bit secret as a QR code and link, the new device claims it with its public keys and its
 * label sealed under the invite key, and both show the six-digit code over both devices' keys.
 * Once the person confirms on the existing device, it signs a device certificate and sends the
 * new device a **handover** through its mailbox: the person key, their name, the device records
 * and the documents the person belongs to, sealed to the new device's box key.
 */

type Bytes = Uint8Array;

/** What the link's sealed details tell the new device. */
export interface LinkInfo {
	t: 'link';
	v: 1;
	/** The existing device that registered the link; the handover must be signed by it. */
	linker: Bytes;
	person: Bytes;
}

export interface HandoverBody {
	t: 'handover';
	v: 1;
	/** The link (invite id) this answers; the relay delivers it only to that link's claimer. */
	invite: Bytes;
	to: Bytes;
	/** `crypto_box_seal` to the new device's box key of CBOR {@link HandoverContents}. */
	sealed: Bytes;
}

/** A document the person belongs to, and what it is (the relay only ever sees 'conversation'). */
export interface HandoverDoc {
	doc: Bytes;
	kind: 'conversation' | 'board' | 'practice';
}

export interface HandoverContents {
	person: Bytes;
	/** The person's display name. */
	name: string;
	/** Every device certificate and revocation of the person, the new device's own included. */
	records: Bytes[];
	/** Device labels by device key (hex), which each device typed for itself. */
	labels: Record<string, string>;
	docs: HandoverDoc[];
}

const INFO_AD = 'link-info';

export function sealLinkInfo(keys: InviteKeys, invite: Bytes, info: Omit<LinkInfo, 't' | 'v'>): Bytes {
	const body: LinkInfo = { t: 'link', v: 1, ...info };
	return seal(keys.infoKey, encodeCbor(body), concatBytes(utf8.encode(INFO_AD), invite));
}

/** Opens a link's details; undefined when they don't open or are an ordinary invite's. */
export function openLinkInfo(keys: InviteKeys, invite: Bytes, sealed: Bytes): LinkInfo | undefined {
	const plain = open(keys.infoKey, sealed, concatBytes(utf8.encode(INFO_AD), invite));
	if (!plain) return undefined;
	try {
		const info = decodeCbor(plain) as Record<string, unknown>;
		if (info.t !== 'link' || info.v !== 1) return undefined;
		if (!isKey(info.linker) || !isKey(info.person)) return undefined;
		return info as unknown as LinkInfo;
	} catch {
		return undefined;
	}
}

export function createHandover(
	linker: SignKeyPair,
	invite: Bytes,
	recipient: { device: Bytes; boxPk: Bytes },
	contents: HandoverContents
): Bytes {
	const body: HandoverBody = {
		t: 'handover',
		v: 1,
		invite,
		to: recipient.device,
		sealed: sealToDevice(recipient.boxPk, encodeCbor(contents))
	};
	return encodeSignedRecord(body, Tag.deviceHandover, linker);
}

/** Checks a handover's signature (its own tag) and shape; the caller checks the signer. */
export function openHandoverRecord(bytes: Bytes): RecordResult<{ body: HandoverBody; signer: Bytes }> {
	const opened = openSignedRecord(bytes, Tag.deviceHandover);
	if (!opened.ok) return opened;
	const { body, signer } = opened.value;
	if (body.t !== 'handover' || body.v !== 1) return { ok: false, why: 'not a handover' };
	if (!(body.invite instanceof Uint8Array) || body.invite.length !== 16) {
		return { ok: false, why: 'malformed handover' };
	}
	if (!isKey(body.to) || !(body.sealed instanceof Uint8Array)) {
		return { ok: false, why: 'malformed handover' };
	}
	return { ok: true, value: { body: body as unknown as HandoverBody, signer } };
}

/** Parses opened handover contents; undefined for anything malformed. */
export function parseHandoverContents(plain: Bytes): HandoverContents | undefined {
	try {
		const c = decodeCbor(plain) as Record<string, unknown>;
		if (!isKey(c.person) || typeof c.name !== 'string' || c.name.length > 200) return undefined;
		if (!Array.isArray(c.records) || !c.records.every((r) => r instanceof Uint8Array)) return undefined;
		if (typeof c.labels !== 'object' || c.labels === null) return undefined;
		if (!Array.isArray(c.docs)) return undefined;
		const docs: HandoverDoc[] = [];
		for (const d of c.docs as Record<string, unknown>[]) {
			if (!isKey(d?.doc) || !['conversation', 'board', 'practice'].includes(d.kind as string)) {
				return undefined;
			}
			docs.push({ doc: d.doc, kind: d.kind as HandoverDoc['kind'] });
		}
		const labels: Record<string, string> = {};
		for (const [k, v] of Object.entries(c.labels as Record<string, unknown>)) {
			if (/^[0-9a-f]{64}$/.test(k) && typeof v === 'string') labels[k] = v.slice(0, 80);
		}
		return { person: c.person, name: c.name, records: c.records as Bytes[], labels, docs };
	} catch {
		return undefined;
	}
}

function isKey(value: unknown): value is Bytes {
	return value instanceof Uint8Array && value.length === 32;
}
