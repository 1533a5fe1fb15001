/**
 * How long to wait before the next unlock attempt after `failures` failed ones: the first three
 * are free (typos happen to tired people), then 5 s, doubling with every further failure, up to
 * 15 minutes. At the cap a guesser gets ~100 tries a day on the device itself; an attacker who
 * copied the storage skips this and pays Argon2id per guess instead (docs/security.md).
 */
export function backoffDelayMs(failures: number): number {
	const FREE = 3;
	const FIRST_MS = 5_000;
	const MAX_MS = 15 * 60_000;
	if (failures <= FREE) return 0;
	return Math.min(MAX_MS, FIRST_MS * 2 ** Math.min(20, failures - FREE - 1));
}

/** Failed unlocks so far, as persisted (survives reloads and restarts). */
export interface FailureState {
	failures: number;
	/** ms since the epoch of the last failure; 0 when none. */
	lastFailureAt: number;
}

/**
 * When the next attempt may start (ms since the epoch), or 0 when it may start now.
 *
 * @remarks A clock set back must not lock someone out for a century, nor let them skip the
 * wait: the wait is counted from `lastFailureAt`, and never exceeds one full delay from now.
 */
export function nextAttemptAt(state: FailureState, now: number): number {
	const delay = backoffDelayMs(state.failures);
	if (delay === 0) return 0;
	const at = Math.min(state.lastFailureAt + delay, now + delay);
	return at > now ? at : 0;
}
