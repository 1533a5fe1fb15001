import type * as A from '@automerge/automerge';
import type { ConversationDoc, SiblingDoc } from '../model/conversation.js';
import { readConversation } from '../model/readConversation.js';
import { readContextOf, type Authority } from './authority.js';
import type { ConversationPrefs } from './TendApp.svelte.js';
import type { ConversationSummary } from './types.js';
import { t } from '../ui/strings.js';

/** A message with files and no text is listed by what it carries. */
function attachmentLabel(kind: string | undefined): string {
	if (kind === 'image') return t('attachment.photo');
	if (kind === 'voice') return t('attachment.voice');
	return kind ? t('attachment.file') : '';
}

export interface SummarizeParams {
	docKey: string;
	doc: A.Doc<ConversationDoc> | undefined;
	/** This device's key in hex. */
	me: string;
	authority: Authority;
	/** Announcements: the sibling, where members' read markers are (rule 7). */
	sibling?: { doc: A.Doc<SiblingDoc>; authority: Authority };
	pendingRequests: number;
	prefs: ConversationPrefs;
}

/** The conversation list's line for one document; undefined until its first change arrived. */
export function summarize(params: SummarizeParams): ConversationSummary | undefined {
	const { docKey, doc, me, authority } = params;
	if (!doc || typeof doc.title !== 'string') return undefined;
	const sibling = params.sibling;
	const record = readConversation(doc, {
		...readContextOf(authority, me),
		sibling: sibling && { doc: sibling.doc, deviceOf: sibling.authority.deviceOf }
	});
	const members = record.members;
	const last = record.messages.findLast((m) => !m.deleted);
	return {
		id: docKey,
		title: record.title,
		memberNames: Object.entries(members)
			.filter(([device]) => device !== me && !record.departed.has(device))
			.map(([, member]) => member.name),
		lastMessage: last && {
			text: last.text.slice(0, 200) || attachmentLabel(last.attachments[0]?.kind),
			sentAt: last.sentAt,
			authorName: members[last.author]?.name ?? '',
			mine: last.author === me
		},
		updatedAt: last?.sentAt ?? doc.createdAt ?? 0,
		pendingRequests: params.pendingRequests,
		kind: record.kind,
		unread: record.unread,
		unreadMentions: record.unreadMentions,
		muted: params.prefs.muted === true,
		archived: params.prefs.archived === true
	};
}
