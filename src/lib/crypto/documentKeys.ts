import { u32 } from '../protocol/bytes.js';
import { deriveKey, open, seal, signKeyPairFromSeed, type SignKeyPair } from './primitives.js';

/**
 * Keys derived from a document secret (SECURITY-RULES.md, rule 5; table in docs/security.md).
 *
 * | purpose   | context                          | used for                                  |
 * | --------- | -------------------------------- | ----------------------------------------- |
 * | `access`  | (generation)                     | Ed25519 seed; the relay knows the public half |
 * | `content` | (document id, generation, period) | XChaCha20-Poly1305 key of entries          |
 * | `prev-secret` | (document id, generation)     | seals generation − 1's secret in a rotation record |
 * | `presence` | content key → (document id)      | XChaCha20-Poly1305 key of presence frames  |
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

/**
 * Seals the previous generation's secret under a key derived from the new one (rule 2: "the
 * previous secret sealed under the new one"), so a device given only the newest secret can read
 * history from before the rotation. Associated data: document id ‖ u32(new generation), so the
 * sealed bytes can't be moved to another document or generation.
 */
export function sealPreviousSecret(
	secret: Uint8Array,
	doc: Uint8Array,
	generation: number,
	previous: Uint8Array
): Uint8Array {
	const key = deriveKey(secret, 'prev-secret', doc, generation);
	return seal(key, previous, prevSecretAd(doc, generation));
}

/** Opens {@link sealPreviousSecret}'s output; undefined when it was altered or the key is wrong. */
export function openPreviousSecret(
	secret: Uint8Array,
	doc: Uint8Array,
	generation: number,
	sealed: Uint8Array
): Uint8Array | undefined {
	const key = deriveKey(secret, 'prev-secret', doc, generation);
	const previous = open(key, sealed, prevSecretAd(doc, generation));
	return previous && previous.length === DOCUMENT_SECRET_BYTES ? previous : undefined;
}

function prevSecretAd(doc: Uint8Array, generation: number): Uint8Array {
	const ad = new Uint8Array(doc.length + 4);
	ad.set(doc);
	ad.set(u32(generation), doc.length);
	return ad;
}

/**
 * The key of a document's presence frames (crypto/presence.ts), derived from the content key of
 * the frame's epoch: every member who can read the entries can read presence, and a frame can
 * never be opened as an entry or the other way round (different key, kind in the header).
 */
export function derivePresenceKey(contentKey: Uint8Array, doc: Uint8Array): Uint8Array {
	return deriveKey(contentKey, 'presence', doc);
}
