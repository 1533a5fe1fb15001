import * as A from '@automerge/automerge';
import { initialBoard, liveColumnIds, newBoardId, type BoardDoc } from '../model/board.js';
import { applyBoardAction, type BoardAction } from '../model/boardActions.js';
import { cardHistory } from '../model/cardHistory.js';
import { buildBoardView, localDay, summarizeBoard } from './boardView.js';
import type {
	ArchiveFiles,
	AttachmentDraft,
	BoardHandle,
	BoardSummary,
	BoardView,
	CardHistoryView,
	InviteView,
	TaskLink
} from './types.js';

/**
 * The fake app's boards: real Automerge board documents kept in memory and changed with the
 * same model functions as the real app, so the fake shows boards the way the real app does.
 * Nothing is stored or sent.
 */

/** The device key the fake uses for "me" (hex). */
export const FAKE_ME = 'f0'.repeat(32);

export class FakeBoards {
	docs = $state.raw<Map<string, A.Doc<BoardDoc>>>(new Map());
	#name: () => string;

	constructor(name: () => string) {
		this.#name = name;
	}

	summaries: BoardSummary[] = $derived.by(() => {
		const today = localDay();
		return [...this.docs.entries()]
			.map(([id, doc]) => summarizeBoard(id, doc, 0, today).summary)
			.sort((a, b) => b.updatedAt - a.updatedAt);
	});

	links: TaskLink[] = $derived.by(() => {
		const today = localDay();
		return [...this.docs.entries()].flatMap(([id, doc]) => summarizeBoard(id, doc, 0, today).links);
	});

	create(title: string, columns: string[]): string {
		const id = `b-${newBoardId()}`;
		const doc = A.change(
			A.init<BoardDoc>(),
			initialBoard({
				title,
				creatorHex: FAKE_ME,
				creatorName: this.#name(),
				now: Date.now(),
				columns: columns.map((column) => ({ id: newBoardId(), title: column }))
			})
		);
		this.docs = new Map(this.docs).set(id, doc);
		return id;
	}

	act(id: string, action: BoardAction): void {
		const doc = this.docs.get(id);
		if (!doc) throw new Error(`unknown board ${id}`);
		const next = A.change(doc, (d) => applyBoardAction(d, action, FAKE_ME, Date.now(), doc));
		this.docs = new Map(this.docs).set(id, next);
	}

	firstColumn(id: string): string | undefined {
		const doc = this.docs.get(id);
		return doc ? liveColumnIds(doc)[0] : undefined;
	}

	history(id: string, cardId: string): CardHistoryView[] {
		const doc = this.docs.get(id);
		if (!doc) return [];
		return cardHistory(doc, cardId).map((step) => ({ who: this.#name(), at: step.at, fields: step.fields }));
	}
}

export class FakeBoardHandle implements BoardHandle {
	#boards: FakeBoards;
	#id: string;
	#loaded = $state(false);
	#invites = $state<InviteView[]>([]);

	missing: boolean = $derived.by(() => this.#loaded && !this.#boards.docs.has(this.#id));

	view: BoardView | undefined = $derived.by(() => {
		const doc = this.#loaded ? this.#boards.docs.get(this.#id) : undefined;
		if (!doc) return undefined;
		return buildBoardView(this.#id, doc, {
			me: FAKE_ME,
			requests: [],
			invites: this.#invites,
			isAdmin: true,
			problems: []
		});
	});

	constructor(boards: FakeBoards, id: string, later: (ms: number, fn: () => void) => void, latency: number) {
		this.#boards = boards;
		this.#id = id;
		later(latency, () => (this.#loaded = true));
	}

	async act(action: BoardAction): Promise<void> {
		this.#boards.act(this.#id, action);
	}

	async history(cardId: string): Promise<CardHistoryView[]> {
		return this.#boards.history(this.#id, cardId);
	}

	/** The demo has no device keys: its export is an unsigned summary, said so in the file. */
	async exportArchive(): Promise<ArchiveFiles> {
		const view = this.view;
		if (!view) throw new Error('no such board');
		const cards = view.columns.reduce((n, c) => n + c.cards.length, 0);
		const text = JSON.stringify({ format: 'demo, unsigned', title: view.title, cards });
		return {
			json: { name: 'tend-demo-board.json', text },
			html: { name: 'tend-demo-board.html', text: '<!doctype html><p>Demo export</p>' }
		};
	}

	/** The fake has no relay or file store: attaching is not offered. */
	readonly canAttach = false;

	async attach(_cardId: string, _files: AttachmentDraft[]): Promise<void> {
		throw new Error('The demo app does not attach files.');
	}

	async openAttachment(_id: string): Promise<Blob> {
		throw new Error('unavailable');
	}

	async createInvite(): Promise<InviteView> {
		const invite: InviteView = {
			inviteId: `inv-${newBoardId()}`,
			link: `${globalThis.location?.origin ?? 'http://127.0.0.1'}/join#demo.${newBoardId()}`,
			expiresAt: Date.now() + 7 * 86_400_000,
			state: 'open'
		};
		this.#invites.push(invite);
		return invite;
	}

	async revokeInvite(inviteId: string): Promise<void> {
		this.#invites = this.#invites.filter((i) => i.inviteId !== inviteId);
	}

	async admit(inviteId: string): Promise<void> {
		await this.revokeInvite(inviteId);
	}

	async decline(inviteId: string): Promise<void> {
		await this.revokeInvite(inviteId);
	}

	close(): void {
		this.#loaded = false;
	}
}
