import { describe, expect, it } from 'vitest';
import { Pacer } from '../../../src/lib/sync/pacer.js';

/** Counts tasks: a timer chain that moves on once per task until stopped. */
function taskCounter() {
	let task = 0;
	let running = true;
	const next = () => {
		task++;
		if (running) setTimeout(next, 0);
	};
	setTimeout(next, 0);
	return {
		get task() {
			return task;
		},
		stop() {
			running = false;
		}
	};
}

describe('Pacer', () => {
	it('runs one part per task when several documents catch up at once', async () => {
		const pacer = new Pacer();
		const counter = taskCounter();
		const partTasks: number[] = [];
		await Promise.all(
			Array.from({ length: 4 }, async () => {
				for (let part = 0; part < 3; part++) {
					await pacer.turn();
					partTasks.push(counter.task);
					// A part may await (a store write) and still holds its task's turn.
					await Promise.resolve();
				}
			})
		);
		counter.stop();
		expect(partTasks).toHaveLength(12);
		expect(new Set(partTasks).size).toBe(12);
	});

	it('lets the first part through at once when nothing else ran', async () => {
		const pacer = new Pacer();
		let passed = false;
		const turn = pacer.turn().then(() => (passed = true));
		await Promise.resolve();
		await Promise.resolve();
		expect(passed).toBe(true);
		await turn;
	});
});
