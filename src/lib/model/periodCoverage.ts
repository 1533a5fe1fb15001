/**
 * What a device holds of long conversations' periods (rule 19), as search sees it: search reads
 * every period the device holds, so a period it doesn't hold is a part of the history search
 * can't find anything in. A device that joined late, was linked recently, or was away while
 * several periods filled holds only the newest ones until someone fetches the rest.
 */

/** What one device holds of one conversation's periods (`ConversationPeriods.known`/`held`). */
export interface PeriodHoldings {
	/** The highest period known to exist (0: the conversation has no period document). */
	known: number;
	/** Period numbers held (period 0, the conversation document, is always there). */
	held: readonly number[];
}

/**
 * Periods from 1 to `known` that the device doesn't hold, newest first: the order to fetch them
 * in, so that what is held stays one run down from the newest (what the message list shows).
 */
export function missingPeriods(holdings: PeriodHoldings): number[] {
	const held = new Set(holdings.held);
	const missing: number[] = [];
	for (let n = holdings.known; n >= 1; n--) if (!held.has(n)) missing.push(n);
	return missing;
}

/** What search covers over all conversations. */
export interface SearchCoverage {
	/** Conversations with periods this device doesn't hold, and those periods (newest first). */
	incomplete: Map<string, number[]>;
	/** How many periods that is in all. */
	periods: number;
}

/** Sums up {@link missingPeriods} over conversations (by id). */
export function searchCoverage(conversations: Iterable<[string, PeriodHoldings]>): SearchCoverage {
	const incomplete = new Map<string, number[]>();
	let periods = 0;
	for (const [id, holdings] of conversations) {
		const missing = missingPeriods(holdings);
		if (missing.length === 0) continue;
		incomplete.set(id, missing);
		periods += missing.length;
	}
	return { incomplete, periods };
}

/**
 * How far fetching periods for search has come: a conversation counts as done once every
 * period fetched for it is `ready` (held, and its log read up to where the relay said it ended),
 * so "done" means search finds what those periods hold, not just that they were asked for.
 */
export function fetchProgress(
	task: ReadonlyMap<string, readonly number[]>,
	ready: (conversation: string, n: number) => boolean
): { done: number; total: number } {
	let done = 0;
	for (const [id, periods] of task) if (periods.every((n) => ready(id, n))) done++;
	return { done, total: task.size };
}
