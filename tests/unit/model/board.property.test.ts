import * as A from '@automerge/automerge';
import fc from 'fast-check';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { readyCrypto } from '../../../src/lib/crypto/sodium.js';
import {
	addCard,
	addColumn,
	addLabel,
	deleteCard,
	deleteColumn,
	editCardText,
	initialBoard,
	liveColumnIds,
	moveCard,
	moveColumn,
	readBoard,
	restoreCard,
	setArchived,
	setDue,
	type BoardDoc
} from '../../../src/lib/model/board.js';
import type { DocProblem, DocSync } from '../../../src/lib/sync/DocSync.js';
import { persistentDocWith, type PersistentDevice } from '../../helpers/persistentDevices.js';
import { FakeLog } from '../../helpers/syncFixtures.js';

/**
 * Board convergence through the real sync path (TESTING.md: bare Automerge always converges, so
 * the replicas exchange sealed entries through DocSync's outbox, receive, cursor and inbox).
 * Three replicas make random concurrent card inserts, moves, edits, archives, deletes and column
 * changes offline; entries are delivered in random subsets, out of order and duplicated. After
 * full delivery every replica must show the same board, and the board's own invariants must
 * hold: every card created is in exactly one place (one live column, the archive, or the deleted
 * list), never twice, never in a deleted column, and in the same order everywhere.
 */

const REPLICAS = 3;
const NUM_RUNS = 40;

type Op =
	| { t: 'add'; col: number; index: number }
	| { t: 'move'; card: number; col: number; index: number }
	| { t: 'title'; card: number; at: number; text: string }
	| { t: 'due'; card: number; day: number }
	| { t: 'label'; card: number; label: string }
	| { t: 'archive'; card: number; archived: boolean }
	| { t: 'delete'; card: number }
	| { t: 'restore'; card: number }
	| { t: 'addColumn' }
	| { t: 'moveColumn'; col: number; index: number }
	| { t: 'deleteColumn'; col: number; to: number | null };

type Step =
	| { t: 'op'; r: number; op: Op }
	| { t: 'push'; r: number; take: number | null }
	| { t: 'recv'; r: number; keep: boolean[]; perm: number[]; dups: number[] };

const replica = fc.integer({ min: 0, max: REPLICAS - 1 });
const small = fc.nat(20);
const opArb: fc.Arbitrary<Op> = fc.oneof(
	{ weight: 5, arbitrary: fc.record({ t: fc.constant('add' as const), col: small, index: small }) },
	{
		weight: 6,
		arbitrary: fc.record({ t: fc.constant('move' as const), card: small, col: small, index: small })
	},
	{
		weight: 3,
		arbitrary: fc.record({
			t: fc.constant('title' as const),
			card: small,
			at: small,
			text: fc.constantFrom('x', ' urgent', 'Call back', 'é')
		})
	},
	{ weight: 1, arbitrary: fc.record({ t: fc.constant('due' as const), card: small, day: fc.nat(27) }) },
	{
		weight: 1,
		arbitrary: fc.record({
			t: fc.constant('label' as const),
			card: small,
			label: fc.constantFrom('intake', 'billing', 'CE')
		})
	},
	{
		weight: 1,
		arbitrary: fc.record({ t: fc.constant('archive' as const), card: small, archived: fc.boolean() })
	},
	{ weight: 1, arbitrary: fc.record({ t: fc.constant('delete' as const), card: small }) },
	{ weight: 1, arbitrary: fc.record({ t: fc.constant('restore' as const), card: small }) },
	{ weight: 1, arbitrary: fc.record({ t: fc.constant('addColumn' as const) }) },
	{
		weight: 1,
		arbitrary: fc.record({ t: fc.constant('moveColumn' as const), col: small, index: small })
	},
	{
		weight: 1,
		arbitrary: fc.record({
			t: fc.constant('deleteColumn' as const),
			col: small,
			to: fc.option(small, { nil: null })
		})
	}
);

const stepArb: fc.Arbitrary<Step> = fc.oneof(
	{ weight: 6, arbitrary: fc.record({ t: fc.constant('op' as const), r: replica, op: opArb }) },
	{
		weight: 2,
		arbitrary: fc.record({
			t: fc.constant('push' as const),
			r: replica,
			take: fc.option(fc.nat(4), { nil: null })
		})
	},
	{
		weight: 2,
		arbitrary: fc.record({
			t: fc.constant('recv' as const),
			r: replica,
			keep: fc.array(fc.boolean(), { minLength: 1, maxLength: 10 }),
			perm: fc.array(fc.nat(), { maxLength: 10 }),
			dups: fc.array(fc.nat(), { maxLength: 3 })
		})
	}
);

function permute<T>(items: T[], seeds: number[]): T[] {
	const out = [...items];
	for (let i = out.length - 1; i > 0; i--) {
		const j = (seeds[i % Math.max(seeds.length, 1)] ?? 0) % (i + 1);
		[out[i], out[j]] = [out[j], out[i]];
	}
	return out;
}

interface World {
	log: FakeLog;
	syncs: DocSync[];
	devices: PersistentDevice[];
	/** Every card id created on any replica. */
	created: Set<string>;
	problems: DocProblem[];
	next: number;
}

function boardOf(sync: DocSync): A.Doc<BoardDoc> {
	return sync.handle.doc() as A.Doc<BoardDoc>;
}

function pick<T>(list: T[], n: number): T | undefined {
	return list.length === 0 ? undefined : list[n % list.length];
}

/** Applies one operation on replica r, choosing cards and columns from what r sees now. */
async function applyOp(world: World, r: number, op: Op): Promise<void> {
	const sync = world.syncs[r];
	const doc = boardOf(sync);
	if (!doc.cards) return; // the board's first change hasn't arrived yet
	const cards = Object.keys(doc.cards).sort();
	const columns = liveColumnIds(doc);
	const card = 'card' in op ? pick(cards, op.card) : undefined;
	const author = `r${r}`;

	await sync.change<BoardDoc>((d) => {
		switch (op.t) {
			case 'add': {
				const column = pick(columns, op.col);
				if (!column) return;
				const id = `c${world.next++}-r${r}`;
				world.created.add(id);
				addCard(d, { id, column, title: `task ${id}`, author, now: world.next, index: op.index });
				return;
			}
			case 'move': {
				const column = pick(columns, op.col);
				if (card && column) moveCard(d, card, column, op.index);
				return;
			}
			case 'title': {
				if (!card) return;
				const title = String(d.cards[card].title);
				const at = op.at % (title.length + 1);
				editCardText(d, card, 'title', title.slice(0, at) + op.text + title.slice(at));
				return;
			}
			case 'due':
				if (card) setDue(d, card, `2026-12-${String(op.day + 1).padStart(2, '0')}`);
				return;
			case 'label':
				if (card) addLabel(d, card, op.label);
				return;
			case 'archive':
				if (card) setArchived(d, card, op.archived);
				return;
			case 'delete':
				if (card) deleteCard(d, card, author, world.next++);
				return;
			case 'restore':
				if (card) restoreCard(d, card);
				return;
			case 'addColumn':
				addColumn(d, `col${world.next++}-r${r}`, 'More');
				return;
			case 'moveColumn': {
				const column = pick(columns, op.col);
				if (column) moveColumn(d, column, op.index);
				return;
			}
			case 'deleteColumn': {
				// Keep at least one live column, as the UI does.
				if (columns.length <= 1) return;
				const column = pick(columns, op.col);
				const to = op.to === null ? null : pick(columns, op.to) ?? null;
				if (column) deleteColumn(d, column, to === column ? null : to, world.next++);
				return;
			}
		}
	});
}

async function push(world: World, r: number, take: number | null): Promise<void> {
	const sync = world.syncs[r];
	await sync.commitLocal();
	let items = [...sync.outbox];
	if (take !== null) items = items.slice(0, take);
	for (const item of items) {
		world.log.append(item.entry);
		await sync.acknowledge(item.id);
	}
}

async function runStep(world: World, step: Step): Promise<void> {
	const sync = world.syncs[step.r];
	if (step.t === 'op') return applyOp(world, step.r, step.op);
	if (step.t === 'push') return push(world, step.r, step.take);
	const available = world.log.items.slice(Math.max(0, sync.cursor - 2));
	if (available.length === 0) return;
	const items = permute(
		available.filter((_, i) => step.keep[i % step.keep.length]),
		step.perm
	);
	items.push(...step.dups.map((d) => available[d % available.length]));
	await sync.receive(items);
}

async function deliverEverything(world: World): Promise<void> {
	for (let round = 0; round < 20; round++) {
		for (let r = 0; r < REPLICAS; r++) await push(world, r, null);
		for (const sync of world.syncs) await sync.receive(world.log.after(sync.cursor));
		const settled = world.syncs.every(
			(s) => s.outbox.length === 0 && s.cursor === world.log.items.length
		);
		if (settled) return;
	}
	throw new Error('delivery did not settle in 20 rounds');
}

/** What a person sees, as plain data: columns with their cards in order, archive, deleted. */
function shown(sync: DocSync) {
	const board = readBoard(boardOf(sync));
	return {
		columns: board.columns.map((c) => ({
			id: c.id,
			title: c.title,
			cards: c.cards.map((card) => ({
				id: card.id,
				title: card.title,
				due: card.due,
				labels: card.labels
			}))
		})),
		archived: board.archived.map((c) => c.id),
		deleted: board.deleted.map((c) => c.id)
	};
}

function assertInvariants(world: World): void {
	const first = shown(world.syncs[0]);
	for (const sync of world.syncs.slice(1)) expect(shown(sync)).toEqual(first);

	const doc = boardOf(world.syncs[0]);
	const placed = [
		...first.columns.flatMap((c) => c.cards.map((card) => card.id)),
		...first.archived,
		...first.deleted
	];
	// No card duplicated or in two columns; none lost; none that nobody created.
	expect(new Set(placed).size).toBe(placed.length);
	expect(new Set(placed)).toEqual(world.created);
	// No card shows in a deleted column (a deleted column isn't listed at all).
	const live = new Set(liveColumnIds(doc));
	for (const column of first.columns) expect(live.has(column.id)).toBe(true);
	// Concurrent deletions can remove every column (each device kept one); then no card is
	// lost either: all of them wait in the archive until a column is added.
	if (first.columns.length === 0) {
		expect(first.archived.length + first.deleted.length).toBe(world.created.size);
	}

	expect(world.problems.filter((p) => p.kind === 'unverified')).toEqual([]);
}

const toStop: PersistentDevice[] = [];

beforeAll(async () => {
	await readyCrypto();
});

afterEach(async () => {
	while (toStop.length) await toStop.pop()!.stop();
});

describe('board convergence (property)', () => {
	it('three replicas with random concurrent card and column edits end with the same board, every card in exactly one place', async () => {
		await fc.assert(
			fc.asyncProperty(fc.array(stepArb, { minLength: 20, maxLength: 70 }), async (steps) => {
				const { owner, members } = await persistentDocWith<BoardDoc>(2, (ownerHex) =>
					initialBoard({
						title: 'Intake',
						creatorHex: ownerHex,
						creatorName: 'Dr. Owner',
						now: 1,
						columns: [
							{ id: 'todo', title: 'To do' },
							{ id: 'doing', title: 'Doing' },
							{ id: 'done', title: 'Done' }
						]
					})
				);
				const devices = [owner.device, ...members.map((m) => m.device)];
				toStop.push(...devices);
				const world: World = {
					log: new FakeLog(),
					syncs: [owner.sync, ...members.map((m) => m.sync)],
					devices,
					created: new Set(),
					problems: [],
					next: 0
				};
				for (const sync of world.syncs) sync.on('problem', (p) => world.problems.push(p));
				await push(world, 0, null);
				for (const sync of world.syncs) await sync.receive(world.log.after(0));

				for (const step of steps) await runStep(world, step);
				await deliverEverything(world);
				assertInvariants(world);
			}),
			{ numRuns: NUM_RUNS }
		);
	}, 300_000);
});
