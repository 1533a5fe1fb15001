/**
 * The byte store under Tend's encrypted storage. It knows nothing about encryption or
 * automerge-repo: keys are opaque strings and values opaque bytes, so the same adapter runs on
 * IndexedDB in the browser and on memory in tests (STYLE.md §10: storage behind async interfaces).
 */

/** One stored record. */
export interface KvEntry {
	key: string;
	value: Uint8Array;
}

/** A batch applied by {@link KvBackend.write}: all of it, or none of it. */
export interface KvBatch {
	put?: KvEntry[];
	delete?: string[];
}

/**
 * An async key-value store with string keys and byte values.
 *
 * @remarks
 * Every method that changes data runs in one transaction: either all of its entries are stored,
 * or (if it rejects) none are. The sync engine depends on this to move an outbox entry and its
 * counter together.
 *
 * Keys must not contain U+FFFF: prefix ranges are the key interval [prefix, prefix + '\uffff'],
 * which would miss such a key. Keys written by `EncryptedStorageAdapter` are base64url and '/'.
 *
 * The order of {@link KvBackend.range} results is the backend's: IndexedDB sorts by key, and
 * `MemoryBackend` keeps insertion order. Callers that need an order sort the results themselves.
 */
export interface KvBackend {
	/** The value at `key`, or undefined when there is none. */
	get(key: string): Promise<Uint8Array | undefined>;
	/** Stores every entry in one transaction; a later entry with the same key wins. */
	put(entries: KvEntry[]): Promise<void>;
	/** Deletes every key in one transaction; missing keys are ignored. */
	delete(keys: string[]): Promise<void>;
	/** Every entry whose key starts with `prefix` (all entries for ''). */
	range(prefix: string): Promise<KvEntry[]>;
	/** Deletes every entry whose key starts with `prefix`, in one transaction. */
	deleteRange(prefix: string): Promise<void>;
	/** Applies `batch.delete`, then `batch.put`, in one transaction. */
	write(batch: KvBatch): Promise<void>;
	/** Releases the connection; later calls reject. */
	close(): void;
}

/** Throws for a key the range scheme can't represent (see {@link KvBackend}). */
export function assertKvKey(key: string): void {
	if (typeof key !== 'string') throw new Error(`storage key is not a string: ${String(key)}`);
	if (key.includes('\uffff')) throw new Error('storage key contains U+FFFF');
}

/** Throws unless `value` is a `Uint8Array`, before any entry of a batch is applied. */
export function assertKvValue(key: string, value: unknown): asserts value is Uint8Array {
	if (!(value instanceof Uint8Array)) throw new Error(`value for ${key} is not a Uint8Array`);
}
