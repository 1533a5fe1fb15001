import * as A from '@automerge/automerge';
import { makeActorClaimMessage } from '../crypto/actorClaim.js';
import { DocSync, type DocSyncContext } from './DocSync.js';
import { createGenesis } from './documentRecords.js';

/**
 * The genesis record's `kind` for every shared document. Boards use the same value as
 * conversations on purpose: the genesis record is readable by the relay, and the relay has no
 * need to tell a board from a conversation. The real type lives inside the encrypted document
 * (a board's `type: 'board'`), the sealed invite details and the sealed local index.
 */
export const GENESIS_KIND = 'conversation';

/**
 * Creates a shared document on this device, offline if need be: a genesis record that makes
 * this device its administrator and only writer, and a first change that creates every
 * container and carries the actor claim (rules 4, 7, 12 and 19). The relay learns of it on the
 * next connect.
 */
export async function createDocument<T>(
	ctx: DocSyncContext,
	first: (doc: T) => void
): Promise<DocSync> {
	const device = ctx.author.device;
	const created = createGenesis(device, GENESIS_KIND);
	let initial = A.init<T>();
	const actor = A.getActorId(initial);
	initial = A.change(initial, { message: makeActorClaimMessage(device, created.doc, actor) }, first);
	return DocSync.create(ctx, {
		chain: [created.genesis],
		secrets: { 0: created.secret },
		initial,
		myActors: [actor],
		registered: false
	});
}
