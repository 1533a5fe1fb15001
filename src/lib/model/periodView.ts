import * as A from '@automerge/automerge';
import type { ConversationDoc, Message, ReactionOp } from './conversation.js';
import type { PeriodDoc } from './period.js';

/**
 * One view of a conversation over the periods a device has loaded (rule 19): the conversation
 * document's fields, with `messages` the loaded periods' lists in period order and `reactions`
 * every loaded document's reactions. The message and operation objects are the documents' own,
 * so their object ids still name their authors (rule 12), and readConversation, the summaries,
 * search and the archive read it as they read a single document.
 *
 * An operation on a message lives in the message's own document, so concatenating keeps each
 * message's operations in their document's order; read markers and pins stay in the
 * conversation document and name messages by id. A marker naming a message in a period not
 * loaded is older than everything loaded (periods load newest first).
 */
export function mergePeriods(
	conv: A.Doc<ConversationDoc>,
	parts: { n: number; doc: A.Doc<PeriodDoc | ConversationDoc> }[]
): A.Doc<ConversationDoc> {
	if (parts.length === 0 || (parts.length === 1 && parts[0].n === 0)) return conv;
	const messages: Message[] = [];
	const reactions: ReactionOp[] = Array.isArray(conv.reactions) ? [...conv.reactions] : [];
	const heads = [A.getHeads(conv).join(',')];
	for (const { n, doc } of [...parts].sort((a, b) => a.n - b.n)) {
		if (Array.isArray(doc.messages)) messages.push(...doc.messages);
		if (n > 0 && Array.isArray(doc.reactions)) reactions.push(...doc.reactions);
		if (n > 0) heads.push(`${n}:${A.getHeads(doc).join(',')}`);
	}
	const view = { ...conv, messages, reactions } as A.Doc<ConversationDoc>;
	Object.defineProperty(view, VIEW_HEADS, { value: heads.join('|') });
	return view;
}

const VIEW_HEADS = Symbol('tend.viewHeads');

/**
 * A key that changes whenever the view's content does: the heads of the conversation document,
 * or of every document a merged view was made from. (A merged view is not an Automerge
 * document, so `A.getHeads` can't take it.)
 */
export function viewHeads(doc: A.Doc<ConversationDoc>): string {
	const merged = (doc as unknown as Record<symbol, string | undefined>)[VIEW_HEADS];
	return merged ?? A.getHeads(doc).join(',');
}

/**
 * Actor → device over several documents' claims. Claims are per document, so an actor claimed
 * by two different devices in two documents is ambiguous and names nobody: a device can't
 * borrow another's actor id in a period to write in its name.
 */
export function combineDeviceOf(
	lookups: ((actor: string) => string | undefined)[]
): (actor: string) => string | undefined {
	return (actor) => {
		let found: string | undefined;
		for (const lookup of lookups) {
			const device = lookup(actor);
			if (device === undefined) continue;
			if (found !== undefined && found !== device) return undefined;
			found = device;
		}
		return found;
	};
}
