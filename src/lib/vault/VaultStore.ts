import type { FailureState } from './backoff.js';
import { parseVaultRecord, type VaultRecord } from './vaultRecord.js';

/**
 * Something that happened while the app was locked, kept (without any secret: no passphrase,
 * no key, no name) until the next unlock hands it to the audit trail.
 */
export interface LockedEvent {
	kind: 'unlock-failed';
	/** ms since the epoch. */
	at: number;
	/** What was tried. */
	method: 'passphrase' | 'recovery-key';
}

/** Lock settings. Stored in the clear: they are needed before unlocking and hold no secret. */
export interface VaultPolicy {
	/** Lock after this long without a touch, key or click in any tab (ms). */
	lockAfterMs: number;
	/** Lock when no tab has been visible for this long (ms). */
	backgroundLockMs: number;
	/** Erase this device's data after this many failed unlocks in a row; 0 = never. */
	wipeAfter: number;
	/**
	 * The practice requires a passkey as second factor for this person's role.
	 * Meant to follow the practice's role settings (issue 7); today it is only a local flag (`setPasskeyRequired`), and the settings ask to add a passkey when it is set.
	 */
	passkeyRequired: boolean;
}

export const DEFAULT_POLICY: VaultPolicy = {
	lockAfterMs: 5 * 60_000,
	backgroundLockMs: 2 * 60_000,
	wipeAfter: 0,
	passkeyRequired: false
};

/** Persisted state that changes at every attempt and lock. */
export interface VaultState extends FailureState {
	/**
	 * Raised by every lock. A tab answers another tab's request for the storage key only if the
	 * generation it unlocked under is still the current one, so a lock can't be undone by a tab
	 * that hasn't heard of it yet.
	 */
	generation: number;
	/** Events waiting for the audit trail (at most {@link MAX_EVENTS}, oldest dropped first). */
	events: LockedEvent[];
	/** Events dropped because the queue was full (reported with the rest). */
	dropped: number;
}

export const MAX_EVENTS = 200;

export const EMPTY_STATE: VaultState = {
	failures: 0,
	lastFailureAt: 0,
	generation: 0,
	events: [],
	dropped: 0
};

/** Where the vault keeps its record, state and policy (STYLE.md §10: storage behind an interface). */
export interface VaultStore {
	loadRecord(): Promise<VaultRecord | undefined>;
	saveRecord(record: VaultRecord): Promise<void>;
	loadState(): Promise<VaultState>;
	/** Read-modify-write of the state in one transaction (two tabs may fail at once). */
	updateState(change: (state: VaultState) => VaultState): Promise<VaultState>;
	loadPolicy(): Promise<VaultPolicy>;
	savePolicy(policy: VaultPolicy): Promise<void>;
	/** Deletes everything this store holds. */
	destroy(): Promise<void>;
}

const STORE = 'vault';
const RECORD = 'record';
const STATE = 'state';
const POLICY = 'policy';

/** {@link VaultStore} on its own IndexedDB database (default `tend-vault`). */
export class IndexedDBVaultStore implements VaultStore {
	readonly name: string;

	constructor(name = 'tend-vault') {
		this.name = name;
	}

	async loadRecord(): Promise<VaultRecord | undefined> {
		const value = await this.#get(RECORD);
		return value === undefined ? undefined : parseVaultRecord(value);
	}

	saveRecord(record: VaultRecord): Promise<void> {
		return this.#transact((store) => store.put(parseVaultRecord(record), RECORD));
	}

	async loadState(): Promise<VaultState> {
		return checkState(await this.#get(STATE));
	}

	async updateState(change: (state: VaultState) => VaultState): Promise<VaultState> {
		let next: VaultState = EMPTY_STATE;
		await this.#transact((store) => {
			const request = store.get(STATE);
			request.onsuccess = () => {
				next = change(checkState(request.result));
				store.put(next, STATE);
			};
		});
		return next;
	}

	async loadPolicy(): Promise<VaultPolicy> {
		return checkPolicy(await this.#get(POLICY));
	}

	savePolicy(policy: VaultPolicy): Promise<void> {
		return this.#transact((store) => store.put(checkPolicy(policy), POLICY));
	}

	destroy(): Promise<void> {
		return deleteDatabase(this.name);
	}

	async #get(key: string): Promise<unknown> {
		let request: IDBRequest | undefined;
		await this.#transact((store) => {
			request = store.get(key);
		}, 'readonly');
		return request?.result;
	}

	async #transact(
		body: (store: IDBObjectStore) => void,
		mode: IDBTransactionMode = 'readwrite'
	): Promise<void> {
		const db = await openDatabase(this.name);
		try {
			await new Promise<void>((resolve, reject) => {
				const options: IDBTransactionOptions = mode === 'readwrite' ? { durability: 'strict' } : {};
				const tx = db.transaction(STORE, mode, options);
				tx.oncomplete = () => resolve();
				tx.onabort = () => reject(tx.error ?? new Error('vault transaction aborted'));
				try {
					body(tx.objectStore(STORE));
				} catch (error) {
					reject(error);
					tx.abort();
				}
			});
		} finally {
			db.close();
		}
	}
}

/** {@link VaultStore} in memory, for tests. */
export class MemoryVaultStore implements VaultStore {
	record: VaultRecord | undefined;
	state: VaultState = EMPTY_STATE;
	policy: VaultPolicy = DEFAULT_POLICY;

	async loadRecord() {
		return this.record && parseVaultRecord(structuredClone(this.record));
	}
	async saveRecord(record: VaultRecord) {
		this.record = structuredClone(parseVaultRecord(record));
	}
	async loadState() {
		return structuredClone(this.state);
	}
	async updateState(change: (state: VaultState) => VaultState) {
		this.state = checkState(change(structuredClone(this.state)));
		return structuredClone(this.state);
	}
	async loadPolicy() {
		return { ...this.policy };
	}
	async savePolicy(policy: VaultPolicy) {
		this.policy = checkPolicy(policy);
	}
	async destroy() {
		this.record = undefined;
		this.state = EMPTY_STATE;
		this.policy = DEFAULT_POLICY;
	}
}

function checkState(value: unknown): VaultState {
	const state = (value ?? {}) as Partial<VaultState>;
	const count = (n: unknown) => (Number.isSafeInteger(n) && (n as number) >= 0 ? (n as number) : 0);
	const events = Array.isArray(state.events)
		? state.events.filter(
				(e): e is LockedEvent =>
					e?.kind === 'unlock-failed' &&
					Number.isFinite(e.at) &&
					(e.method === 'passphrase' || e.method === 'recovery-key')
			)
		: [];
	return {
		failures: count(state.failures),
		lastFailureAt: count(state.lastFailureAt),
		generation: count(state.generation),
		events: events.slice(-MAX_EVENTS),
		dropped: count(state.dropped)
	};
}

function checkPolicy(value: unknown): VaultPolicy {
	const policy = (value ?? {}) as Partial<VaultPolicy>;
	const ms = (n: unknown, fallback: number) =>
		Number.isSafeInteger(n) && (n as number) >= 1000 ? (n as number) : fallback;
	return {
		lockAfterMs: ms(policy.lockAfterMs, DEFAULT_POLICY.lockAfterMs),
		backgroundLockMs: ms(policy.backgroundLockMs, DEFAULT_POLICY.backgroundLockMs),
		wipeAfter:
			Number.isSafeInteger(policy.wipeAfter) && policy.wipeAfter! >= 0 ? policy.wipeAfter! : 0,
		passkeyRequired: policy.passkeyRequired === true
	};
}

function openDatabase(name: string): Promise<IDBDatabase> {
	return new Promise((resolve, reject) => {
		const request = indexedDB.open(name, 1);
		request.onupgradeneeded = () => request.result.createObjectStore(STORE);
		request.onsuccess = () => {
			const db = request.result;
			db.onversionchange = () => db.close();
			resolve(db);
		};
		request.onerror = () => reject(request.error);
	});
}

/** Deletes an IndexedDB database; resolves once it is gone (other tabs' connections close). */
export function deleteDatabase(name: string): Promise<void> {
	return new Promise((resolve, reject) => {
		const request = indexedDB.deleteDatabase(name);
		request.onsuccess = () => resolve();
		request.onerror = () => reject(request.error);
		request.onblocked = () => {
			// Another connection hasn't closed yet; it will on `versionchange`, then this succeeds.
		};
	});
}
