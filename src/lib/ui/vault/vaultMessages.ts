import type { VaultFailure } from '$lib/app/types.js';

/** Messages a vault form shows under its fields (none takes parameters). */
export type VaultMessageKey =
	| 'vault.wrong'
	| 'vault.waitShort'
	| 'vault.wiped'
	| 'vault.malformed'
	| 'vault.weak'
	| 'vault.mismatch'
	| 'vault.passkeyCancelled'
	| 'vault.passkeyNoPrf'
	| 'vault.passkeyUnavailable'
	| 'vault.failed';

/** The message for a failed vault action (the wait message needs a time and is built apart). */
export function failureMessage(code: VaultFailure): VaultMessageKey {
	switch (code) {
		case 'wrong':
			return 'vault.wrong';
		case 'wait':
			return 'vault.waitShort';
		case 'wiped':
			return 'vault.wiped';
		case 'malformed':
			return 'vault.malformed';
		case 'weak':
			return 'vault.weak';
		case 'passkey-cancelled':
			return 'vault.passkeyCancelled';
		case 'passkey-no-prf':
			return 'vault.passkeyNoPrf';
		case 'passkey-unavailable':
			return 'vault.passkeyUnavailable';
		case 'no-vault':
			return 'vault.failed';
	}
}

/**
 * Checks two new-passphrase fields before anything slow runs; returns a message key or
 * undefined. Strength is judged by the vault itself (the meter's rating may be a keystroke old).
 */
export function checkNewPassphrase(passphrase: string, confirm: string): VaultMessageKey | undefined {
	if (passphrase !== confirm) return 'vault.mismatch';
	if (!passphrase) return 'vault.weak';
	return undefined;
}
