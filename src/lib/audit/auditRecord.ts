import { hash, sign, verify, Tag, type SignKeyPair } from '../crypto/primitives.js';
import { equalBytes, toHex } from '../protocol/bytes.js';
import { decodeCbor, encodeCbor } from '../protocol/cbor.js';
import type { AuditDetails, AuditHead, AuditValue } from './kinds.js';

/**
 * One audit record (SECURITY-RULES.md rule 21): what happened, when, on which device, signed by
 * that device under `tend/audit/v1` and chained to the device's previous record in the same
 * trail by `prev`, the hash (`tend/audit-hash/v1`) of that record's body bytes.
 *
 * A chain is scoped to (trail, device, incarnation): a device that belongs to two trails keeps
 * two chains, and a device whose local data was recreated (a new incarnation, rule 10) starts a
 * new chain at 1 instead of looking like it dropped records.
 *
 * Wire form: CBOR `{ body, signer, sig }` like every other signed record (protocol/records.ts);
 * the signature covers the body bytes exactly as sent.
 */

type Bytes = Uint8Array;

export const AUDIT_RECORD_VERSION = 1;
/** `prev` of a chain's first record. */
export const NO_PREV = new Uint8Array(32);
/** A record larger than this is refused when read (a record holds ids, never content). */
export const MAX_AUDIT_RECORD_BYTES = 16 * 1024;

export interface AuditBody {
	t: 'audit';
	v: 1;
	/** The trail's id: the relay id of the owner's audit document. */
	trail: Bytes;
	/** The signing key of the device that made the record. */
	device: Bytes;
	/** The device's incarnation (16 bytes, rule 10). */
	inc: Bytes;
	/** 1, 2, 3, … within the chain. */
	n: number;
	/** Hash of record n − 1's body bytes, or 32 zero bytes for n = 1. */
	prev: Bytes;
	/** When, in Unix milliseconds, by the device's clock. */
	at: number;
	kind: string;
	details: AuditDetails;
}

/** A record that was read and whose shape is right; `signed` says whether its signature holds. */
export interface OpenedAuditRecord {
	bytes: Bytes;
	body: AuditBody;
	bodyBytes: Bytes;
	/** Hash of the body bytes: what the next record's `prev` must be. */
	hash: Bytes;
	/** The signature verifies under `body.device`, and the record names that device as signer. */
	signed: boolean;
}

/** Where a chain is: the next record continues from here. */
export interface ChainPosition {
	n: number;
	prev: Bytes;
}

export interface NewAuditRecord {
	trail: Bytes;
	device: SignKeyPair;
	incarnation: Bytes;
	/** The chain's last record (n = 0 and NO_PREV for a new chain). */
	after: ChainPosition;
	at: number;
	kind: string;
	details: AuditDetails;
}

/** Makes and signs the next record of a chain; returns its bytes and the new chain position. */
export function createAuditRecord(params: NewAuditRecord): { bytes: Bytes; position: ChainPosition } {
	const body: AuditBody = {
		t: 'audit',
		v: AUDIT_RECORD_VERSION,
		trail: params.trail,
		device: params.device.publicKey,
		inc: params.incarnation,
		n: params.after.n + 1,
		prev: params.after.prev,
		at: params.at,
		kind: params.kind,
		details: params.details
	};
	const bodyBytes = encodeCbor(body);
	const bytes = encodeCbor({
		body: bodyBytes,
		signer: params.device.publicKey,
		sig: sign(params.device.privateKey, Tag.audit, bodyBytes)
	});
	return { bytes, position: { n: body.n, prev: auditHash(bodyBytes) } };
}

export function auditHash(bodyBytes: Bytes): Bytes {
	return hash(Tag.auditHash, bodyBytes);
}

/**
 * Reads a record and checks its shape. A bad signature does not make it unreadable: the
 * verifier needs the record to say which record was forged or altered. Returns undefined for
 * bytes that aren't an audit record at all.
 */
export function openAuditRecord(bytes: Bytes): OpenedAuditRecord | undefined {
	if (!(bytes instanceof Uint8Array) || bytes.length > MAX_AUDIT_RECORD_BYTES) return undefined;
	let outer: unknown;
	let body: unknown;
	try {
		outer = decodeCbor(bytes);
		if (!isMap(outer) || !isBytes(outer.body) || !isBytes(outer.signer, 32)) return undefined;
		if (!isBytes(outer.sig, 64)) return undefined;
		body = decodeCbor(outer.body);
	} catch {
		return undefined;
	}
	if (!isAuditBody(body)) return undefined;
	const signed =
		equalBytes(outer.signer, body.device) &&
		verify(body.device, outer.sig, Tag.audit, outer.body);
	return { bytes, body, bodyBytes: outer.body, hash: auditHash(outer.body), signed };
}

/** Identifies a chain: device and incarnation, hex, joined by ':'. */
export function chainKeyOf(body: Pick<AuditBody, 'device' | 'inc'>): string {
	return `${toHex(body.device)}:${toHex(body.inc)}`;
}

function isAuditBody(value: unknown): value is AuditBody {
	if (!isMap(value) || value.t !== 'audit' || value.v !== AUDIT_RECORD_VERSION) return false;
	if (!isBytes(value.trail, 32) || !isBytes(value.device, 32) || !isBytes(value.inc, 16)) {
		return false;
	}
	if (!isUint(value.n) || value.n < 1 || !isBytes(value.prev, 32) || !isUint(value.at)) return false;
	if (typeof value.kind !== 'string' || value.kind.length === 0 || value.kind.length > 40) {
		return false;
	}
	return isDetails(value.details);
}

function isDetails(value: unknown): value is AuditDetails {
	if (!isMap(value)) return false;
	const entries = Object.entries(value);
	return entries.length <= 32 && entries.every(([key, v]) => key.length <= 40 && isValue(v));
}

function isValue(value: unknown): value is AuditValue {
	if (typeof value === 'string') return value.length <= 200;
	if (typeof value === 'number') return Number.isFinite(value);
	if (typeof value === 'boolean') return true;
	return Array.isArray(value) && value.length <= 1000 && value.every(isHead);
}

export function isHead(value: unknown): value is AuditHead {
	return (
		isMap(value) &&
		typeof value.device === 'string' &&
		/^[0-9a-f]{64}$/.test(value.device) &&
		typeof value.inc === 'string' &&
		/^[0-9a-f]{32}$/.test(value.inc) &&
		isUint(value.n) &&
		typeof value.hash === 'string' &&
		/^[0-9a-f]{64}$/.test(value.hash)
	);
}

function isBytes(value: unknown, length?: number): value is Bytes {
	return value instanceof Uint8Array && (length === undefined || value.length === length);
}

function isUint(value: unknown): value is number {
	return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

function isMap(value: unknown): value is Record<string, unknown> {
	return (
		typeof value === 'object' &&
		value !== null &&
		!Array.isArray(value) &&
		!(value instanceof Uint8Array)
	);
}
