import * as A from '@automerge/automerge';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { readyCrypto } from '../../../src/lib/crypto/sodium.js';
import { appendMessage, type Message } from '../../../src/lib/model/conversation.js';
import { checkPeriodDoc, type PeriodDoc } from '../../../src/lib/model/period.js';
import { toHex } from '../../../src/lib/protocol/bytes.js';
import { periodDocId } from '../../../src/lib/protocol/period.js';
import { ConversationPeriods } from '../../../src/lib/sync/ConversationPeriods.js';
import type { DocSync } from '../../../src/lib/sync/DocSync.js';
import { conversationWith, FakeLog } from '../../helpers/syncFixtures.js';

/**
 * Period roll-over on devices that are offline from each other (rule 19), through the real
 * DocSync path: each device decides on its own when a period is full and creates the next one
 * from the deterministic genesis; entries travel sealed through per-period logs, delivered in
 * random subsets and orders. Afterwards every device must hold one document per period, with
 * the same heads, and the same merged history with every message exactly once. If two devices
 * made different documents for one period (a random actor, a clock in the genesis, a lazily
 * created list), their entries would wait forever for a genesis the other never had, or one
 * side's messages would vanish in the merge, and the property fails.
 */

const PERIOD = 3;

type Step =
	| { t: 'append'; r: number; count: number }
	| { t: 'push'; r: number; periods: boolean[] }
	| { t: 'recv'; r: number; keep: boolean[]; perm: number[] };

function stepArb(replicas: number): fc.Arbitrary<Step> {
	const r = fc.integer({ min: 0, max: replicas - 1 });
	return fc.oneof(
		{ weight: 5, arbitrary: fc.record({ t: fc.constant('append' as const), r, count: fc.integer({ min: 1, max: 4 }) }) },
		{ weight: 2, arbitrary: fc.record({ t: fc.constant('push' as const), r, periods: fc.array(fc.boolean(), { minLength: 1, maxLength: 6 }) }) },
		{
			weight: 2,
			arbitrary: fc.record({
				t: fc.constant('recv' as const),
				r,
				keep: fc.array(fc.boolean(), { minLength: 1, maxLength: 8 }),
				perm: fc.array(fc.nat(), { maxLength: 8 })
			})
		}
	);
}

function permute<T>(items: T[], seeds: number[]): T[] {
	const out = [...items];
	for (let i = out.length - 1; i > 0; i--) {
		const j = (seeds[i % Math.max(seeds.length, 1)] ?? 0) % (i + 1);
		[out[i], out[j]] = [out[j], out[i]];
	}
	return out;
}

interface World {
	periods: ConversationPeriods[];
	/** The relay: one log per period (0 is the conversation document's own). */
	logs: Map<number, FakeLog>;
	appended: string[];
	nextId: number;
}

function logOf(world: World, n: number): FakeLog {
	let log = world.logs.get(n);
	if (!log) world.logs.set(n, (log = new FakeLog()));
	return log;
}

async function pushPeriod(world: World, sync: DocSync, n: number): Promise<void> {
	await sync.commitLocal();
	for (const item of [...sync.outbox]) {
		logOf(world, n).append(item.entry);
		await sync.acknowledge(item.id);
	}
}

/** Every period a device learns of from the relay, it holds (and stays subscribed to). */
async function receiveAll(world: World, r: number, keep?: boolean[], perm?: number[]): Promise<void> {
	const periods = world.periods[r];
	for (const [n, log] of [...world.logs].sort((a, b) => a[0] - b[0])) {
		const sync = await periods.hold(n);
		let items = log.after(sync.cursor);
		if (keep) items = items.filter((_, i) => keep[i % keep.length]);
		if (perm) items = permute(items, perm);
		await sync.receive(items);
	}
}

async function runStep(world: World, step: Step): Promise<void> {
	const periods = world.periods[step.r];
	switch (step.t) {
		case 'append': {
			const author = toHex(new Uint8Array([step.r]));
			for (let i = 0; i < step.count; i++) {
				const id = `r${step.r}-m${world.nextId++}`;
				const target = await periods.writeTarget();
				await target.change<PeriodDoc>((d) => appendMessage(d, { id, author, sentAt: world.nextId, text: id }));
				world.appended.push(id);
			}
			return;
		}
		case 'push': {
			const held = [0, ...periods.held()];
			for (const [i, n] of held.entries()) {
				if (step.periods[i % step.periods.length]) await pushPeriod(world, periods.get(n)!, n);
			}
			return;
		}
		case 'recv':
			return receiveAll(world, step.r, step.keep, step.perm);
	}
}

function history(periods: ConversationPeriods): string[] {
	return periods.documents().flatMap(({ doc }) =>
		(Array.isArray(doc.messages) ? (doc.messages as Message[]) : []).map((m) => m.id.val)
	);
}

function headsOf(sync: DocSync): string[] {
	return [...A.getHeads(sync.handle.doc() as A.Doc<unknown>)].sort();
}

async function settle(world: World): Promise<void> {
	for (let round = 0; round < 10; round++) {
		for (const periods of world.periods) {
			for (const n of [0, ...periods.held()]) await pushPeriod(world, periods.get(n)!, n);
		}
		for (let r = 0; r < world.periods.length; r++) await receiveAll(world, r);
		const done = world.periods.every((p) =>
			[0, ...p.held()].every((n) => p.get(n)!.outbox.length === 0 && p.get(n)!.cursor === logOf(world, n).items.length)
		);
		if (done) return;
	}
	throw new Error('delivery did not settle');
}

async function run(replicas: number, steps: Step[]): Promise<void> {
	const { owner, members, created } = await conversationWith(replicas - 1);
	const syncs = [owner, ...members];
	const world: World = {
		periods: syncs.map((s) => new ConversationPeriods(s.ctx, s.sync, () => PERIOD)),
		logs: new Map(),
		appended: [],
		nextId: 0
	};
	// Everyone holds the conversation document before going offline.
	await pushPeriod(world, owner.sync, 0);
	for (const s of members) await s.sync.receive(logOf(world, 0).after(0));

	for (const step of steps) await runStep(world, step);
	await settle(world);

	const [first, ...rest] = world.periods;
	const numbers = [...world.logs.keys()].sort((a, b) => a - b);
	for (const periods of world.periods) {
		// One document per period, everywhere, each grown from the recomputed genesis.
		expect([0, ...periods.held()]).toEqual(numbers);
		for (const n of periods.held()) {
			const sync = periods.get(n)!;
			expect(checkPeriodDoc(sync.handle.doc() as A.Doc<unknown>, periodDocId(created.doc, n), n)).toEqual({ ok: true });
			expect(sync.unverifiedCount).toBe(0);
		}
	}
	for (const periods of rest) {
		for (const n of numbers) expect(headsOf(periods.get(n)!)).toEqual(headsOf(first.get(n)!));
		expect(history(periods)).toEqual(history(first));
	}
	// Every message exactly once; periods are consecutive (no gap, nothing skipped).
	const ids = history(first);
	expect([...ids].sort()).toEqual([...world.appended].sort());
	expect(numbers).toEqual(numbers.map((_, i) => i));
	// No period was opened before the one below it was full on the device that opened it.
	for (const n of numbers.slice(0, -1)) expect(first.count(n)).toBeGreaterThanOrEqual(PERIOD);
}

beforeAll(async () => {
	await readyCrypto();
});

describe('period roll-over on offline devices (property)', () => {
	for (const replicas of [2, 3]) {
		it(`${replicas} devices rolling over offline end with one document per period and the same history`, async () => {
			await fc.assert(
				fc.asyncProperty(fc.array(stepArb(replicas), { minLength: 10, maxLength: 40 }), (steps) => run(replicas, steps)),
				{ numRuns: 25 }
			);
		}, 180_000);
	}
});
