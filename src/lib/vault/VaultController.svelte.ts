import { randomBytes, wipe } from '../crypto/primitives.js';
import { EncryptedStorageAdapter } from '../storage/EncryptedStorageAdapter.js';
import { IndexedDBBackend } from '../storage/IndexedDBBackend.js';
import { deleteLegacyKeyDatabase, loadLegacyStorageKey } from '../storage/storageKey.js';
import type { LockSettings, VaultFailure, VaultHandle, VaultOutcome } from '../app/types.js';
import { calibrateArgon2 } from './argon2.js';
import { handOverLockedEvents } from './lockedEvents.js';
import {
	createPasskey,
	detectPasskeySupport,
	evaluatePasskey,
	type PasskeyError,
	type PasskeySupport
} from './passkey.js';
import { estimateStrength } from './passphraseStrength.js';
import { Vault, type UnlockResult } from './Vault.js';
import type { PassphraseFactors, VaultRecord } from './vaultRecord.js';
import { VaultTabs, type LockReason } from './VaultTabs.js';
import { DEFAULT_POLICY, deleteDatabase, IndexedDBVaultStore, type VaultPolicy } from './VaultStore.js';

/** IndexedDB databases of this app: the documents, the vault, and the interim key (pre-vault). */
export const DATA_DB = 'tend';
export const VAULT_DB = 'tend-vault';
export const LEGACY_KEY_DB = 'tend-keys';

/** Survives the reload that ends a lock (it holds no secret), so the lock screen can say why. */
const LOCK_REASON_KEY = 'tend-lock-reason';

/** What the vault needs from the app that owns it. */
export interface VaultHost {
	/** The app waits for a passphrase (`setup`) or on the lock screen (`locked`). */
	showPhase(phase: 'setup' | 'locked'): void;
	/**
	 * Opens storage with this key and runs the app; the controller keeps its own copy.
	 * `method` says how it was unlocked, for the audit trail's sign-in record.
	 */
	open(storageKey: Uint8Array, method: UnlockMethod): Promise<void>;
	/**
	 * Shuts the app down for a lock: hides everything, stops the Repo and the sync, leaves the
	 * BroadcastChannels, drops keys. The controller reloads the page afterwards (rule 17).
	 */
	shutdown(reason: LockReason): Promise<void>;
}

/** How this tab got the storage key. */
export type UnlockMethod = 'setup' | 'passphrase' | 'passkey' | 'recovery-key' | 'other-tab';

/**
 * The vault as the app runs it: setup, unlock, lock (every tab, then a reload), the automatic
 * lock timers, the passkey, the recovery key and the lock settings.
 */
export class VaultController implements VaultHandle {
	hasUnprotectedData = $state(false);
	passkeyEnrolled = $state(false);
	passkeySupport = $state<PasskeySupport>('unknown');
	passkeyRequired = $state(false);
	retryAt = $state(0);
	recoveryKeyToShow = $state<string | undefined>(undefined);
	lockReason = $state<LockReason | undefined>(undefined);
	settings = $state<LockSettings>(toSettings(DEFAULT_POLICY));
	busy = $state(false);

	readonly #host: VaultHost;
	readonly #store = new IndexedDBVaultStore(VAULT_DB);
	readonly #vault: Vault;
	readonly #tabs: VaultTabs;
	/** The storage key while unlocked; wiped by a lock. */
	#key: Uint8Array | undefined;
	#policy: VaultPolicy = DEFAULT_POLICY;
	#locking = false;
	#opening = false;

	constructor(host: VaultHost) {
		this.#host = host;
		this.#vault = new Vault({ store: this.#store, wipe: () => wipeDevice() });
		this.#tabs = new VaultTabs({
			store: this.#store,
			onLock: (reason) => void this.#lockHere(reason),
			onUnlockedElsewhere: () => void this.#joinOtherTab()
		});
	}

	/** Decides between setup, the lock screen, and the key of a tab that is already unlocked. */
	async start(): Promise<void> {
		this.lockReason = takeLockReason();
		this.#policy = await this.#store.loadPolicy();
		this.settings = toSettings(this.#policy);
		this.passkeyRequired = this.#policy.passkeyRequired;
		this.passkeySupport = await detectPasskeySupport();
		const record = await this.#vault.record();
		if (!record) {
			this.hasUnprotectedData = (await loadLegacyStorageKey(LEGACY_KEY_DB).catch(() => undefined)) !== undefined;
			this.#host.showPhase('setup');
			return;
		}
		this.passkeyEnrolled = record.passkey !== undefined;
		if (await this.#joinOtherTab()) return;
		this.retryAt = await this.#vault.retryAt();
		this.#host.showPhase('locked');
	}

	// ----- Setup and unlock ------------------------------------------------------------------

	async setUp(passphrase: string): Promise<VaultOutcome> {
		if (!(await estimateStrength(passphrase)).acceptable) return { ok: false, code: 'weak' };
		return this.#busy(async () => {
			const storageKey = randomBytes(32);
			const create = async () => {
				if (await this.#vault.record()) return undefined;
				return this.#vault.create(storageKey, { passphrase }, calibrateArgon2());
			};
			// One tab at a time: two tabs on the setup screen must not both create a vault.
			const locks = globalThis.navigator?.locks;
			const created = locks ? await locks.request('tend-vault-setup', create) : await create();
			if (created === undefined) {
				// Another tab set the vault up meanwhile: unlock it like any other.
				wipe(storageKey);
				this.#host.showPhase('locked');
				return { ok: false, code: 'wrong' };
			}
			this.recoveryKeyToShow = created;
			await this.#opened(storageKey, 'setup');
			return { ok: true };
		});
	}

	async unlock(passphrase: string): Promise<VaultOutcome> {
		return this.#busy(async () => {
			const record = await this.#vault.record();
			if (!record) return { ok: false, code: 'no-vault' };
			const factors: PassphraseFactors = { passphrase };
			if (record.passkey) {
				const prf = await evaluatePasskey(record.passkey);
				if (!(prf instanceof Uint8Array)) return { ok: false, code: passkeyCode(prf) };
				factors.prf = prf;
			}
			await nextFrame();
			const method = factors.prf ? 'passkey' : 'passphrase';
			return this.#afterAttempt(await this.#vault.unlock(factors), method);
		});
	}

	async recover(recoveryKey: string, newPassphrase: string): Promise<VaultOutcome> {
		if (!(await estimateStrength(newPassphrase)).acceptable) return { ok: false, code: 'weak' };
		return this.#busy(async () => {
			const result = await this.#vault.unlockWithRecoveryKey(recoveryKey);
			if (!result.ok) return this.#afterAttempt(result, 'recovery-key');
			await this.#vault.resetPassphrase(result.storageKey, { passphrase: newPassphrase }, calibrateArgon2());
			this.passkeyEnrolled = false;
			return this.#afterAttempt(result, 'recovery-key');
		});
	}

	acknowledgeRecoveryKey(): void {
		this.recoveryKeyToShow = undefined;
	}

	async #afterAttempt(result: UnlockResult, method: UnlockMethod): Promise<VaultOutcome> {
		if (result.ok) {
			await this.#opened(result.storageKey, method);
			return { ok: true };
		}
		if (result.code === 'wiped') {
			location.reload();
			return { ok: false, code: 'wiped' };
		}
		this.retryAt = result.retryAt ?? (await this.#vault.retryAt());
		return { ok: false, code: result.code, retryAt: this.retryAt || undefined };
	}

	/** Asks unlocked tabs for the key; opens with it if one answers. */
	async #joinOtherTab(): Promise<boolean> {
		if (this.#key || this.#opening || this.#locking) return false;
		const answer = await this.#tabs.requestKey();
		if (!answer || this.#key || this.#locking) return false;
		await this.#opened(answer.key, 'other-tab', answer.generation);
		return true;
	}

	/** Keeps the key, finishes a pending migration, hands over queued events and runs the app. */
	async #opened(
		storageKey: Uint8Array,
		method: UnlockMethod,
		generation?: number
	): Promise<void> {
		const announce = method !== 'other-tab';
		this.#opening = true;
		try {
			this.#key = storageKey;
			this.retryAt = 0;
			await resealLegacyData(storageKey);
			this.hasUnprotectedData = false;
			const record = await this.#vault.record();
			this.passkeyEnrolled = record?.passkey !== undefined;
			const gen = generation ?? (await this.#store.loadState()).generation;
			this.#tabs.startSession(storageKey, gen, this.#policy, announce);
			await handOverLockedEvents(await this.#vault.takeLockedEvents());
			await this.#host.open(storageKey.slice(), method);
		} finally {
			this.#opening = false;
		}
	}

	// ----- Locking ---------------------------------------------------------------------------

	lock(): void {
		void this.#lockHere('manual');
	}

	/**
	 * Locks this tab: the screen empties at once, every other tab is told (when this tab
	 * started it), the app shuts down, the key is wiped, and the page reloads so the
	 * WebAssembly memory that held plaintext is discarded (SECURITY-RULES.md rule 17).
	 */
	async #lockHere(reason: LockReason): Promise<void> {
		if (this.#locking) return;
		this.#locking = true;
		this.lockReason = reason;
		this.#host.showPhase('locked');
		try {
			if (reason !== 'other-tab') await this.#tabs.lockAll();
			await withTimeout(this.#host.shutdown(reason), 3000);
		} finally {
			if (this.#key) wipe(this.#key);
			this.#key = undefined;
			this.#tabs.close();
			rememberLockReason(reason);
			location.reload();
		}
	}

	/** Activity in this tab (the app calls it for its own events too, e.g. typing). */
	activity(): void {
		this.#tabs.activity();
	}

	// ----- Changes while unlocked -------------------------------------------------------------

	async changePassphrase(current: string, next: string): Promise<VaultOutcome> {
		if (!(await estimateStrength(next)).acceptable) return { ok: false, code: 'weak' };
		return this.#withCurrentFactors(current, async (key, factors, record) =>
			this.#vault.changePassphrase(
				key,
				factors,
				{ passphrase: next, prf: factors.prf },
				calibrateArgon2(),
				record.passkey
			)
		);
	}

	async newRecoveryKey(passphrase: string): Promise<VaultOutcome> {
		return this.#withCurrentFactors(passphrase, async (key, factors) => {
			const check = await this.#vault.unlock(factors);
			if (!check.ok) return check;
			wipe(check.storageKey);
			this.recoveryKeyToShow = await this.#vault.newRecoveryKey(key);
			return { ok: true };
		});
	}

	async addPasskey(passphrase: string): Promise<VaultOutcome> {
		return this.#withCurrentFactors(passphrase, async (key, factors) => {
			const check = await this.#vault.unlock(factors);
			if (!check.ok) return check;
			wipe(check.storageKey);
			const made = await createPasskey();
			if (!made.ok) {
				if (made.error === 'no-prf') this.passkeySupport = 'no-prf';
				return { ok: false, code: passkeyCode(made.error) };
			}
			this.passkeySupport = 'prf';
			await this.#vault.resetPassphrase(key, { passphrase, prf: made.prf }, calibrateArgon2(), made.slot);
			this.passkeyEnrolled = true;
			return { ok: true };
		});
	}

	async removePasskey(passphrase: string): Promise<VaultOutcome> {
		return this.#withCurrentFactors(passphrase, async (key, factors) => {
			const check = await this.#vault.unlock(factors);
			if (!check.ok) return check;
			wipe(check.storageKey);
			await this.#vault.resetPassphrase(key, { passphrase }, calibrateArgon2());
			this.passkeyEnrolled = false;
			return { ok: true };
		});
	}

	async saveSettings(settings: LockSettings): Promise<void> {
		const policy: VaultPolicy = {
			...this.#policy,
			lockAfterMs: Math.round(settings.lockAfterMinutes * 60_000),
			backgroundLockMs: Math.round(settings.backgroundLockMinutes * 60_000),
			wipeAfter: Math.max(0, Math.floor(settings.wipeAfter))
		};
		await this.#store.savePolicy(policy);
		this.#policy = await this.#store.loadPolicy();
		this.settings = toSettings(this.#policy);
		this.#tabs.setPolicy(this.#policy);
	}

	/**
	 * The practice's requirement of a passkey for this person's role (issue 7): the practice
	 * controller calls this when the directory's setting for the person's role changes
	 * (src/lib/app/PracticeController.svelte.ts). It asks; unlocking without a passkey still works.
	 */
	async setPasskeyRequired(required: boolean): Promise<void> {
		this.#policy = { ...this.#policy, passkeyRequired: required };
		await this.#store.savePolicy(this.#policy);
		this.passkeyRequired = required;
	}

	/**
	 * Runs a change that needs the current factors: the passkey's PRF output is fetched first
	 * when one is enrolled. `change` gets the storage key in use.
	 */
	async #withCurrentFactors(
		passphrase: string,
		change: (key: Uint8Array, factors: PassphraseFactors, record: VaultRecord) => Promise<Attempt>
	): Promise<VaultOutcome> {
		const key = this.#key;
		const record = await this.#vault.record();
		if (!key || !record) return { ok: false, code: 'no-vault' };
		return this.#busy(async () => {
			const factors: PassphraseFactors = { passphrase };
			if (record.passkey) {
				const prf = await evaluatePasskey(record.passkey);
				if (!(prf instanceof Uint8Array)) return { ok: false, code: passkeyCode(prf) };
				factors.prf = prf;
			}
			await nextFrame();
			const result = await change(key, factors, record);
			if (result.ok) return { ok: true };
			if (result.code === 'wiped') location.reload();
			this.retryAt = result.retryAt ?? 0;
			return { ok: false, code: result.code, retryAt: result.retryAt };
		});
	}

	async #busy<T>(task: () => Promise<T>): Promise<T> {
		this.busy = true;
		try {
			await nextFrame();
			return await task();
		} finally {
			this.busy = false;
		}
	}
}

/** An attempt's result: the vault's, or the controller's own (passkey, strength). */
type Attempt = UnlockResult | VaultOutcome;

function passkeyCode(error: PasskeyError): VaultFailure {
	return error === 'no-prf'
		? 'passkey-no-prf'
		: error === 'unavailable'
			? 'passkey-unavailable'
			: 'passkey-cancelled';
}

function toSettings(policy: VaultPolicy): LockSettings {
	return {
		lockAfterMinutes: policy.lockAfterMs / 60_000,
		backgroundLockMinutes: policy.backgroundLockMs / 60_000,
		wipeAfter: policy.wipeAfter
	};
}

/**
 * Moves data sealed under the interim WebCrypto-wrapped key (before the vault) under the vault's
 * key, then deletes the interim key. Runs at every unlock until that database is gone, so a
 * migration cut short by a crash finishes next time.
 */
async function resealLegacyData(storageKey: Uint8Array): Promise<void> {
	const legacy = await loadLegacyStorageKey(LEGACY_KEY_DB).catch(() => undefined);
	if (!legacy) return;
	const backend = new IndexedDBBackend(DATA_DB);
	try {
		await EncryptedStorageAdapter.rekey(backend, legacy, storageKey);
	} finally {
		backend.close();
		wipe(legacy);
	}
	await deleteLegacyKeyDatabase(LEGACY_KEY_DB);
}

/**
 * Erases everything this app keeps in the browser: documents, vault, interim key. The relay still
 * holds the ciphertext, for a re-sync once the person's other device or therapist re-admits
 * this one.
 */
export async function wipeDevice(): Promise<void> {
	for (const name of [DATA_DB, LEGACY_KEY_DB, VAULT_DB]) await deleteDatabase(name);
}

function rememberLockReason(reason: LockReason): void {
	try {
		sessionStorage.setItem(LOCK_REASON_KEY, reason);
	} catch {
		// Storage refused: the lock screen just doesn't say why.
	}
}

function takeLockReason(): LockReason | undefined {
	try {
		const value = sessionStorage.getItem(LOCK_REASON_KEY);
		sessionStorage.removeItem(LOCK_REASON_KEY);
		return value === 'manual' || value === 'inactive' || value === 'background' || value === 'other-tab'
			? value
			: undefined;
	} catch {
		return undefined;
	}
}

/** Lets the browser paint ("Unlocking…") before Argon2id blocks the thread for half a second. */
function nextFrame(): Promise<void> {
	return new Promise((resolve) => setTimeout(resolve, 30));
}

async function withTimeout(promise: Promise<void>, ms: number): Promise<void> {
	let timer: ReturnType<typeof setTimeout> | undefined;
	await Promise.race([
		promise.catch(() => {}),
		new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)))
	]);
	clearTimeout(timer);
}

