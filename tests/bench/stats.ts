/**
 * Small numeric helpers for the benchmarks: percentiles, medians over repeated runs, and the
 * rounding used when figures are printed and stored.
 */

/** The `p`-th percentile (0–100) of `values` by nearest rank; NaN for an empty list. */
export function percentile(values: number[], p: number): number {
	if (values.length === 0) return Number.NaN;
	const sorted = Float64Array.from(values).sort();
	const rank = Math.ceil((p / 100) * sorted.length) - 1;
	return sorted[Math.min(sorted.length - 1, Math.max(0, rank))];
}

export function median(values: number[]): number {
	return percentile(values, 50);
}

/**
 * The run whose `key` is the median of all runs (the lower middle one for an even count).
 * Taking a whole run, not the median of each field separately, keeps its figures consistent
 * with each other: the throughput and latency printed come from the same run.
 */
export function medianBy<T>(runs: T[], key: (run: T) => number): T {
	if (runs.length === 0) throw new Error('no runs');
	const sorted = [...runs].sort((a, b) => key(a) - key(b));
	return sorted[Math.floor((sorted.length - 1) / 2)];
}

/** Rounds to `digits` significant digits, for printing and JSON (NaN stays NaN). */
export function round(value: number, digits = 3): number {
	if (!Number.isFinite(value) || value === 0) return value;
	const scale = 10 ** (digits - 1 - Math.floor(Math.log10(Math.abs(value))));
	return Math.round(value * scale) / scale;
}

/** Formats a figure for the table: thousands separators, 3 significant digits. */
export function formatNumber(value: number): string {
	if (!Number.isFinite(value)) return '–';
	const rounded = round(value);
	return Math.abs(rounded) >= 1000
		? Math.round(rounded).toLocaleString('en-US')
		: String(rounded);
}

/** Resolves after `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
	return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls `check` every `everyMs` until it holds; rejects after `timeoutMs` naming `what`. */
export async function waitUntil(
	check: () => boolean,
	timeoutMs: number,
	what: string,
	everyMs = 5
): Promise<void> {
	const deadline = performance.now() + timeoutMs;
	while (!check()) {
		if (performance.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms: ${what}`);
		await sleep(everyMs);
	}
}
