import * as A from '@automerge/automerge';
import { initialConversation, type ConversationDoc } from '../../../src/lib/model/conversation.js';
import { readConversation, type ReadContext } from '../../../src/lib/model/readConversation.js';

/**
 * Devices and actors for model tests: each device writes through its own actor, and the read
 * context maps actors to devices as the actor claims would (rule 12).
 */
export const OWNER = 'a1'.repeat(32);
export const CLIENT = 'c1'.repeat(32);
export const COLLEAGUE = 'd1'.repeat(32);

export const ACTORS: Record<string, string> = {
	[OWNER]: 'aa'.repeat(16),
	[CLIENT]: 'cc'.repeat(16),
	[COLLEAGUE]: 'dd'.repeat(16)
};
/** A second actor of the owner's device (another tab, or a reload). */
export const OWNER_TAB = 'ab'.repeat(16);

export function contextFor(me: string, admins: string[] = [OWNER]): ReadContext {
	const devices = new Map(Object.entries(ACTORS).map(([device, actor]) => [actor, device]));
	devices.set(OWNER_TAB, OWNER);
	return {
		me,
		deviceOf: (actor) => devices.get(actor),
		isAdmin: (device) => admins.includes(device)
	};
}

export function genesisDoc(kind: ConversationDoc['kind'] = 'group'): A.Doc<ConversationDoc> {
	return A.change(
		A.init<ConversationDoc>({ actor: ACTORS[OWNER] }),
		initialConversation('Check-ins', OWNER, 'Dr. Owner', 1000, kind)
	);
}

/** The document as seen from another device's actor (same content, its own actor id). */
export function as(doc: A.Doc<ConversationDoc>, device: string | { actor: string }): A.Doc<ConversationDoc> {
	const actor = typeof device === 'string' ? ACTORS[device] : device.actor;
	return A.clone(doc, { actor });
}

/** Merges into a copy of the first document, which keeps that document's actor. */
export function merge(...docs: A.Doc<ConversationDoc>[]): A.Doc<ConversationDoc> {
	let out = A.clone(docs[0], { actor: A.getActorId(docs[0]) });
	for (const doc of docs.slice(1)) out = A.merge(out, doc);
	return out;
}

export function read(doc: A.Doc<ConversationDoc>, me = OWNER, admins?: string[]) {
	return readConversation(doc, contextFor(me, admins));
}
