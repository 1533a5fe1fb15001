import { randomBytes, Size, Tag, wipe } from '../crypto/primitives.js';
import { readyCrypto } from '../crypto/sodium.js';
import { utf8 } from '../protocol/bytes.js';

const STORE = 'keys';
const RECORD = 'storage-key';
const VERSION = 1;

/** AES-GCM IV: 96 bits, the size NIST SP 800-38D recommends; random, one key wraps one value. */
const IV_BYTES = 12;
/** AES-GCM tag: 128 bits, WebCrypto's default `tagLength`. */
const GCM_TAG_BYTES = 16;
/**
 * AES-GCM associated data, so the wrapped bytes can't be taken for any other use of the same
 * wrapping key.
 */
const WRAP_CONTEXT = new Uint8Array(utf8.encode(Tag.storageKeyWrap));

/** The key that seals this device's storage, and what protects it at rest. */
export interface DeviceStorageKey {
	/** 32 bytes for `EncryptedStorageAdapter`; the caller wipes it when the app locks. */
	key: Uint8Array;
	/**
	 * False while the key is only wrapped by a browser-held WebCrypto key: anyone with the
	 * browser profile can unwrap it, and the UI must say "this device is not protected by a
	 * passphrase" (SECURITY-RULES.md rule 16). The vault will return true.
	 */
	protectedByPassphrase: boolean;
}

/** What is stored in the key database; the `CryptoKey` is kept by structured clone. */
interface WrappedKeyRecord {
	version: 1;
	wrappingKey: CryptoKey;
	iv: Uint8Array;
	wrapped: Uint8Array;
}

/**
 * Loads this device's interim storage key, creating it on first use.
 *
 * @remarks
 * The app no longer calls this: the vault replaced it (a device set up before is migrated
 * through {@link loadLegacyStorageKey}). It stays as the one way to make such a key, for tests.
 *
 * Until a passphrase vault exists, the storage key is 32 random bytes encrypted (AES-256-GCM)
 * under a non-extractable WebCrypto key. The `CryptoKey` object itself is stored in IndexedDB
 * database `dbName` (structured clone keeps it non-extractable: script can use it but never read
 * its bytes), next to the wrapped key. This keeps the raw key out of storage that is read as
 * bytes, but the browser keeps the wrapping key's bytes in the same profile, so it is not
 * protection against someone holding the disk: hence `protectedByPassphrase: false`.
 *
 * Use a database of its own, not the one the documents are stored in. Two tabs opening the app
 * for the first time at once get the same key: the first record written wins, in one transaction.
 *
 * @throws Error when a stored record is malformed or does not unwrap (for example the browser
 * cleared part of the site's data); it is never replaced, as that would orphan the stored data.
 */
export async function loadOrCreateStorageKey(dbName: string): Promise<DeviceStorageKey> {
	await readyCrypto();
	const db = await openKeyDatabase(dbName);
	try {
		let record = await readRecord(db);
		if (record === undefined) {
			const candidate = await wrapNewKey();
			record = await storeIfAbsent(db, candidate);
		}
		return { key: await unwrapKey(record, dbName), protectedByPassphrase: false };
	} finally {
		db.close();
	}
}

/**
 * The interim storage key of a device set up before the vault existed, or undefined when there
 * is none. Never creates one: the vault (src/lib/vault) re-seals that device's data under a new
 * key and then deletes this database with {@link deleteLegacyKeyDatabase}.
 *
 * @throws Error when a record is there but malformed or does not unwrap.
 */
export async function loadLegacyStorageKey(dbName: string): Promise<Uint8Array | undefined> {
	const names = typeof indexedDB.databases === 'function' ? await indexedDB.databases() : [];
	if (!names.some((info) => info.name === dbName)) return undefined;
	await readyCrypto();
	const db = await openKeyDatabase(dbName);
	try {
		const record = await readRecord(db);
		return record && (await unwrapKey(record, dbName));
	} finally {
		db.close();
	}
}

/** Deletes the interim key database once its data has been re-sealed under the vault's key. */
export function deleteLegacyKeyDatabase(dbName: string): Promise<void> {
	return new Promise((resolve, reject) => {
		const request = indexedDB.deleteDatabase(dbName);
		request.onsuccess = () => resolve();
		request.onerror = () => reject(request.error);
	});
}

/**
 * Asks the browser not to evict this origin's storage under pressure, and reports whether storage
 * is persistent. Without it, a browser may drop IndexedDB, and with it unsent messages.
 *
 * @returns false when the Storage API is unavailable, refused, or throws.
 */
export async function requestPersistentStorage(): Promise<boolean> {
	const storage = globalThis.navigator?.storage;
	if (typeof storage?.persist !== 'function') return false;
	try {
		if (typeof storage.persisted === 'function' && (await storage.persisted())) return true;
		return await storage.persist();
	} catch {
		return false;
	}
}

async function wrapNewKey(): Promise<WrappedKeyRecord> {
	const wrappingKey = await crypto.subtle.generateKey({ name: 'AES-GCM', length: 256 }, false, [
		'encrypt',
		'decrypt'
	]);
	const random = randomBytes(Size.key);
	const key = arrayBufferBytes(random);
	wipe(random);
	const iv = arrayBufferBytes(randomBytes(IV_BYTES));
	const params: AesGcmParams = { name: 'AES-GCM', iv, additionalData: WRAP_CONTEXT };
	const wrapped = new Uint8Array(await crypto.subtle.encrypt(params, wrappingKey, key));
	wipe(key);
	return { version: 1, wrappingKey, iv, wrapped };
}

async function unwrapKey(record: WrappedKeyRecord, dbName: string): Promise<Uint8Array> {
	const params: AesGcmParams = {
		name: 'AES-GCM',
		iv: arrayBufferBytes(record.iv),
		additionalData: WRAP_CONTEXT
	};
	try {
		const wrapped = arrayBufferBytes(record.wrapped);
		return new Uint8Array(await crypto.subtle.decrypt(params, record.wrappingKey, wrapped));
	} catch {
		throw new Error(`the storage key in ${dbName} does not unwrap`);
	}
}

/** A copy backed by a plain ArrayBuffer, the only kind WebCrypto's types accept. */
function arrayBufferBytes(bytes: Uint8Array): Uint8Array<ArrayBuffer> {
	return new Uint8Array(bytes);
}

function isWrappedKeyRecord(value: unknown): value is WrappedKeyRecord {
	if (typeof value !== 'object' || value === null) return false;
	const record = value as Partial<WrappedKeyRecord>;
	return (
		record.version === 1 &&
		record.wrappingKey instanceof CryptoKey &&
		record.iv instanceof Uint8Array &&
		record.iv.length === IV_BYTES &&
		record.wrapped instanceof Uint8Array &&
		record.wrapped.length === Size.key + GCM_TAG_BYTES
	);
}

function checkRecord(value: unknown): WrappedKeyRecord | undefined {
	if (value === undefined) return undefined;
	if (!isWrappedKeyRecord(value)) throw new Error('the stored storage key record is malformed');
	return value;
}

function openKeyDatabase(name: string): Promise<IDBDatabase> {
	return new Promise((resolve, reject) => {
		const request = indexedDB.open(name, VERSION);
		request.onupgradeneeded = () => {
			request.result.createObjectStore(STORE);
		};
		request.onsuccess = () => {
			const db = request.result;
			db.onversionchange = () => db.close();
			resolve(db);
		};
		request.onerror = () => reject(request.error);
	});
}

function readRecord(db: IDBDatabase): Promise<WrappedKeyRecord | undefined> {
	return new Promise((resolve, reject) => {
		const tx = db.transaction(STORE, 'readonly');
		const request = tx.objectStore(STORE).get(RECORD);
		tx.oncomplete = () => {
			try {
				resolve(checkRecord(request.result));
			} catch (error) {
				reject(error);
			}
		};
		tx.onabort = () => reject(tx.error);
	});
}

/**
 * Stores `candidate` unless a record is already there, and returns the record that is stored.
 * The check and the write share one readwrite transaction, which IndexedDB runs alone on the
 * store, so two racing tabs end up with the same key.
 */
function storeIfAbsent(db: IDBDatabase, candidate: WrappedKeyRecord): Promise<WrappedKeyRecord> {
	return new Promise((resolve, reject) => {
		const tx = db.transaction(STORE, 'readwrite', { durability: 'strict' });
		const store = tx.objectStore(STORE);
		let stored: WrappedKeyRecord | undefined;
		let failure: unknown;

		const existing = store.get(RECORD);
		existing.onsuccess = () => {
			try {
				stored = checkRecord(existing.result);
				if (stored === undefined) {
					store.add(candidate, RECORD);
					stored = candidate;
				}
			} catch (error) {
				failure = error;
				tx.abort();
			}
		};

		tx.oncomplete = () => (stored ? resolve(stored) : reject(new Error('storage key not stored')));
		tx.onabort = () => reject(failure ?? tx.error);
	});
}
