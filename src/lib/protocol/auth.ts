import { sign, verify, Tag, type SignKeyPair } from '../crypto/primitives.js';
import { u32, utf8 } from './bytes.js';

/**
 * Proofs a device gives the relay on a connection. Both are bound to the relay's origin (the
 * `host` the device connected to) and to the one-use challenge the relay sent for this
 * connection, so a proof can't be replayed on another connection or forwarded to another relay
 * (SECURITY-RULES.md, rule 4).
 */

/** Proves possession of a device's signing key; lets the relay admit the device's writes. */
export function signDeviceAuth(device: SignKeyPair, origin: string, challenge: Uint8Array) {
	return sign(device.privateKey, Tag.deviceAuth, utf8.encode(origin), challenge, device.publicKey);
}

export function verifyDeviceAuth(
	devicePk: Uint8Array,
	sig: Uint8Array,
	origin: string,
	challenge: Uint8Array
): boolean {
	return verify(devicePk, sig, Tag.deviceAuth, utf8.encode(origin), challenge, devicePk);
}

/** Proves possession of a document's relay access key for an epoch; lets the device read. */
export function signAccessProof(
	access: SignKeyPair,
	origin: string,
	challenge: Uint8Array,
	doc: Uint8Array,
	epoch: number
): Uint8Array {
	return sign(
		access.privateKey,
		Tag.access,
		utf8.encode(origin),
		challenge,
		doc,
		u32(epoch),
		access.publicKey
	);
}

export function verifyAccessProof(
	accessPk: Uint8Array,
	sig: Uint8Array,
	origin: string,
	challenge: Uint8Array,
	doc: Uint8Array,
	epoch: number
): boolean {
	if (epoch > 0xffffffff) return false;
	return verify(accessPk, sig, Tag.access, utf8.encode(origin), challenge, doc, u32(epoch), accessPk);
}

/** The origin a proof is bound to: the WebSocket URL's host, e.g. `localhost:8787`. */
export function relayOriginOf(url: string): string {
	return new URL(url).host.toLowerCase();
}
