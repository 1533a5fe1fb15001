import * as A from '@automerge/automerge';
import { describe, expect, it } from 'vitest';
import { initialConversation, type ConversationDoc } from '../../../src/lib/model/conversation.js';
import { readSiblingKey } from '../../../src/lib/model/siblingKey.js';
import { ACTORS, as, COLLEAGUE, contextFor, OWNER } from './helpers.js';

/**
 * The sibling pointer of announcements (rule 7) counts only when an administering device wrote
 * it: an administrator grants the sibling to everyone it lets in, so a colleague who may post
 * (a writer, not an administrator) must not be able to point it at another document.
 */

const SIBLING = 'S'.repeat(43);
const OTHER = 'T'.repeat(43);

function announcements(sibling = SIBLING): A.Doc<ConversationDoc> {
	return A.change(
		A.init<ConversationDoc>({ actor: ACTORS[OWNER] }),
		initialConversation('Practice news', OWNER, 'Dr. Owner', 1000, 'announcements', sibling)
	);
}

function read(doc: A.Doc<ConversationDoc>) {
	const { deviceOf, isAdmin } = contextFor(OWNER);
	return readSiblingKey(doc, deviceOf, isAdmin);
}

describe('readSiblingKey', () => {
	it('reads the sibling the administering device named at genesis', () => {
		expect(read(announcements())).toBe(SIBLING);
	});

	it('ignores a pointer a writer replaced', () => {
		const forged = A.change(as(announcements(), COLLEAGUE), (d) => {
			d.sibling = OTHER;
		});
		expect(forged.sibling).toBe(OTHER);
		expect(read(forged)).toBeUndefined();
	});

	it('ignores a pointer a writer spliced into without replacing it', () => {
		const forged = A.change(as(announcements(), COLLEAGUE), (d) => {
			A.splice(d, ['sibling'], 0, 1, 'T');
		});
		expect(forged.sibling).toBe(`T${SIBLING.slice(1)}`);
		expect(read(forged)).toBeUndefined();
	});

	it('ignores a pointer written as a scalar by someone else, and accepts the administrator’s', () => {
		const byWriter = A.change(as(announcements(), COLLEAGUE), (d) => {
			d.sibling = new A.ImmutableString(OTHER) as unknown as string;
		});
		expect(read(byWriter)).toBeUndefined();
		const byAdmin = A.change(as(announcements(), OWNER), (d) => {
			d.sibling = new A.ImmutableString(OTHER) as unknown as string;
		});
		expect(read(byAdmin)).toBe(OTHER);
	});

	it('is undefined for other kinds, and when concurrent administrators disagree', () => {
		const group = A.change(A.init<ConversationDoc>({ actor: ACTORS[OWNER] }), initialConversation('Team', OWNER, 'Dr. Owner', 1000, 'group', SIBLING));
		expect(read(group)).toBeUndefined();

		const base = announcements();
		const one = A.change(as(base, OWNER), (d) => {
			d.sibling = OTHER;
		});
		const two = A.change(as(base, { actor: 'ab'.repeat(16) }), (d) => {
			d.sibling = SIBLING;
		});
		expect(read(A.merge(A.clone(one), two))).toBeUndefined();
	});
});
