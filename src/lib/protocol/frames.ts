import { decodeCbor, encodeCbor } from './cbor.js';
import { isErrorCode, type ErrorCode } from './errors.js';

/**
 * The relay's wire format: one CBOR map per WebSocket binary message, with its type in `t`.
 * docs/protocol.md describes each frame and the order in which they are exchanged.
 */

/** The relay refuses frames larger than this (1 MiB). */
export const MAX_FRAME_BYTES = 1024 * 1024;
export const PROTOCOL_VERSION = 1;

type Bytes = Uint8Array;

/** Field kinds checked on every decoded frame before anything reads it. */
type Field =
	| 'id16' // 16 random bytes (invite ids)
	| 'key32' // 32 bytes: public keys, document ids, nonces
	| 'sig64' // Ed25519 signature
	| 'bytes' // opaque bytes up to the frame limit
	| 'uint' // safe non-negative integer
	| 'uints' // list of safe non-negative integers
	| 'text' // short ASCII-ish text from the relay (error messages, states)
	| 'items' // list of { seq|id: uint, b: bytes }
	| 'claims'; // list of invite claims

type Schema = Record<string, Field | `${Field}?`>;

const claimSchema = {
	invite: 'id16',
	device: 'key32',
	boxPk: 'key32',
	profile: 'bytes',
	deviceSig: 'sig64'
} as const satisfies Schema;

/** Requests from a device. Every request carries `rid`, echoed in the relay's answer. */
export const requestSchemas = {
	hello: { device: 'key32', sig: 'sig64' },
	/** Heartbeat: browsers can't send WebSocket pings, so a dead connection shows this way. */
	ping: {},
	'doc.create': { genesis: 'bytes' },
	'doc.open': { doc: 'key32', epoch: 'uint', accessPk: 'key32', sig: 'sig64' },
	'doc.chain': { doc: 'key32', from: 'uint' },
	'epoch.append': { doc: 'key32', record: 'bytes' },
	/**
	 * Registers period `n` of the conversation `doc` (rule 19; protocol/period.ts): a writer of
	 * the conversation, on a connection that opened it with its current access key, for a number
	 * at most one above the highest registered. `ok { doc: period id }`; again is `ok` too.
	 */
	'period.create': { doc: 'key32', n: 'uint' },
	sub: { doc: 'key32', after: 'uint' },
	unsub: { doc: 'key32' },
	push: { doc: 'key32', entry: 'bytes' },
	'invite.create': { invite: 'id16', authPk: 'key32', info: 'bytes', expires: 'uint' },
	'invite.get': { invite: 'id16' },
	'invite.claim': { ...claimSchema, inviteSig: 'sig64' },
	'invite.revoke': { invite: 'id16' },
	'invite.close': { invite: 'id16' },
	'invite.pending': {},
	'mail.send': { to: 'key32', envelope: 'bytes' },
	'mail.fetch': {},
	'mail.ack': { ids: 'uints' },
	/** An administering device stores a snapshot entry covering the log up to seq `upTo`. */
	'snap.put': { doc: 'key32', upTo: 'uint', entry: 'bytes' },
	/** The latest snapshot of a document: `ok { upTo, entry }`, or `ok {}` when there is none. */
	'snap.get': { doc: 'key32' },
	/** A sealed presence frame (protocol/presence.ts) for the document's other subscribers. */
	presence: { doc: 'key32', frame: 'bytes' },
	/**
	 * Starts or resumes the upload of blob `blob` (its id: the hash of its `size` bytes of
	 * ciphertext) to the document: `ok { have }` lists the parts the relay already holds, or
	 * `ok { done: true }` when the blob is complete. Writers only; checks the size limit and
	 * the document's quota (`blob-too-large`, `quota-exceeded`). See src/lib/protocol/blob.ts.
	 */
	'blob.begin': { doc: 'key32', blob: 'key32', size: 'uint' },
	/** Part `i` of a begun upload (BLOB_PART_BYTES each, the last shorter); `ok {}` once durable. */
	'blob.part': { doc: 'key32', blob: 'key32', i: 'uint', data: 'bytes' },
	/**
	 * Ends an upload: the relay checks that every part is there and that the bytes hash to the
	 * id, then makes the blob visible (`ok {}`), or refuses with `bad-blob` and forgets it.
	 */
	'blob.end': { doc: 'key32', blob: 'key32' },
	/** Bytes `[offset, offset + length)` of a complete blob: `ok { size, data }`; readers only. */
	'blob.get': { doc: 'key32', blob: 'key32', offset: 'uint', length: 'uint' },
	/**
	 * Deletes a blob (complete or not) with its parts: `ok {}`, also when the document holds no
	 * such blob (it is gone either way). Only the device that began its upload, while still a
	 * writer, or an administering device of the document (`not-writer` otherwise).
	 */
	'blob.delete': { doc: 'key32', blob: 'key32' }
} as const satisfies Record<string, Schema>;

/** Frames the relay sends without being asked (besides answers). */
export const pushSchemas = {
	challenge: { nonce: 'key32', v: 'uint' },
	entries: { doc: 'key32', items: 'items' },
	/** The document's chain has a new head epoch; devices fetch it with doc.chain. */
	head: { doc: 'key32', n: 'uint' },
	/** Period `n` of the conversation `doc` was registered; devices holding it may open it. */
	period: { doc: 'key32', n: 'uint' },
	claim: { claim: 'claims' },
	mail: { items: 'items' },
	/** Another device's presence frame, forwarded as it came and not stored. */
	presence: { doc: 'key32', frame: 'bytes' }
} as const satisfies Record<string, Schema>;

type FieldValue<F> = F extends 'id16' | 'key32' | 'sig64' | 'bytes'
	? Bytes
	: F extends 'uint'
		? number
		: F extends 'uints'
			? number[]
			: F extends 'text'
				? string
				: F extends 'items'
					? Item[]
					: F extends 'claims'
						? InviteClaim[]
						: never;

type FromSchema<S extends Schema> = {
	[K in keyof S as S[K] extends `${string}?` ? never : K]: FieldValue<S[K]>;
} & {
	[K in keyof S as S[K] extends `${infer F}?` ? K : never]?: S[K] extends `${infer F}?`
		? FieldValue<F>
		: never;
};

/** An entry in the log (`seq`) or a mailbox item (`seq` is the mailbox id). */
export interface Item {
	seq: number;
	b: Bytes;
}

export type InviteClaim = FromSchema<typeof claimSchema>;

export type RequestType = keyof typeof requestSchemas;
export type Request<T extends RequestType = RequestType> = {
	[K in T]: { t: K; rid: number } & FromSchema<(typeof requestSchemas)[K]>;
}[T];

export type PushType = keyof typeof pushSchemas;
export type Push<T extends PushType = PushType> = {
	[K in T]: { t: K } & FromSchema<(typeof pushSchemas)[K]>;
}[T];

/** The relay's answer to a request: `ok` with fields that depend on the request, or `err`. */
export interface OkFrame {
	t: 'ok';
	rid: number;
	[field: string]: unknown;
}
export interface ErrFrame {
	t: 'err';
	rid?: number;
	code: ErrorCode;
	msg: string;
}

export type ServerFrame = Push | OkFrame | ErrFrame;

/** A failure keeps the frame's `rid` when it had a valid one, so the answer can name it. */
export type DecodeResult<T> =
	| { ok: true; frame: T }
	| { ok: false; code: ErrorCode; why: string; rid?: number };

export function encodeFrame(frame: Request | ServerFrame): Uint8Array {
	return encodeCbor(frame);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
	return (
		typeof value === 'object' &&
		value !== null &&
		!Array.isArray(value) &&
		!(value instanceof Uint8Array) &&
		Object.getPrototypeOf(value) === Object.prototype
	);
}

function isUint(value: unknown): value is number {
	return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

function isBytes(value: unknown, length?: number): value is Bytes {
	return value instanceof Uint8Array && (length === undefined || value.length === length);
}

function checkField(kind: Field, value: unknown): boolean {
	switch (kind) {
		case 'id16':
			return isBytes(value, 16);
		case 'key32':
			return isBytes(value, 32);
		case 'sig64':
			return isBytes(value, 64);
		case 'bytes':
			return isBytes(value);
		case 'uint':
			return isUint(value);
		case 'uints':
			return Array.isArray(value) && value.length <= 10_000 && value.every(isUint);
		case 'text':
			return typeof value === 'string' && value.length <= 1000;
		case 'items':
			return (
				Array.isArray(value) &&
				value.every((item) => isPlainObject(item) && isUint(item.seq) && isBytes(item.b))
			);
		case 'claims':
			return (
				Array.isArray(value) && value.every((item) => checkObject(claimSchema, item) === undefined)
			);
	}
}

/** Returns the name of the first field that is missing or of the wrong kind. */
function checkObject(schema: Schema, value: unknown): string | undefined {
	if (!isPlainObject(value)) return '(frame)';
	for (const [name, spec] of Object.entries(schema)) {
		const optional = spec.endsWith('?');
		const kind = (optional ? spec.slice(0, -1) : spec) as Field;
		if (!Object.hasOwn(value, name)) {
			if (optional) continue;
			return name;
		}
		if (!checkField(kind, value[name])) return name;
	}
	return undefined;
}

function decodeMap(bytes: Uint8Array): DecodeResult<Record<string, unknown>> {
	if (bytes.length > MAX_FRAME_BYTES) return { ok: false, code: 'too-large', why: 'frame size' };
	let value: unknown;
	try {
		value = decodeCbor(bytes);
	} catch {
		return { ok: false, code: 'bad-frame', why: 'not CBOR' };
	}
	if (!isPlainObject(value) || typeof value.t !== 'string' || !Object.hasOwn(value, 't')) {
		return { ok: false, code: 'bad-frame', why: 'not a map with a type' };
	}
	return { ok: true, frame: value };
}

/** Decodes and checks a device's request; used by the relay on every incoming frame. */
export function decodeRequest(bytes: Uint8Array): DecodeResult<Request> {
	const decoded = decodeMap(bytes);
	if (!decoded.ok) return decoded;
	const frame = decoded.frame;
	const type = frame.t as string;
	if (!Object.hasOwn(requestSchemas, type)) {
		return { ok: false, code: 'bad-frame', why: 'unknown frame type' };
	}
	if (!isUint(frame.rid)) return { ok: false, code: 'bad-frame', why: 'rid' };
	const bad = checkObject(requestSchemas[type as RequestType], frame);
	if (bad) return { ok: false, code: 'bad-frame', why: `field ${bad}`, rid: frame.rid };
	return { ok: true, frame: frame as unknown as Request };
}

/** Decodes and checks a relay frame; used by devices. */
export function decodeServerFrame(bytes: Uint8Array): DecodeResult<ServerFrame> {
	const decoded = decodeMap(bytes);
	if (!decoded.ok) return decoded;
	const frame = decoded.frame;
	const type = frame.t as string;
	if (type === 'ok') {
		if (!isUint(frame.rid)) return { ok: false, code: 'bad-frame', why: 'rid' };
		return { ok: true, frame: frame as OkFrame };
	}
	if (type === 'err') {
		if (!isErrorCode(frame.code) || typeof frame.msg !== 'string') {
			return { ok: false, code: 'bad-frame', why: 'error frame' };
		}
		if (Object.hasOwn(frame, 'rid') && !isUint(frame.rid)) {
			return { ok: false, code: 'bad-frame', why: 'rid' };
		}
		return { ok: true, frame: frame as unknown as ErrFrame };
	}
	if (!Object.hasOwn(pushSchemas, type)) {
		return { ok: false, code: 'bad-frame', why: 'unknown frame type' };
	}
	const bad = checkObject(pushSchemas[type as PushType], frame);
	if (bad) return { ok: false, code: 'bad-frame', why: `field ${bad}` };
	return { ok: true, frame: frame as unknown as Push };
}
