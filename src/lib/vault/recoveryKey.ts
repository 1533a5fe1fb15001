import { randomBytes } from '../crypto/primitives.js';

/**
 * The printed recovery key: 20 random bytes (160 bits), written as 32 characters of Crockford's
 * base32 in eight groups of four ("7K2M-…"). Crockford's alphabet has no I, L, O or U, and
 * reading ignores case, spaces and dashes and takes O for 0 and I/L for 1, so a key copied by
 * hand from paper still reads.
 *
 * 160 bits is far beyond guessing, so the key is stretched by a keyed hash only, not Argon2id.
 */
export const RECOVERY_KEY_BYTES = 20;

const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const GROUP = 4;

/** A fresh random recovery key. */
export function generateRecoveryKey(): Uint8Array {
	return randomBytes(RECOVERY_KEY_BYTES);
}

/** "ABCD-EFGH-…": the form shown once and printed. */
export function formatRecoveryKey(key: Uint8Array): string {
	if (key.length !== RECOVERY_KEY_BYTES) throw new Error('a recovery key is 20 bytes');
	let bits = 0;
	let value = 0;
	let out = '';
	for (const byte of key) {
		value = (value << 8) | byte;
		bits += 8;
		while (bits >= 5) {
			out += ALPHABET[(value >>> (bits - 5)) & 31];
			bits -= 5;
		}
		value &= (1 << bits) - 1;
	}
	return out.match(new RegExp(`.{1,${GROUP}}`, 'g'))!.join('-');
}

/** Reads a typed recovery key; undefined when it isn't 32 base32 characters. */
export function parseRecoveryKey(text: string): Uint8Array | undefined {
	const clean = text
		.toUpperCase()
		.replace(/[\s-]/g, '')
		.replace(/O/g, '0')
		.replace(/[IL]/g, '1');
	if (clean.length !== (RECOVERY_KEY_BYTES * 8) / 5) return undefined;

	const out = new Uint8Array(RECOVERY_KEY_BYTES);
	let bits = 0;
	let value = 0;
	let index = 0;
	for (const char of clean) {
		const digit = ALPHABET.indexOf(char);
		if (digit < 0) return undefined;
		value = (value << 5) | digit;
		bits += 5;
		if (bits >= 8) {
			out[index++] = (value >>> (bits - 8)) & 0xff;
			bits -= 8;
			value &= (1 << bits) - 1;
		}
	}
	return out;
}
