import * as A from '@automerge/automerge';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
	appendMessage,
	initialSibling,
	isSiblingDoc,
	type ConversationDoc,
	type SiblingDoc
} from '../../../src/lib/model/conversation.js';
import { markRead, setReaction } from '../../../src/lib/model/messageOps.js';
import { mayPost } from '../../../src/lib/model/posting.js';
import { readConversation } from '../../../src/lib/model/readConversation.js';
import { ACTORS, CLIENT, COLLEAGUE, contextFor, genesisDoc, OWNER } from './helpers.js';

/**
 * Announcements (rule 7): who may post is decided by `mayPost`; readers' reactions and read
 * markers live in the sibling document, and the conversation reads both, each with the actor
 * claims of its own document.
 */

type Doc = A.Doc<ConversationDoc>;
type Sibling = A.Doc<SiblingDoc>;

/** The sibling's actors: each device writes it through its own actor, other than its main one. */
const SIBLING_ACTORS: Record<string, string> = {
	[OWNER]: 'a2'.repeat(16),
	[CLIENT]: 'c2'.repeat(16),
	[COLLEAGUE]: 'd2'.repeat(16)
};
const siblingDevice = (actor: string) =>
	Object.entries(SIBLING_ACTORS).find(([, a]) => a === actor)?.[0];

function announcement(): Doc {
	let doc = genesisDoc('announcements');
	doc = A.change(doc, (d) => appendMessage(d, { id: 'a1', author: OWNER, sentAt: 10, text: 'Closed on Friday' }));
	return A.change(doc, (d) => appendMessage(d, { id: 'a2', author: OWNER, sentAt: 11, text: 'Open on Monday' }));
}

function sibling(): Sibling {
	return A.change(A.init<SiblingDoc>({ actor: SIBLING_ACTORS[OWNER] }), initialSibling);
}

function as(doc: Sibling, device: string): Sibling {
	return A.clone(doc, { actor: SIBLING_ACTORS[device] });
}

function readWith(doc: Doc, side: Sibling, me = OWNER) {
	return readConversation(doc, { ...contextFor(me), sibling: { doc: side, deviceOf: siblingDevice } });
}

describe('mayPost', () => {
	it('lets everyone post in direct conversations and groups; in announcements only admins and those marked', () => {
		for (const kind of ['direct', 'group'] as const) {
			expect(mayPost({ kind, admin: false })).toBe(true);
		}
		expect(mayPost({ kind: 'announcements', admin: true })).toBe(true);
		expect(mayPost({ kind: 'announcements', admin: false, canPost: true })).toBe(true);
		expect(mayPost({ kind: 'announcements', admin: false })).toBe(false);
		expect(mayPost({ kind: 'announcements', admin: false, canPost: false })).toBe(false);
	});
});

describe('the sibling document', () => {
	it('is created with every container and recognised only by its shape', () => {
		const doc = sibling();
		expect(isSiblingDoc(doc)).toBe(true);
		expect(doc.reactions).toEqual([]);
		expect(doc.reads).toEqual({});
		expect(isSiblingDoc(announcement())).toBe(false);
		expect(isSiblingDoc(undefined)).toBe(false);
	});

	it("merges readers' reactions and read markers from the sibling into the announcements", () => {
		let side = as(sibling(), CLIENT);
		side = A.change(side, (d) => {
			setReaction(d, 'a1', '🙏', true);
			markRead(d, CLIENT, CLIENT, 'a2', 20);
		});

		const record = readWith(announcement(), side);
		expect(record.messages[0].reactions).toEqual([{ emoji: '🙏', devices: [CLIENT] }]);
		expect(record.messages.map((m) => m.readBy)).toEqual([[CLIENT], [CLIENT]]);
		expect(record.readIndex.get(CLIENT)).toBe(1);
		expect(record.ignoredOps).toBe(0);
		// The client's own view: nothing unread.
		expect(readWith(announcement(), side, CLIENT).unread).toBe(0);
		// Without the sibling, the same announcements show none of it.
		const bare = readConversation(announcement(), contextFor(CLIENT));
		expect(bare.unread).toBe(2);
		expect(bare.messages[0].reactions).toEqual([]);
	});

	it("ignores a marker written in the sibling for another member, and judges authors by the sibling's claims", () => {
		let side = as(sibling(), COLLEAGUE);
		side = A.change(side, (d) => {
			// Attack: the colleague marks the client as having read everything.
			markRead(d, CLIENT, CLIENT, 'a2', 20);
		});
		// The client's main-document actor is unknown in the sibling: its writes there count as nobody's.
		let forged = A.clone(side, { actor: ACTORS[CLIENT] });
		forged = A.change(forged, (d) => setReaction(d, 'a1', '👍', true));

		const record = readWith(announcement(), forged);
		expect(record.readIndex.has(CLIENT)).toBe(false);
		expect(record.messages[0].reactions).toEqual([]);
		expect(record.ignoredOps).toBe(1);
	});

	it('converges on the same reactions and markers whatever order the sibling changes merge in (property)', () => {
		const op = fc.record({
			device: fc.constantFrom(OWNER, CLIENT, COLLEAGUE),
			kind: fc.constantFrom('react', 'read'),
			message: fc.constantFrom('a1', 'a2'),
			emoji: fc.constantFrom('👍', '🙏'),
			on: fc.boolean()
		});
		fc.assert(
			fc.property(fc.array(op, { maxLength: 12 }), fc.array(fc.nat(), { minLength: 3, maxLength: 3 }), (ops, seeds) => {
				const base = sibling();
				const replicas = new Map([OWNER, CLIENT, COLLEAGUE].map((d) => [d, as(base, d)]));
				// As the conversation screen does, a device moves its own marker only forward.
				const marked = new Map<string, number>();
				for (const o of ops) {
					const index = o.message === 'a1' ? 0 : 1;
					if (o.kind === 'read' && (marked.get(o.device) ?? -1) >= index) continue;
					if (o.kind === 'read') marked.set(o.device, index);
					replicas.set(
						o.device,
						A.change(replicas.get(o.device)!, (d) => {
							if (o.kind === 'react') setReaction(d, o.message, o.emoji, o.on);
							else markRead(d, o.device, o.device, o.message, 1);
						})
					);
				}
				const all = [...replicas.values()];
				const order = (shift: number) => all.map((_, i) => all[(i + shift) % all.length]);
				const mergeAll = (list: Sibling[]) => list.slice(1).reduce((acc, d) => A.merge(acc, d), A.clone(list[0]));
				const views = seeds.map((seed) => {
					const record = readWith(announcement(), mergeAll(order(seed)));
					return JSON.stringify([record.messages.map((m) => [m.reactions, m.readBy]), [...record.readIndex]]);
				});
				expect(new Set(views).size).toBe(1);
				// A member's marker never goes back: it is the furthest any of their writes reached.
				const record = readWith(announcement(), mergeAll(all));
				for (const device of [OWNER, CLIENT, COLLEAGUE]) {
					expect(record.readIndex.get(device) ?? -1).toBe(marked.get(device) ?? -1);
				}
			}),
			{ numRuns: 60 }
		);
	});
});
