import * as A from '@automerge/automerge';
import { describe, expect, it } from 'vitest';
import {
	addMember,
	appendMessage,
	initialConversation,
	mayInviteMore,
	readMessages,
	type ConversationDoc
} from '../../../src/lib/model/conversation.js';

const OWNER = 'ab'.repeat(32);
const ACTOR_A = 'aa'.repeat(16);
const ACTOR_B = 'bb'.repeat(16);

function genesis(): A.Doc<ConversationDoc> {
	return A.change(A.init<ConversationDoc>({ actor: 'ee'.repeat(16) }), initialConversation('Check-ins', OWNER, 'Dr. Owner', 1000));
}

function append(doc: A.Doc<ConversationDoc>, id: string, text = id, author = OWNER) {
	return A.change(doc, (d) => appendMessage(d, { id, author, sentAt: 5, text }));
}

describe('initialConversation', () => {
	it('creates every container and field in the first change', () => {
		const doc = genesis();

		expect(doc).toMatchObject({ v: 2, title: 'Check-ins', kind: 'direct', createdAt: 1000, messages: [] });
		expect(doc.members).toEqual({
			[OWNER]: { name: 'Dr. Owner', role: 'owner', addedAt: 1000, availability: {} }
		});
		expect(A.getAllChanges(doc)).toHaveLength(1);
	});

	it('lets two devices append concurrently to the shared list without losing either side', () => {
		// The trap it prevents: two devices each creating `messages` lazily make two lists, and
		// the merge keeps only one of them.
		const base = genesis();
		const a = append(A.clone(base, { actor: ACTOR_A }), 'from-a');
		const b = append(A.clone(base, { actor: ACTOR_B }), 'from-b');
		const merged = A.merge(A.clone(a), b);

		expect(readMessages(merged).map((m) => m.id).sort()).toEqual(['from-a', 'from-b']);
	});
});

describe('appendMessage and readMessages', () => {
	it('keeps document order and reads every field back', () => {
		let doc = genesis();
		for (const id of ['m1', 'm2', 'm3']) doc = append(doc, id, `text of ${id}`);
		const messages = readMessages(doc);

		expect(messages.map((m) => m.id)).toEqual(['m1', 'm2', 'm3']);
		expect(messages[1]).toMatchObject({ id: 'm2', author: OWNER, sentAt: 5, text: 'text of m2' });
	});

	it('stores id, author and text as ImmutableString, not as collaborative text', () => {
		const doc = append(genesis(), 'm1', 'hello');
		const stored = doc.messages[0];

		expect(stored.id).toBeInstanceOf(A.ImmutableString);
		expect(stored.author).toBeInstanceOf(A.ImmutableString);
		expect(stored.text).toBeInstanceOf(A.ImmutableString);
		expect(stored.text.val).toBe('hello');
	});

	it('reports the actor and op of the change that created each message', () => {
		const doc = append(A.clone(genesis(), { actor: ACTOR_A }), 'm1');
		const [message] = readMessages(doc);

		expect(message.actor).toBe(ACTOR_A);
		expect(A.getObjectId(doc.messages[0])).toBe(`${message.op}@${ACTOR_A}`);
	});

	it('skips list entries that are not message objects and defaults missing fields', () => {
		let doc = append(genesis(), 'm1');
		doc = A.change(doc, (d) => {
			const list = d.messages as unknown as unknown[];
			list.push(42, 'a string', null, true, { id: 'plain', text: 'plain text', sentAt: 'soon' }, { nothing: 1 });
		});
		doc = append(doc, 'm2');
		const messages = readMessages(doc);

		expect(messages.map((m) => m.id)).toEqual(['m1', 'plain', '', 'm2']);
		expect(messages[1]).toMatchObject({ text: 'plain text', author: '', sentAt: 0 });
	});

	it('reads no messages from a document without a message list', () => {
		expect(readMessages(A.init<ConversationDoc>())).toEqual([]);
		const broken = A.from({ messages: 'not a list' } as unknown as Record<string, unknown>);
		expect(readMessages(broken as unknown as A.Doc<ConversationDoc>)).toEqual([]);
	});

	it('merges concurrently edited documents into the same order on both sides', () => {
		const base = append(genesis(), 'm0');
		let a = A.clone(base, { actor: ACTOR_A });
		let b = A.clone(base, { actor: ACTOR_B });
		for (let i = 1; i <= 4; i++) {
			a = append(a, `a${i}`);
			b = append(b, `b${i}`);
		}
		const ab = A.merge(A.clone(a), b);
		const ba = A.merge(A.clone(b), a);
		const ids = readMessages(ab).map((m) => m.id);

		expect(readMessages(ba).map((m) => m.id)).toEqual(ids);
		expect(ids).toHaveLength(9);
		expect(ids[0]).toBe('m0');
		// Each side's own messages keep their relative order.
		expect(ids.filter((id) => id.startsWith('a'))).toEqual(['a1', 'a2', 'a3', 'a4']);
		expect(ids.filter((id) => id.startsWith('b'))).toEqual(['b1', 'b2', 'b3', 'b4']);
		const byId = new Map(readMessages(ab).map((m) => [m.id, m.actor]));
		expect(byId.get('a1')).toBe(ACTOR_A);
		expect(byId.get('b1')).toBe(ACTOR_B);
	});
});

describe('addMember', () => {
	it('adds a member once and never overwrites an existing one', () => {
		let doc = genesis();
		doc = A.change(doc, (d) => addMember(d, 'cd'.repeat(32), { name: 'Sam', role: 'member', addedAt: 2 }));
		doc = A.change(doc, (d) => addMember(d, OWNER, { name: 'Impostor', role: 'member', addedAt: 3 }));

		expect(doc.members['cd'.repeat(32)]).toEqual({
			name: 'Sam',
			role: 'member',
			addedAt: 2,
			availability: {}
		});
		expect(doc.members[OWNER]).toMatchObject({ name: 'Dr. Owner', role: 'owner' });
	});
});

describe('mayInviteMore', () => {
	it('lets a direct conversation take in exactly one person besides its creator', () => {
		expect(mayInviteMore('direct', 1)).toBe(true);
		expect(mayInviteMore('direct', 2)).toBe(false);
		expect(mayInviteMore('direct', 3)).toBe(false);
	});

	it('leaves group conversations and announcements open to more people', () => {
		for (const kind of ['group', 'announcements'] as const) {
			expect(mayInviteMore(kind, 1)).toBe(true);
			expect(mayInviteMore(kind, 2)).toBe(true);
			expect(mayInviteMore(kind, 12)).toBe(true);
		}
	});
});
