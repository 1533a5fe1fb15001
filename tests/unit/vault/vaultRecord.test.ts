import { beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from '../../../src/lib/crypto/primitives.js';
import { readyCrypto } from '../../../src/lib/crypto/sodium.js';
import { equalBytes } from '../../../src/lib/protocol/bytes.js';
import { derivePassphraseKey, type Argon2Params } from '../../../src/lib/vault/argon2.js';
import { generateRecoveryKey } from '../../../src/lib/vault/recoveryKey.js';
import {
	createVaultRecord,
	parseVaultRecord,
	rewrapPassphrase,
	rewrapRecovery,
	unwrapWithPassphrase,
	unwrapWithRecoveryKey
} from '../../../src/lib/vault/vaultRecord.js';

/** Cheap parameters so the suite stays fast; the cost is a parameter, the construction is not. */
const FAST: Argon2Params = { opslimit: 1, memlimit: 8 * 1024 * 1024 };

beforeAll(async () => {
	await readyCrypto();
});

function newVault(options: { prf?: Uint8Array } = {}) {
	const storageKey = randomBytes(32);
	const recoveryKey = generateRecoveryKey();
	const passkey = options.prf
		? { credentialId: randomBytes(16), prfSalt: randomBytes(32) }
		: undefined;
	const record = createVaultRecord({
		storageKey,
		factors: { passphrase: 'quiet harbour lantern mosaic', prf: options.prf },
		argon2: FAST,
		recoveryKey,
		passkey
	});
	return { storageKey, recoveryKey, record };
}

describe('vault record: wrapping the storage key', () => {
	it('unwraps with the right passphrase and stores no key bytes in the record', () => {
		const { storageKey, record } = newVault();

		const key = unwrapWithPassphrase(record, { passphrase: 'quiet harbour lantern mosaic' });

		expect(key && equalBytes(key, storageKey)).toBe(true);
		const recordBytes = [record.id, record.kdf.salt, record.wrapped, record.recovery];
		for (const bytes of recordBytes) {
			expect(Buffer.from(bytes).includes(Buffer.from(storageKey))).toBe(false);
		}
	});

	it('refuses a wrong passphrase, one changed by a character, and different case', () => {
		const { record } = newVault();

		for (const passphrase of ['', 'quiet harbour lantern mosaik', 'Quiet harbour lantern mosaic']) {
			expect(unwrapWithPassphrase(record, { passphrase })).toBeUndefined();
		}
	});

	it('accepts the same passphrase in another Unicode normal form (NFC)', () => {
		const storageKey = randomBytes(32);
		const composed = 'café au lait, 4 o’clock';
		const record = createVaultRecord({
			storageKey,
			factors: { passphrase: composed },
			argon2: FAST,
			recoveryKey: generateRecoveryKey()
		});

		const key = unwrapWithPassphrase(record, { passphrase: composed.normalize('NFD') });

		expect(key && equalBytes(key, storageKey)).toBe(true);
	});

	it('with a passkey, needs both the passphrase and the right PRF output', () => {
		const prf = randomBytes(32);
		const { storageKey, record } = newVault({ prf });
		const passphrase = 'quiet harbour lantern mosaic';

		const both = unwrapWithPassphrase(record, { passphrase, prf });
		const otherPasskey = unwrapWithPassphrase(record, { passphrase, prf: randomBytes(32) });
		const flipped = prf.slice();
		flipped[0] ^= 1;
		const oneBitOff = unwrapWithPassphrase(record, { passphrase, prf: flipped });
		const wrongPassphrase = unwrapWithPassphrase(record, { passphrase: 'quiet harbour', prf });

		expect(both && equalBytes(both, storageKey)).toBe(true);
		expect(otherPasskey).toBeUndefined();
		expect(oneBitOff).toBeUndefined();
		expect(wrongPassphrase).toBeUndefined();
		expect(() => unwrapWithPassphrase(record, { passphrase })).toThrow(/passkey/);
	});

	it('a record stripped of its passkey does not open with the passphrase alone', () => {
		const { record } = newVault({ prf: randomBytes(32) });
		const stripped = { ...record, passkey: undefined };

		expect(unwrapWithPassphrase(stripped, { passphrase: 'quiet harbour lantern mosaic' })).toBeUndefined();
	});

	it('refuses a record whose Argon2id parameters or salt were altered', () => {
		const { record } = newVault();
		const passphrase = 'quiet harbour lantern mosaic';
		const cheaper = { ...record, kdf: { ...record.kdf, memlimit: 4 * 1024 * 1024 } };
		const salt = record.kdf.salt.slice();
		salt[3] ^= 0x40;
		const otherSalt = { ...record, kdf: { ...record.kdf, salt } };

		expect(unwrapWithPassphrase(cheaper, { passphrase })).toBeUndefined();
		expect(unwrapWithPassphrase(otherSalt, { passphrase })).toBeUndefined();
	});

	it('after a passphrase change, the old passphrase fails and the new one gives the same key', () => {
		const { storageKey, record } = newVault();

		const changed = rewrapPassphrase(record, storageKey, { passphrase: 'new words for spring' }, FAST, undefined);

		expect(unwrapWithPassphrase(changed, { passphrase: 'quiet harbour lantern mosaic' })).toBeUndefined();
		const key = unwrapWithPassphrase(changed, { passphrase: 'new words for spring' });
		expect(key && equalBytes(key, storageKey)).toBe(true);
		expect(equalBytes(changed.recovery, record.recovery)).toBe(true);
		expect(equalBytes(changed.kdf.salt, record.kdf.salt)).toBe(false);
	});

	it('the recovery key unwraps the same storage key; another recovery key does not', () => {
		const { storageKey, recoveryKey, record } = newVault({ prf: randomBytes(32) });

		const key = unwrapWithRecoveryKey(record, recoveryKey);

		expect(key && equalBytes(key, storageKey)).toBe(true);
		expect(unwrapWithRecoveryKey(record, generateRecoveryKey())).toBeUndefined();
		expect(unwrapWithRecoveryKey(record, recoveryKey.subarray(0, 16))).toBeUndefined();
	});

	it('a new recovery key replaces the old one', () => {
		const { storageKey, recoveryKey, record } = newVault();
		const fresh = generateRecoveryKey();

		const next = rewrapRecovery(record, storageKey, fresh);

		expect(unwrapWithRecoveryKey(next, recoveryKey)).toBeUndefined();
		const key = unwrapWithRecoveryKey(next, fresh);
		expect(key && equalBytes(key, storageKey)).toBe(true);
	});

	it('the recovery slot of one vault does not open in another (vault id in the AD)', () => {
		const a = newVault();
		const b = newVault();
		const spliced = { ...b.record, recovery: a.record.recovery };

		expect(unwrapWithRecoveryKey(spliced, a.recoveryKey)).toBeUndefined();
	});

	it('parses a stored record and rejects malformed ones', () => {
		const { record } = newVault({ prf: randomBytes(32) });

		expect(parseVaultRecord(structuredClone(record))).toEqual(record);
		for (const bad of [
			undefined,
			{ ...record, v: 2 },
			{ ...record, wrapped: record.wrapped.subarray(1) },
			{ ...record, kdf: { ...record.kdf, opslimit: 0 } },
			{ ...record, kdf: { ...record.kdf, alg: 'argon2i13' } },
			{ ...record, passkey: { credentialId: new Uint8Array(0), prfSalt: randomBytes(32) } }
		]) {
			expect(() => parseVaultRecord(bad)).toThrow(/malformed/);
		}
	});

	it('derives the passphrase key with Argon2id as libsodium documents it (fixed vector)', () => {
		const salt = new Uint8Array(16).fill(7);

		const key = derivePassphraseKey('correct horse battery staple', salt, FAST);

		// Same inputs, same key; one more pass, another key.
		expect(equalBytes(key, derivePassphraseKey('correct horse battery staple', salt, FAST))).toBe(true);
		const slower = derivePassphraseKey('correct horse battery staple', salt, { ...FAST, opslimit: 2 });
		expect(equalBytes(key, slower)).toBe(false);
	});
});
