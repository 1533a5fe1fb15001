/**
 * A token bucket: `burst` tokens to start with, refilled at `perSecond`. One per connection
 * limits how much work a single socket can ask of the relay (DESIGN.md, "What must always
 * hold" 6: a hostile client must not block other users).
 */
export class TokenBucket {
	#tokens: number;
	#last: number;

	constructor(
		readonly perSecond: number,
		readonly burst: number,
		/** Milliseconds from a monotonic clock; injectable for tests. */
		readonly now: () => number = () => performance.now()
	) {
		this.#tokens = burst;
		this.#last = now();
	}

	/** Takes one token; false when the bucket is empty. */
	take(): boolean {
		const now = this.now();
		const refill = ((now - this.#last) * this.perSecond) / 1000;
		this.#tokens = Math.min(this.burst, this.#tokens + refill);
		this.#last = now;
		if (this.#tokens < 1) return false;
		this.#tokens -= 1;
		return true;
	}
}
