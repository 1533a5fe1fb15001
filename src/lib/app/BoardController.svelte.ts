import { peopleOfDevices } from '../model/deviceRecords.js';
import type * as A from '@automerge/automerge';
import { sealFile } from '../crypto/fileCrypto.js';
import { FileError } from '../files/FileTransfers.js';
import type { AttachmentInput } from '../model/attachment.js';
import { readBoard } from '../model/board.js';
import { attachmentView, safeBlobType } from './attachmentViews.js';
import { toBase64Url, toHex } from '../protocol/bytes.js';
import { formatInviteFragment } from '../protocol/invite.js';
import { addBoardMember, type BoardDoc } from '../model/board.js';
import { applyBoardAction, type BoardAction } from '../model/boardActions.js';
import { cardHistory } from '../model/cardHistory.js';
import { t, tp } from '../ui/strings.js';
import { onLocaleChange } from '../ui/locale.svelte.js';
import { buildBoardView, isBoardDoc } from './boardView.js';
import type { RealTendApp } from './TendApp.svelte.js';
import {
	MAX_ATTACHMENT_BYTES,
	type AttachmentDraft,
	type BoardHandle,
	type ArchiveFiles,
	type BoardView,
	type CardHistoryView,
	type CardView,
	type InviteView
} from './types.js';
import { AuditKind } from '../audit/kinds.js';
import { createArchiveFile, renderArchiveHtml, type ArchiveCard, type ArchiveContent } from '../audit/archive.js';
import { getLocale } from '../ui/locale.svelte.js';
import { archiveBaseName, archiveLabels } from './archiveLabels.js';

/**
 * One open board: derives the view from the board document and carries out actions. A board
 * is synced exactly like a conversation (same DocSync, engine, keys and invites); only the
 * document's shape differs.
 */
export class BoardController implements BoardHandle {
	view = $state.raw<BoardView | undefined>(undefined);
	missing = $state(false);
	#app: RealTendApp;
	#docKey: string;
	#invites: InviteView[] = [];
	#unsubscribe: (() => void)[] = [];
	#timer: ReturnType<typeof setTimeout> | undefined;
	#closed = false;

	constructor(app: RealTendApp, docKey: string) {
		this.#app = app;
		this.#docKey = docKey;
		this.#unsubscribe.push(
			app.onChange((doc) => {
				if (doc === undefined || doc === docKey) this.#schedule();
			}),
			onLocaleChange(() => this.#schedule())
		);
		void this.#init();
	}

	async #init(): Promise<void> {
		await this.#app.whenStarted();
		for (let i = 0; i < 50 && !this.#app.source(this.#docKey) && !this.#closed; i++) {
			await new Promise((resolve) => setTimeout(resolve, 100));
		}
		const source = this.#app.source(this.#docKey);
		if (this.#closed) return;
		if (!source) {
			this.missing = true;
			return;
		}
		const listener = () => this.#schedule();
		source.handle.on('change', listener);
		this.#unsubscribe.push(() => source.handle.off('change', listener));
		const files = this.#app.files;
		if (files) {
			await files.load(this.#docKey);
			const onFiles = (doc: string) => {
				if (doc === this.#docKey) this.#schedule();
			};
			files.on('change', onFiles);
			this.#unsubscribe.push(() => files.off('change', onFiles));
		}
		await this.#loadInvites();
		this.#recompute();
	}

	close(): void {
		this.#closed = true;
		clearTimeout(this.#timer);
		for (const stop of this.#unsubscribe) stop();
	}

	#schedule(): void {
		if (this.#timer || this.#closed) return;
		this.#timer = setTimeout(() => {
			this.#timer = undefined;
			this.#recompute();
		}, 16);
	}

	#recompute(): void {
		const source = this.#app.source(this.#docKey);
		const runtime = this.#app.runtime;
		if (!source || !runtime || !source.handle.isReady()) return;
		const doc = source.handle.doc();
		if (!isBoardDoc(doc)) {
			this.view = undefined;
			return;
		}
		const sync = source.sync;
		const engine = runtime.engine;
		const me = this.#app.personHex;
		const claims = engine?.claimsFor(this.#docKey) ?? [];
		const claimed = new Set(claims.map((claim) => claim.inviteId));
		const problems: string[] = [];
		if (sync && sync.unverifiedCount > 0) problems.push(tp('problem.unverified', sync.unverifiedCount));
		for (const device of sync?.withheldFrom() ?? []) {
			const name = doc.members?.[device]?.name ?? t('problem.someone');
			problems.push(t('problem.withheld', { name }));
		}
		if (sync?.snapshotRefused) problems.push(t('problem.badSnapshot'));
		if (sync && sync.waitingCount > 0) problems.push(t('problem.waiting'));

		this.view = buildBoardView(this.#docKey, doc, {
			me,
			requests: claims.map((claim) => ({
				inviteId: claim.inviteId,
				name: claim.name,
				safetyCode: claim.safetyCode
			})),
			invites: this.#invites.map((invite) => ({
				...invite,
				state: claimed.has(invite.inviteId) ? 'claimed' : 'open'
			})),
			isAdmin: !!sync && !this.#app.readOnly && sync.isAdmin(runtime.ctx.author.device.publicKey),
			problems,
			attachment: (a) => attachmentView(a, this.#app.files, this.#docKey)
		});
	}

	async act(action: BoardAction): Promise<void> {
		const runtime = this.#app.runtime;
		if (!runtime || this.#app.readOnly) throw new Error('This tab is read-only.');
		const me = this.#app.personHex;
		// Positions are computed from the document as it is now (a plain snapshot, fast to scan
		// on a large board). Should a remote change land before the write, the key is still a
		// valid one, computed from a moment earlier.
		const snapshot = this.#app.source(this.#docKey)?.handle.doc() as BoardDoc | undefined;
		await this.#app.writeDoc<BoardDoc>(this.#docKey, (doc) =>
			applyBoardAction(doc, action, me, Date.now(), snapshot)
		);
		this.#recompute();
	}

	get canAttach(): boolean {
		return !!this.#app.files?.connected && !this.#app.readOnly;
	}

	/**
	 * Sealed and queued on this device first, then named on the card: the card only ever lists
	 * files this device holds, so it can always upload them later (local first).
	 */
	async attach(cardId: string, drafts: AttachmentDraft[]): Promise<void> {
		if (drafts.some((file) => file.bytes.length > MAX_ATTACHMENT_BYTES)) {
			throw new Error('file-too-large');
		}
		const transfers = this.#app.files;
		if (!transfers?.connected || this.#app.readOnly) {
			throw new Error('Files can be attached from the tab that is connected.');
		}
		for (const file of drafts) {
			const sealed = sealFile(file.bytes);
			await transfers.queueUpload(this.#docKey, sealed);
			const attachment: AttachmentInput = {
				blob: sealed.id,
				key: sealed.key,
				hash: sealed.hash,
				size: sealed.size,
				stored: sealed.ciphertext.length,
				kind: file.kind,
				mime: file.mime,
				name: file.name,
				thumb: file.thumb,
				width: file.width,
				height: file.height,
				durationMs: file.durationMs,
				wave: file.wave
			};
			await this.act({ t: 'attach', card: cardId, attachment });
		}
	}

	async openAttachment(attachmentId: string): Promise<Blob> {
		const source = this.#app.source(this.#docKey);
		const files = this.#app.files;
		if (!source || !files || !source.handle.isReady()) throw new Error('offline');
		const board = readBoard(source.handle.doc() as A.Doc<BoardDoc>);
		let found: AttachmentInput | undefined;
		for (const card of board.byId.values()) {
			found ??= card.attachments.find((a) => toHex(a.blob) === attachmentId);
		}
		if (!found) throw new Error('unavailable');
		try {
			const plaintext = await files.open(this.#docKey, {
				id: found.blob,
				key: found.key,
				hash: found.hash,
				size: found.size,
				stored: found.stored
			});
			return new Blob([plaintext as Uint8Array<ArrayBuffer>], {
				type: safeBlobType(found.kind, found.mime)
			});
		} catch (error) {
			if (error instanceof FileError) {
				const code = error.code;
				throw new Error(code === 'offline' || code === 'unavailable' ? code : 'damaged');
			}
			throw error;
		}
	}

	async history(cardId: string): Promise<CardHistoryView[]> {
		const source = this.#app.source(this.#docKey);
		const runtime = this.#app.runtime;
		if (!source || !runtime) return [];
		const doc = source.handle.doc() as A.Doc<BoardDoc>;
		const members = doc.members ?? {};
		const people = peopleOfDevices(doc);
		return cardHistory(doc, cardId).map((step) => {
			// A tab that isn't the leader has no sync state, so it can't name the writer.
			const device = source.sync?.deviceOfActor(step.actor);
			const hex = device ? (people.get(toHex(device)) ?? toHex(device)) : undefined;
			return {
				who: (hex && members[hex]?.name) || t('problem.someone'),
				at: step.at,
				fields: step.fields
			};
		});
	}

	/**
	 * Export for the record: the board as a signed archive (every column's cards with their
	 * details, then the archived and deleted ones) and its printable view. Recorded in the audit
	 * trail with counts only.
	 */
	async exportArchive(): Promise<ArchiveFiles> {
		const source = this.#app.source(this.#docKey);
		const runtime = this.#app.runtime;
		const view = this.view;
		if (!source?.handle.isReady() || !runtime || !view) throw new Error('The board is not open yet.');
		const at = Date.now();
		const roles = (source.handle.doc() as A.Doc<BoardDoc>).members ?? {};
		const card = (c: CardView): ArchiveCard => ({
			id: c.id,
			title: c.title,
			text: c.description,
			...(c.assigneeName ? { assigneeName: c.assigneeName } : {}),
			...(c.due ? { due: c.due } : {}),
			...(c.labels.length > 0 ? { labels: c.labels } : {}),
			...(c.checklist.length > 0 ? { checklist: c.checklist.map(({ text, done }) => ({ text, done })) } : {}),
			...(c.comments.length > 0
				? { comments: c.comments.map(({ authorName, at, text }) => ({ authorName, at, text })) }
				: {}),
			...(c.attachments.length > 0
				? { attachments: c.attachments.map((a) => ({ name: a.name, size: a.size, mime: a.mime })) }
				: {})
		});
		const columns = view.columns.map((column) => ({ title: column.title, cards: column.cards.map(card) }));
		if (view.archived.length > 0) columns.push({ title: t('archive.archivedCards'), cards: view.archived.map(card) });
		if (view.deleted.length > 0) columns.push({ title: t('archive.deletedCards'), cards: view.deleted.map(card) });
		const archive: ArchiveContent = {
			kind: 'board',
			doc: this.#docKey,
			title: view.title,
			exportedAt: at,
			exportedBy: { device: toHex(runtime.device.signPk), name: runtime.device.name },
			members: view.members.map((m) => ({ device: m.device, name: m.name, role: roles[m.device]?.role ?? 'member' })),
			columns
		};
		const file = createArchiveFile(
			{ publicKey: runtime.device.signPk, privateKey: runtime.device.signSk },
			archive,
			source.sync?.chainRecords() ?? []
		);
		const html = renderArchiveHtml(file, archiveLabels('board'), getLocale());
		this.#app.audit.record(AuditKind.exported, {
			doc: this.#docKey,
			cards: columns.reduce((n, c) => n + c.cards.length, 0)
		});
		const base = archiveBaseName(view.title, at, 'board');
		return {
			json: { name: `${base}.json`, text: `${JSON.stringify(file, null, 1)}\n` },
			html: { name: `${base}.html`, text: html }
		};
	}

	async #loadInvites(): Promise<void> {
		const engine = this.#app.runtime?.engine;
		if (!engine) return;
		const stored = await engine.invites(this.#docKey);
		this.#invites = stored.map((invite) => ({
			inviteId: toBase64Url(invite.invite),
			link: `${location.origin}/join#${formatInviteFragment(invite.invite, invite.secret)}`,
			expiresAt: invite.expires,
			state: 'open'
		}));
	}

	#writable() {
		const source = this.#app.source(this.#docKey);
		const runtime = this.#app.runtime;
		if (!source?.sync || !runtime?.engine || this.#app.readOnly) {
			throw new Error('Tend is open in another tab; this one is read-only.');
		}
		return { sync: source.sync, engine: runtime.engine, runtime };
	}

	async createInvite(): Promise<InviteView> {
		const { sync, engine, runtime } = this.#writable();
		const doc = sync.handle.doc() as A.Doc<BoardDoc>;
		const stored = await engine.createInvite(sync, {
			inviterName: runtime.device.name,
			title: doc.title,
			kind: 'board'
		});
		await this.#loadInvites();
		this.#recompute();
		return {
			inviteId: toBase64Url(stored.invite),
			link: `${location.origin}/join#${formatInviteFragment(stored.invite, stored.secret)}`,
			expiresAt: stored.expires,
			state: 'open'
		};
	}

	async revokeInvite(inviteId: string): Promise<void> {
		const { engine } = this.#writable();
		await engine.revokeInvite(inviteId);
		await this.#loadInvites();
		this.#recompute();
	}

	async admit(inviteId: string): Promise<void> {
		const { sync, engine, runtime } = this.#writable();
		const claim = await engine.admit(sync, inviteId);
		await sync.change<BoardDoc>((doc) =>
			addBoardMember(doc, toHex(claim.device), { name: claim.name, role: 'member', addedAt: Date.now() })
		);
		await runtime.repo.flush([sync.localId]);
		engine.schedulePush(sync);
		await this.#loadInvites();
		this.#recompute();
	}

	async decline(inviteId: string): Promise<void> {
		const { sync, engine } = this.#writable();
		await engine.decline(sync, inviteId);
		await this.#loadInvites();
		this.#recompute();
	}
}
