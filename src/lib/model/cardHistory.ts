import * as A from '@automerge/automerge';

/**
 * A card's history, read from the document's own changes: which actor changed which of the
 * card's fields, and when (the change's own time, from the writer's clock: for display only).
 * Actors map to devices through their signed claims (rule 12), so the caller can name people.
 */

export type CardField =
	| 'created'
	| 'title'
	| 'description'
	| 'place'
	| 'assignee'
	| 'due'
	| 'labels'
	| 'checklist'
	| 'comments'
	| 'attachments'
	| 'archived'
	| 'deleted'
	| 'link';

export interface CardHistoryStep {
	actor: string;
	/** Milliseconds since the epoch, from the writer's clock (Automerge stores seconds). */
	at: number;
	fields: CardField[];
}

const KNOWN = new Set<string>([
	'title',
	'description',
	'place',
	'assignee',
	'due',
	'labels',
	'checklist',
	'comments',
	'attachments',
	'archived',
	'deleted',
	'link'
]);

function opId(change: A.DecodedChange, index: number): string {
	return `${change.startOp + index}@${change.actor}`;
}

/**
 * Walks every change once (O(operations)); call it when someone opens a card's history, not
 * on every render. Changes come in Automerge's causal order, which every device shares.
 */
export function cardHistory(doc: A.Doc<unknown>, cardId: string): CardHistoryStep[] {
	const root = doc as { cards?: Record<string, unknown> };
	const cardsObj = root.cards ? A.getObjectId(root.cards) : null;
	if (!cardsObj) return [];
	/** Object id → the card field it belongs to ('' for the card object itself). */
	const owned = new Map<string, string>();
	const steps: CardHistoryStep[] = [];

	for (const bytes of A.getAllChanges(doc)) {
		const change = A.decodeChange(bytes);
		const fields = new Set<CardField>();
		change.ops.forEach((op, i) => {
			const o = op as { action: string; obj: string; key?: string };
			if (o.obj === cardsObj && o.key === cardId && o.action === 'makeMap') {
				owned.set(opId(change, i), '');
				fields.add('created');
				return;
			}
			const field = owned.get(o.obj);
			if (field === undefined) return;
			const name = field === '' ? (o.key ?? '') : field;
			if (o.action.startsWith('make')) owned.set(opId(change, i), name);
			if (KNOWN.has(name)) fields.add(name as CardField);
		});
		if (fields.size === 0) continue;
		if (fields.has('created')) {
			steps.push({ actor: change.actor, at: change.time * 1000, fields: ['created'] });
		} else {
			steps.push({ actor: change.actor, at: change.time * 1000, fields: [...fields].sort() });
		}
	}
	return steps;
}
