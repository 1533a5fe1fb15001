import { toHex } from '../protocol/bytes.js';
import {
	initialConversation,
	type ConversationDoc,
	type ConversationKind
} from '../model/conversation.js';
import type { DocSync, DocSyncContext } from './DocSync.js';
import { createDocument } from './createDocument.js';

/** Creates a conversation on this device (see {@link createDocument}). */
export async function createConversation(
	ctx: DocSyncContext,
	params: { title: string; creatorName: string; now?: number; kind?: ConversationKind }
): Promise<DocSync> {
	return createDocument<ConversationDoc>(
		ctx,
		initialConversation(
			params.title.trim().slice(0, 200),
			toHex(ctx.author.device.publicKey),
			params.creatorName,
			params.now ?? Date.now(),
			params.kind
		)
	);
}
