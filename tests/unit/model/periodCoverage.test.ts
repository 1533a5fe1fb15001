import { describe, expect, it } from 'vitest';
import {
	fetchProgress,
	missingPeriods,
	searchCoverage
} from '../../../src/lib/model/periodCoverage.js';

describe('missingPeriods', () => {
	it('lists the periods known but not held, newest first', () => {
		// A late member: the newest two periods opened with the conversation.
		expect(missingPeriods({ known: 5, held: [4, 5] })).toEqual([3, 2, 1]);
		// Away while periods filled: old ones held, a gap below the newest.
		expect(missingPeriods({ known: 7, held: [1, 2, 3, 6, 7] })).toEqual([5, 4]);
	});

	it('finds nothing missing when every period is held or there are none', () => {
		expect(missingPeriods({ known: 3, held: [1, 2, 3] })).toEqual([]);
		expect(missingPeriods({ known: 0, held: [] })).toEqual([]);
	});

	it('never counts period 0, the conversation document itself', () => {
		expect(missingPeriods({ known: 1, held: [] })).toEqual([1]);
		expect(missingPeriods({ known: 2, held: [0, 2] })).toEqual([1]);
	});
});

describe('searchCoverage', () => {
	it('names the conversations with missing periods and counts those periods', () => {
		const coverage = searchCoverage([
			['complete', { known: 2, held: [1, 2] }],
			['short', { known: 0, held: [] }],
			['late', { known: 4, held: [3, 4] }],
			['gap', { known: 6, held: [1, 2, 5, 6] }]
		]);

		expect([...coverage.incomplete]).toEqual([
			['late', [2, 1]],
			['gap', [4, 3]]
		]);
		expect(coverage.periods).toBe(4);
	});

	it('is complete for a device that holds everything', () => {
		const coverage = searchCoverage([['a', { known: 3, held: [3, 1, 2] }]]);

		expect(coverage.incomplete.size).toBe(0);
		expect(coverage.periods).toBe(0);
	});
});

describe('fetchProgress', () => {
	it('counts a conversation as done only once every period fetched for it is ready', () => {
		const task = new Map([
			['a', [2, 1]],
			['b', [4]]
		]);
		const ready = new Set<string>();
		const isReady = (id: string, n: number) => ready.has(`${id}:${n}`);

		expect(fetchProgress(task, isReady)).toEqual({ done: 0, total: 2 });
		ready.add('a:2');
		expect(fetchProgress(task, isReady)).toEqual({ done: 0, total: 2 });
		ready.add('b:4');
		expect(fetchProgress(task, isReady)).toEqual({ done: 1, total: 2 });
		ready.add('a:1');
		expect(fetchProgress(task, isReady)).toEqual({ done: 2, total: 2 });
	});
});
