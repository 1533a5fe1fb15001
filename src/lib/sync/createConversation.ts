import * as A from '@automerge/automerge';
import { makeActorClaimMessage } from '../crypto/actorClaim.js';
import { toHex } from '../protocol/bytes.js';
import { initialConversation, type ConversationDoc } from '../model/conversation.js';
import { DocSync, type DocSyncContext } from './DocSync.js';
import { createGenesis } from './documentRecords.js';

/**
 * Creates a conversation on this device, offline if need be: a genesis record that makes this
 * device its administrator and only writer, and a first change that creates every container
 * and carries the actor claim (rules 4, 7 and 12). The relay learns of it on the next connect.
 */
export async function createConversation(
	ctx: DocSyncContext,
	params: { title: string; creatorName: string; now?: number }
): Promise<DocSync> {
	const device = ctx.author.device;
	const created = createGenesis(device, 'conversation');
	let initial = A.init<ConversationDoc>();
	const actor = A.getActorId(initial);
	initial = A.change(
		initial,
		{ message: makeActorClaimMessage(device, created.doc, actor) },
		initialConversation(
			params.title.trim().slice(0, 200),
			toHex(device.publicKey),
			params.creatorName,
			params.now ?? Date.now()
		)
	);
	return DocSync.create(ctx, {
		chain: [created.genesis],
		secrets: { 0: created.secret },
		initial,
		myActors: [actor],
		registered: false
	});
}
