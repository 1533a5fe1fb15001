import type { ConversationKind } from './conversation.js';

/**
 * Who may post in a conversation: the one place that decides it (rule 7). In direct
 * conversations and group channels every member posts. In announcements only administering
 * members post, and those an administering member marked "can post" when letting them in; the
 * others read, react and mark as read through the sibling document.
 *
 * The answer is applied when someone is let in: a poster becomes a writer of the document's
 * epoch, anyone else a reader, so the relay and every device enforce it from the signed chain.
 * Practice roles (owners and clinicians) are meant to feed `canPost`.
 */
export interface PostingParams {
	kind: ConversationKind;
	/** The member administers the conversation. */
	admin: boolean;
	/** The admitting administrator marked them "can post". */
	canPost?: boolean;
}

export function mayPost({ kind, admin, canPost }: PostingParams): boolean {
	return kind !== 'announcements' || admin || canPost === true;
}
