import { equalBytes } from '../protocol/bytes.js';
import { wipe } from '../crypto/primitives.js';
import type { Argon2Params } from './argon2.js';
import { nextAttemptAt } from './backoff.js';
import { formatRecoveryKey, generateRecoveryKey, parseRecoveryKey } from './recoveryKey.js';
import {
	createVaultRecord,
	rewrapPassphrase,
	rewrapRecovery,
	unwrapWithPassphrase,
	unwrapWithRecoveryKey,
	type PassphraseFactors,
	type PasskeySlot,
	type VaultRecord
} from './vaultRecord.js';
import { MAX_EVENTS, type LockedEvent, type VaultState, type VaultStore } from './VaultStore.js';

/** Why an attempt did not open the vault. */
export type UnlockFailure =
	/** Wrong passphrase, passkey or recovery key (the vault can't tell which factor was wrong). */
	| 'wrong'
	/** Too soon after earlier failures; `retryAt` says when. */
	| 'wait'
	/** The attempt reached the configured limit: this device's data was erased. */
	| 'wiped'
	/** There is no vault on this device. */
	| 'no-vault'
	/** The recovery key isn't 32 characters of the recovery alphabet. */
	| 'malformed';

export type UnlockResult =
	| { ok: true; storageKey: Uint8Array }
	| { ok: false; code: UnlockFailure; retryAt?: number; failures?: number };

export interface VaultParams {
	store: VaultStore;
	/** Erases this device's local data (every database); called when `wipeAfter` is reached. */
	wipe: () => Promise<void>;
	/** The clock, ms since the epoch (for tests). */
	now?: () => number;
}

/**
 * The storage key's vault: creates it, unlocks it with the passphrase (and passkey) or the
 * recovery key, re-wraps it for a new passphrase, passkey or recovery key, and counts failures
 * (persisted, with a growing wait and an optional wipe). It never holds the storage key itself:
 * every method that needs it takes it from the caller, who wipes it when the app locks.
 */
export class Vault {
	readonly #store: VaultStore;
	readonly #wipe: () => Promise<void>;
	readonly #now: () => number;

	constructor({ store, wipe: wipeData, now = Date.now }: VaultParams) {
		this.#store = store;
		this.#wipe = wipeData;
		this.#now = now;
	}

	get store(): VaultStore {
		return this.#store;
	}

	record(): Promise<VaultRecord | undefined> {
		return this.#store.loadRecord();
	}

	/**
	 * Creates the vault around `storageKey` and returns the recovery key, formatted to be shown
	 * once and printed. Refuses to replace an existing vault (that would orphan its data).
	 */
	async create(
		storageKey: Uint8Array,
		factors: PassphraseFactors,
		argon2: Argon2Params,
		passkey?: PasskeySlot
	): Promise<string> {
		if (await this.#store.loadRecord()) throw new Error('this device already has a vault');
		const recoveryKey = generateRecoveryKey();
		const record = createVaultRecord({ storageKey, factors, argon2, recoveryKey, passkey });
		await this.#store.saveRecord(record);
		return takeFormatted(recoveryKey);
	}

	/** When the next attempt may start (ms since the epoch), or 0 for now. */
	async retryAt(): Promise<number> {
		return nextAttemptAt(await this.#store.loadState(), this.#now());
	}

	/** Unlocks with the passphrase (and the passkey's PRF output when the vault has a passkey). */
	unlock(factors: PassphraseFactors): Promise<UnlockResult> {
		return this.#attempt('passphrase', (record) => unwrapWithPassphrase(record, factors));
	}

	/**
	 * Unlocks with the printed recovery key. The caller then sets a new passphrase with
	 * {@link resetPassphrase}: the person who needs the recovery key has usually forgotten it.
	 */
	unlockWithRecoveryKey(text: string): Promise<UnlockResult> {
		const recoveryKey = parseRecoveryKey(text);
		if (!recoveryKey) return Promise.resolve({ ok: false, code: 'malformed' });
		return this.#attempt('recovery-key', (record) => {
			try {
				return unwrapWithRecoveryKey(record, recoveryKey);
			} finally {
				wipe(recoveryKey);
			}
		});
	}

	/**
	 * A new passphrase (and passkey, or none) for a vault whose storage key the caller holds;
	 * used after a recovery-key unlock and by {@link changePassphrase}. Data is not re-encrypted.
	 */
	async resetPassphrase(
		storageKey: Uint8Array,
		factors: PassphraseFactors,
		argon2: Argon2Params,
		passkey?: PasskeySlot
	): Promise<void> {
		const record = await this.#require();
		await this.#store.saveRecord(rewrapPassphrase(record, storageKey, factors, argon2, passkey));
	}

	/**
	 * Re-wraps the storage key under `next` after checking `current` (which counts as an attempt:
	 * an unlocked device left alone must not become a free passphrase oracle).
	 */
	async changePassphrase(
		storageKey: Uint8Array,
		current: PassphraseFactors,
		next: PassphraseFactors,
		argon2: Argon2Params,
		passkey: PasskeySlot | undefined
	): Promise<UnlockResult> {
		const result = await this.unlock(current);
		if (!result.ok) return result;
		const same = equalBytes(result.storageKey, storageKey);
		wipe(result.storageKey);
		if (!same) throw new Error('the storage key in use is not this vault’s');
		await this.resetPassphrase(storageKey, next, argon2, passkey);
		return { ok: true, storageKey };
	}

	/** A new recovery key (shown once); the previous one stops working. */
	async newRecoveryKey(storageKey: Uint8Array): Promise<string> {
		const record = await this.#require();
		const recoveryKey = generateRecoveryKey();
		await this.#store.saveRecord(rewrapRecovery(record, storageKey, recoveryKey));
		return takeFormatted(recoveryKey);
	}

	/** Hands over the events queued while locked and empties the queue. */
	async takeLockedEvents(): Promise<{ events: LockedEvent[]; dropped: number }> {
		let taken: { events: LockedEvent[]; dropped: number } = { events: [], dropped: 0 };
		await this.#store.updateState((state) => {
			taken = { events: state.events, dropped: state.dropped };
			return { ...state, events: [], dropped: 0 };
		});
		return taken;
	}

	/** Counts the attempt, applies the wait and the wipe limit. */
	async #attempt(
		method: LockedEvent['method'],
		unwrap: (record: VaultRecord) => Uint8Array | undefined
	): Promise<UnlockResult> {
		const record = await this.#store.loadRecord();
		if (!record) return { ok: false, code: 'no-vault' };
		const retryAt = await this.retryAt();
		if (retryAt > 0) return { ok: false, code: 'wait', retryAt };

		const storageKey = unwrap(record);
		if (storageKey) {
			await this.#store.updateState((state) => ({ ...state, failures: 0, lastFailureAt: 0 }));
			return { ok: true, storageKey };
		}

		const at = this.#now();
		const state = await this.#store.updateState((s) => recordFailure(s, { kind: 'unlock-failed', at, method }));
		const { wipeAfter } = await this.#store.loadPolicy();
		if (wipeAfter > 0 && state.failures >= wipeAfter) {
			await this.#wipe();
			return { ok: false, code: 'wiped', failures: state.failures };
		}
		const next = nextAttemptAt(state, this.#now());
		return { ok: false, code: 'wrong', failures: state.failures, ...(next ? { retryAt: next } : {}) };
	}

	async #require(): Promise<VaultRecord> {
		const record = await this.#store.loadRecord();
		if (!record) throw new Error('there is no vault on this device');
		return record;
	}
}

function recordFailure(state: VaultState, event: LockedEvent): VaultState {
	const events = [...state.events, event];
	const dropped = state.dropped + Math.max(0, events.length - MAX_EVENTS);
	return {
		...state,
		failures: state.failures + 1,
		lastFailureAt: event.at,
		events: events.slice(-MAX_EVENTS),
		dropped
	};
}

function takeFormatted(recoveryKey: Uint8Array): string {
	const text = formatRecoveryKey(recoveryKey);
	wipe(recoveryKey);
	return text;
}
