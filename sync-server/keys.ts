import { Buffer } from 'node:buffer';

/**
 * A Map key for public keys and document ids. Hex of the bytes: Maps compare strings by value
 * and `Uint8Array`s by identity. Never log these strings: they are the ids themselves.
 */
export function keyOf(bytes: Uint8Array): string {
	return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}
