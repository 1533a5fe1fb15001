import type * as A from '@automerge/automerge';
import { readMessages, type ConversationDoc } from '../model/conversation.js';
import type { ConversationSummary } from './types.js';
import { t } from '../ui/strings.js';

/** A message with files and no text is listed by what it carries. */
function attachmentLabel(kind: string | undefined): string {
	if (kind === 'image') return t('attachment.photo');
	if (kind === 'voice') return t('attachment.voice');
	return kind ? t('attachment.file') : '';
}

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
			text: last.text.slice(0, 200) || attachmentLabel(last.attachments[0]?.kind),
			sentAt: last.sentAt,
			authorName: members[last.author]?.name ?? '',
			mine: last.author === myHex
		},
		updatedAt: last?.sentAt ?? doc.createdAt ?? 0,
		pendingRequests
	};
}
