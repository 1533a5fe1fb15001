import { deriveKey, signKeyPairFromSeed, type SignKeyPair } from './primitives.js';

/**
 * Keys derived from a document secret (SECURITY-RULES.md, rule 5; table in docs/security.md).
 *
 * | purpose   | context                          | used for                                  |
 * | --------- | -------------------------------- | ----------------------------------------- |
 * | `access`  | (generation)                     | Ed25519 seed; the relay knows the public half |
 * | `content` | (document id, generation, period) | XChaCha20-Poly1305 key of entries          |
 *
 * The access key can't include the document id: the id is the hash of the genesis record, which
 * holds the access public key. The secret is random per document and generation, so it needs no
 * salt to be unique.
 */
const NO_SALT = new Uint8Array(0);

export const DOCUMENT_SECRET_BYTES = 32;

export function deriveAccessKey(secret: Uint8Array, generation: number): SignKeyPair {
	return signKeyPairFromSeed(deriveKey(secret, 'access', NO_SALT, generation));
}

export function deriveContentKey(
	secret: Uint8Array,
	doc: Uint8Array,
	generation: number,
	period = 0
): Uint8Array {
	return deriveKey(secret, 'content', doc, generation, period);
}
