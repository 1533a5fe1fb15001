import 'fake-indexeddb/auto';
import { beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from '../../../src/lib/crypto/primitives.js';
import { readyCrypto } from '../../../src/lib/crypto/sodium.js';
import { EncryptedStorageAdapter } from '../../../src/lib/storage/EncryptedStorageAdapter.js';
import { IndexedDBBackend } from '../../../src/lib/storage/IndexedDBBackend.js';
import { MemoryBackend } from '../../../src/lib/storage/MemoryBackend.js';
import {
	deleteLegacyKeyDatabase,
	loadLegacyStorageKey,
	loadOrCreateStorageKey
} from '../../../src/lib/storage/storageKey.js';

const enc = (text: string) => new TextEncoder().encode(text);
const dec = (bytes: Uint8Array | undefined) => bytes && new TextDecoder().decode(bytes);

beforeAll(async () => {
	await readyCrypto();
});

let counter = 0;

describe('moving data from the interim key to the vault key', () => {
	it('re-seals every record under the new key; the old key then opens nothing', async () => {
		const backend = new MemoryBackend();
		const oldKey = randomBytes(32);
		const newKey = randomBytes(32);
		const before = new EncryptedStorageAdapter({ backend, storageKey: oldKey });
		await before.save(['tend', 'device'], enc('device record'));
		await before.save(['doc1', 'snapshot', 'h1'], enc('a conversation'));
		await before.save(['doc1', 'incremental', 'h2'], enc('a change'));
		const keysBefore = (await backend.range('')).map((entry) => entry.key);

		const moved = await EncryptedStorageAdapter.rekey(backend, oldKey, newKey);

		expect(moved).toBe(3);
		const after = new EncryptedStorageAdapter({ backend, storageKey: newKey });
		expect(dec(await after.load(['tend', 'device']))).toBe('device record');
		expect((await after.loadRange(['doc1'])).map((c) => dec(c.data)).sort()).toEqual([
			'a change',
			'a conversation'
		]);
		const keysAfter = (await backend.range('')).map((entry) => entry.key);
		expect(keysAfter).toHaveLength(3);
		expect(keysAfter.filter((key) => keysBefore.includes(key))).toEqual([]);
		const stale = new EncryptedStorageAdapter({ backend, storageKey: oldKey });
		expect(await stale.load(['tend', 'device'])).toBeUndefined();
	});

	it('running it again (a migration cut short, then retried) loses nothing', async () => {
		const backend = new MemoryBackend();
		const oldKey = randomBytes(32);
		const newKey = randomBytes(32);
		await new EncryptedStorageAdapter({ backend, storageKey: oldKey }).save(['k'], enc('kept'));
		await EncryptedStorageAdapter.rekey(backend, oldKey, newKey);

		const again = await EncryptedStorageAdapter.rekey(backend, oldKey, newKey);

		expect(again).toBe(0);
		const after = new EncryptedStorageAdapter({ backend, storageKey: newKey });
		expect(dec(await after.load(['k']))).toBe('kept');
	});

	it('loads an interim key only where one exists, never creating one', async () => {
		const absent = `legacy-absent-${counter++}`;
		const present = `legacy-present-${counter++}`;
		const created = await loadOrCreateStorageKey(present);

		expect(await loadLegacyStorageKey(absent)).toBeUndefined();
		expect((await indexedDB.databases()).some((db) => db.name === absent)).toBe(false);
		expect(await loadLegacyStorageKey(present)).toEqual(created.key);
		await deleteLegacyKeyDatabase(present);
		expect(await loadLegacyStorageKey(present)).toBeUndefined();
	});

	it('works on IndexedDB in one transaction', async () => {
		const backend = new IndexedDBBackend(`rekey-${counter++}`);
		const oldKey = randomBytes(32);
		const newKey = randomBytes(32);
		await new EncryptedStorageAdapter({ backend, storageKey: oldKey }).save(['a', 'b'], enc('x'));

		await EncryptedStorageAdapter.rekey(backend, oldKey, newKey);

		const after = new EncryptedStorageAdapter({ backend, storageKey: newKey });
		expect(dec(await after.load(['a', 'b']))).toBe('x');
		expect(await backend.range('')).toHaveLength(1);
		backend.close();
	});
});
