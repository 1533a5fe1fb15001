import {
	fetchProgress,
	searchCoverage,
	type PeriodHoldings
} from '../model/periodCoverage.js';
import type { SearchCoverageView, SearchFetchState } from './types.js';

/** What {@link SearchCoverage} needs from the app. */
export interface SearchCoverageHost {
	/** The conversations search reads whose periods can be fetched, and what this device holds. */
	holdings(): Iterable<[string, PeriodHoldings]>;
	/** This tab fetches: it keeps the connection and holds the periods (the leader). */
	canFetch(): boolean;
	/** Holds period `n` of a conversation: persisted, and synced by the engine. */
	hold(conversation: string, n: number): Promise<void>;
	/** Period `n` is held and has read its log up to where the relay said it ended. */
	ready(conversation: string, n: number): boolean;
	online(): boolean;
}

/**
 * What search covers on this device, and the fetch of what it doesn't
 * ({@link SearchCoverageView}). The app calls {@link SearchCoverage.update} whenever documents,
 * periods or the connection change; a fetch holds the missing periods one after the other (a
 * local step: the engine then catches each one up from the relay) and counts a conversation as
 * done only once every period fetched for it has caught up, so "done" means search finds them.
 */
export class SearchCoverage implements SearchCoverageView {
	missing = $state(0);
	fetch = $state.raw<SearchFetchState | undefined>(undefined);
	canFetch = $state(false);
	readonly #host: SearchCoverageHost;
	/** The fetch under way: the periods it holds, per conversation (newest first). */
	#task: Map<string, number[]> | undefined;
	/** Moves on at each {@link reset}, so a fetch from before a lock stops holding periods. */
	#generation = 0;

	constructor(host: SearchCoverageHost) {
		this.#host = host;
	}

	/** Reads again what the device holds, and how far the fetch has come. */
	update(): void {
		this.canFetch = this.#host.canFetch();
		this.missing = searchCoverage(this.#host.holdings()).incomplete.size;
		const task = this.#task;
		if (!task) return;
		const { done, total } = fetchProgress(task, (id, n) => this.#host.ready(id, n));
		if (done < total) {
			this.fetch = { state: 'running', done, total, waiting: !this.#host.online() };
			return;
		}
		this.#task = undefined;
		this.fetch = { state: 'done', total };
	}

	fetchAll(): void {
		if (this.#task || !this.#host.canFetch()) return;
		const { incomplete } = searchCoverage(this.#host.holdings());
		if (incomplete.size === 0) return;
		const task = new Map([...incomplete].map(([id, periods]) => [id, [...periods]]));
		this.#task = task;
		this.update();
		void this.#holdAll(task, this.#generation);
	}

	async #holdAll(task: Map<string, number[]>, generation: number): Promise<void> {
		for (const [id, periods] of task) {
			for (const n of [...periods]) {
				if (generation !== this.#generation) return;
				try {
					await this.#host.hold(id, n);
				} catch {
					// Not held (the store refused it): it is still missing, and the notice says so.
					periods.splice(periods.indexOf(n), 1);
				}
				if (generation !== this.#generation) return;
				this.update();
			}
		}
	}

	/** Forgets the fetch and what was counted (a lock, or a restart as the leader tab). */
	reset(): void {
		this.#generation++;
		this.#task = undefined;
		this.fetch = undefined;
		this.missing = 0;
		this.canFetch = false;
	}
}
