/**
 * Byte helpers shared by the app and the relay. Everything binary in Tend is a `Uint8Array`;
 * base64url appears only where bytes enter a URL, JSON or a Map key.
 */

/** Concatenates byte arrays into a new array. */
export function concatBytes(...parts: Uint8Array[]): Uint8Array {
	let length = 0;
	for (const part of parts) length += part.length;
	const out = new Uint8Array(length);
	let offset = 0;
	for (const part of parts) {
		out.set(part, offset);
		offset += part.length;
	}
	return out;
}

/** Constant-time-ish equality; use libsodium's `memcmp` for secrets. */
export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
	if (a.length !== b.length) return false;
	let diff = 0;
	for (let i = 0; i < a.length; i++) diff |= a[i] ^ b[i];
	return diff === 0;
}

export function toHex(bytes: Uint8Array): string {
	let out = '';
	for (const byte of bytes) out += byte.toString(16).padStart(2, '0');
	return out;
}

export function fromHex(hex: string): Uint8Array {
	if (hex.length % 2 !== 0 || /[^0-9a-f]/i.test(hex)) throw new Error('not a hex string');
	const out = new Uint8Array(hex.length / 2);
	for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(i * 2, i * 2 + 2), 16);
	return out;
}

const B64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const B64URL_LOOKUP = new Int16Array(128).fill(-1);
for (let i = 0; i < B64URL.length; i++) B64URL_LOOKUP[B64URL.charCodeAt(i)] = i;

/** Unpadded base64url (RFC 4648 §5). */
export function toBase64Url(bytes: Uint8Array): string {
	let out = '';
	let i = 0;
	for (; i + 2 < bytes.length; i += 3) {
		const n = (bytes[i] << 16) | (bytes[i + 1] << 8) | bytes[i + 2];
		out += B64URL[n >> 18] + B64URL[(n >> 12) & 63] + B64URL[(n >> 6) & 63] + B64URL[n & 63];
	}
	const rest = bytes.length - i;
	if (rest === 1) {
		const n = bytes[i] << 16;
		out += B64URL[n >> 18] + B64URL[(n >> 12) & 63];
	} else if (rest === 2) {
		const n = (bytes[i] << 16) | (bytes[i + 1] << 8);
		out += B64URL[n >> 18] + B64URL[(n >> 12) & 63] + B64URL[(n >> 6) & 63];
	}
	return out;
}

/** Decodes unpadded base64url; throws on any character outside the alphabet. */
export function fromBase64Url(text: string): Uint8Array {
	if (text.length % 4 === 1) throw new Error('not a base64url string');
	const out = new Uint8Array(Math.floor((text.length * 3) / 4));
	let bits = 0;
	let value = 0;
	let o = 0;
	for (let i = 0; i < text.length; i++) {
		const code = text.charCodeAt(i);
		const digit = code < 128 ? B64URL_LOOKUP[code] : -1;
		if (digit < 0) throw new Error('not a base64url string');
		value = (value << 6) | digit;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[o++] = (value >> bits) & 0xff;
		}
	}
	return out;
}

/** Big-endian unsigned 32-bit integer. */
export function u32(n: number): Uint8Array {
	if (!Number.isInteger(n) || n < 0 || n > 0xffffffff) throw new Error(`not a u32: ${n}`);
	const out = new Uint8Array(4);
	new DataView(out.buffer).setUint32(0, n);
	return out;
}

/** Big-endian unsigned 64-bit integer from a safe JavaScript integer. */
export function u64(n: number): Uint8Array {
	if (!Number.isSafeInteger(n) || n < 0) throw new Error(`not a safe u64: ${n}`);
	const out = new Uint8Array(8);
	const view = new DataView(out.buffer);
	view.setUint32(0, Math.floor(n / 0x100000000));
	view.setUint32(4, n >>> 0);
	return out;
}

export function readU32(bytes: Uint8Array, offset: number): number {
	return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(offset);
}

export function readU64(bytes: Uint8Array, offset: number): number {
	const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
	const n = view.getUint32(offset) * 0x100000000 + view.getUint32(offset + 4);
	if (!Number.isSafeInteger(n)) throw new Error('u64 beyond the safe integer range');
	return n;
}

/**
 * Unambiguous encoding of a list of byte strings: each part is preceded by its length as a u32.
 * Everything that is signed or hashed from several parts goes through this, so that no two
 * different lists produce the same bytes.
 */
export function lengthPrefixed(...parts: (Uint8Array | string)[]): Uint8Array {
	// One allocation: the relay hashes every pushed entry through here (its id, rule 9).
	const bytes = parts.map((part, i) =>
		typeof part !== 'string' ? part : i === 0 ? encodeTag(part) : textEncoder.encode(part)
	);
	let length = 0;
	for (const part of bytes) length += 4 + part.length;
	const out = new Uint8Array(length);
	const view = new DataView(out.buffer);
	let offset = 0;
	for (const part of bytes) {
		view.setUint32(offset, part.length);
		out.set(part, offset + 4);
		offset += 4 + part.length;
	}
	return out;
}

const textEncoder = new TextEncoder();
/**
 * The first part is a domain tag (`Tag`, a handful of constants) wherever this is used, so its
 * UTF-8 bytes are kept. Later parts are never kept: storage key components pass through here.
 */
const encodedTags = new Map<string, Uint8Array>();

function encodeTag(tag: string): Uint8Array {
	let bytes = encodedTags.get(tag);
	if (!bytes) {
		bytes = textEncoder.encode(tag);
		if (encodedTags.size < 64) encodedTags.set(tag, bytes);
	}
	return bytes;
}

/** Copies a view into its own buffer (a view sent over a socket would send its whole buffer). */
export function ownBytes(bytes: Uint8Array): Uint8Array {
	return bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength
		? bytes
		: bytes.slice();
}

export const utf8 = {
	encode: (text: string): Uint8Array => new TextEncoder().encode(text),
	decode: (bytes: Uint8Array): string => new TextDecoder('utf-8', { fatal: true }).decode(bytes)
};
