import { assertKvKey, assertKvValue } from './KvBackend.js';
import type { KvBackend, KvBatch, KvEntry } from './KvBackend.js';

const STORE = 'kv';
const VERSION = 1;

/**
 * {@link KvBackend} on the browser's IndexedDB: one database per name, one object store, string
 * keys (out-of-line) and `Uint8Array` values.
 *
 * @remarks
 * Writes use `durability: 'strict'`, so a write resolves only after the browser has flushed it:
 * "saved" must mean saved (SECURITY-RULES.md rule 15), and the browser's default may be relaxed.
 * The connection opens on first use and closes itself when another tab upgrades or deletes the
 * database, so that tab is not blocked; the next call reopens it.
 */
export class IndexedDBBackend implements KvBackend {
	/** The IndexedDB database name. */
	readonly name: string;
	/** The open connection, shared by all calls until it closes. */
	#db: Promise<IDBDatabase> | undefined;
	/** Set by `close()`; later calls reject instead of reopening the database. */
	#closed = false;

	/** @param name - the database name; one backend per database. */
	constructor(name: string) {
		this.name = name;
	}

	async get(key: string): Promise<Uint8Array | undefined> {
		let request: IDBRequest | undefined;
		await this.#transact('readonly', (store) => {
			request = store.get(key);
		});
		const value: unknown = request?.result;
		return value instanceof Uint8Array ? value : undefined;
	}

	put(entries: KvEntry[]): Promise<void> {
		return this.write({ put: entries });
	}

	delete(keys: string[]): Promise<void> {
		return this.write({ delete: keys });
	}

	async range(prefix: string): Promise<KvEntry[]> {
		let keys: IDBRequest<IDBValidKey[]> | undefined;
		let values: IDBRequest<unknown[]> | undefined;
		await this.#transact('readonly', (store) => {
			// Two requests in one transaction see the same snapshot, in the same key order.
			keys = store.getAllKeys(prefixRange(prefix));
			values = store.getAll(prefixRange(prefix));
		});

		const out: KvEntry[] = [];
		const keyList = keys?.result ?? [];
		const valueList = values?.result ?? [];
		for (let i = 0; i < keyList.length; i++) {
			const key = keyList[i];
			const value = valueList[i];
			if (typeof key === 'string' && value instanceof Uint8Array) out.push({ key, value });
		}
		return out;
	}

	async deleteRange(prefix: string): Promise<void> {
		await this.#transact('readwrite', (store) => {
			const range = prefixRange(prefix);
			if (range) store.delete(range);
			else store.clear();
		});
	}

	async write(batch: KvBatch): Promise<void> {
		const puts = batch.put ?? [];
		const deletes = batch.delete ?? [];
		for (const key of deletes) assertKvKey(key);
		for (const { key, value } of puts) {
			assertKvKey(key);
			assertKvValue(key, value);
		}
		if (puts.length === 0 && deletes.length === 0) return;

		await this.#transact('readwrite', (store) => {
			for (const key of deletes) store.delete(key);
			for (const { key, value } of puts) store.put(value, key);
		});
	}

	close(): void {
		this.#closed = true;
		const db = this.#db;
		this.#db = undefined;
		db?.then((connection) => connection.close()).catch(() => {});
	}

	/**
	 * Runs `body` in one transaction and resolves when the transaction commits. If `body` throws
	 * (a `put` throws DataCloneError synchronously, for example) the transaction is aborted, so
	 * the requests it already queued are rolled back, and the promise rejects with that error.
	 */
	async #transact(mode: IDBTransactionMode, body: (store: IDBObjectStore) => void): Promise<void> {
		const db = await this.#open();
		const options: IDBTransactionOptions = mode === 'readwrite' ? { durability: 'strict' } : {};
		const tx = db.transaction(STORE, mode, options);

		return new Promise<void>((resolve, reject) => {
			tx.oncomplete = () => resolve();
			tx.onabort = () => reject(tx.error ?? new Error(`IndexedDB transaction aborted: ${this.name}`));
			try {
				body(tx.objectStore(STORE));
			} catch (error) {
				reject(error);
				try {
					tx.abort();
				} catch {
					// Already finished: nothing was queued, so there is nothing to roll back.
				}
			}
		});
	}

	#open(): Promise<IDBDatabase> {
		if (this.#closed) return Promise.reject(new Error(`storage backend is closed: ${this.name}`));
		if (!this.#db) {
			// Forget a connection that closed or failed to open, so the next call opens a new one.
			const opening: Promise<IDBDatabase> = openDatabase(this.name, () => {
				if (this.#db === opening) this.#db = undefined;
			});
			opening.catch(() => {
				if (this.#db === opening) this.#db = undefined;
			});
			this.#db = opening;
		}
		return this.#db;
	}
}

/** The key interval of every key that starts with `prefix`; undefined means every key. */
function prefixRange(prefix: string): IDBKeyRange | undefined {
	return prefix === '' ? undefined : IDBKeyRange.bound(prefix, prefix + '\uffff');
}

function openDatabase(name: string, onClosed: () => void): Promise<IDBDatabase> {
	return new Promise((resolve, reject) => {
		const request = indexedDB.open(name, VERSION);
		request.onupgradeneeded = () => {
			request.result.createObjectStore(STORE);
		};
		request.onsuccess = () => {
			const db = request.result;
			db.onversionchange = () => {
				db.close();
				onClosed();
			};
			db.onclose = onClosed;
			resolve(db);
		};
		request.onerror = () => reject(request.error);
	});
}
