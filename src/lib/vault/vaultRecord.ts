import { keyedHash, open, randomBytes, seal, Size, Tag, wipe } from '../crypto/primitives.js';
import { lengthPrefixed, u32 } from '../protocol/bytes.js';
import { derivePassphraseKey, isArgon2Params, SALT_BYTES, type Argon2Params } from './argon2.js';
import { RECOVERY_KEY_BYTES } from './recoveryKey.js';

/**
 * The wrapped storage key and everything needed to unwrap it, stored in the clear (it is
 * ciphertext and public parameters) in the vault database.
 *
 * @remarks
 * Key hierarchy (docs/security.md, "The vault"):
 * - `pk = Argon2id(passphrase, salt, params)`;
 * - `kek = BLAKE2b(key = pk, "tend/vault-kek/v1" ‖ mode ‖ prf)`, where `mode` is `passkey` and
 *   `prf` the passkey's 32-byte WebAuthn PRF output when a passkey is enrolled, else
 *   `passphrase` and nothing: both factors are needed to compute it;
 * - `wrapped = XChaCha20-Poly1305(kek, storage key, AD)`, with AD binding the vault id, the
 *   slot, the Argon2id parameters, the salt and the passkey's credential id and PRF salt, so
 *   none of them can be swapped for another record's;
 * - `recovery = XChaCha20-Poly1305(BLAKE2b(key = recovery key, "tend/vault-recovery/v1"), storage key, AD)`.
 */
export interface VaultRecord {
	v: 1;
	/** 16 random bytes naming this vault; part of every wrap's associated data. */
	id: Uint8Array;
	kdf: { alg: 'argon2id13'; salt: Uint8Array } & Argon2Params;
	/** Present when unlocking also needs the passkey's PRF output. */
	passkey?: PasskeySlot;
	/** The storage key wrapped under the passphrase (and passkey) key. */
	wrapped: Uint8Array;
	/** The storage key wrapped under the printed recovery key. */
	recovery: Uint8Array;
}

/** The passkey that is the second factor. */
export interface PasskeySlot {
	/** WebAuthn credential id, to ask the authenticator for this credential. */
	credentialId: Uint8Array;
	/** The PRF input (`prf.eval.first`): 32 random bytes, so the output is unique to this vault. */
	prfSalt: Uint8Array;
}

/** PRF output length: WebAuthn's PRF extension returns 32 bytes (HMAC-SHA-256 in CTAP2 hmac-secret). */
export const PRF_BYTES = 32;
const ID_BYTES = 16;
const WRAPPED_BYTES = Size.nonce + Size.key + Size.tag;

/** What it takes to compute the key-encryption key of the passphrase slot. */
export interface PassphraseFactors {
	passphrase: string;
	/** The passkey's PRF output; required when the record has a passkey. */
	prf?: Uint8Array;
}

/** Builds a new record around `storageKey`. */
export function createVaultRecord(params: {
	storageKey: Uint8Array;
	factors: PassphraseFactors;
	argon2: Argon2Params;
	recoveryKey: Uint8Array;
	passkey?: PasskeySlot;
}): VaultRecord {
	const kdf = { alg: 'argon2id13' as const, salt: randomBytes(SALT_BYTES), ...params.argon2 };
	const base = { v: 1 as const, id: randomBytes(ID_BYTES), kdf, passkey: params.passkey };
	const wrapped = wrapUnder(passphraseKek(base, params.factors), params.storageKey, passphraseAd(base));
	const recovery = wrapUnder(recoveryKek(params.recoveryKey), params.storageKey, recoveryAd(base));
	return { ...base, wrapped, recovery };
}

/** The storage key, or undefined when the passphrase (or passkey output) is wrong. */
export function unwrapWithPassphrase(
	record: VaultRecord,
	factors: PassphraseFactors
): Uint8Array | undefined {
	if (record.passkey && factors.prf === undefined) throw new Error('this vault needs the passkey');
	return unwrapUnder(passphraseKek(record, factors), record.wrapped, passphraseAd(record));
}

/** The storage key, or undefined when `recoveryKey` is not this vault's. */
export function unwrapWithRecoveryKey(
	record: VaultRecord,
	recoveryKey: Uint8Array
): Uint8Array | undefined {
	if (recoveryKey.length !== RECOVERY_KEY_BYTES) return undefined;
	return unwrapUnder(recoveryKek(recoveryKey), record.recovery, recoveryAd(record));
}

/**
 * The same storage key wrapped under new passphrase factors (a new passphrase, a passkey added
 * or removed, new Argon2id parameters): the data is not touched. A new salt is drawn.
 */
export function rewrapPassphrase(
	record: VaultRecord,
	storageKey: Uint8Array,
	factors: PassphraseFactors,
	argon2: Argon2Params,
	passkey: PasskeySlot | undefined
): VaultRecord {
	const kdf = { alg: 'argon2id13' as const, salt: randomBytes(SALT_BYTES), ...argon2 };
	const next = { ...record, kdf, passkey };
	next.wrapped = wrapUnder(passphraseKek(next, factors), storageKey, passphraseAd(next));
	return next;
}

/** The same storage key under a new recovery key; the old recovery key stops working. */
export function rewrapRecovery(
	record: VaultRecord,
	storageKey: Uint8Array,
	recoveryKey: Uint8Array
): VaultRecord {
	return { ...record, recovery: wrapUnder(recoveryKek(recoveryKey), storageKey, recoveryAd(record)) };
}

/** Checks a value read from storage; throws for anything that isn't a well-formed record. */
export function parseVaultRecord(value: unknown): VaultRecord {
	const record = value as Partial<VaultRecord> | undefined;
	const kdf = record?.kdf as Partial<VaultRecord['kdf']> | undefined;
	const ok =
		record?.v === 1 &&
		isBytes(record.id, ID_BYTES) &&
		kdf?.alg === 'argon2id13' &&
		isBytes(kdf.salt, SALT_BYTES) &&
		isArgon2Params(kdf) &&
		isBytes(record.wrapped, WRAPPED_BYTES) &&
		isBytes(record.recovery, WRAPPED_BYTES) &&
		(record.passkey === undefined ||
			(record.passkey.credentialId instanceof Uint8Array &&
				record.passkey.credentialId.length > 0 &&
				record.passkey.credentialId.length <= 1023 &&
				isBytes(record.passkey.prfSalt, PRF_BYTES)));
	if (!ok) throw new Error('the vault record is malformed');
	return record as VaultRecord;
}

function isBytes(value: unknown, length: number): value is Uint8Array {
	return value instanceof Uint8Array && value.length === length;
}

type RecordHead = Pick<VaultRecord, 'id' | 'kdf' | 'passkey'>;

/** Associated data of the passphrase slot: everything that must go with it. */
function passphraseAd(record: RecordHead): Uint8Array {
	const empty = new Uint8Array(0);
	return lengthPrefixed(
		Tag.vaultWrap,
		record.id,
		'passphrase',
		record.kdf.alg,
		u32(record.kdf.opslimit),
		u32(record.kdf.memlimit),
		record.kdf.salt,
		record.passkey?.credentialId ?? empty,
		record.passkey?.prfSalt ?? empty
	);
}

function recoveryAd(record: RecordHead): Uint8Array {
	return lengthPrefixed(Tag.vaultWrap, record.id, 'recovery');
}

/** Argon2id, then keyed BLAKE2b with the PRF output: neither factor alone gives the key. */
function passphraseKek(record: RecordHead, factors: PassphraseFactors): Uint8Array {
	if (record.passkey && factors.prf?.length !== PRF_BYTES) {
		throw new Error(`the passkey's PRF output must be ${PRF_BYTES} bytes`);
	}
	const pk = derivePassphraseKey(factors.passphrase, record.kdf.salt, record.kdf);
	try {
		return record.passkey
			? keyedHash(pk, Tag.vaultKek, 'passkey', factors.prf!)
			: keyedHash(pk, Tag.vaultKek, 'passphrase');
	} finally {
		wipe(pk);
	}
}

function recoveryKek(recoveryKey: Uint8Array): Uint8Array {
	return keyedHash(recoveryKey, Tag.vaultRecovery);
}

function wrapUnder(kek: Uint8Array, storageKey: Uint8Array, ad: Uint8Array): Uint8Array {
	if (storageKey.length !== Size.key) throw new Error('the storage key must be 32 bytes');
	try {
		return seal(kek, storageKey, ad);
	} finally {
		wipe(kek);
	}
}

function unwrapUnder(kek: Uint8Array, wrapped: Uint8Array, ad: Uint8Array): Uint8Array | undefined {
	try {
		const key = open(kek, wrapped, ad);
		return key?.length === Size.key ? key : undefined;
	} finally {
		wipe(kek);
	}
}
