import * as A from '@automerge/automerge';
import { readAttachments, toAttachment, type Attachment, type AttachmentInput } from './attachment.js';
import { compareByKey, keyBetween, keyForIndex } from './orderKey.js';

/**
 * The task-board document (docs/boards.md). Merge rules:
 *
 * - Every container is created by the board's first change (`initialBoard`) or by the change
 *   that creates its card: never lazily (SECURITY-RULES.md rule 19).
 * - A card's column and position are ONE register, `place` ("<column> <order key>", an
 *   immutable string): concurrent moves of one card leave it in exactly one place, the same on
 *   every device (Automerge picks the same winner everywhere).
 * - Other fields are separate registers, so concurrent edits of different fields all survive;
 *   title and description are Automerge text, so concurrent edits of one of them merge as text.
 * - Deleting a card sets a tombstone and never removes the object: deletion wins over a
 *   concurrent edit (the card stays hidden), and the edited card stays in the document, in its
 *   history and in the list of deleted cards, from which it can be restored.
 * - Columns are never removed either: a deleted column names where its cards went (`movedTo`,
 *   or null for "archived"), and a card that lands in a deleted column through a concurrent move
 *   is shown where that column's cards went. No card is ever orphaned.
 */

export interface BoardDoc {
	v: 1;
	type: 'board';
	title: string;
	createdAt: number;
	/** Keyed by the member device's signing key in hex (same as a conversation's members). */
	members: Record<string, BoardMember>;
	columns: Record<string, BoardColumn>;
	cards: Record<string, BoardCard>;
}

export interface BoardMember {
	name: string;
	role: 'owner' | 'member';
	addedAt: number;
}

export interface BoardColumn {
	title: string;
	key: string;
	/** Null while the column exists; once deleted, where its cards went. */
	deleted: null | { at: number; movedTo: string | null };
}

export interface ChecklistItem {
	text: string;
	done: boolean;
	key: string;
}

export interface CardComment {
	id: A.ImmutableString;
	/** Device key (hex) of the author; checked against the change's actor at display time. */
	author: A.ImmutableString;
	at: number;
	text: A.ImmutableString;
}

export interface CardLink {
	conversation: A.ImmutableString;
	message: A.ImmutableString;
}

export interface BoardCard {
	id: A.ImmutableString;
	/** "<column id> <order key>": column and position in one register. */
	place: A.ImmutableString;
	title: string;
	description: string;
	/** Device key (hex) of a board member, or null. */
	assignee: A.ImmutableString | null;
	/** Due date as YYYY-MM-DD (a calendar day, no time zone), or null. */
	due: string | null;
	labels: Record<string, true>;
	checklist: Record<string, ChecklistItem>;
	comments: CardComment[];
	/** Files, through the same encrypted blob path as messages' (src/lib/files/). */
	attachments: Attachment[];
	archived: boolean;
	deleted: null | { at: number; by: A.ImmutableString };
	createdAt: number;
	createdBy: A.ImmutableString;
	/** The conversation message this task was made from, if any. */
	link: CardLink | null;
}

export const MAX_CARD_TITLE = 500;
export const MAX_DESCRIPTION = 20_000;
export const MAX_COLUMN_TITLE = 100;
export const MAX_LABEL = 40;
export const MAX_COMMENT = 5_000;

/** Random ids: 16 hex digits (64 bits), enough for the cards of one board. */
export function newBoardId(): string {
	const bytes = crypto.getRandomValues(new Uint8Array(8));
	return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

const DUE_PATTERN = /^\d{4}-\d{2}-\d{2}$/;

function clip(text: string, max: number): string {
	return text.trim().slice(0, max);
}

function im(value: string): A.ImmutableString {
	return new A.ImmutableString(value);
}

// ----- Creating ---------------------------------------------------------------------------

/**
 * The board's first change: every container at once, and the starting columns. Made once, by
 * the creating device, with its actor claim (rule 12).
 */
export function initialBoard(params: {
	title: string;
	creatorHex: string;
	creatorName: string;
	now: number;
	columns: { id: string; title: string }[];
}): (doc: BoardDoc) => void {
	return (doc) => {
		doc.v = 1;
		doc.type = 'board';
		doc.title = clip(params.title, 200);
		doc.createdAt = params.now;
		doc.members = {
			[params.creatorHex]: { name: params.creatorName, role: 'owner', addedAt: params.now }
		};
		doc.columns = {};
		let key: string | null = null;
		for (const column of params.columns) {
			key = keyBetween(key, null);
			doc.columns[column.id] = { title: clip(column.title, MAX_COLUMN_TITLE), key, deleted: null };
		}
		doc.cards = {};
	};
}

export function addBoardMember(doc: BoardDoc, deviceHex: string, member: BoardMember): void {
	if (!doc.members[deviceHex]) doc.members[deviceHex] = member;
}

export function renameBoard(doc: BoardDoc, title: string): void {
	const clipped = clip(title, 200);
	if (clipped) A.updateText(doc, ['title'], clipped);
}

// ----- Columns ----------------------------------------------------------------------------

/** Live columns in board order (by key, then id). */
export function liveColumnIds(doc: BoardDoc): string[] {
	return sortedColumns(doc)
		.filter((c) => !c.deleted)
		.map((c) => c.id);
}

function sortedColumns(doc: BoardDoc): { id: string; key: string; deleted: unknown }[] {
	const columns = isRecord(doc.columns) ? doc.columns : {};
	return Object.entries(columns)
		.filter(([, c]) => isRecord(c))
		.map(([id, c]) => ({ id, key: typeof c.key === 'string' ? c.key : '', deleted: c.deleted }))
		.sort(compareByKey);
}

export function addColumn(doc: BoardDoc, id: string, title: string): void {
	const columns = sortedColumns(doc).filter((c) => !c.deleted);
	const key = keyForIndex(columns, columns.length);
	doc.columns[id] = { title: clip(title, MAX_COLUMN_TITLE) || '…', key, deleted: null };
}

export function renameColumn(doc: BoardDoc, id: string, title: string): void {
	const clipped = clip(title, MAX_COLUMN_TITLE);
	if (!clipped || !doc.columns[id]) return;
	A.updateText(doc, ['columns', id, 'title'], clipped);
}

/** Puts a column at `index` among the live columns (the column itself left out). */
export function moveColumn(doc: BoardDoc, id: string, index: number): void {
	const column = doc.columns[id];
	if (!column || column.deleted) return;
	const others = sortedColumns(doc).filter((c) => !c.deleted && c.id !== id);
	column.key = keyForIndex(others, index);
}

/**
 * Deletes a column: its cards move to the end of `moveTo` (a live column), or are archived
 * (`moveTo` null). The column stays in the document as a pointer, so a card moved into it
 * concurrently on another device still shows up (see {@link resolveColumn}).
 */
export function deleteColumn(
	doc: BoardDoc,
	id: string,
	moveTo: string | null,
	now: number,
	snapshot: BoardDoc = doc
): void {
	const column = doc.columns[id];
	if (!column || column.deleted) return;
	const target = moveTo && moveTo !== id && doc.columns[moveTo] && !doc.columns[moveTo].deleted ? moveTo : null;
	const cards = cardsInColumn(snapshot, id);
	if (target) {
		let key = lastKeyIn(snapshot, target);
		for (const card of cards) {
			key = keyBetween(key, null);
			doc.cards[card.id].place = im(`${target} ${key}`);
		}
	} else {
		for (const card of cards) doc.cards[card.id].archived = true;
	}
	column.deleted = { at: now, movedTo: target };
}

// ----- Cards ------------------------------------------------------------------------------

export interface Place {
	column: string;
	key: string;
}

/** Parses a card's place register; undefined if malformed. */
export function parsePlace(value: unknown): Place | undefined {
	const text = value instanceof A.ImmutableString ? value.val : typeof value === 'string' ? value : '';
	const space = text.indexOf(' ');
	if (space <= 0 || space === text.length - 1) return undefined;
	return { column: text.slice(0, space), key: text.slice(space + 1) };
}

/**
 * Cards (not deleted, not archived) whose place names column `id`, in order. Reads every card:
 * pass the document as it was before the change (a plain object) rather than the change's
 * proxy where possible, which is many times faster on a large board.
 */
function cardsInColumn(doc: BoardDoc, id: string): { id: string; key: string }[] {
	const out: { id: string; key: string }[] = [];
	for (const [cardId, card] of Object.entries(doc.cards)) {
		if (!isRecord(card) || card.deleted || card.archived) continue;
		const place = parsePlace(card.place);
		if (place?.column === id) out.push({ id: cardId, key: place.key });
	}
	return out.sort(compareByKey);
}

function lastKeyIn(doc: BoardDoc, column: string): string | null {
	const cards = cardsInColumn(doc, column);
	return cards.length > 0 ? cards[cards.length - 1].key : null;
}

export function addCard(
	doc: BoardDoc,
	card: {
		id: string;
		column: string;
		title: string;
		author: string;
		now: number;
		/** Position among the column's cards; the end if left out. */
		index?: number;
		description?: string;
		link?: { conversation: string; message: string };
	},
	snapshot: BoardDoc = doc
): void {
	if (doc.cards[card.id]) return;
	const list = cardsInColumn(snapshot, card.column);
	const key = keyForIndex(list, card.index ?? list.length);
	doc.cards[card.id] = {
		id: im(card.id),
		place: im(`${card.column} ${key}`),
		title: clip(card.title, MAX_CARD_TITLE),
		description: (card.description ?? '').slice(0, MAX_DESCRIPTION),
		assignee: null,
		due: null,
		labels: {},
		checklist: {},
		comments: [],
		attachments: [],
		archived: false,
		deleted: null,
		createdAt: card.now,
		createdBy: im(card.author),
		link: card.link
			? { conversation: im(card.link.conversation), message: im(card.link.message) }
			: null
	};
}

/**
 * Moves a card to `index` among `column`'s cards (the card itself left out): one write of its
 * place register. Moving an archived card also restores it.
 */
export function moveCard(
	doc: BoardDoc,
	id: string,
	column: string,
	index: number,
	snapshot: BoardDoc = doc
): void {
	const card = doc.cards[id];
	if (!card || card.deleted || !doc.columns[column]) return;
	const list = cardsInColumn(snapshot, column).filter((c) => c.id !== id);
	card.place = im(`${column} ${keyForIndex(list, index)}`);
	if (card.archived) card.archived = false;
}

export type CardTextField = 'title' | 'description';

/** Edits a text field as text (`A.updateText`): concurrent edits of one field merge. */
export function editCardText(doc: BoardDoc, id: string, field: CardTextField, text: string): void {
	const card = doc.cards[id];
	if (!card) return;
	const max = field === 'title' ? MAX_CARD_TITLE : MAX_DESCRIPTION;
	const value = field === 'title' ? text.replace(/[\r\n]+/g, ' ').slice(0, max) : text.slice(0, max);
	if (field === 'title' && !value.trim()) return;
	if (card[field] === value) return;
	A.updateText(doc, ['cards', id, field], value);
}

export function setAssignee(doc: BoardDoc, id: string, deviceHex: string | null): void {
	const card = doc.cards[id];
	if (!card) return;
	if (deviceHex !== null && !doc.members[deviceHex]) return;
	const current = card.assignee instanceof A.ImmutableString ? card.assignee.val : null;
	if (current !== deviceHex) card.assignee = deviceHex === null ? null : im(deviceHex);
}

export function setDue(doc: BoardDoc, id: string, due: string | null): void {
	const card = doc.cards[id];
	if (!card) return;
	if (due !== null && !DUE_PATTERN.test(due)) return;
	if (card.due !== due) card.due = due;
}

export function addLabel(doc: BoardDoc, id: string, label: string): void {
	const card = doc.cards[id];
	const clipped = clip(label, MAX_LABEL);
	if (!card || !clipped || card.labels[clipped]) return;
	card.labels[clipped] = true;
}

export function removeLabel(doc: BoardDoc, id: string, label: string): void {
	const card = doc.cards[id];
	if (card && card.labels[label]) delete card.labels[label];
}

export function addChecklistItem(doc: BoardDoc, cardId: string, itemId: string, text: string): void {
	const card = doc.cards[cardId];
	const clipped = clip(text, MAX_CARD_TITLE);
	if (!card || !clipped || card.checklist[itemId]) return;
	const items = Object.entries(card.checklist)
		.map(([id, item]) => ({ id, key: typeof item.key === 'string' ? item.key : '' }))
		.sort(compareByKey);
	card.checklist[itemId] = { text: clipped, done: false, key: keyForIndex(items, items.length) };
}

export function setChecklistDone(doc: BoardDoc, cardId: string, itemId: string, done: boolean): void {
	const item = doc.cards[cardId]?.checklist[itemId];
	if (item && item.done !== done) item.done = done;
}

export function editChecklistItem(doc: BoardDoc, cardId: string, itemId: string, text: string): void {
	const clipped = clip(text, MAX_CARD_TITLE);
	if (!clipped || !doc.cards[cardId]?.checklist[itemId]) return;
	A.updateText(doc, ['cards', cardId, 'checklist', itemId, 'text'], clipped);
}

export function removeChecklistItem(doc: BoardDoc, cardId: string, itemId: string): void {
	const card = doc.cards[cardId];
	if (card?.checklist[itemId]) delete card.checklist[itemId];
}

export function addComment(
	doc: BoardDoc,
	cardId: string,
	comment: { id: string; author: string; at: number; text: string }
): void {
	const card = doc.cards[cardId];
	const text = comment.text.trim().slice(0, MAX_COMMENT);
	if (!card || !text) return;
	card.comments.push({ id: im(comment.id), author: im(comment.author), at: comment.at, text: im(text) });
}

/**
 * Attaches a file (already sealed and queued for upload on this device). The list is created
 * with the card, never here, so two devices attaching at once both keep theirs.
 */
export function addCardAttachment(doc: BoardDoc, cardId: string, input: AttachmentInput): void {
	const card = doc.cards[cardId];
	if (!card || !Array.isArray(card.attachments)) return;
	card.attachments.push(toAttachment(input));
}

/** Removes a file from a card by its blob id (hex). */
export function removeCardAttachment(doc: BoardDoc, cardId: string, blobHex: string): void {
	const list = doc.cards[cardId]?.attachments;
	if (!Array.isArray(list)) return;
	const index = list.findIndex(
		(a) => a.blob instanceof Uint8Array && Array.from(a.blob, (b) => b.toString(16).padStart(2, '0')).join('') === blobHex
	);
	if (index >= 0) list.splice(index, 1);
}

export function setArchived(doc: BoardDoc, id: string, archived: boolean): void {
	const card = doc.cards[id];
	if (card && card.archived !== archived) card.archived = archived;
}

/** Deletes a card: a tombstone that wins over concurrent edits; the card stays restorable. */
export function deleteCard(doc: BoardDoc, id: string, by: string, now: number): void {
	const card = doc.cards[id];
	if (card && !card.deleted) card.deleted = { at: now, by: im(by) };
}

export function restoreCard(doc: BoardDoc, id: string): void {
	const card = doc.cards[id];
	if (card?.deleted) card.deleted = null;
}

// ----- Reading ----------------------------------------------------------------------------

export interface CardState {
	id: string;
	title: string;
	description: string;
	/** The column the card shows in (after following deleted columns). */
	column: string;
	key: string;
	assignee: string | null;
	due: string | null;
	labels: string[];
	checklist: { id: string; text: string; done: boolean }[];
	comments: { id: string; author: string; at: number; text: string; actor: string }[];
	attachments: AttachmentInput[];
	archived: boolean;
	deleted: null | { at: number; by: string };
	createdAt: number;
	createdBy: string;
	link: { conversation: string; message: string } | null;
}

export interface ColumnState {
	id: string;
	title: string;
	cards: CardState[];
}

export interface BoardState {
	title: string;
	createdAt: number;
	members: Record<string, BoardMember>;
	columns: ColumnState[];
	/** Archived cards, and cards of columns deleted with "archive", newest first. */
	archived: CardState[];
	deleted: CardState[];
	labels: string[];
	/** Card id → card, for every card (any state). */
	byId: Map<string, CardState>;
}

function isRecord(value: unknown): value is Record<string, any> {
	return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function str(value: unknown): string {
	if (value instanceof A.ImmutableString) return value.val;
	return typeof value === 'string' ? value : '';
}

/**
 * Where a card in column `id` shows: the column itself while it lives; else where the deleted
 * column's cards went, followed (cycle-safe) to a live column; null means archived. A card whose
 * column is unknown (malformed) shows in the first live column.
 */
export function resolveColumn(
	columns: Record<string, { deleted?: unknown }>,
	id: string,
	firstLive: string | null
): string | null {
	const seen = new Set<string>();
	let current: string | null = id;
	while (current !== null) {
		const column: { deleted?: unknown } | undefined = columns[current];
		if (!isRecord(column)) return firstLive;
		if (!isRecord(column.deleted)) return current;
		if (seen.has(current)) return null;
		seen.add(current);
		const to: unknown = column.deleted.movedTo;
		current = typeof to === 'string' ? to : null;
	}
	return null;
}

/**
 * The board as every device shows it: deterministic from the document alone. O(n log n) in the
 * number of cards.
 */
export function readBoard(doc: A.Doc<BoardDoc>): BoardState {
	const columnsRaw = isRecord(doc.columns) ? doc.columns : {};
	const live = sortedColumns(doc).filter((c) => !isRecord(c.deleted));
	const firstLive = live.length > 0 ? live[0].id : null;
	const columns: ColumnState[] = live.map((c) => ({
		id: c.id,
		title: str(columnsRaw[c.id].title),
		cards: []
	}));
	const byColumn = new Map(columns.map((c) => [c.id, c]));
	const archived: CardState[] = [];
	const deleted: CardState[] = [];
	const labels = new Set<string>();
	const byId = new Map<string, CardState>();
	const cards = isRecord(doc.cards) ? doc.cards : {};

	for (const [id, raw] of Object.entries(cards)) {
		if (!isRecord(raw)) continue;
		const place = parsePlace(raw.place);
		const resolved = place ? resolveColumn(columnsRaw, place.column, firstLive) : firstLive;
		const card = readCard(id, raw, resolved ?? place?.column ?? '', place?.key ?? '');
		byId.set(id, card);
		if (card.deleted) {
			deleted.push(card);
			continue;
		}
		for (const label of card.labels) labels.add(label);
		const column = resolved === null ? undefined : byColumn.get(resolved);
		if (card.archived || !column) archived.push(card);
		else column.cards.push(card);
	}
	for (const column of columns) column.cards.sort(compareByKey);
	archived.sort((a, b) => b.createdAt - a.createdAt || compareByKey(a, b));
	deleted.sort((a, b) => (b.deleted?.at ?? 0) - (a.deleted?.at ?? 0) || compareByKey(a, b));
	return {
		title: str(doc.title),
		createdAt: typeof doc.createdAt === 'number' ? doc.createdAt : 0,
		members: isRecord(doc.members) ? doc.members : {},
		columns,
		archived,
		deleted,
		labels: [...labels].sort(),
		byId
	};
}

function actorOf(value: unknown): string {
	const objectId = isRecord(value) ? A.getObjectId(value) : null;
	const match = objectId ? /^\d+@([0-9a-f]+)$/.exec(objectId) : null;
	return match ? match[1] : '';
}

function readCard(id: string, raw: Record<string, any>, column: string, key: string): CardState {
	const checklist = isRecord(raw.checklist)
		? Object.entries(raw.checklist)
				.filter(([, item]) => isRecord(item))
				.map(([itemId, item]) => ({
					id: itemId,
					key: typeof item.key === 'string' ? item.key : '',
					text: str(item.text),
					done: item.done === true
				}))
				.sort(compareByKey)
				.map(({ id: itemId, text, done }) => ({ id: itemId, text, done }))
		: [];
	const comments = Array.isArray(raw.comments)
		? raw.comments.filter(isRecord).map((c) => ({
				id: str(c.id),
				author: str(c.author),
				at: typeof c.at === 'number' ? c.at : 0,
				text: str(c.text),
				actor: actorOf(c)
			}))
		: [];
	const deleted = isRecord(raw.deleted)
		? { at: typeof raw.deleted.at === 'number' ? raw.deleted.at : 0, by: str(raw.deleted.by) }
		: null;
	const link = isRecord(raw.link)
		? { conversation: str(raw.link.conversation), message: str(raw.link.message) }
		: null;
	return {
		id,
		title: str(raw.title),
		description: str(raw.description),
		column,
		key,
		assignee: raw.assignee ? str(raw.assignee) || null : null,
		due: typeof raw.due === 'string' && DUE_PATTERN.test(raw.due) ? raw.due : null,
		labels: isRecord(raw.labels) ? Object.keys(raw.labels).sort() : [],
		checklist,
		comments,
		attachments: readAttachments(raw.attachments),
		archived: raw.archived === true,
		deleted,
		createdAt: typeof raw.createdAt === 'number' ? raw.createdAt : 0,
		createdBy: str(raw.createdBy),
		link: link && link.conversation && link.message ? link : null
	};
}
