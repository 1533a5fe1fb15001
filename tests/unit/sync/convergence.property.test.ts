import fc from 'fast-check';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { readyCrypto } from '../../../src/lib/crypto/sodium.js';
import { toHex } from '../../../src/lib/protocol/bytes.js';
import { appendMessage, type ConversationDoc } from '../../../src/lib/model/conversation.js';
import type { DocProblem, DocSync } from '../../../src/lib/sync/DocSync.js';
import { persistentConversationWith, type PersistentDevice } from '../../helpers/persistentDevices.js';
import { FakeLog } from '../../helpers/syncFixtures.js';
import { changeHashesPerEntry, docOf, headsOf, inboxOf, messageIds } from '../../helpers/syncInspect.js';

/**
 * Convergence through the real sync path (TESTING.md: a property test on bare Automerge can't
 * fail). Three replicas — the owner and two admitted members, each with an encrypted store on a
 * "disk" that survives crashes — edit offline and exchange sealed entries through DocSync's
 * outbox, commitLocal, acknowledge, receive, cursor and inbox over a FakeLog, under random
 * schedules: pipelined pushes that land out of order, lost acknowledgements (the same bytes are
 * pushed again), delivery of random subsets with duplicates and out of order, and crashes that
 * restart a replica from its disk with DocSync.load.
 */

const REPLICAS = 3;
const NUM_RUNS = 50;

type Step =
	| { t: 'append'; r: number; count: number; then: 'nothing' | 'flush' | 'commit' }
	| { t: 'commit'; r: number }
	| { t: 'push'; r: number; shuffled: boolean; take: number | null; perm: number[]; lost: boolean[] }
	| { t: 'recv'; r: number; inOrder: boolean; keep: boolean[]; perm: number[]; dups: number[] }
	| { t: 'crash'; r: number };

const replica = fc.integer({ min: 0, max: REPLICAS - 1 });
const stepArb: fc.Arbitrary<Step> = fc.oneof(
	{
		weight: 5,
		arbitrary: fc.record({
			t: fc.constant('append' as const),
			r: replica,
			count: fc.integer({ min: 1, max: 3 }),
			then: fc.constantFrom('nothing' as const, 'flush' as const, 'commit' as const, 'commit' as const)
		})
	},
	{ weight: 2, arbitrary: fc.record({ t: fc.constant('commit' as const), r: replica }) },
	{
		weight: 3,
		arbitrary: fc.record({
			t: fc.constant('push' as const),
			r: replica,
			shuffled: fc.boolean(),
			take: fc.option(fc.nat(6), { nil: null }),
			perm: fc.array(fc.nat(), { maxLength: 8 }),
			lost: fc.array(fc.boolean(), { maxLength: 8 })
		})
	},
	{
		weight: 3,
		arbitrary: fc.record({
			t: fc.constant('recv' as const),
			r: replica,
			inOrder: fc.boolean(),
			keep: fc.array(fc.boolean(), { minLength: 1, maxLength: 12 }),
			perm: fc.array(fc.nat(), { maxLength: 12 }),
			dups: fc.array(fc.nat(), { maxLength: 3 })
		})
	},
	{ weight: 2, arbitrary: fc.record({ t: fc.constant('crash' as const), r: replica }) }
);

/** Fisher–Yates driven by generated numbers, so a failing schedule replays exactly. */
function permute<T>(items: T[], seeds: number[]): T[] {
	const out = [...items];
	for (let i = out.length - 1; i > 0; i--) {
		const j = (seeds[i % Math.max(seeds.length, 1)] ?? 0) % (i + 1);
		[out[i], out[j]] = [out[j], out[i]];
	}
	return out;
}

interface World {
	doc: Uint8Array;
	secret: Uint8Array;
	log: FakeLog;
	devices: PersistentDevice[];
	syncs: DocSync[];
	/** Entry id (hex) → log sequence number of every entry pushed so far. */
	pushed: Map<string, number>;
	/** Messages flushed on their device ("saved on this device"): must arrive exactly once. */
	saved: Set<string>;
	/** Messages appended but not yet flushed, per replica; a crash may lose them. */
	pending: string[][];
	/** Every message id appended: none may appear twice, none may appear that wasn't appended. */
	appended: Set<string>;
	problems: DocProblem[];
	nextId: number;
}

function watch(world: World, sync: DocSync): DocSync {
	sync.on('problem', (problem) => world.problems.push(problem));
	return sync;
}

/** Seals own changes into the outbox (offline: nothing is sent). It flushes first. */
async function commit(world: World, r: number): Promise<void> {
	await world.syncs[r].commitLocal();
	world.saved = new Set([...world.saved, ...world.pending[r]]);
	world.pending[r] = [];
}

async function push(world: World, r: number, step: Extract<Step, { t: 'push' }> | 'all'): Promise<void> {
	const sync = world.syncs[r];
	await commit(world, r);

	let items = [...sync.outbox];
	if (step !== 'all') {
		if (step.shuffled) items = permute(items, step.perm);
		if (step.take !== null) items = items.slice(0, step.take);
	}
	for (const [j, item] of items.entries()) {
		const id = toHex(item.id);
		const result = world.log.append(item.entry);
		const before = world.pushed.get(id);
		// A retry sends the same bytes, so the relay stores it once, at its first position.
		if (before !== undefined) expect(result).toEqual({ seq: before, dup: true });
		else expect(result.dup).toBe(false);
		world.pushed.set(id, result.seq);
		const ackLost = step !== 'all' && (step.lost[j] ?? false);
		if (!ackLost) await sync.acknowledge(item.id);
	}
}

async function runStep(world: World, step: Step): Promise<void> {
	const sync = world.syncs[step.r];
	switch (step.t) {
		case 'append': {
			// A member can't write before it holds the conversation (containers are never lazy).
			if (!Array.isArray(docOf(sync).messages)) return;
			const author = toHex(world.devices[step.r].author.device.publicKey);
			const ids: string[] = [];
			for (let i = 0; i < step.count; i++) {
				const id = `r${step.r}-m${world.nextId++}`;
				await sync.change<ConversationDoc>((d) =>
					appendMessage(d, { id, author, sentAt: world.nextId, text: `text ${id}` })
				);
				world.appended.add(id);
				ids.push(id);
			}
			world.pending[step.r].push(...ids);
			if (step.then === 'flush') {
				// "Saved on this device" (rule 15): from here on a crash must not lose them.
				await world.devices[step.r].ctx.repo.flush([sync.localId]);
				world.saved = new Set([...world.saved, ...world.pending[step.r]]);
				world.pending[step.r] = [];
			}
			if (step.then === 'commit') await commit(world, step.r);
			return;
		}
		case 'commit':
			return commit(world, step.r);
		case 'push':
			return push(world, step.r, step);
		case 'recv': {
			// A random subset of the entries after the cursor (plus a couple already received), in
			// log order or shuffled, with some delivered twice.
			const available = world.log.items.slice(Math.max(0, sync.cursor - 2));
			if (available.length === 0) return;
			let items = available.filter((_, i) => step.keep[i % step.keep.length]);
			if (!step.inOrder) items = permute(items, step.perm);
			items.push(...step.dups.map((d) => available[d % available.length]));
			const cursorBefore = sync.cursor;
			await sync.receive(items);
			// The cursor moves only over contiguous sequence numbers it was given.
			expect(sync.cursor).toBeGreaterThanOrEqual(cursorBefore);
			expect(sync.cursor).toBeLessThanOrEqual(world.log.items.length);
			return;
		}
		case 'crash': {
			world.pending[step.r] = []; // unflushed messages may be lost, and that is allowed
			world.syncs[step.r] = watch(world, await world.devices[step.r].crashAndRestart(world.doc));
			return;
		}
	}
}

/** Pushes every outbox and delivers the log to everyone, in order, until nothing moves. */
async function deliverEverything(world: World): Promise<void> {
	for (let round = 0; round < 20; round++) {
		for (let r = 0; r < REPLICAS; r++) await push(world, r, 'all');
		for (let r = 0; r < REPLICAS; r++) {
			await world.syncs[r].receive(world.log.after(world.syncs[r].cursor));
		}
		const settled = world.syncs.every((s) => s.outbox.length === 0 && s.cursor === world.log.items.length);
		if (settled) return;
	}
	throw new Error('delivery did not settle in 20 rounds');
}

async function assertConverged(world: World): Promise<void> {
	const [first, ...rest] = world.syncs;

	// Identical Automerge heads and message order on every replica.
	for (const sync of rest) {
		expect(headsOf(sync)).toEqual(headsOf(first));
		expect(messageIds(sync)).toEqual(messageIds(first));
	}
	for (const sync of world.syncs) expect(sync.cursor).toBe(world.log.items.length);

	// Nothing saved is lost, nothing is doubled, nothing appears that nobody wrote.
	const ids = messageIds(first);
	expect(new Set(ids).size).toBe(ids.length);
	for (const id of world.saved) expect(ids).toContain(id);
	for (const id of ids) expect(world.appended.has(id)).toBe(true);

	// The log holds each entry once, and each Automerge change in exactly one entry: a retried or
	// reloaded outbox never re-sealed changes that were already pushed.
	const entryIds = world.log.ids.map(toHex);
	expect(new Set(entryIds).size).toBe(entryIds.length);
	const perEntry = changeHashesPerEntry(world.log.items.map((i) => i.b), world.doc, world.secret);
	expect(perEntry.every((hashes) => hashes !== undefined)).toBe(true);
	const hashes = perEntry.flat() as string[];
	expect(new Set(hashes).size).toBe(hashes.length);

	// No entry was rejected.
	expect(world.problems.filter((p) => p.kind === 'unverified')).toEqual([]);
	for (const sync of world.syncs) expect(sync.unverifiedCount).toBe(0);
}

const devicesToStop: PersistentDevice[] = [];

beforeAll(async () => {
	await readyCrypto();
});

afterEach(async () => {
	while (devicesToStop.length) await devicesToStop.pop()!.stop();
});

describe('DocSync convergence (property)', () => {
	it('converges three replicas under random offline edits, delivery order, lost acks and crashes', async () => {
		await fc.assert(
			fc.asyncProperty(fc.array(stepArb, { minLength: 30, maxLength: 80 }), async (steps) => {
				const { owner, members, created } = await persistentConversationWith(2);
				const devices = [owner.device, ...members.map((m) => m.device)];
				devicesToStop.push(...devices);
				const world: World = {
					doc: created.doc,
					secret: created.secret,
					log: new FakeLog(),
					devices,
					syncs: [],
					pushed: new Map(),
					saved: new Set(),
					pending: [[], [], []],
					appended: new Set(),
					problems: [],
					nextId: 0
				};
				world.syncs = [owner.sync, ...members.map((m) => m.sync)].map((s) => watch(world, s));
				// The members join: the owner's first entry (the conversation's genesis) reaches them.
				await push(world, 0, 'all');
				for (const sync of world.syncs) await sync.receive(world.log.after(0));

				try {
					for (const step of steps) await runStep(world, step);
					await deliverEverything(world);
					await assertConverged(world);

					// Every parked entry was applied: a retry leaves the inbox empty.
					for (let r = 0; r < REPLICAS; r++) {
						await world.syncs[r].retryInbox();
						expect(await inboxOf(devices[r].ctx.store, world.doc)).toEqual([]);
					}

					// Durable: after everyone crashes and restarts, the disks hold the same state.
					const heads = headsOf(world.syncs[0]);
					for (let r = 0; r < REPLICAS; r++) await runStep(world, { t: 'crash', r });
					await deliverEverything(world);
					for (const sync of world.syncs) expect(headsOf(sync)).toEqual(heads);
					await assertConverged(world);
				} finally {
					while (devicesToStop.length) await devicesToStop.pop()!.stop();
				}
			}),
			{ numRuns: NUM_RUNS }
		);
	}, 120_000);
});
