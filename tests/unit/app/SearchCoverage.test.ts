import { describe, expect, it } from 'vitest';
import { SearchCoverage, type SearchCoverageHost } from '../../../src/lib/app/SearchCoverage.svelte.js';
import type { PeriodHoldings } from '../../../src/lib/model/periodCoverage.js';

/**
 * The search page's view of what search covers and the fetch of the rest, over a stand-in for
 * the app: holding a period is immediate here; "ready" (caught up from the relay) is set by the
 * test, as the engine's caught-up event would.
 */

interface World {
	conversations: Map<string, { known: number; held: number[] }>;
	ready: Set<string>;
	holds: string[];
	online: boolean;
	leader: boolean;
	refuse: Set<string>;
}

function world(conversations: Record<string, PeriodHoldings>): { world: World; host: SearchCoverageHost } {
	const w: World = {
		conversations: new Map(Object.entries(conversations).map(([id, h]) => [id, { known: h.known, held: [...h.held] }])),
		ready: new Set(),
		holds: [],
		online: true,
		leader: true,
		refuse: new Set()
	};
	const host: SearchCoverageHost = {
		holdings: () => w.conversations,
		canFetch: () => w.leader,
		hold: async (id, n) => {
			await Promise.resolve();
			if (w.refuse.has(`${id}:${n}`)) throw new Error('the store refused');
			w.holds.push(`${id}:${n}`);
			w.conversations.get(id)!.held.push(n);
		},
		ready: (id, n) => w.ready.has(`${id}:${n}`),
		online: () => w.online
	};
	return { world: w, host };
}

/** Lets the fetch's holds (promise steps only) run to the end. */
const settle = () => new Promise((resolve) => setTimeout(resolve, 0));

describe('SearchCoverage', () => {
	it('counts the conversations with periods this device does not hold', () => {
		const { host } = world({
			late: { known: 4, held: [3, 4] },
			whole: { known: 2, held: [1, 2] },
			short: { known: 0, held: [] }
		});
		const coverage = new SearchCoverage(host);

		coverage.update();

		expect(coverage.missing).toBe(1);
		expect(coverage.canFetch).toBe(true);
		expect(coverage.fetch).toBeUndefined();
	});

	it('holds every missing period, newest first, and counts a conversation done only once they caught up', async () => {
		const { world: w, host } = world({
			late: { known: 4, held: [3, 4] },
			gap: { known: 6, held: [1, 2, 5, 6] },
			whole: { known: 2, held: [1, 2] }
		});
		const coverage = new SearchCoverage(host);
		coverage.update();

		coverage.fetchAll();
		expect(coverage.fetch).toEqual({ state: 'running', done: 0, total: 2, waiting: false });
		await settle();

		expect(w.holds).toEqual(['late:2', 'late:1', 'gap:4', 'gap:3']);
		expect(coverage.missing).toBe(0);
		expect(coverage.fetch).toEqual({ state: 'running', done: 0, total: 2, waiting: false });

		// Held is not enough: a conversation is done once its periods have caught up.
		w.ready.add('late:2').add('late:1').add('gap:4');
		coverage.update();
		expect(coverage.fetch).toEqual({ state: 'running', done: 1, total: 2, waiting: false });
		w.ready.add('gap:3');
		coverage.update();
		expect(coverage.fetch).toEqual({ state: 'done', total: 2 });
	});

	it('says it is waiting while the relay cannot be reached', async () => {
		const { world: w, host } = world({ late: { known: 2, held: [2] } });
		const coverage = new SearchCoverage(host);
		w.online = false;

		coverage.fetchAll();
		await settle();

		expect(w.holds).toEqual(['late:1']);
		expect(coverage.fetch).toEqual({ state: 'running', done: 0, total: 1, waiting: true });
		w.online = true;
		w.ready.add('late:1');
		coverage.update();
		expect(coverage.fetch).toEqual({ state: 'done', total: 1 });
	});

	it('fetches nothing in a tab that does not keep the connection, and nothing twice', async () => {
		const { world: w, host } = world({ late: { known: 3, held: [3] } });
		const coverage = new SearchCoverage(host);
		w.leader = false;

		coverage.fetchAll();
		coverage.update();
		await settle();
		expect(w.holds).toEqual([]);
		expect(coverage.canFetch).toBe(false);
		expect(coverage.missing).toBe(1);

		w.leader = true;
		coverage.fetchAll();
		coverage.fetchAll();
		await settle();
		expect(w.holds).toEqual(['late:2', 'late:1']);
	});

	it('shows a period it could not hold as missing again once the fetch ends', async () => {
		const { world: w, host } = world({ late: { known: 3, held: [3] } });
		const coverage = new SearchCoverage(host);
		w.refuse.add('late:1');

		coverage.fetchAll();
		await settle();
		w.ready.add('late:2');
		coverage.update();

		expect(coverage.fetch).toEqual({ state: 'done', total: 1 });
		expect(coverage.missing).toBe(1);
	});

	it('stops holding periods when reset (a lock)', async () => {
		const { world: w, host } = world({ late: { known: 4, held: [4] } });
		const coverage = new SearchCoverage(host);

		coverage.fetchAll();
		coverage.reset();
		await settle();

		expect(w.holds.length).toBeLessThanOrEqual(1);
		expect(coverage.fetch).toBeUndefined();
		expect(coverage.missing).toBe(0);
	});
});
