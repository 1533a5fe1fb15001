import { equalBytes, readU32, readU64 } from '../protocol/bytes.js';
import {
	encodePresenceHeader,
	parsePresenceHeader,
	PRESENCE_FRAME_BYTES,
	PRESENCE_HEADER_BYTES
} from '../protocol/presence.js';
import { open, seal, sign, Size, Tag, verify, type SignKeyPair } from './primitives.js';

/**
 * Sealing and opening presence frames: online and typing state, the sender's device, and its
 * counter vector for the document (SECURITY-RULES.md, rules 14, 20 and 21).
 *
 * The body is sealed with the presence key (documentKeys.ts, `derivePresenceKey`) and the clear
 * header as associated data, and signed by the sender's device, so another member can't speak
 * for someone else and the relay can't alter or move a frame. It always has the same length:
 *
 * ```
 * offset size
 *      0    1  body version (1)
 *      1    1  state: bit 0 online, bit 1 typing
 *      2    2  number of vector entries n (u16, at most PRESENCE_MAX_VECTOR)
 *      4   32  sender's device key
 *     36    8  sent at (sender's clock, ms, u64)
 *     44    8  latest audit counter of the sender (u64; 0 = none published, rule 21)
 *     52 60·n  vector: author (32) ‖ incarnation (16) ‖ epoch (u32) ‖ last counter (u64)
 *      …       zeros up to offset 1904
 *   1904   64  Ed25519 signature over tag ‖ header ‖ bytes 0–1903
 * ```
 */

export const PRESENCE_BODY_BYTES = PRESENCE_FRAME_BYTES - PRESENCE_HEADER_BYTES - Size.nonce - Size.tag;
const SIGNED_BYTES = PRESENCE_BODY_BYTES - Size.signature;
const FIXED_BYTES = 52;
const VECTOR_ENTRY_BYTES = 32 + 16 + 4 + 8;
/** Vector entries that fit in one frame (30). */
export const PRESENCE_MAX_VECTOR = Math.floor((SIGNED_BYTES - FIXED_BYTES) / VECTOR_ENTRY_BYTES);

const BODY_VERSION = 1;
const ONLINE = 1;
const TYPING = 2;

/** The last counter of one author ‖ incarnation ‖ epoch that the sender knows the relay holds. */
export interface VectorEntry {
	author: Uint8Array;
	incarnation: Uint8Array;
	epoch: number;
	counter: number;
}

export interface Presence {
	device: Uint8Array;
	online: boolean;
	typing: boolean;
	/** The sender's clock (ms): only compared with earlier frames from the same device. */
	sentAt: number;
	auditCounter: number;
	vector: VectorEntry[];
}

export interface SealPresenceParams {
	key: Uint8Array;
	doc: Uint8Array;
	epoch: number;
	device: SignKeyPair;
	online: boolean;
	typing: boolean;
	sentAt: number;
	auditCounter?: number;
	/** At most PRESENCE_MAX_VECTOR entries; the caller picks which (the newest). */
	vector: VectorEntry[];
}

export function sealPresence(params: SealPresenceParams): Uint8Array {
	const { vector } = params;
	if (vector.length > PRESENCE_MAX_VECTOR) throw new Error('counter vector too long for a frame');

	const header = encodePresenceHeader(params.doc, params.epoch);
	const body = new Uint8Array(PRESENCE_BODY_BYTES);
	const view = new DataView(body.buffer);
	body[0] = BODY_VERSION;
	body[1] = (params.online ? ONLINE : 0) | (params.typing ? TYPING : 0);
	view.setUint16(2, vector.length);
	body.set(params.device.publicKey, 4);
	writeU64(view, 36, params.sentAt);
	writeU64(view, 44, params.auditCounter ?? 0);
	vector.forEach((entry, i) => {
		const at = FIXED_BYTES + i * VECTOR_ENTRY_BYTES;
		if (entry.author.length !== 32 || entry.incarnation.length !== 16) {
			throw new Error('bad vector entry');
		}
		body.set(entry.author, at);
		body.set(entry.incarnation, at + 32);
		view.setUint32(at + 48, entry.epoch);
		writeU64(view, at + 52, entry.counter);
	});

	const signed = body.subarray(0, SIGNED_BYTES);
	body.set(sign(params.device.privateKey, Tag.presence, header, signed), SIGNED_BYTES);
	const frame = new Uint8Array(PRESENCE_FRAME_BYTES);
	frame.set(header);
	frame.set(seal(params.key, body, header), PRESENCE_HEADER_BYTES);
	return frame;
}

export type OpenPresenceResult =
	| { ok: true; epoch: number; presence: Presence }
	| { ok: false; why: 'malformed' | 'wrong-document' | 'unknown-epoch' | 'decrypt' | 'signature' };

/**
 * Opens and verifies a presence frame. `keyForEpoch` returns the presence key of an epoch the
 * device holds. The caller still checks that the sender is a member of that epoch.
 */
export function openPresence(
	frame: Uint8Array,
	expectedDoc: Uint8Array,
	keyForEpoch: (epoch: number) => Uint8Array | undefined
): OpenPresenceResult {
	const header = parsePresenceHeader(frame);
	if (!header) return { ok: false, why: 'malformed' };
	if (!equalBytes(header.doc, expectedDoc)) return { ok: false, why: 'wrong-document' };
	const key = keyForEpoch(header.epoch);
	if (!key) return { ok: false, why: 'unknown-epoch' };

	const headerBytes = frame.subarray(0, PRESENCE_HEADER_BYTES);
	const body = open(key, frame.subarray(PRESENCE_HEADER_BYTES), headerBytes);
	if (!body || body.length !== PRESENCE_BODY_BYTES) return { ok: false, why: 'decrypt' };
	const count = readU16(body, 2);
	if (body[0] !== BODY_VERSION || body[1] > (ONLINE | TYPING) || count > PRESENCE_MAX_VECTOR) {
		return { ok: false, why: 'malformed' };
	}
	const device = body.slice(4, 36);
	const signed = body.subarray(0, SIGNED_BYTES);
	if (!verify(device, body.subarray(SIGNED_BYTES), Tag.presence, headerBytes, signed)) {
		return { ok: false, why: 'signature' };
	}

	try {
		const vector: VectorEntry[] = [];
		for (let i = 0; i < count; i++) {
			const at = FIXED_BYTES + i * VECTOR_ENTRY_BYTES;
			vector.push({
				author: body.slice(at, at + 32),
				incarnation: body.slice(at + 32, at + 48),
				epoch: readU32(body, at + 48),
				counter: readU64(body, at + 52)
			});
		}
		const presence: Presence = {
			device,
			online: (body[1] & ONLINE) !== 0,
			typing: (body[1] & TYPING) !== 0,
			sentAt: readU64(body, 36),
			auditCounter: readU64(body, 44),
			vector
		};
		return { ok: true, epoch: header.epoch, presence };
	} catch {
		return { ok: false, why: 'malformed' };
	}
}

function writeU64(view: DataView, offset: number, n: number): void {
	if (!Number.isSafeInteger(n) || n < 0) throw new Error(`not a safe u64: ${n}`);
	view.setUint32(offset, Math.floor(n / 0x100000000));
	view.setUint32(offset + 4, n >>> 0);
}

function readU16(bytes: Uint8Array, offset: number): number {
	return (bytes[offset] << 8) | bytes[offset + 1];
}
