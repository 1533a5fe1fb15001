import * as A from '@automerge/automerge';
import { describe, expect, it } from 'vitest';
import {
	addCard,
	addCardAttachment,
	removeCardAttachment,
	addChecklistItem,
	addColumn,
	addComment,
	addLabel,
	deleteCard,
	deleteColumn,
	editCardText,
	editChecklistItem,
	initialBoard,
	moveCard,
	moveColumn,
	readBoard,
	removeChecklistItem,
	removeLabel,
	renameColumn,
	restoreCard,
	setArchived,
	setAssignee,
	setChecklistDone,
	setDue,
	type BoardDoc
} from '../../../src/lib/model/board.js';
import { compareByKey, keyBetween, keyForIndex } from '../../../src/lib/model/orderKey.js';

const OWNER = 'aa'.repeat(32);
const MEMBER = 'bb'.repeat(32);

function newBoard(): A.Doc<BoardDoc> {
	let doc = A.change(
		A.init<BoardDoc>(),
		initialBoard({
			title: 'Follow-ups',
			creatorHex: OWNER,
			creatorName: 'Dr. Owner',
			now: 1,
			columns: [
				{ id: 'todo', title: 'To do' },
				{ id: 'doing', title: 'Doing' },
				{ id: 'done', title: 'Done' }
			]
		})
	);
	doc = A.change(doc, (d) => {
		d.members[MEMBER] = { name: 'Sam', role: 'member', addedAt: 2 };
	});
	return doc;
}

function withCards(ids: string[], column = 'todo'): A.Doc<BoardDoc> {
	let doc = newBoard();
	for (const id of ids) {
		doc = A.change(doc, (d) => addCard(d, { id, column, title: `Task ${id}`, author: OWNER, now: 3 }));
	}
	return doc;
}

function fork(doc: A.Doc<BoardDoc>): A.Doc<BoardDoc> {
	return A.clone(doc);
}

function order(doc: A.Doc<BoardDoc>): Record<string, string[]> {
	const board = readBoard(doc);
	return Object.fromEntries(board.columns.map((c) => [c.id, c.cards.map((card) => card.id)]));
}

describe('order keys', () => {
	it('makes a key strictly between two keys, and at either end', () => {
		const a = keyBetween(null, null);
		const b = keyBetween(a, null);
		const mid = keyBetween(a, b);
		expect(a < mid && mid < b).toBe(true);
		expect(keyBetween(null, a) < a).toBe(true);
	});

	it('gives two concurrent inserts between the same cards different keys (jitter), ordered by key then id', () => {
		const a = keyBetween(null, null);
		const b = keyBetween(a, null);
		let calls = 0;
		const k1 = keyBetween(a, b, () => (calls++ % 7) / 7);
		const k2 = keyBetween(a, b, () => 0.99);
		expect(k1).not.toBe(k2);
		expect([{ key: 'x', id: 'b' }, { key: 'x', id: 'a' }].sort(compareByKey)[0].id).toBe('a');
	});

	it('steps over neighbours with equal keys and ignores malformed ones', () => {
		const list = [{ key: 'a0' }, { key: 'a0' }, { key: 'a1' }];
		const key = keyForIndex(list, 1);
		expect(key > 'a0' && key < 'a1').toBe(true);
		expect(() => keyForIndex([{ key: 'not a key!' }], 1)).not.toThrow();
	});
});

describe('board operations', () => {
	it('creates every container and the starting columns in the first change', () => {
		const doc = newBoard();
		expect(readBoard(doc).columns.map((c) => c.title)).toEqual(['To do', 'Doing', 'Done']);
		expect(doc.cards).toEqual({});
		expect(doc.type).toBe('board');
	});

	it('adds, renames, reorders and deletes columns', () => {
		let doc = newBoard();
		doc = A.change(doc, (d) => addColumn(d, 'later', 'Later'));
		doc = A.change(doc, (d) => renameColumn(d, 'later', 'Someday'));
		doc = A.change(doc, (d) => moveColumn(d, 'later', 0));
		expect(readBoard(doc).columns.map((c) => c.title)).toEqual(['Someday', 'To do', 'Doing', 'Done']);
		doc = A.change(doc, (d) => deleteColumn(d, 'later', null, 5));
		expect(readBoard(doc).columns.map((c) => c.id)).toEqual(['todo', 'doing', 'done']);
	});

	it('adds cards at an index and moves them within and between columns', () => {
		let doc = withCards(['a', 'b', 'c']);
		doc = A.change(doc, (d) => addCard(d, { id: 'x', column: 'todo', title: 'X', author: OWNER, now: 4, index: 1 }));
		expect(order(doc).todo).toEqual(['a', 'x', 'b', 'c']);
		doc = A.change(doc, (d) => moveCard(d, 'c', 'todo', 0));
		expect(order(doc).todo).toEqual(['c', 'a', 'x', 'b']);
		doc = A.change(doc, (d) => moveCard(d, 'a', 'doing', 0));
		expect(order(doc)).toEqual({ todo: ['c', 'x', 'b'], doing: ['a'], done: [] });
	});

	it('edits every card field', () => {
		let doc = withCards(['a']);
		doc = A.change(doc, (d) => {
			editCardText(d, 'a', 'title', 'Send the intake form');
			editCardText(d, 'a', 'description', 'Line one\nLine two');
			setAssignee(d, 'a', MEMBER);
			setDue(d, 'a', '2026-12-07');
			addLabel(d, 'a', 'intake');
			addLabel(d, 'a', 'billing');
			addChecklistItem(d, 'a', 'i1', 'Print');
			addChecklistItem(d, 'a', 'i2', 'Sign');
			setChecklistDone(d, 'a', 'i1', true);
			editChecklistItem(d, 'a', 'i2', 'Sign twice');
			addComment(d, 'a', { id: 'k1', author: OWNER, at: 9, text: 'Done by Friday?' });
		});
		doc = A.change(doc, (d) => {
			removeLabel(d, 'a', 'billing');
			removeChecklistItem(d, 'a', 'i1');
		});
		const card = readBoard(doc).byId.get('a')!;
		expect(card).toMatchObject({
			title: 'Send the intake form',
			description: 'Line one\nLine two',
			assignee: MEMBER,
			due: '2026-12-07',
			labels: ['intake'],
			checklist: [{ id: 'i2', text: 'Sign twice', done: false }]
		});
		expect(card.comments.map((c) => c.text)).toEqual(['Done by Friday?']);
	});

	it('refuses an assignee who is not a member and a malformed due date', () => {
		let doc = withCards(['a']);
		doc = A.change(doc, (d) => {
			setAssignee(d, 'a', 'cc'.repeat(32));
			setDue(d, 'a', 'tomorrow');
		});
		expect(readBoard(doc).byId.get('a')).toMatchObject({ assignee: null, due: null });
	});

	it('archives and restores; moving an archived card restores it', () => {
		let doc = withCards(['a', 'b']);
		doc = A.change(doc, (d) => setArchived(d, 'a', true));
		expect(readBoard(doc).archived.map((c) => c.id)).toEqual(['a']);
		expect(order(doc).todo).toEqual(['b']);
		doc = A.change(doc, (d) => moveCard(d, 'a', 'done', 0));
		expect(order(doc)).toMatchObject({ todo: ['b'], done: ['a'] });
	});

	it('deletes a column with its cards moved to another column, or archived', () => {
		let doc = withCards(['a', 'b']);
		doc = A.change(doc, (d) => addCard(d, { id: 'c', column: 'done', title: 'C', author: OWNER, now: 4 }));
		doc = A.change(doc, (d) => deleteColumn(d, 'todo', 'done', 5));
		expect(order(doc)).toEqual({ doing: [], done: ['c', 'a', 'b'] });
		doc = A.change(doc, (d) => deleteColumn(d, 'done', null, 6));
		expect(order(doc)).toEqual({ doing: [] });
		expect(readBoard(doc).archived.map((c) => c.id).sort()).toEqual(['a', 'b', 'c']);
	});
});

describe('board merges', () => {
	it('ends concurrent moves of one card with the card in exactly one place, the same on both sides', () => {
		const base = withCards(['a', 'b']);
		const left = A.change(fork(base), (d) => moveCard(d, 'a', 'doing', 0));
		const right = A.change(fork(base), (d) => moveCard(d, 'a', 'done', 0));
		const one = A.merge(fork(left), right);
		const two = A.merge(fork(right), left);
		expect(order(one)).toEqual(order(two));
		const places = Object.values(order(one)).flat().filter((id) => id === 'a');
		expect(places).toEqual(['a']);
	});

	it('keeps concurrent inserts between the same two cards, in the same order everywhere', () => {
		const base = withCards(['a', 'b']);
		const left = A.change(fork(base), (d) => addCard(d, { id: 'x', column: 'todo', title: 'X', author: OWNER, now: 5, index: 1 }));
		const right = A.change(fork(base), (d) => addCard(d, { id: 'y', column: 'todo', title: 'Y', author: MEMBER, now: 5, index: 1 }));
		const one = order(A.merge(fork(left), right)).todo;
		const two = order(A.merge(fork(right), left)).todo;
		expect(one).toEqual(two);
		expect(one[0]).toBe('a');
		expect(one[3]).toBe('b');
		expect(one.slice(1, 3).sort()).toEqual(['x', 'y']);
	});

	it('keeps concurrent edits of different fields of one card', () => {
		const base = withCards(['a']);
		const left = A.change(fork(base), (d) => {
			setDue(d, 'a', '2026-12-24');
			moveCard(d, 'a', 'doing', 0);
		});
		const right = A.change(fork(base), (d) => {
			addLabel(d, 'a', 'paperwork');
			setAssignee(d, 'a', MEMBER);
			editCardText(d, 'a', 'description', 'Fax the form');
		});
		const card = readBoard(A.merge(fork(left), right)).byId.get('a')!;
		expect(card).toMatchObject({
			due: '2026-12-24',
			column: 'doing',
			labels: ['paperwork'],
			assignee: MEMBER,
			description: 'Fax the form'
		});
	});

	it('merges concurrent edits of one title as text', () => {
		let base = withCards(['a']);
		base = A.change(base, (d) => editCardText(d, 'a', 'title', 'Call back'));
		const left = A.change(fork(base), (d) => editCardText(d, 'a', 'title', 'Urgent: Call back'));
		const right = A.change(fork(base), (d) => editCardText(d, 'a', 'title', 'Call back on Monday'));
		expect(readBoard(A.merge(fork(left), right)).byId.get('a')!.title).toBe('Urgent: Call back on Monday');
	});

	it('lets a deletion win over a concurrent edit, and keeps the edit restorable', () => {
		const base = withCards(['a']);
		const left = A.change(fork(base), (d) => deleteCard(d, 'a', OWNER, 10));
		const right = A.change(fork(base), (d) => editCardText(d, 'a', 'title', 'Edited offline'));
		let merged = A.merge(fork(left), right);
		const board = readBoard(merged);
		expect(order(merged).todo).toEqual([]);
		expect(board.deleted.map((c) => c.title)).toEqual(['Edited offline']);
		merged = A.change(merged, (d) => restoreCard(d, 'a'));
		expect(order(merged).todo).toEqual(['a']);
		expect(readBoard(merged).byId.get('a')!.title).toBe('Edited offline');
	});

	it('never orphans a card moved into a column that is deleted concurrently', () => {
		let base = withCards(['a']);
		base = A.change(base, (d) => addCard(d, { id: 'b', column: 'doing', title: 'B', author: OWNER, now: 4 }));
		const left = A.change(fork(base), (d) => deleteColumn(d, 'doing', 'done', 10));
		const right = A.change(fork(base), (d) => moveCard(d, 'a', 'doing', 0));
		const merged = A.merge(fork(left), right);
		expect(Object.keys(order(merged))).toEqual(['todo', 'done']);
		expect(order(merged).todo).toEqual([]);
		expect([...order(merged).done].sort()).toEqual(['a', 'b']);

		// A column deleted with "archive" sends a concurrently moved card to the archive.
		const archivedLeft = A.change(fork(base), (d) => deleteColumn(d, 'doing', null, 10));
		const archived = readBoard(A.merge(archivedLeft, right));
		expect(archived.archived.map((c) => c.id).sort()).toEqual(['a', 'b']);
	});

	it('follows chains of deleted columns without looping', () => {
		let base = withCards(['a'], 'doing');
		const left = A.change(fork(base), (d) => deleteColumn(d, 'doing', 'done', 10));
		const right = A.change(fork(base), (d) => deleteColumn(d, 'done', 'doing', 10));
		base = A.merge(fork(left), right);
		const board = readBoard(base);
		expect(board.columns.map((c) => c.id)).toEqual(['todo']);
		expect(board.archived.map((c) => c.id)).toEqual(['a']);
	});
});

describe('card files', () => {
	const file = (n: number) => ({
		blob: new Uint8Array(32).fill(n),
		key: new Uint8Array(32).fill(100 + n),
		hash: new Uint8Array(32).fill(200 + n),
		size: 10,
		stored: 60,
		kind: 'file' as const,
		mime: 'text/plain',
		name: `notes-${n}.txt`
	});

	it('keeps files attached concurrently on two devices, and removes one by its blob id', () => {
		const base = withCards(['a']);
		const left = A.change(fork(base), (d) => addCardAttachment(d, 'a', file(1)));
		const right = A.change(fork(base), (d) => addCardAttachment(d, 'a', file(2)));
		let merged = A.merge(fork(left), right);
		expect(readBoard(merged).byId.get('a')!.attachments.map((f) => f.name).sort()).toEqual([
			'notes-1.txt',
			'notes-2.txt'
		]);
		merged = A.change(merged, (d) => removeCardAttachment(d, 'a', '01'.repeat(32)));
		expect(readBoard(merged).byId.get('a')!.attachments.map((f) => f.name)).toEqual(['notes-2.txt']);
	});
});
