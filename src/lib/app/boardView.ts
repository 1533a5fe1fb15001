import type * as A from '@automerge/automerge';
import { readBoard, type BoardDoc, type BoardState, type CardState } from '../model/board.js';
import type { AttachmentInput } from '../model/attachment.js';
import type {
	AttachmentView,
	BoardSummary,
	BoardView,
	CardView,
	InviteView,
	JoinRequest,
	TaskLink
} from './types.js';

/**
 * Turning a board document into what the UI shows. Shared by the real app and the fake one,
 * so both show boards alike. Linear in the number of cards (after readBoard's sort).
 */

/** Today as YYYY-MM-DD in the device's time zone (due dates are calendar days). */
export function localDay(now: number = Date.now()): string {
	const d = new Date(now);
	const pad = (n: number) => String(n).padStart(2, '0');
	return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}

export function isBoardDoc(doc: unknown): doc is A.Doc<BoardDoc> {
	return typeof doc === 'object' && doc !== null && (doc as { type?: unknown }).type === 'board';
}

type AttachmentMapper = (a: AttachmentInput) => AttachmentView;

/** Without a file store (the fake app): what the document says, nothing about transfers. */
function plainAttachment(a: AttachmentInput): AttachmentView {
	const id = Array.from(a.blob, (b) => b.toString(16).padStart(2, '0')).join('');
	return { id, kind: a.kind, name: a.name, mime: a.mime, size: a.size, status: 'remote' };
}

function cardView(
	card: CardState,
	board: BoardState,
	me: string,
	attachment: AttachmentMapper = plainAttachment
): CardView {
	const members = board.members;
	return {
		id: card.id,
		title: card.title,
		description: card.description,
		columnId: card.column,
		assignee: card.assignee,
		assigneeName: card.assignee ? (members[card.assignee]?.name ?? '?') : null,
		due: card.due,
		labels: card.labels,
		checklist: card.checklist,
		comments: card.comments.map((c) => ({
			id: c.id,
			authorName: members[c.author]?.name ?? '?',
			at: c.at,
			text: c.text,
			mine: c.author === me
		})),
		attachments: card.attachments.map(attachment),
		archived: card.archived,
		deleted: card.deleted !== null,
		createdAt: card.createdAt,
		link: card.link
			? { conversationId: card.link.conversation, messageId: card.link.message }
			: null
	};
}

export function buildBoardView(
	id: string,
	doc: A.Doc<BoardDoc>,
	extra: {
		me: string;
		requests: JoinRequest[];
		invites: InviteView[];
		isAdmin: boolean;
		problems: string[];
		/** Turns a card's file into what the UI shows (with its transfer state). */
		attachment?: AttachmentMapper;
	}
): BoardView {
	const board = readBoard(doc);
	const me = extra.me;
	const view = (card: CardState) => cardView(card, board, me, extra.attachment);
	return {
		id,
		title: board.title,
		members: Object.entries(board.members).map(([device, member]) => ({
			device,
			name: typeof member?.name === 'string' ? member.name : '?',
			me: device === me
		})),
		columns: board.columns.map((column) => ({
			id: column.id,
			title: column.title,
			cards: column.cards.map(view)
		})),
		archived: board.archived.map(view),
		deleted: board.deleted.map(view),
		labels: board.labels,
		requests: extra.requests,
		invites: extra.invites,
		isAdmin: extra.isAdmin,
		problems: extra.problems,
		me
	};
}

/**
 * Open cards due today or earlier: not archived, not deleted, and not in the board's last
 * column (by convention the "done" one).
 */
export function countDue(board: BoardState, today: string): number {
	let count = 0;
	const open = board.columns.slice(0, Math.max(1, board.columns.length - 1));
	for (const column of open) {
		for (const card of column.cards) if (card.due && card.due <= today) count++;
	}
	return count;
}

export function summarizeBoard(
	id: string,
	doc: A.Doc<BoardDoc>,
	pendingRequests: number,
	today: string
): { summary: BoardSummary; links: TaskLink[] } {
	const board = readBoard(doc);
	let cardCount = 0;
	let updatedAt = board.createdAt;
	const links: TaskLink[] = [];
	for (const card of board.byId.values()) {
		if (card.deleted) continue;
		if (!card.archived) cardCount++;
		updatedAt = Math.max(updatedAt, card.createdAt);
		if (card.link) {
			links.push({
				conversationId: card.link.conversation,
				messageId: card.link.message,
				boardId: id,
				cardId: card.id,
				title: card.title
			});
		}
	}
	return {
		summary: {
			id,
			title: board.title,
			cardCount,
			dueToday: countDue(board, today),
			updatedAt,
			pendingRequests
		},
		links
	};
}
