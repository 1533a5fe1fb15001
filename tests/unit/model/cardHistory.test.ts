import * as A from '@automerge/automerge';
import { describe, expect, it } from 'vitest';
import { addCard, addLabel, deleteCard, editCardText, initialBoard, moveCard, setDue, type BoardDoc } from '../../../src/lib/model/board.js';
import { cardHistory } from '../../../src/lib/model/cardHistory.js';

const ME = 'aa'.repeat(32);

function board(): A.Doc<BoardDoc> {
	return A.change(
		A.init<BoardDoc>({ actor: '01'.repeat(16) }),
		initialBoard({ title: 'B', creatorHex: ME, creatorName: 'Me', now: 1, columns: [{ id: 'a', title: 'A' }, { id: 'b', title: 'B' }] })
	);
}

describe('cardHistory', () => {
	it('lists who changed which fields of one card, in order, and nothing of other cards', () => {
		let doc = board();
		doc = A.change(doc, { time: 100 }, (d) => addCard(d, { id: 'c1', column: 'a', title: 'One', author: ME, now: 1 }));
		doc = A.change(doc, (d) => addCard(d, { id: 'c2', column: 'a', title: 'Two', author: ME, now: 1 }));
		let other = A.clone(doc, { actor: '02'.repeat(16) });
		other = A.change(other, { time: 200 }, (d) => {
			editCardText(d, 'c1', 'title', 'One, edited');
			setDue(d, 'c1', '2026-12-24');
		});
		doc = A.merge(doc, other);
		doc = A.change(doc, { time: 300 }, (d) => {
			moveCard(d, 'c1', 'b', 0);
			addLabel(d, 'c1', 'x');
		});
		doc = A.change(doc, (d) => addLabel(d, 'c2', 'y'));
		doc = A.change(doc, { time: 400 }, (d) => deleteCard(d, 'c1', ME, 4));

		const steps = cardHistory(doc, 'c1');
		expect(steps.map((s) => s.fields)).toEqual([
			['created'],
			['due', 'title'],
			['labels', 'place'],
			['deleted']
		]);
		expect(steps.map((s) => s.actor)).toEqual(['01'.repeat(16), '02'.repeat(16), '01'.repeat(16), '01'.repeat(16)]);
		expect(steps.map((s) => s.at)).toEqual([100_000, 200_000, 300_000, 400_000]);
	});

	it('keeps an edit made while the card was deleted elsewhere', () => {
		let doc = board();
		doc = A.change(doc, (d) => addCard(d, { id: 'c1', column: 'a', title: 'One', author: ME, now: 1 }));
		const left = A.change(A.clone(doc), (d) => deleteCard(d, 'c1', ME, 2));
		const right = A.change(A.clone(doc, { actor: '03'.repeat(16) }), (d) => editCardText(d, 'c1', 'description', 'kept'));
		const fields = cardHistory(A.merge(left, right), 'c1').flatMap((s) => s.fields);
		expect(fields).toContain('deleted');
		expect(fields).toContain('description');
	});
});
