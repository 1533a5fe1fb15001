import * as A from '@automerge/automerge';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { appendMessage, type ConversationDoc } from '../../../src/lib/model/conversation.js';
import {
	clearMessageText,
	deleteMessage,
	editMessage,
	findMessage,
	markRead,
	setReaction
} from '../../../src/lib/model/messageOps.js';
import { readConversation } from '../../../src/lib/model/readConversation.js';
import { ACTORS, CLIENT, contextFor, genesisDoc, OWNER, OWNER_TAB } from './helpers.js';

/**
 * Concurrency properties of the display rules: whatever order replicas exchange changes in,
 * every replica shows the same thing, deletions win over concurrent edits, reactions toggle,
 * read markers never move backwards and concurrent replies are all counted. Automerge merges
 * the data; these check the rules layered on it (which order, whose operation counts, the
 * maximum of concurrent markers), which a wrong rule breaks.
 */

type Doc = A.Doc<ConversationDoc>;

/** Three writers: the owner's device, another tab of it (same device, own actor), the client. */
const WRITERS = [
	{ device: OWNER, actor: ACTORS[OWNER] },
	{ device: OWNER, actor: OWNER_TAB },
	{ device: CLIENT, actor: ACTORS[CLIENT] }
];

type Op =
	| { t: 'edit'; w: number; text: string }
	| { t: 'delete'; w: number }
	| { t: 'react'; w: number; emoji: string }
	| { t: 'read'; w: number; upTo: number }
	| { t: 'reply'; w: number }
	| { t: 'sync'; from: number; to: number };

const writer = fc.integer({ min: 0, max: WRITERS.length - 1 });
const opArb: fc.Arbitrary<Op> = fc.oneof(
	fc.record({ t: fc.constant('edit' as const), w: writer, text: fc.constantFrom('v-a', 'v-b', 'v-c') }),
	fc.record({ t: fc.constant('delete' as const), w: writer }),
	fc.record({ t: fc.constant('react' as const), w: writer, emoji: fc.constantFrom('👍', '❤️') }),
	fc.record({ t: fc.constant('read' as const), w: writer, upTo: fc.nat(8) }),
	fc.record({ t: fc.constant('reply' as const), w: writer }),
	fc.record({ t: fc.constant('sync' as const), from: writer, to: writer })
);

/** Replicas that start from the same conversation with one message from each device. */
function setUp(): Doc[] {
	let base = genesisDoc();
	base = A.change(base, (d) => appendMessage(d, { id: 'root', author: OWNER, sentAt: 1, text: 'root text' }));
	base = A.change(A.clone(base, { actor: ACTORS[CLIENT] }), (d) =>
		appendMessage(d, { id: 'c1', author: CLIENT, sentAt: 2, text: 'client text' })
	);
	return WRITERS.map((w) => A.clone(base, { actor: w.actor }));
}

function view(doc: Doc, me = OWNER) {
	const record = readConversation(doc, contextFor(me));
	return { ...record, departed: [...record.departed], readIndex: [...record.readIndex] };
}

/** Runs the ops; a writer edits or deletes only what it may, as the UI offers. */
function run(ops: Op[], onStep?: (replicas: Doc[]) => void): Doc[] {
	const replicas = setUp();
	let replies = 0;
	for (const op of ops) {
		if (op.t === 'sync') {
			if (op.from !== op.to) replicas[op.to] = A.merge(replicas[op.to], replicas[op.from]);
		} else {
			const w = WRITERS[op.w];
			const doc = replicas[op.w];
			const record = readConversation(doc, contextFor(w.device));
			const own = record.messages.find((m) => m.author === w.device && !m.deleted && m.editable);
			if (op.t === 'edit' && own) {
				replicas[op.w] = A.change(doc, (d) => editMessage(d, own.id, { text: op.text, at: 5 }));
			} else if (op.t === 'delete') {
				// The owner's device administers: it deletes the client's message; the client its own.
				const target = record.messages.find((m) => m.id === 'c1' && !m.deleted);
				if (target) replicas[op.w] = A.change(doc, (d) => deleteMessage(d, 'c1', 6));
			} else if (op.t === 'react') {
				const mine = record.messages[0].reactions.find((r) => r.emoji === op.emoji);
				const on = !mine?.devices.includes(w.device);
				replicas[op.w] = A.change(doc, (d) => setReaction(d, 'root', op.emoji, on));
			} else if (op.t === 'read') {
				// Forward only, as the app does: never below what this replica already shows.
				const target = record.messages[Math.min(op.upTo, record.messages.length - 1)];
				const shown = record.readIndex.get(w.device) ?? -1;
				if (target.index > shown) {
					replicas[op.w] = A.change(doc, (d) => markRead(d, w.device, w.device, target.id, 7));
				}
			} else if (op.t === 'reply') {
				const id = `reply-${replies++}`;
				replicas[op.w] = A.change(doc, (d) =>
					appendMessage(d, { id, author: w.device, sentAt: 8, text: id, thread: 'root' })
				);
			}
		}
		onStep?.(replicas);
	}
	return replicas;
}

function mergeAll(replicas: Doc[], order: readonly number[]): Doc {
	let out = A.clone(replicas[order[0]]);
	for (const i of order.slice(1)) out = A.merge(out, replicas[i]);
	return out;
}

const orders = fc.constantFrom([0, 1, 2], [2, 1, 0], [1, 2, 0]);

describe('message operations under concurrency', () => {
	it('every replica shows the same conversation whatever order the changes arrive in', () => {
		fc.assert(
			fc.property(fc.array(opArb, { maxLength: 30 }), orders, orders, (ops, a, b) => {
				const replicas = run(ops);
				expect(view(mergeAll(replicas, a))).toEqual(view(mergeAll(replicas, b)));
				expect(view(mergeAll(replicas, a), CLIENT)).toEqual(view(mergeAll(replicas, b), CLIENT));
			}),
			{ numRuns: 60 }
		);
	});

	it('an allowed deletion wins over concurrent edits, and clearing leaves no text behind', () => {
		fc.assert(
			fc.property(fc.array(opArb, { maxLength: 30 }), (ops) => {
				const merged = mergeAll(run(ops), [0, 1, 2]);
				const c1 = view(merged).messages.find((m) => m.id === 'c1')!;
				const deletedSomewhere = ops.some((op) => op.t === 'delete');
				expect(c1.deleted).toBe(deletedSomewhere);
				if (!c1.deleted) return;

				expect(c1.text).toBe('');
				expect(c1.versions).toEqual([]);
				const cleared = c1.lingering ? A.change(merged, (d) => clearMessageText(findMessage(d, 'c1')!)) : merged;
				expect(view(cleared).messages.find((m) => m.id === 'c1')!.lingering).toBe(false);
				const stored = (A.toJS(cleared) as ConversationDoc).messages.find((m) => String(m.id) === 'c1');
				expect(JSON.stringify(stored)).not.toMatch(/client text|v-a|v-b|v-c/);
			}),
			{ numRuns: 60 }
		);
	});

	it('a toggle on a replica that has every change flips that device’s reaction', () => {
		fc.assert(
			fc.property(fc.array(opArb, { maxLength: 25 }), writer, fc.constantFrom('👍', '❤️'), (ops, w, emoji) => {
				const merged = A.clone(mergeAll(run(ops), [0, 1, 2]), { actor: 'ef'.repeat(16) });
				const device = WRITERS[w].device;
				const before = view(merged).messages[0].reactions.find((r) => r.emoji === emoji)?.devices.includes(device) ?? false;
				const after = A.change(merged, (d) => setReaction(d, 'root', emoji, !before));
				const flipped = view(after).messages[0].reactions.find((r) => r.emoji === emoji)?.devices.includes(device) ?? false;
				// The toggle was written by an unclaimed actor: it counts for nobody.
				expect(flipped).toBe(before);
				const own = A.change(A.clone(merged, { actor: 'fe'.repeat(16) }), (d) => setReaction(d, 'root', emoji, !before));
				const claimed = readConversation(own, { ...contextFor(OWNER), deviceOf: (actor) => (actor === 'fe'.repeat(16) ? device : contextFor(OWNER).deviceOf(actor)) });
				expect(claimed.messages[0].reactions.find((r) => r.emoji === emoji)?.devices.includes(device) ?? false).toBe(!before);
			}),
			{ numRuns: 60 }
		);
	});

	it('a read marker never moves backwards on any replica, even when a stale tab writes', () => {
		fc.assert(
			fc.property(fc.array(opArb, { maxLength: 40 }), (ops) => {
				const last = WRITERS.map(() => new Map<string, number>());
				run(ops, (replicas) => {
					replicas.forEach((doc, r) => {
						for (const [member, index] of readConversation(doc, contextFor(OWNER)).readIndex) {
							expect(index).toBeGreaterThanOrEqual(last[r].get(member) ?? -1);
							last[r].set(member, index);
						}
					});
				});
			}),
			{ numRuns: 80 }
		);
	});

	it('counts every concurrent reply in the thread, in the same order everywhere', () => {
		fc.assert(
			fc.property(fc.array(opArb, { maxLength: 30 }), orders, (ops, order) => {
				const replicas = run(ops);
				const merged = view(mergeAll(replicas, order));
				const replies = merged.messages.filter((m) => m.thread === 'root');
				expect(merged.messages[0].replies).toBe(ops.filter((op) => op.t === 'reply').length);
				expect(replies.map((m) => m.id)).toEqual(view(mergeAll(replicas, [0, 1, 2])).messages.filter((m) => m.thread === 'root').map((m) => m.id));
			}),
			{ numRuns: 60 }
		);
	});
});
