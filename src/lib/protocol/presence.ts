import { readU32 } from './bytes.js';

/**
 * Presence frames: who is online and who is typing, sent through the relay and never stored
 * (docs/protocol.md, "Presence"). They are sealed and signed by devices
 * (src/lib/crypto/presence.ts); the relay reads only the clear header below, the same layout as
 * an entry's with a kind no entry has, so neither can pass for the other.
 *
 * ```
 * offset size
 *      0    1  format version (1)
 *      1    1  kind (16 = presence)
 *      2    2  reserved, zero
 *      4   32  relay document id
 *     36    4  epoch (u32, big-endian)
 *     40   24  XChaCha20 nonce
 *     64 1968  ciphertext of the fixed-size body
 *   2032   16  Poly1305 tag
 * ```
 *
 * Every frame is exactly {@link PRESENCE_FRAME_BYTES} long, whatever it says (rule 20), so its
 * size tells the relay nothing about the state or the length of the counter vector.
 */
export const PRESENCE_VERSION = 1;
/** Entry kinds are small numbers (1 changes, 2 snapshot, 3 audit); presence sits apart from them. */
export const PRESENCE_KIND = 16;
export const PRESENCE_HEADER_BYTES = 40;
export const PRESENCE_FRAME_BYTES = 2048;

export interface PresenceHeader {
	doc: Uint8Array;
	epoch: number;
}

export function encodePresenceHeader(doc: Uint8Array, epoch: number): Uint8Array {
	const out = new Uint8Array(PRESENCE_HEADER_BYTES);
	out[0] = PRESENCE_VERSION;
	out[1] = PRESENCE_KIND;
	out.set(doc, 4);
	new DataView(out.buffer).setUint32(36, epoch);
	return out;
}

/** The clear header of a presence frame of the right size; undefined for anything else. */
export function parsePresenceHeader(frame: Uint8Array): PresenceHeader | undefined {
	if (frame.length !== PRESENCE_FRAME_BYTES) return undefined;
	if (frame[0] !== PRESENCE_VERSION || frame[1] !== PRESENCE_KIND) return undefined;
	if (frame[2] !== 0 || frame[3] !== 0) return undefined;
	return { doc: frame.slice(4, 36), epoch: readU32(frame, 36) };
}
