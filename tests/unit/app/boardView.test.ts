import * as A from '@automerge/automerge';
import { describe, expect, it } from 'vitest';
import { countDue, localDay, summarizeBoard } from '../../../src/lib/app/boardView.js';
import { addCard, initialBoard, readBoard, setDue, type BoardDoc } from '../../../src/lib/model/board.js';
import { cardFilter, dropIndex, endOfWeek } from '../../../src/lib/ui/board/boardFilters.js';
import { reminderText } from '../../../src/lib/ui/board/dueNotifications.js';

const ME = 'aa'.repeat(32);

function board(): A.Doc<BoardDoc> {
	let doc = A.change(
		A.init<BoardDoc>(),
		initialBoard({
			title: 'B',
			creatorHex: ME,
			creatorName: 'Me',
			now: 1,
			columns: [{ id: 'todo', title: 'To do' }, { id: 'done', title: 'Done' }]
		})
	);
	doc = A.change(doc, (d) => {
		addCard(d, { id: 'late', column: 'todo', title: 'Secret late task', author: ME, now: 1 });
		addCard(d, { id: 'today', column: 'todo', title: 'Today task', author: ME, now: 2 });
		addCard(d, { id: 'later', column: 'todo', title: 'Later', author: ME, now: 3 });
		addCard(d, { id: 'finished', column: 'done', title: 'Done already', author: ME, now: 4 });
		setDue(d, 'late', '2026-12-01');
		setDue(d, 'today', '2026-12-04');
		setDue(d, 'later', '2027-01-10');
		setDue(d, 'finished', '2026-12-04');
		addCard(d, { id: 'linked', column: 'todo', title: 'From a message', author: ME, now: 5, link: { conversation: 'conv1', message: 'm1' } });
	});
	return doc;
}

describe('board view helpers', () => {
	it('counts open cards due today or earlier, leaving out the last column', () => {
		expect(countDue(readBoard(board()), '2026-12-04')).toBe(2);
	});

	it('summarizes a board and lists the tasks made from messages', () => {
		const { summary, links } = summarizeBoard('b1', board(), 0, '2026-12-04');
		expect(summary).toMatchObject({ id: 'b1', cardCount: 5, dueToday: 2 });
		expect(links).toEqual([
			{ conversationId: 'conv1', messageId: 'm1', boardId: 'b1', cardId: 'linked', title: 'From a message' }
		]);
	});

	it('says only how many tasks are due in the reminder, never what they are', () => {
		const text = reminderText(3);
		expect(text).toBe('3 tasks due today');
		expect(text).not.toContain('Secret');
	});

	it('filters by week (Sunday end, overdue included) and maps a drop among filtered cards', () => {
		const friday = new Date(2026, 11, 4, 12).getTime();
		expect(endOfWeek(friday)).toBe('2026-12-06');
		expect(localDay(friday)).toBe('2026-12-04');
		const week = cardFilter({ mine: false, week: true, label: '' }, ME, friday);
		const card = (due: string | null) => ({ due, labels: [], assignee: null }) as never;
		expect([week(card('2026-12-01')), week(card('2026-12-06')), week(card('2026-12-07')), week(card(null))]).toEqual([true, true, false, false]);

		const column = [{ id: 'a' }, { id: 'b' }, { id: 'c' }, { id: 'd' }];
		expect(dropIndex(column, 'a', 'c', 'd')).toBe(1);
		expect(dropIndex(column, 'a', null, 'b')).toBe(1);
		expect(dropIndex(column, 'd', null, null)).toBe(3);
	});
});
