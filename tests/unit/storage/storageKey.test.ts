import 'fake-indexeddb/auto';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
	loadOrCreateStorageKey,
	requestPersistentStorage
} from '../../../src/lib/storage/storageKey.js';
import { containsBytes, dumpDatabase, freshDbName } from './helpers/rawIndexedDb.js';

// fake-indexeddb stores values with Node's structuredClone, which (Node 20) clones a CryptoKey,
// keeping it non-extractable, as browsers do. So these tests run the real path: no test-only
// branch. "Reopening" here is a new connection in the same process; fake-indexeddb keeps its
// data in memory, so persistence across a browser restart is left to the Playwright tests.

/** Runs `body` on the raw key database, in one readwrite transaction on its store. */
async function editKeyDatabase(name: string, body: (store: IDBObjectStore) => void) {
	const db = await new Promise<IDBDatabase>((resolve, reject) => {
		const request = indexedDB.open(name);
		request.onsuccess = () => resolve(request.result);
		request.onerror = () => reject(request.error);
	});
	const tx = db.transaction('keys', 'readwrite');
	body(tx.objectStore('keys'));
	await new Promise<void>((resolve, reject) => {
		tx.oncomplete = () => resolve();
		tx.onabort = () => reject(tx.error);
	});
	db.close();
}

/** Every byte array in a dump (values are records holding Uint8Arrays and a CryptoKey). */
function byteArraysIn(values: unknown[]): Uint8Array[] {
	return values.flatMap((value) =>
		value instanceof Uint8Array
			? [value]
			: typeof value === 'object' && value !== null
				? byteArraysIn(Object.values(value))
				: []
	);
}

describe('loadOrCreateStorageKey', () => {
	it('returns the same 32 key bytes when the database is opened again', async () => {
		const name = freshDbName('keys');

		const first = await loadOrCreateStorageKey(name);
		const second = await loadOrCreateStorageKey(name);

		expect(first.key).toHaveLength(32);
		expect(second.key).toStrictEqual(first.key);
		expect(first.protectedByPassphrase).toBe(false);
	});

	it('creates independent keys for different databases', async () => {
		const a = await loadOrCreateStorageKey(freshDbName('keys'));
		const b = await loadOrCreateStorageKey(freshDbName('keys'));

		expect(a.key).not.toStrictEqual(b.key);
	});

	it('gives two tabs racing on first use the same key (the first record stored wins)', async () => {
		const name = freshDbName('keys-race');

		const results = await Promise.all([1, 2, 3].map(() => loadOrCreateStorageKey(name)));

		expect(results[1].key).toStrictEqual(results[0].key);
		expect(results[2].key).toStrictEqual(results[0].key);
	});

	it('stores no raw key bytes, and a wrapping key that script cannot export', async () => {
		const name = freshDbName('keys-raw');
		const { key } = await loadOrCreateStorageKey(name);

		const dump = await dumpDatabase(name);
		const record = dump[0].value as { wrappingKey: CryptoKey };

		expect(dump).toHaveLength(1);
		expect(byteArraysIn([record]).some((bytes) => containsBytes(bytes, key))).toBe(false);
		expect(record.wrappingKey).toBeInstanceOf(CryptoKey);
		expect(record.wrappingKey.extractable).toBe(false);
		await expect(crypto.subtle.exportKey('raw', record.wrappingKey)).rejects.toThrow();

		// Positive control: the same scan finds the key once it is stored in the clear.
		await editKeyDatabase(name, (store) => store.put({ leaked: key.slice() }, 'control'));
		const values = (await dumpDatabase(name)).map((entry) => entry.value);
		expect(byteArraysIn(values).some((bytes) => containsBytes(bytes, key))).toBe(true);
	});

	it('refuses a tampered wrapped key instead of replacing it, which would orphan data', async () => {
		const name = freshDbName('keys-tamper');
		await loadOrCreateStorageKey(name);
		await editKeyDatabase(name, (store) => {
			const request = store.get('storage-key');
			request.onsuccess = () => {
				const record = request.result as { wrapped: Uint8Array };
				record.wrapped[0] ^= 1;
				store.put(record, 'storage-key');
			};
		});

		await expect(loadOrCreateStorageKey(name)).rejects.toThrow(/does not unwrap/);
		await expect(loadOrCreateStorageKey(name)).rejects.toThrow(/does not unwrap/);
	});

	it('refuses a malformed record and leaves it in place', async () => {
		const name = freshDbName('keys-malformed');
		await loadOrCreateStorageKey(name);
		await editKeyDatabase(name, (store) => store.put({ version: 1, wrapped: 'x' }, 'storage-key'));

		await expect(loadOrCreateStorageKey(name)).rejects.toThrow(/malformed/);
		expect((await dumpDatabase(name))[0].value).toStrictEqual({ version: 1, wrapped: 'x' });
	});
});

describe('requestPersistentStorage', () => {
	afterEach(() => {
		vi.unstubAllGlobals();
	});

	it('returns false when the Storage API is unavailable', async () => {
		vi.stubGlobal('navigator', {});

		expect(await requestPersistentStorage()).toBe(false);
	});

	it('returns true without asking again when storage is already persistent', async () => {
		const persist = vi.fn(async () => false);
		vi.stubGlobal('navigator', { storage: { persist, persisted: async () => true } });

		expect(await requestPersistentStorage()).toBe(true);
		expect(persist).not.toHaveBeenCalled();
	});

	it("returns the browser's answer to persist()", async () => {
		const storage = { persist: async () => true, persisted: async () => false };
		vi.stubGlobal('navigator', { storage });

		expect(await requestPersistentStorage()).toBe(true);
		storage.persist = async () => false;
		expect(await requestPersistentStorage()).toBe(false);
	});

	it('returns false when persist() throws', async () => {
		vi.stubGlobal('navigator', {
			storage: {
				persist: async () => {
					throw new Error('denied');
				}
			}
		});

		expect(await requestPersistentStorage()).toBe(false);
	});
});
