import type { AttachmentInput } from './attachment.js';
import {
	addCard,
	addCardAttachment,
	addChecklistItem,
	addColumn,
	addComment,
	addLabel,
	deleteCard,
	deleteColumn,
	editCardText,
	editChecklistItem,
	moveCard,
	moveColumn,
	newBoardId,
	removeCardAttachment,
	removeChecklistItem,
	removeLabel,
	renameBoard,
	renameColumn,
	restoreCard,
	setArchived,
	setAssignee,
	setChecklistDone,
	setDue,
	type BoardDoc
} from './board.js';

/**
 * Everything a person can do on a board, as data: the UI sends these, and the real app and
 * the fake one apply them with the same model functions, so both behave alike.
 */
export type BoardAction =
	| { t: 'addCard'; column: string; title: string; index?: number; id?: string }
	| { t: 'moveCard'; card: string; column: string; index: number }
	| { t: 'editText'; card: string; field: 'title' | 'description'; text: string }
	| { t: 'assign'; card: string; assignee: string | null }
	| { t: 'due'; card: string; due: string | null }
	| { t: 'addLabel'; card: string; label: string }
	| { t: 'removeLabel'; card: string; label: string }
	| { t: 'addItem'; card: string; text: string }
	| { t: 'checkItem'; card: string; item: string; done: boolean }
	| { t: 'editItem'; card: string; item: string; text: string }
	| { t: 'removeItem'; card: string; item: string }
	| { t: 'comment'; card: string; text: string }
	| { t: 'attach'; card: string; attachment: AttachmentInput }
	| { t: 'detach'; card: string; blob: string }
	| { t: 'archive'; card: string; archived: boolean }
	| { t: 'delete'; card: string }
	| { t: 'restore'; card: string }
	| { t: 'addColumn'; title: string }
	| { t: 'renameColumn'; column: string; title: string }
	| { t: 'moveColumn'; column: string; index: number }
	| { t: 'deleteColumn'; column: string; moveTo: string | null }
	| { t: 'renameBoard'; title: string }
	| {
			t: 'addLinkedCard';
			column: string;
			title: string;
			description: string;
			conversation: string;
			message: string;
			id?: string;
	  };

/**
 * Applies an action inside a change. `me` is this device's key in hex. `snapshot` is the
 * document as it was just before the change (read-only, fast to scan): positions are computed
 * from it. Left out, they are computed from the change's own proxy (correct, slower).
 */
export function applyBoardAction(
	doc: BoardDoc,
	action: BoardAction,
	me: string,
	now: number,
	snapshot: BoardDoc = doc
): void {
	switch (action.t) {
		case 'addCard':
			return addCard(doc, {
				id: action.id ?? newBoardId(),
				column: action.column,
				title: action.title,
				author: me,
				now,
				index: action.index
			}, snapshot);
		case 'addLinkedCard':
			return addCard(doc, {
				id: action.id ?? newBoardId(),
				column: action.column,
				title: action.title,
				description: action.description,
				author: me,
				now,
				link: { conversation: action.conversation, message: action.message }
			}, snapshot);
		case 'moveCard':
			return moveCard(doc, action.card, action.column, action.index, snapshot);
		case 'editText':
			return editCardText(doc, action.card, action.field, action.text);
		case 'assign':
			return setAssignee(doc, action.card, action.assignee);
		case 'due':
			return setDue(doc, action.card, action.due);
		case 'addLabel':
			return addLabel(doc, action.card, action.label);
		case 'removeLabel':
			return removeLabel(doc, action.card, action.label);
		case 'addItem':
			return addChecklistItem(doc, action.card, newBoardId(), action.text);
		case 'checkItem':
			return setChecklistDone(doc, action.card, action.item, action.done);
		case 'editItem':
			return editChecklistItem(doc, action.card, action.item, action.text);
		case 'removeItem':
			return removeChecklistItem(doc, action.card, action.item);
		case 'comment':
			return addComment(doc, action.card, { id: newBoardId(), author: me, at: now, text: action.text });
		case 'attach':
			return addCardAttachment(doc, action.card, action.attachment);
		case 'detach':
			return removeCardAttachment(doc, action.card, action.blob);
		case 'archive':
			return setArchived(doc, action.card, action.archived);
		case 'delete':
			return deleteCard(doc, action.card, me, now);
		case 'restore':
			return restoreCard(doc, action.card);
		case 'addColumn':
			return addColumn(doc, newBoardId(), action.title);
		case 'renameColumn':
			return renameColumn(doc, action.column, action.title);
		case 'moveColumn':
			return moveColumn(doc, action.column, action.index);
		case 'deleteColumn':
			return deleteColumn(doc, action.column, action.moveTo, now, snapshot);
		case 'renameBoard':
			return renameBoard(doc, action.title);
	}
}
