import * as A from '@automerge/automerge';
import { describe, expect, it } from 'vitest';
import { SearchService } from '../../../src/lib/app/SearchService.js';
import {
	appendMessage,
	initialConversation,
	type ConversationDoc
} from '../../../src/lib/model/conversation.js';
import { renameConversation } from '../../../src/lib/model/messageOps.js';

const ME = 'aa'.repeat(32);
const SAM = 'bb'.repeat(32);

function conversation(title: string): A.Doc<ConversationDoc> {
	let doc = A.change(A.init<ConversationDoc>(), initialConversation(title, ME, 'Dr. Me', 1));
	doc = A.change(doc, (d) => {
		d.members[SAM] = { name: 'Sam', role: 'member', addedAt: 2 };
	});
	return doc;
}

function say(doc: A.Doc<ConversationDoc>, id: string, author: string, text: string) {
	return A.change(doc, (d) => appendMessage(d, { id, author, sentAt: 10, text }));
}

describe('SearchService', () => {
	it('follows the documents: new messages, new and removed conversations, names and titles', () => {
		const docs = new Map<string, A.Doc<ConversationDoc>>();
		docs.set('c1', say(conversation('Check-ins'), 'm1', SAM, 'The lighthouse helped'));
		const service = new SearchService({
			conversationIds: () => [...docs.keys()],
			doc: (id) => docs.get(id),
			myId: () => ME
		});

		const first = service.search({ text: 'lighthouse' });
		expect(first.hits).toMatchObject([
			{ conversationId: 'c1', conversationTitle: 'Check-ins', authorName: 'Sam', mine: false }
		]);

		// A message arrives (the heads move) and a second conversation appears.
		docs.set('c1', say(docs.get('c1')!, 'm2', ME, 'Keep the lighthouse picture'));
		docs.set('c2', say(conversation('Group'), 'm3', ME, 'lighthouse trip'));
		expect(service.search({ text: 'lighthouse' }).total).toBe(3);
		expect(service.search({ text: 'lighthouse', personId: ME }).hits.map((h) => h.mine)).toEqual([true, true]);
		expect(service.search({ text: 'lighthouse', conversationId: 'c2' }).hits.map((h) => h.messageId)).toEqual(['m3']);

		// The conversation leaves this device: its messages leave the results.
		docs.delete('c2');
		expect(service.search({ text: 'lighthouse' }).hits.map((h) => h.messageId).sort()).toEqual(['m1', 'm2']);
		expect(service.people().map((p) => [p.name, p.me])).toEqual([
			['Dr. Me', true],
			['Sam', false]
		]);
	});
});

describe('SearchService titles', () => {
	it('shows the title after a rename by an administering device, and ignores one by anyone else', () => {
		const ownerActor = 'aa'.repeat(16);
		const samActor = 'bb'.repeat(16);
		let doc = A.change(
			A.init<ConversationDoc>({ actor: ownerActor }),
			initialConversation('Check-ins', ME, 'Dr. Me', 1, 'group')
		);
		doc = say(doc, 'm1', ME, 'The lighthouse helped');
		const service = new SearchService({
			conversationIds: () => ['c1'],
			doc: () => doc,
			myId: () => ME,
			readContext: () => ({
				me: ME,
				deviceOf: (actor) => (actor === ownerActor ? ME : actor === samActor ? SAM : undefined),
				isAdmin: (device) => device === ME
			})
		});
		expect(service.search({ text: 'lighthouse' }).hits[0].conversationTitle).toBe('Check-ins');

		doc = A.change(doc, (d) => renameConversation(d, 'Tuesday group', 5));
		expect(service.search({ text: 'lighthouse' }).hits[0].conversationTitle).toBe('Tuesday group');

		// A rename written by a device that doesn't administer the conversation is not shown.
		doc = A.change(A.clone(doc, { actor: samActor }), (d) => renameConversation(d, 'Hijacked', 6));
		expect(service.search({ text: 'lighthouse' }).hits[0].conversationTitle).toBe('Tuesday group');
	});
});
