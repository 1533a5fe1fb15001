import { hash, sign, verify, Tag, type SignKeyPair } from '../crypto/primitives.js';
import { equalBytes } from './bytes.js';
import { decodeCbor, encodeCbor } from './cbor.js';

/**
 * Signed records that the relay can read: a document's genesis and its chain of epoch records
 * (SECURITY-RULES.md, rules 2, 4 and 7), and key envelopes (rule 3). They hold public keys and
 * ciphertext only. A record travels as CBOR `{ body, signer, sig }`; the signature covers the
 * body bytes exactly as sent, so no canonical encoding is needed.
 */

type Bytes = Uint8Array;

export interface SignedRecord {
	body: Bytes;
	signer: Bytes;
	sig: Bytes;
}

/** Epoch 0 of a document. Its hash is the document id, so nobody can squat an id. */
export interface GenesisBody {
	t: 'genesis';
	v: 1;
	/** What the document is, e.g. 'conversation'. Readable by the relay; says nothing personal. */
	kind: string;
	/** 16 random bytes: makes the id unique even for identical key lists. */
	salt: Bytes;
	creator: Bytes;
	admins: Bytes[];
	writers: Bytes[];
	accessPk: Bytes;
}

/** Epoch n ≥ 1: extends the chain by the hash of record n−1. */
export interface EpochBody {
	t: 'epoch';
	v: 1;
	doc: Bytes;
	n: number;
	prev: Bytes;
	/** Key generation: increases when the record brings a new document secret. */
	gen: number;
	accessPk: Bytes;
	admins: Bytes[];
	writers: Bytes[];
	/**
	 * Devices that hold the secret and may read, but are neither writers nor administrators
	 * (members of announcements who may not post, rule 7). Absent means none; a record that
	 * changes nothing else but this list keeps the secret, like adding a writer.
	 */
	readers?: Bytes[];
	/** The previous generation's secret sealed under the new one (only when `gen` increases). */
	sealedPrev?: Bytes;
}

/** What a verified chain says about one epoch. */
export interface EpochState {
	doc: Bytes;
	n: number;
	hash: Bytes;
	gen: number;
	salt: Bytes;
	kind: string;
	accessPk: Bytes;
	admins: Bytes[];
	writers: Bytes[];
	/** Readers listed by the epoch record (none in a genesis). */
	readers: Bytes[];
	signer: Bytes;
	sealedPrev?: Bytes;
}

export interface EnvelopeBody {
	t: 'envelope';
	v: 1;
	doc: Bytes;
	/** The epoch whose secret generation is sealed here. */
	n: number;
	gen: number;
	/** Recipient device's signing key (its identity) and the box key the secret is sealed to. */
	to: Bytes;
	sealed: Bytes;
}

export type RecordResult<T> = { ok: true; value: T } | { ok: false; why: string };

const MAX_KEYS = 1000;

export function encodeSignedRecord(body: object, tag: Tag, signer: SignKeyPair): Bytes {
	const bodyBytes = encodeCbor(body);
	return encodeCbor({
		body: bodyBytes,
		signer: signer.publicKey,
		sig: sign(signer.privateKey, tag, bodyBytes)
	});
}

function isBytes(value: unknown, length?: number): value is Bytes {
	return value instanceof Uint8Array && (length === undefined || value.length === length);
}

function isKeyList(value: unknown): value is Bytes[] {
	return (
		Array.isArray(value) &&
		value.length >= 1 &&
		value.length <= MAX_KEYS &&
		value.every((k) => isBytes(k, 32))
	);
}

/** Like {@link isKeyList}, but may be empty: a document can have no readers. */
function isReaderList(value: unknown): value is Bytes[] {
	return (
		Array.isArray(value) && value.length <= MAX_KEYS && value.every((k) => isBytes(k, 32))
	);
}

function isUint(value: unknown): value is number {
	return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

function isMap(value: unknown): value is Record<string, unknown> {
	return (
		typeof value === 'object' &&
		value !== null &&
		Object.getPrototypeOf(value) === Object.prototype
	);
}

/** Decodes `{ body, signer, sig }` and checks the signature under `tag`. */
export function openSignedRecord(
	bytes: Bytes,
	tag: Tag
): RecordResult<{ body: Record<string, unknown>; bodyBytes: Bytes; signer: Bytes }> {
	let outer: unknown;
	let body: unknown;
	try {
		outer = decodeCbor(bytes);
		if (!isMap(outer) || !isBytes(outer.body) || !isBytes(outer.signer, 32)) {
			return { ok: false, why: 'malformed record' };
		}
		if (!isBytes(outer.sig, 64)) return { ok: false, why: 'malformed record' };
		body = decodeCbor(outer.body);
	} catch {
		return { ok: false, why: 'malformed record' };
	}
	if (!isMap(body)) return { ok: false, why: 'malformed body' };
	if (!verify(outer.signer, outer.sig, tag, outer.body)) return { ok: false, why: 'bad signature' };
	return { ok: true, value: { body, bodyBytes: outer.body, signer: outer.signer } };
}

export function docIdOfGenesis(bodyBytes: Bytes): Bytes {
	return hash(Tag.docId, bodyBytes);
}

/** Verifies a genesis record and returns epoch 0's state; its hash is the document id. */
export function verifyGenesis(bytes: Bytes): RecordResult<EpochState> {
	const opened = openSignedRecord(bytes, Tag.genesis);
	if (!opened.ok) return opened;
	const { body, bodyBytes, signer } = opened.value;
	if (body.t !== 'genesis' || body.v !== 1) return { ok: false, why: 'not a genesis record' };
	if (typeof body.kind !== 'string' || body.kind.length > 32) return { ok: false, why: 'kind' };
	if (!isBytes(body.salt, 16) || !isBytes(body.creator, 32) || !isBytes(body.accessPk, 32)) {
		return { ok: false, why: 'malformed genesis' };
	}
	if (!isKeyList(body.admins) || !isKeyList(body.writers)) return { ok: false, why: 'key lists' };
	if (!equalBytes(body.creator, signer)) return { ok: false, why: 'signer is not the creator' };
	if (!body.admins.some((k) => equalBytes(k, signer))) {
		return { ok: false, why: 'creator is not an admin' };
	}
	const doc = docIdOfGenesis(bodyBytes);
	return {
		ok: true,
		value: {
			doc,
			n: 0,
			hash: doc,
			gen: 0,
			salt: body.salt,
			kind: body.kind,
			accessPk: body.accessPk,
			admins: body.admins,
			writers: body.writers,
			readers: [],
			signer
		}
	};
}

/**
 * Verifies that `bytes` is a valid epoch record extending `head`: right document, next number,
 * the hash of the head, signed by one of the head's administrators (rule 2).
 */
export function verifyEpochRecord(head: EpochState, bytes: Bytes): RecordResult<EpochState> {
	const opened = openSignedRecord(bytes, Tag.epoch);
	if (!opened.ok) return opened;
	const { body, bodyBytes, signer } = opened.value;
	if (body.t !== 'epoch' || body.v !== 1) return { ok: false, why: 'not an epoch record' };
	if (!isBytes(body.doc, 32) || !isUint(body.n) || !isBytes(body.prev, 32)) {
		return { ok: false, why: 'malformed epoch record' };
	}
	if (!isUint(body.gen) || !isBytes(body.accessPk, 32)) {
		return { ok: false, why: 'malformed epoch record' };
	}
	if (!isKeyList(body.admins) || !isKeyList(body.writers)) return { ok: false, why: 'key lists' };
	if (body.readers !== undefined && !isReaderList(body.readers)) return { ok: false, why: 'key lists' };
	if (body.sealedPrev !== undefined && !isBytes(body.sealedPrev)) {
		return { ok: false, why: 'malformed epoch record' };
	}
	if (!equalBytes(body.doc, head.doc)) return { ok: false, why: 'another document' };
	if (body.n !== head.n + 1 || !equalBytes(body.prev, head.hash)) {
		return { ok: false, why: 'does not extend the head' };
	}
	if (!head.admins.some((k) => equalBytes(k, signer))) {
		return { ok: false, why: 'signer does not administer the document' };
	}
	const rotates = body.gen !== head.gen;
	if (rotates && (body.gen !== head.gen + 1 || body.sealedPrev === undefined)) {
		return { ok: false, why: 'bad key generation' };
	}
	if (rotates && equalBytes(body.accessPk, head.accessPk)) {
		return { ok: false, why: 'a new key generation needs a new access key' };
	}
	if (!rotates && !equalBytes(body.accessPk, head.accessPk)) {
		return { ok: false, why: 'access key changed without a new generation' };
	}
	return {
		ok: true,
		value: {
			doc: head.doc,
			n: body.n,
			hash: hash(Tag.epochHash, bodyBytes),
			gen: body.gen,
			salt: head.salt,
			kind: head.kind,
			accessPk: body.accessPk,
			admins: body.admins,
			writers: body.writers,
			readers: (body.readers as Bytes[] | undefined) ?? [],
			signer,
			sealedPrev: body.sealedPrev as Bytes | undefined
		}
	};
}

/** Verifies a whole chain from its genesis; `doc` is the id the caller expects. */
export function verifyChain(doc: Bytes, records: Bytes[]): RecordResult<EpochState[]> {
	if (records.length === 0) return { ok: false, why: 'empty chain' };
	const genesis = verifyGenesis(records[0]);
	if (!genesis.ok) return genesis;
	if (!equalBytes(genesis.value.doc, doc)) return { ok: false, why: 'genesis of another document' };
	const states = [genesis.value];
	for (const record of records.slice(1)) {
		const next = verifyEpochRecord(states[states.length - 1], record);
		if (!next.ok) return next;
		states.push(next.value);
	}
	return { ok: true, value: states };
}

/** Verifies an envelope's signature and shape; the caller checks the signer against the chain. */
export function openEnvelopeRecord(
	bytes: Bytes
): RecordResult<{ body: EnvelopeBody; signer: Bytes }> {
	const opened = openSignedRecord(bytes, Tag.envelope);
	if (!opened.ok) return opened;
	const { body, signer } = opened.value;
	if (body.t !== 'envelope' || body.v !== 1) return { ok: false, why: 'not an envelope' };
	if (!isBytes(body.doc, 32) || !isUint(body.n) || !isUint(body.gen)) {
		return { ok: false, why: 'malformed envelope' };
	}
	if (!isBytes(body.to, 32) || !isBytes(body.sealed)) return { ok: false, why: 'malformed envelope' };
	return { ok: true, value: { body: body as unknown as EnvelopeBody, signer } };
}

export function isListed(keys: Bytes[], key: Bytes): boolean {
	return keys.some((k) => equalBytes(k, key));
}
