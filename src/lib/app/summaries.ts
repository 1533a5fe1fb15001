import type * as A from '@automerge/automerge';
import { readMessages, type ConversationDoc } from '../model/conversation.js';
import type { ConversationSummary } from './types.js';

/** The conversation list's line for one document; undefined until its first change arrived. */
export function summarize(
	docKey: string,
	doc: A.Doc<ConversationDoc> | undefined,
	myHex: string,
	pendingRequests: number
): ConversationSummary | undefined {
	if (!doc || typeof doc.title !== 'string') return undefined;
	const members = doc.members ?? {};
	const messages = readMessages(doc);
	const last = messages[messages.length - 1];
	return {
		id: docKey,
		title: doc.title,
		memberNames: Object.entries(members)
			.filter(([device]) => device !== myHex)
			.map(([, member]) => member.name),
		lastMessage: last && {
			text: last.text.slice(0, 200),
			sentAt: last.sentAt,
			authorName: members[last.author]?.name ?? '',
			mine: last.author === myHex
		},
		updatedAt: last?.sentAt ?? doc.createdAt ?? 0,
		pendingRequests
	};
}
