import 'fake-indexeddb/auto';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { randomBytes } from '../../../src/lib/crypto/primitives.js';
import { readyCrypto } from '../../../src/lib/crypto/sodium.js';
import { equalBytes } from '../../../src/lib/protocol/bytes.js';
import type { Argon2Params } from '../../../src/lib/vault/argon2.js';
import { Vault } from '../../../src/lib/vault/Vault.js';
import {
	IndexedDBVaultStore,
	MemoryVaultStore,
	type VaultStore
} from '../../../src/lib/vault/VaultStore.js';

const FAST: Argon2Params = { opslimit: 1, memlimit: 8 * 1024 * 1024 };
const PASSPHRASE = 'moss under the north window';

beforeAll(async () => {
	await readyCrypto();
});

let dbCounter = 0;

async function setUp(store: VaultStore = new MemoryVaultStore()) {
	let now = 1_700_000_000_000;
	const wipe = vi.fn(async () => store.destroy());
	const vault = new Vault({ store, wipe, now: () => now });
	const storageKey = randomBytes(32);
	const recoveryKey = await vault.create(storageKey, { passphrase: PASSPHRASE }, FAST);
	return {
		vault,
		store,
		wipe,
		storageKey,
		recoveryKey,
		advance: (ms: number) => (now += ms)
	};
}

describe('Vault', () => {
	it('unlocks with the passphrase and resets the failure count', async () => {
		const { vault, storageKey, store } = await setUp();
		await vault.unlock({ passphrase: 'nope' });

		const result = await vault.unlock({ passphrase: PASSPHRASE });

		expect(result.ok && equalBytes(result.storageKey, storageKey)).toBe(true);
		expect((await store.loadState()).failures).toBe(0);
	});

	it('refuses to create a second vault over the first', async () => {
		const { vault } = await setUp();

		await expect(vault.create(randomBytes(32), { passphrase: 'x' }, FAST)).rejects.toThrow(
			/already/
		);
	});

	it('slows down after three failures, and the wait survives a new Vault on the same store', async () => {
		const { vault, store, advance } = await setUp();
		const results = [];
		for (let i = 0; i < 4; i++) results.push(await vault.unlock({ passphrase: `guess ${i}` }));

		expect(results.map((r) => !r.ok && r.code)).toEqual(['wrong', 'wrong', 'wrong', 'wrong']);
		const reopened = new Vault({ store, wipe: async () => {}, now: () => 1_700_000_000_000 + 1000 });
		const early = await reopened.unlock({ passphrase: PASSPHRASE });
		expect(early).toMatchObject({ ok: false, code: 'wait', retryAt: 1_700_000_005_000 });

		advance(5_000);
		const later = await vault.unlock({ passphrase: PASSPHRASE });
		expect(later.ok).toBe(true);
	});

	it('a wait is not an attempt: the right passphrase during the wait does not open', async () => {
		const { vault } = await setUp();
		for (let i = 0; i < 4; i++) await vault.unlock({ passphrase: `guess ${i}` });

		const during = await vault.unlock({ passphrase: PASSPHRASE });

		expect(during.ok).toBe(false);
	});

	it('wipes the data after the configured number of failures, and not before', async () => {
		const { vault, store, wipe, advance } = await setUp();
		await store.savePolicy({ ...(await store.loadPolicy()), wipeAfter: 5 });

		for (let i = 0; i < 4; i++) {
			const r = await vault.unlock({ passphrase: `guess ${i}` });
			expect(r.ok || r.code).toBe('wrong');
			advance(60 * 60_000);
		}
		expect(wipe).not.toHaveBeenCalled();
		const fifth = await vault.unlock({ passphrase: 'guess 5' });

		expect(fifth).toMatchObject({ ok: false, code: 'wiped' });
		expect(wipe).toHaveBeenCalledOnce();
		expect(await store.loadRecord()).toBeUndefined();
	});

	it('never wipes by default', async () => {
		const { vault, wipe, advance } = await setUp();
		for (let i = 0; i < 12; i++) {
			await vault.unlock({ passphrase: `guess ${i}` });
			advance(60 * 60_000);
		}
		expect(wipe).not.toHaveBeenCalled();
	});

	it('queues failed unlocks without secrets and hands them over once', async () => {
		const { vault } = await setUp();
		await vault.unlock({ passphrase: 'secret-guess-one' });
		await vault.unlockWithRecoveryKey('0000-0000-0000-0000-0000-0000-0000-0000');

		const first = await vault.takeLockedEvents();
		const second = await vault.takeLockedEvents();

		expect(first.events.map((e) => [e.kind, e.method])).toEqual([
			['unlock-failed', 'passphrase'],
			['unlock-failed', 'recovery-key']
		]);
		expect(JSON.stringify(first)).not.toContain('secret-guess-one');
		expect(second.events).toEqual([]);
	});

	it('recovers with the printed key, then a new passphrase works and the old one does not', async () => {
		const { vault, storageKey, recoveryKey } = await setUp();

		const recovered = await vault.unlockWithRecoveryKey(recoveryKey.toLowerCase());
		expect(recovered.ok && equalBytes(recovered.storageKey, storageKey)).toBe(true);
		await vault.resetPassphrase(storageKey, { passphrase: 'a fresh start in april' }, FAST);

		expect((await vault.unlock({ passphrase: PASSPHRASE })).ok).toBe(false);
		const result = await vault.unlock({ passphrase: 'a fresh start in april' });
		expect(result.ok && equalBytes(result.storageKey, storageKey)).toBe(true);
	});

	it('a malformed recovery key is not counted as a guess', async () => {
		const { vault, store } = await setUp();

		const result = await vault.unlockWithRecoveryKey('not a key');

		expect(result).toMatchObject({ ok: false, code: 'malformed' });
		expect((await store.loadState()).failures).toBe(0);
	});

	it('changes the passphrase only with the current one, without touching the storage key', async () => {
		const { vault, storageKey, recoveryKey } = await setUp();

		const refused = await vault.changePassphrase(
			storageKey,
			{ passphrase: 'wrong' },
			{ passphrase: 'next' },
			FAST,
			undefined
		);
		const changed = await vault.changePassphrase(
			storageKey,
			{ passphrase: PASSPHRASE },
			{ passphrase: 'cedar smoke, then rain' },
			FAST,
			undefined
		);

		expect(refused.ok).toBe(false);
		expect(changed.ok).toBe(true);
		expect((await vault.unlock({ passphrase: PASSPHRASE })).ok).toBe(false);
		const result = await vault.unlock({ passphrase: 'cedar smoke, then rain' });
		expect(result.ok && equalBytes(result.storageKey, storageKey)).toBe(true);
		const recovered = await vault.unlockWithRecoveryKey(recoveryKey);
		expect(recovered.ok).toBe(true);
	});

	it('a new recovery key replaces the old one', async () => {
		const { vault, storageKey, recoveryKey } = await setUp();

		const fresh = await vault.newRecoveryKey(storageKey);

		expect((await vault.unlockWithRecoveryKey(recoveryKey)).ok).toBe(false);
		expect((await vault.unlockWithRecoveryKey(fresh)).ok).toBe(true);
	});

	it('keeps its record, failures and policy in IndexedDB across connections', async () => {
		const store = new IndexedDBVaultStore(`vault-test-${dbCounter++}`);
		const { vault, storageKey } = await setUp(store);
		await store.savePolicy({ ...(await store.loadPolicy()), wipeAfter: 9, lockAfterMs: 60_000 });
		await vault.unlock({ passphrase: 'wrong' });

		const again = new IndexedDBVaultStore(store.name);

		expect((await again.loadState()).failures).toBe(1);
		expect(await again.loadPolicy()).toMatchObject({ wipeAfter: 9, lockAfterMs: 60_000 });
		const reopened = new Vault({ store: again, wipe: async () => {} });
		const result = await reopened.unlock({ passphrase: PASSPHRASE });
		expect(result.ok && equalBytes(result.storageKey, storageKey)).toBe(true);
	});
});
