import type { Chunk, StorageAdapterInterface, StorageKey } from '@automerge/automerge-repo';
import { Encoder } from 'cbor-x';
import { deriveKey, keyedHash, open, seal, Size, Tag, wipe } from '../crypto/primitives.js';
import { sodium } from '../crypto/sodium.js';
import { toBase64Url, utf8 } from '../protocol/bytes.js';
import type { KvBackend, KvEntry } from './KvBackend.js';

/**
 * Bytes of keyed hash kept per key component: 16 bytes (128 bits) is 22 base64url characters,
 * enough that two different key paths never meet by chance, and short enough for IndexedDB keys.
 */
const HASH_BYTES = 16;

/**
 * Plain CBOR. `useRecords: false` turns off cbor-x's records extension; `tagUint8Array: false`
 * writes bytes as a CBOR byte string (major type 2) instead of tag 64, so any CBOR reader can
 * read a sealed value.
 */
const cbor = new Encoder({ useRecords: false, tagUint8Array: false });

/** What a sealed value holds: the real key (a range load must return it) and the data. */
interface SealedRecord {
	k: string[];
	d: Uint8Array;
}

/** One record written by {@link EncryptedStorageAdapter.write}. */
export interface StoragePut {
	key: StorageKey;
	data: Uint8Array;
}

export interface EncryptedStorageAdapterParams {
	/** Where the hashed keys and sealed values go. The adapter does not close it. */
	backend: KvBackend;
	/** The device's 32-byte storage key (see `storageKey.ts`); the adapter keeps its own copy. */
	storageKey: Uint8Array;
	/**
	 * Called with the hashed key of a value that failed to open: altered on disk, moved from
	 * another key, or sealed with another storage key. That value is then treated as missing.
	 */
	onCorrupt?: (hashedKey: string) => void;
}

/**
 * automerge-repo's storage, with the keys hashed and the values sealed (SECURITY-RULES.md
 * rule 16). It is also the store for the sync engine's own state, through {@link write}.
 *
 * @remarks
 * automerge-repo's keys name document ids, chunk types and hashes of plaintext, so they are not
 * stored. Component i of a key becomes the first 16 bytes of
 * `keyedHash(storageKey, Tag.storageKey, c0, …, ci)` in base64url, and the components are joined
 * with '/'. Because component i covers c0…ci, the hashed form of a key prefix is a string prefix
 * of the hashed key, so `loadRange` is one backend range scan. Every hashed component has the
 * same length and no '/', so the range over `hash(prefix)` matches exactly the keys under it.
 *
 * The value is `seal(storageKey, CBOR {k: key, d: data}, utf8(hashedKey))`: XChaCha20-Poly1305
 * with a random nonce, and the hashed key as associated data so a value moved to another key
 * fails to open. A value that fails to open is reported to `onCorrupt` and skipped, never
 * thrown: automerge-repo treats a missing chunk as something to fetch again from a peer.
 *
 * What still shows on disk: how many records there are, their sizes, and which records share a
 * key prefix (the chunks of one document).
 *
 * Await `readyCrypto()` before constructing it.
 */
export class EncryptedStorageAdapter implements StorageAdapterInterface {
	/** The backend holding hashed keys and sealed values. */
	readonly #backend: KvBackend;
	/** Our copy of the storage key; zeroed by `close()`. */
	readonly #key: Uint8Array;
	/** Subkeys of the storage key: one names records, the other seals them (rule 5). */
	readonly #nameKey: Uint8Array;
	readonly #sealKey: Uint8Array;
	/** Where values that fail to open are reported. */
	readonly #onCorrupt: (hashedKey: string) => void;
	/** Set by `close()`. */
	#closed = false;

	constructor({ backend, storageKey, onCorrupt }: EncryptedStorageAdapterParams) {
		if (storageKey.length !== Size.key) {
			throw new Error(`storage key must be ${Size.key} bytes, got ${storageKey.length}`);
		}
		sodium(); // throws now, not on the Repo's first load, if libsodium is not ready
		this.#backend = backend;
		this.#key = storageKey.slice();
		this.#nameKey = deriveKey(this.#key, 'storage-name', new Uint8Array(0));
		this.#sealKey = deriveKey(this.#key, 'storage-seal', new Uint8Array(0));
		this.#onCorrupt = onCorrupt ?? (() => {});
	}

	async load(key: StorageKey): Promise<Uint8Array | undefined> {
		const hashed = this.#hashKey(key);
		const sealed = await this.#backend.get(hashed);
		if (sealed === undefined) return undefined;
		return this.#unseal(hashed, sealed)?.data;
	}

	async save(key: StorageKey, data: Uint8Array): Promise<void> {
		await this.#backend.put([this.#seal(key, data)]);
	}

	async remove(key: StorageKey): Promise<void> {
		await this.#backend.delete([this.#hashKey(key)]);
	}

	/**
	 * Every chunk whose key starts with `keyPrefix`, with its real key. The order is the
	 * backend's (IndexedDB sorts by hashed key, so it is effectively random); automerge-repo
	 * does not depend on it.
	 */
	async loadRange(keyPrefix: StorageKey): Promise<Chunk[]> {
		const entries = await this.#backend.range(this.#hashKey(keyPrefix));
		const chunks: Chunk[] = [];
		for (const { key, value } of entries) {
			const chunk = this.#unseal(key, value);
			if (chunk) chunks.push(chunk);
		}
		return chunks;
	}

	async removeRange(keyPrefix: StorageKey): Promise<void> {
		await this.#backend.deleteRange(this.#hashKey(keyPrefix));
	}

	/**
	 * Removes `removes`, then stores `puts`, in one backend transaction: all or nothing. The sync
	 * engine keeps its state here (outbox entries, cursors, counters, under keys such as
	 * `['tend', 'outbox', docId, n]`) so that, for example, an outbox entry and the counter that
	 * numbers it are never saved one without the other. `loadRange` does not return them in `n`
	 * order; sort after loading.
	 */
	async write(puts: StoragePut[], removes: StorageKey[]): Promise<void> {
		const put = puts.map(({ key, data }) => this.#seal(key, data));
		const remove = removes.map((key) => this.#hashKey(key));
		await this.#backend.write({ put, delete: remove });
	}

	/**
	 * Re-seals every record of `backend` that opens under `from` so that it opens under `to`
	 * instead (new hashed key, new seal), in one backend transaction: the old records are deleted
	 * and the new ones written together, or nothing changes. Records that don't open under
	 * `from` are left alone, so running it again after it succeeded changes nothing (the vault
	 * runs it at unlock until the interim key is gone). Returns how many records moved.
	 */
	static async rekey(backend: KvBackend, from: Uint8Array, to: Uint8Array): Promise<number> {
		const old = new EncryptedStorageAdapter({ backend, storageKey: from });
		const next = new EncryptedStorageAdapter({ backend, storageKey: to });
		try {
			const put: KvEntry[] = [];
			const remove: string[] = [];
			for (const { key, value } of await backend.range('')) {
				const plain = open(old.#sealKey, value, utf8.encode(key));
				if (!plain) continue;
				const record = decodeRecord(plain);
				wipe(plain);
				if (!record || !old.#isHashOf(record.k, key)) continue;
				put.push(next.#seal(record.k, record.d));
				remove.push(key);
			}
			await backend.write({ put, delete: remove });
			return put.length;
		} finally {
			old.close();
			next.close();
		}
	}

	/**
	 * Zeroes the adapter's copy of the storage key; later calls throw. Call it when the app
	 * locks, after the Repo has shut down (SECURITY-RULES.md rule 17).
	 */
	close(): void {
		if (this.#closed) return;
		this.#closed = true;
		wipe(this.#key);
		wipe(this.#nameKey);
		wipe(this.#sealKey);
	}

	/** The backend key for `key`: one 22-character keyed hash per component, joined by '/'. */
	#hashKey(key: StorageKey): string {
		if (this.#closed) throw new Error('encrypted storage is closed');
		for (const part of key) {
			// TextEncoder turns a lone surrogate into U+FFFD, so two such keys would hash alike.
			if (typeof part !== 'string' || !part.isWellFormed()) {
				throw new Error('storage key components must be well-formed strings');
			}
		}

		const hashed: string[] = [];
		for (let i = 0; i < key.length; i++) {
			const digest = keyedHash(this.#nameKey, Tag.storageKey, ...key.slice(0, i + 1));
			hashed.push(toBase64Url(digest.subarray(0, HASH_BYTES)));
		}
		return hashed.join('/');
	}

	#seal(key: StorageKey, data: Uint8Array): KvEntry {
		if (key.length === 0) throw new Error('cannot store a value under an empty key');
		if (!(data instanceof Uint8Array)) throw new Error('storage data must be a Uint8Array');

		const hashed = this.#hashKey(key);
		const record: SealedRecord = { k: [...key], d: data };
		// Associated data: the hashed key string (rule 16), binding the value to its place.
		const value = seal(this.#sealKey, cbor.encode(record), utf8.encode(hashed));
		return { key: hashed, value };
	}

	/** Opens a stored value; reports and returns undefined for anything that doesn't check out. */
	#unseal(hashed: string, sealed: Uint8Array): Chunk | undefined {
		const plain = open(this.#sealKey, sealed, utf8.encode(hashed));
		const record = plain && decodeRecord(plain);
		if (plain) wipe(plain);

		// The key inside must hash to where the value was found. Only a bug (or a hash collision)
		// could make it differ, as the associated data already binds the value to its place.
		if (!record || !this.#isHashOf(record.k, hashed)) {
			this.#reportCorrupt(hashed);
			return undefined;
		}
		return { key: record.k, data: record.d };
	}

	#isHashOf(key: StorageKey, hashed: string): boolean {
		try {
			return this.#hashKey(key) === hashed;
		} catch {
			return false;
		}
	}

	#reportCorrupt(hashed: string): void {
		try {
			this.#onCorrupt(hashed);
		} catch {
			// A failing callback must not turn a skipped value into an error inside automerge-repo.
		}
	}
}

/** Decodes and checks a sealed record; the data is copied out so the plaintext can be wiped. */
function decodeRecord(plain: Uint8Array): SealedRecord | undefined {
	let decoded: unknown;
	try {
		decoded = cbor.decode(plain);
	} catch {
		return undefined;
	}
	if (typeof decoded !== 'object' || decoded === null) return undefined;

	const { k, d } = decoded as Partial<SealedRecord>;
	if (!Array.isArray(k) || k.length === 0 || !k.every((part) => typeof part === 'string')) {
		return undefined;
	}
	if (!(d instanceof Uint8Array)) return undefined;
	return { k, d: new Uint8Array(d) };
}
