import { toHex } from '../protocol/bytes.js';
import {
	initialConversation,
	initialSibling,
	type ConversationDoc,
	type ConversationKind,
	type SiblingDoc
} from '../model/conversation.js';
import type { DocSync, DocSyncContext } from './DocSync.js';
import { createDocument } from './createDocument.js';

/**
 * Creates a conversation on this device (see {@link createDocument}), in format v3: its messages
 * live in period documents (rule 19). Announcements name their sibling document (created first,
 * with {@link createSibling}) in the genesis change.
 */
export async function createConversation(
	ctx: DocSyncContext,
	params: { title: string; creatorName: string; now?: number; kind?: ConversationKind; sibling?: string }
): Promise<DocSync> {
	return createDocument<ConversationDoc>(
		ctx,
		initialConversation(
			params.title.trim().slice(0, 200),
			toHex(ctx.author.device.publicKey),
			params.creatorName,
			params.now ?? Date.now(),
			params.kind,
			params.sibling,
			3
		)
	);
}

/**
 * Creates the sibling document of an announcements conversation (rule 7): every member of the
 * announcements is let into it as a writer, so readers can react and mark as read there.
 */
export async function createSibling(ctx: DocSyncContext): Promise<DocSync> {
	return createDocument<SiblingDoc>(ctx, initialSibling);
}

/** Both documents of a new announcements conversation: the sibling first, then the conversation. */
export async function createAnnouncements(
	ctx: DocSyncContext,
	params: { title: string; creatorName: string; now?: number }
): Promise<{ conversation: DocSync; sibling: DocSync }> {
	const sibling = await createSibling(ctx);
	const conversation = await createConversation(ctx, {
		...params,
		kind: 'announcements',
		sibling: sibling.docKey
	});
	return { conversation, sibling };
}
