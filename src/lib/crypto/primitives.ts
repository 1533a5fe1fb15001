import { lengthPrefixed, u32 } from '../protocol/bytes.js';
import { sodium } from './sodium.js';

/**
 * Domain tags (SECURITY-RULES.md, rule 6). Every signature, keyed hash and derived key names its
 * purpose, so that bytes signed or derived for one purpose are never valid for another.
 */
export const Tag = {
	entry: 'tend/entry/v1',
	entryId: 'tend/entry-id/v1',
	access: 'tend/access/v1',
	deviceAuth: 'tend/device-auth/v1',
	genesis: 'tend/genesis/v1',
	docId: 'tend/doc-id/v1',
	epoch: 'tend/epoch/v1',
	epochHash: 'tend/epoch-hash/v1',
	envelope: 'tend/envelope/v1',
	claim: 'tend/claim/v1',
	inviteAuth: 'tend/invite-auth/v1',
	actorClaim: 'tend/actor/v1',
	safetyCode: 'tend/safety-code/v1',
	kdf: 'tend/kdf/v1',
	storageKey: 'tend/storage-key/v1',
	storageKeyWrap: 'tend/storage-key-wrap/v1',
	vaultWrap: 'tend/vault-wrap/v1',
	vaultKek: 'tend/vault-kek/v1',
	vaultRecovery: 'tend/vault-recovery/v1',
	payload: 'tend/payload/v1',
	presence: 'tend/presence/v1',
	blobId: 'tend/blob-id/v1',
	fileHash: 'tend/file-hash/v1',
	/** An audit record, signed by the device that made it (rule 21). */
	audit: 'tend/audit/v1',
	/** The hash that chains a device's audit records. */
	auditHash: 'tend/audit-hash/v1',
	/** Who owns an audit trail: owner devices and the box keys records are sealed to. */
	auditOwners: 'tend/audit-owners/v1',
	/** An owner's signature over an exported audit file (the list of records and chain heads). */
	auditExport: 'tend/audit-export/v1',
	/** The hash over an exported audit file's records, in file order. */
	auditExportDigest: 'tend/audit-export-digest/v1',
	/** A signed archive of a conversation (or board) for the clinical record. */
	archive: 'tend/archive/v1',
	/** A period document's relay id: (conversation id, period number), rule 19. */
	periodId: 'tend/period-id/v1',
	/** A period document's local (Repo) id on one device: never the relay id (rule 16). */
	periodLocalId: 'tend/period-local-id/v1',
	/** A device certificate: a person's device vouches for a new device of theirs (rule 3). */
	deviceCert: 'tend/device-cert/v1',
	/** A person's device withdraws one of their devices. */
	deviceRevoke: 'tend/device-revoke/v1',
	/** What a linking device hands its person's new device (sealed to it) through its mailbox. */
	deviceHandover: 'tend/device-handover/v1',
	/** The hash naming a device certificate or revocation (the `keep` lists, document maps). */
	deviceRecordHash: 'tend/device-record-hash/v1'
} as const;
export type Tag = (typeof Tag)[keyof typeof Tag];

/** Sizes fixed by libsodium's constructions. */
export const Size = {
	key: 32, // XChaCha20-Poly1305 key (crypto_aead_xchacha20poly1305_ietf_KEYBYTES)
	nonce: 24, // XChaCha20 nonce: random nonces are safe at this size
	tag: 16, // Poly1305 tag
	signPublic: 32, // Ed25519 public key
	signature: 64, // Ed25519 detached signature
	boxPublic: 32, // X25519 public key
	hash: 32 // BLAKE2b-256
} as const;

export function randomBytes(length: number): Uint8Array {
	return sodium().randombytes_buf(length);
}

/** BLAKE2b-256 of `tag` and `parts`, length-prefixed so no two part lists collide. */
export function hash(tag: Tag, ...parts: Uint8Array[]): Uint8Array {
	return sodium().crypto_generichash(Size.hash, lengthPrefixed(tag, ...parts), null);
}

/** An incremental BLAKE2b-256 over bytes that arrive in pieces (files and blobs). */
export interface StreamHasher {
	update(bytes: Uint8Array): void;
	/** The 32-byte digest; the hasher can't be used afterwards. */
	digest(): Uint8Array;
}

/**
 * BLAKE2b-256 of `tag ‖ 0x00 ‖ bytes…`, fed piece by piece. The tag is ASCII without a NUL, so
 * the NUL ends it unambiguously (rule 6). Used where {@link hash}'s length prefixes would need
 * the whole input at once: blob ids (a 25 MiB file) and plaintext hashes of files.
 */
export function hashStream(tag: Tag): StreamHasher {
	const s = sodium();
	const state = s.crypto_generichash_init(null, Size.hash);
	s.crypto_generichash_update(state, new TextEncoder().encode(`${tag}\0`));
	return {
		update: (bytes) => s.crypto_generichash_update(state, bytes),
		digest: () => s.crypto_generichash_final(state, Size.hash)
	};
}

/** Keyed BLAKE2b-256, used as a PRF for subkeys and hashed storage keys. */
export function keyedHash(key: Uint8Array, tag: Tag, ...parts: (Uint8Array | string)[]): Uint8Array {
	return sodium().crypto_generichash(Size.hash, lengthPrefixed(tag, ...parts), key);
}

/**
 * Derives a 32-byte subkey: keyed BLAKE2b over (purpose, salt, generation, period).
 * libsodium's `crypto_kdf_derive_from_key` needs an 8-byte context and a numeric subkey id;
 * a keyed hash over the full context is simpler to get right (SECURITY-RULES.md, rule 5).
 * The table of purposes is in docs/security.md.
 */
export function deriveKey(
	secret: Uint8Array,
	purpose: string,
	salt: Uint8Array,
	generation = 0,
	period = 0
): Uint8Array {
	return keyedHash(secret, Tag.kdf, purpose, salt, u32(generation), u32(period));
}

export interface SignKeyPair {
	publicKey: Uint8Array;
	privateKey: Uint8Array;
}

export function generateSignKeyPair(): SignKeyPair {
	const { publicKey, privateKey } = sodium().crypto_sign_keypair();
	return { publicKey, privateKey };
}

/** A deterministic Ed25519 pair from a 32-byte seed (relay access keys, invite keys). */
export function signKeyPairFromSeed(seed: Uint8Array): SignKeyPair {
	const { publicKey, privateKey } = sodium().crypto_sign_seed_keypair(seed);
	return { publicKey, privateKey };
}

export interface BoxKeyPair {
	publicKey: Uint8Array;
	privateKey: Uint8Array;
}

export function generateBoxKeyPair(): BoxKeyPair {
	const { publicKey, privateKey } = sodium().crypto_box_keypair();
	return { publicKey, privateKey };
}

/** Ed25519 signature over the tag and length-prefixed parts. */
export function sign(privateKey: Uint8Array, tag: Tag, ...parts: Uint8Array[]): Uint8Array {
	return sodium().crypto_sign_detached(lengthPrefixed(tag, ...parts), privateKey);
}

/** Verifies a signature made by `sign` with the same tag and parts; never throws. */
export function verify(
	publicKey: Uint8Array,
	signature: Uint8Array,
	tag: Tag,
	...parts: Uint8Array[]
): boolean {
	if (publicKey.length !== Size.signPublic || signature.length !== Size.signature) return false;
	try {
		return sodium().crypto_sign_verify_detached(signature, lengthPrefixed(tag, ...parts), publicKey);
	} catch {
		return false;
	}
}

/**
 * XChaCha20-Poly1305 with a fresh random 24-byte nonce (never derived from a counter, rule 10).
 * Returns nonce ‖ ciphertext.
 */
export function seal(key: Uint8Array, plaintext: Uint8Array, associated: Uint8Array): Uint8Array {
	const nonce = randomBytes(Size.nonce);
	const s = sodium();
	const cipher = s.crypto_aead_xchacha20poly1305_ietf_encrypt(plaintext, associated, null, nonce, key);
	const out = new Uint8Array(nonce.length + cipher.length);
	out.set(nonce);
	out.set(cipher, nonce.length);
	return out;
}

/** Opens `seal`'s output; returns undefined when the bytes or associated data were altered. */
export function open(
	key: Uint8Array,
	sealed: Uint8Array,
	associated: Uint8Array
): Uint8Array | undefined {
	if (sealed.length < Size.nonce + Size.tag) return undefined;
	try {
		return sodium().crypto_aead_xchacha20poly1305_ietf_decrypt(
			null,
			sealed.subarray(Size.nonce),
			associated,
			sealed.subarray(0, Size.nonce),
			key
		);
	} catch {
		return undefined;
	}
}

/** Anonymous sealed box to an X25519 key; callers sign the result (rule 3). */
export function sealToDevice(recipientBoxPublic: Uint8Array, plaintext: Uint8Array): Uint8Array {
	return sodium().crypto_box_seal(plaintext, recipientBoxPublic);
}

export function openFromSealedBox(
	box: BoxKeyPair,
	sealed: Uint8Array
): Uint8Array | undefined {
	try {
		return sodium().crypto_box_seal_open(sealed, box.publicKey, box.privateKey);
	} catch {
		return undefined;
	}
}

/** ISO/IEC 7816-4 padding to a multiple of `block` bytes (rule 20). */
export function pad(bytes: Uint8Array, block: number): Uint8Array {
	return sodium().pad(bytes, block);
}

export function unpad(bytes: Uint8Array, block: number): Uint8Array | undefined {
	try {
		return sodium().unpad(bytes, block);
	} catch {
		return undefined;
	}
}

export function wipe(bytes: Uint8Array): void {
	sodium().memzero(bytes);
}
