import type { AppPhase, LockSettings, VaultHandle, VaultOutcome } from './types.js';

/** What the fake vault needs from its app. */
export interface FakeVaultHost {
	setPhase(phase: AppPhase): void;
	/** The phase to go to once unlocked ('ready' with a profile, else 'onboarding'). */
	unlockedPhase(): AppPhase;
	wait(): Promise<void>;
}

/** The demo passphrase of the `locked` scenario. */
export const FAKE_PASSPHRASE = 'demo passphrase for tend';

const FAKE_RECOVERY_KEY = 'DEMO-0000-1111-2222-3333-4444-5555-6666';

/**
 * An in-memory vault for the fake app: the same surface and phases as the real one, with no
 * crypto. Strength is a length check only (the real estimator loads large dictionaries).
 */
export class FakeVault implements VaultHandle {
	hasUnprotectedData = $state(false);
	passkeyEnrolled = $state(false);
	passkeySupport = $state<VaultHandle['passkeySupport']>('no-prf');
	passkeyRequired = $state(false);
	retryAt = $state(0);
	recoveryKeyToShow = $state<string | undefined>(undefined);
	lockReason = $state<VaultHandle['lockReason']>(undefined);
	settings = $state<LockSettings>({ lockAfterMinutes: 5, backgroundLockMinutes: 2, wipeAfter: 0 });
	busy = $state(false);

	#host: FakeVaultHost;
	#passphrase: string;
	#failures = 0;

	constructor(host: FakeVaultHost, passphrase = FAKE_PASSPHRASE) {
		this.#host = host;
		this.#passphrase = passphrase;
	}

	async setUp(passphrase: string): Promise<VaultOutcome> {
		if (passphrase.length < 10) return { ok: false, code: 'weak' };
		await this.#busy();
		this.#passphrase = passphrase;
		this.recoveryKeyToShow = FAKE_RECOVERY_KEY;
		this.#host.setPhase(this.#host.unlockedPhase());
		return { ok: true };
	}

	async unlock(passphrase: string): Promise<VaultOutcome> {
		if (this.retryAt > Date.now()) return { ok: false, code: 'wait', retryAt: this.retryAt };
		await this.#busy();
		if (passphrase !== this.#passphrase) {
			this.#failures++;
			if (this.#failures > 3) this.retryAt = Date.now() + 5000 * 2 ** (this.#failures - 4);
			return { ok: false, code: 'wrong', retryAt: this.retryAt || undefined };
		}
		this.#failures = 0;
		this.#host.setPhase(this.#host.unlockedPhase());
		return { ok: true };
	}

	async recover(recoveryKey: string, newPassphrase: string): Promise<VaultOutcome> {
		if (recoveryKey.replace(/[\s-]/g, '').toUpperCase() !== FAKE_RECOVERY_KEY.replace(/-/g, '')) {
			return { ok: false, code: 'wrong' };
		}
		this.#passphrase = newPassphrase;
		this.passkeyEnrolled = false;
		return this.unlock(newPassphrase);
	}

	lock(): void {
		this.lockReason = 'manual';
		this.#host.setPhase('locked');
	}

	acknowledgeRecoveryKey(): void {
		this.recoveryKeyToShow = undefined;
	}

	async changePassphrase(current: string, next: string): Promise<VaultOutcome> {
		if (current !== this.#passphrase) return { ok: false, code: 'wrong' };
		if (next.length < 10) return { ok: false, code: 'weak' };
		await this.#busy();
		this.#passphrase = next;
		return { ok: true };
	}

	async newRecoveryKey(passphrase: string): Promise<VaultOutcome> {
		if (passphrase !== this.#passphrase) return { ok: false, code: 'wrong' };
		this.recoveryKeyToShow = FAKE_RECOVERY_KEY;
		return { ok: true };
	}

	async addPasskey(): Promise<VaultOutcome> {
		return { ok: false, code: 'passkey-no-prf' };
	}

	async removePasskey(passphrase: string): Promise<VaultOutcome> {
		if (passphrase !== this.#passphrase) return { ok: false, code: 'wrong' };
		this.passkeyEnrolled = false;
		return { ok: true };
	}

	async saveSettings(settings: LockSettings): Promise<void> {
		this.settings = { ...settings };
	}

	async #busy(): Promise<void> {
		this.busy = true;
		try {
			await this.#host.wait();
		} finally {
			this.busy = false;
		}
	}
}
