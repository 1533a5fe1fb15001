import { describe, expect, it } from 'vitest';
import { backoffDelayMs, nextAttemptAt } from '../../../src/lib/vault/backoff.js';

describe('unlock backoff', () => {
	it('lets three attempts through, then waits 5 s, doubling, up to 15 minutes', () => {
		const delays = [0, 1, 2, 3, 4, 5, 6, 7, 20, 1000].map(backoffDelayMs);

		expect(delays).toEqual([0, 0, 0, 0, 5_000, 10_000, 20_000, 40_000, 900_000, 900_000]);
	});

	it('counts the wait from the last failure', () => {
		const state = { failures: 5, lastFailureAt: 1_000_000 };

		expect(nextAttemptAt(state, 1_000_000)).toBe(1_010_000);
		expect(nextAttemptAt(state, 1_009_999)).toBe(1_010_000);
		expect(nextAttemptAt(state, 1_010_000)).toBe(0);
		expect(nextAttemptAt({ failures: 2, lastFailureAt: 1_000_000 }, 1_000_000)).toBe(0);
	});

	it('a clock set back never stretches the wait beyond one delay from now', () => {
		const state = { failures: 5, lastFailureAt: 10_000_000 };

		expect(nextAttemptAt(state, 1_000)).toBe(11_000);
	});
});
