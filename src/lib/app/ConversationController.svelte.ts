import type * as A from '@automerge/automerge';
import { AuditKind } from '../audit/kinds.js';
import { sealFile } from '../crypto/fileCrypto.js';
import { FileError } from '../files/FileTransfers.js';
import type { AttachmentInput } from '../model/attachment.js';
import { fromHex, toBase64Url, toHex } from '../protocol/bytes.js';
import { readAvailability } from '../model/availability.js';
import { createArchiveFile, renderArchiveHtml, type ArchiveContent } from '../audit/archive.js';
import { archiveBaseName, archiveLabels } from './archiveLabels.js';
import { getLocale } from '../ui/locale.svelte.js';
import { formatInviteFragment } from '../protocol/invite.js';
import { mayGrant } from '../practice/permissions.js';
import {
	addMember,
	appendMessage,
	markMemberRemoved,
	MAX_MESSAGE_LENGTH,
	mayInviteMore,
	readMessages,
	type ConversationDoc,
	type SiblingDoc
} from '../model/conversation.js';
import { mayPost } from '../model/posting.js';
import { deviceRecordsOf } from '../model/deviceRecords.js';
import { devicesOfPerson } from '../practice/devicesOfPerson.js';
import {
	addResource,
	clearMessageText,
	deleteMessage,
	editMessage,
	findMessage,
	leaveConversation,
	str,
	markRead,
	removeResource,
	renameConversation,
	setPin,
	setReaction
} from '../model/messageOps.js';
import { readConversation, type ConversationRecord } from '../model/readConversation.js';
import { mentionedIn } from '../ui/formatMessage.js';
import { readContextOf, type Authority } from './authority.js';
import { t, tp } from '../ui/strings.js';
import { onLocaleChange } from '../ui/locale.svelte.js';
import { DocSync } from '../sync/DocSync.js';
import { viewDoc, type DocSource, type RealTendApp } from './TendApp.svelte.js';
import { searchDoc } from './searchDoc.js';
import type { MessageHost } from '../model/conversation.js';
import { attachmentView, safeBlobType } from './attachmentViews.js';
import {
	MAX_ATTACHMENT_BYTES,
	type ArchiveFiles,
	type AttachmentDraft,
	type ConversationHandle,
	type ConversationKind,
	type TherapistAvailability,
	type ConversationView,
	type InviteView,
	type MessageView
} from './types.js';

/** Text stays in this form on the device only until the authorised deletion clears it. */
const CLEAR_RETRY_MS = 2000;

/**
 * One open conversation screen: derives the view from the document and the sync state, and
 * carries out the user's actions. Message states follow rule 15: "saving" until the document is
 * flushed to IndexedDB, "saved" until the relay acknowledged the entry carrying it, then
 * "delivered".
 */
/** "Typing" goes out at most this often while composing (ms), and clears after a pause. */
const TYPING_EVERY_MS = 3000;
const TYPING_IDLE_MS = 5000;

export class ConversationController implements ConversationHandle {
	view = $state.raw<ConversationView | undefined>(undefined);
	missing = $state(false);
	draft = $state('');
	#draftTimer: ReturnType<typeof setTimeout> | undefined;
	#app: RealTendApp;
	#docKey: string;
	#saving = new Set<string>();
	#invites: InviteView[] = [];
	#unsubscribe: (() => void)[] = [];
	#timer: ReturnType<typeof setTimeout> | undefined;
	#closed = false;

	constructor(app: RealTendApp, docKey: string) {
		this.#app = app;
		this.#docKey = docKey;
		this.#unsubscribe.push(
			app.onChange((doc) => {
				if (doc === undefined || doc === docKey || doc === this.#siblingKey()) this.#schedule();
			}),
			// The problem reports are text built here, not in a template: rebuild them.
			onLocaleChange(() => this.#schedule())
		);
		this.#started = this.#init();
	}

	/** Settles once the conversation is open here: its source found, its opening periods held. */
	readonly #started: Promise<void>;

	async #init(): Promise<void> {
		await this.#app.whenStarted();
		// The source may appear a moment later (just admitted, or opening from storage).
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
		// The newest period (and the one before when it is short); older ones on demand.
		this.#openedUpTo = source.periods?.known ?? 0;
		await source.periods?.openRecent().catch(() => {});
		const files = this.#app.files;
		if (files) {
			await files.load(this.#docKey);
			const onFiles = (doc: string) => {
				if (doc === this.#docKey) this.#schedule();
			};
			files.on('change', onFiles);
			this.#unsubscribe.push(() => files.off('change', onFiles));
		}
		// This conversation is on screen: say so to the others every 20 s (presence).
		const engine = this.#app.runtime?.engine;
		engine?.setActive(this.#docKey);
		this.#unsubscribe.push(() => {
			if (this.#typingSentAt > 0) engine?.setTyping(this.#docKey, false);
			engine?.setActive(undefined);
		});
		await this.#loadInvites();
		await this.#loadDraft();
		this.#recompute();
	}

	#draftKey(): string[] {
		return ['tend', 'draft', this.#docKey];
	}

	async #loadDraft(): Promise<void> {
		const bytes = await this.#app.runtime?.store.load(this.#draftKey());
		if (bytes) this.draft = new TextDecoder().decode(bytes);
	}

	saveDraft(text: string): void {
		if (this.#closed || text === this.#pendingDraft) return;
		this.#pendingDraft = text;
		clearTimeout(this.#draftTimer);
		this.#draftTimer = setTimeout(() => {
			this.#draftTimer = undefined;
			void this.#writeDraft(text);
		}, 400);
	}

	#pendingDraft: string | undefined;

	async #writeDraft(text: string): Promise<void> {
		const store = this.#app.runtime?.store;
		if (!store) return;
		if (text) await store.write([{ key: this.#draftKey(), data: new TextEncoder().encode(text) }], []);
		else await store.write([], [this.#draftKey()]);
	}

	/** When "typing" last went out (0: the others were told this person isn't typing). */
	#typingSentAt = 0;
	#typingIdle: ReturnType<typeof setTimeout> | undefined;

	setTyping(composing: boolean): void {
		const engine = this.#app.runtime?.engine;
		if (!engine || this.#closed) return;
		clearTimeout(this.#typingIdle);
		if (!composing) {
			if (this.#typingSentAt > 0) engine.setTyping(this.#docKey, false);
			this.#typingSentAt = 0;
			return;
		}
		const now = Date.now();
		if (now - this.#typingSentAt >= TYPING_EVERY_MS) {
			engine.setTyping(this.#docKey, true);
			this.#typingSentAt = now;
		}
		// Stopped typing without leaving the box: clear it after a pause.
		this.#typingIdle = setTimeout(() => this.setTyping(false), TYPING_IDLE_MS);
	}

	close(): void {
		clearTimeout(this.#typingIdle);
		// A draft typed in the last moment before leaving is still kept.
		if (this.#draftTimer) {
			clearTimeout(this.#draftTimer);
			this.#draftTimer = undefined;
			void this.#writeDraft(this.#pendingDraft ?? '');
		}
		this.#closed = true;
		clearTimeout(this.#timer);
		for (const stop of this.#unsubscribe) stop();
	}

	#schedule(): void {
		if (this.#timer || this.#closed) return;
		this.#timer = setTimeout(() => {
			this.#timer = undefined;
			void this.#refreshTabPending().then(() => this.#recompute());
		}, 16);
	}

	/** In a tab that isn't the leader: what is still unsent, from the leader's persisted state. */
	#tabPending: { actor: string; start: number; end: number }[] = [];

	async #refreshTabPending(): Promise<void> {
		const source = this.#app.source(this.#docKey);
		const runtime = this.#app.runtime;
		if (!source || source.sync || !runtime || !source.handle.isReady()) return;
		this.#tabPending = await DocSync.pendingFromStore(
			runtime.store,
			this.#docKey,
			source.handle.doc() as A.Doc<unknown>
		);
		await this.#app.refreshAuthority(this.#docKey);
	}

	/** The last record read from the document (for the actions, which check rights on it). */
	#record: ConversationRecord | undefined;

	/** Announcements: the id of the sibling document an administrator named (rule 7). */
	#siblingKey(): string | undefined {
		return this.#app.siblingKeyOf(this.#docKey);
	}

	#siblingListened: string | undefined;

	/**
	 * The sibling as this device holds it, with who wrote what in it, once it is open here.
	 * Readers of announcements write their reactions and read markers there; the view merges them.
	 */
	#sibling(): { key: string; doc: A.Doc<SiblingDoc>; authority: Authority } | undefined {
		const sibling = this.#app.siblingOf(this.#docKey);
		const source = sibling && this.#app.source(sibling.key);
		if (sibling && source && this.#siblingListened !== sibling.key) {
			this.#siblingListened = sibling.key;
			const listener = () => this.#schedule();
			source.handle.on('change', listener);
			this.#unsubscribe.push(() => source.handle.off('change', listener));
		}
		return sibling;
	}

	/** The newest period known when the opening periods were last held. */
	#openedUpTo = 0;

	#recompute(): void {
		const source = this.#app.source(this.#docKey);
		const runtime = this.#app.runtime;
		if (!source || !runtime || !source.handle.isReady()) return;
		// The relay named newer periods after the conversation opened (a member just let in): the
		// opening periods are the newest ones and, when it is short, the one before.
		const periods = source.periods;
		if (periods && periods.known > this.#openedUpTo) {
			this.#openedUpTo = periods.known;
			void periods.openRecent().catch(() => {});
		}
		const doc = viewDoc(source);
		if (!doc || typeof doc.title !== 'string') {
			this.view = undefined;
			return;
		}
		const sync = source.sync;
		const engine = runtime.engine;
		const myHex = this.#app.personHex;
		const periodSyncs = source.periods?.held().map((n) => source.periods!.get(n)!) ?? [];
		const pending = sync
			? [sync, ...periodSyncs].flatMap((s) => s.pendingRanges())
			: this.#tabPending;
		const authority = this.#app.authority(this.#docKey);
		if (!authority) return;
		const sibling = this.#sibling();
		const record = readConversation(doc, {
			...readContextOf(authority, myHex),
			sibling: sibling && { doc: sibling.doc, deviceOf: sibling.authority.deviceOf }
		});
		this.#record = record;
		const members = record.members;
		const nameOf = (device: string) => members[device]?.name ?? '?';
		const isAdmin = authority.admins.has(myHex);
		const canWrite = !this.#app.readOnly && authority.writers.has(myHex);
		// Announcements: reactions and read markers go to the sibling, which every member writes.
		const canReact = sibling
			? !this.#app.readOnly && sibling.authority.writers.has(myHex)
			: canWrite && record.features.reactions;

		const messages: MessageView[] = record.messages.map((message) => {
			const isPending = pending.some(
				(r) => r.actor === message.actor && message.op >= r.start && message.op <= r.end
			);
			const mine = message.author === myHex;
			return {
				id: message.id,
				authorName: nameOf(message.author),
				mine,
				text: message.text,
				sentAt: message.sentAt,
				state: this.#saving.has(message.id) ? 'saving' : isPending ? 'saved' : 'delivered',
				authorMismatch: message.authorMismatch,
				thread: message.thread,
				replies: message.replies,
				editedAt: message.editedAt,
				versions: message.versions,
				deleted: message.deleted,
				deletedByAdmin: message.deletedByAdmin,
				ignoredChanges: message.ignoredOps > 0 || message.tampered,
				reactions: message.reactions.map((r) => ({
					emoji: r.emoji,
					names: r.devices.map(nameOf),
					mine: r.devices.includes(myHex)
				})),
				readBy: message.readBy.map(nameOf),
				pinned: message.pinned,
				mentionsMe: message.mentions.includes(myHex),
				canEdit: canWrite && mine && message.editable && !message.deleted,
				canDelete: canWrite && message.editable && !message.deleted && (mine || isAdmin),
				attachments: message.deleted
					? []
					: message.attachments.map((a) => attachmentView(a, this.#app.files, this.#docKey))
			};
		});
		this.#clearLingering(record, myHex, isAdmin && canWrite);
		this.#discardDeletedFiles(record, myHex, isAdmin);

		const claims = engine?.claimsFor(this.#docKey) ?? [];
		const claimed = new Set(claims.map((claim) => claim.inviteId));
		const problems: string[] = [];
		if (sync && sync.unverifiedCount > 0) {
			problems.push(tp('problem.unverified', sync.unverifiedCount));
		}
		const withheld = new Set([
			...(sync?.withheldFrom() ?? []),
			...(engine?.withheldByPresence(this.#docKey) ?? [])
		]);
		for (const device of withheld) {
			const name = members[device]?.name ?? t('problem.someone');
			problems.push(t('problem.withheld', { name }));
		}
		if (sync?.snapshotRefused) problems.push(t('problem.badSnapshot'));
		if (sync && sync.waitingCount > 0) {
			problems.push(t('problem.waiting'));
		}
		if (messages.some((m) => m.authorMismatch)) {
			problems.push(t('problem.authorMismatch'));
		}
		if (record.ignoredOps > 0 || messages.some((m) => m.ignoredChanges)) {
			problems.push(t('problem.ignoredChanges'));
		}
		const prefs = this.#app.prefsOf(this.#docKey);

		// Office hours live in the conversation document itself (not a merged view).
		const availability = this.#availability(source.handle.doc() as A.Doc<ConversationDoc>, myHex, authority);
		if (availability.forged) problems.push(t('problem.availabilityForged'));

		const peers = engine?.presenceOf(this.#docKey) ?? [];
		const online = new Set(peers.map((peer) => peer.device));
		const typing = peers
			.filter((peer) => peer.typing && peer.device !== myHex && members[peer.device])
			.map((peer) => members[peer.device].name);

		this.view = {
			id: this.#docKey,
			title: record.title,
			availability: availability.list,
			members: Object.entries(members)
				.filter(([device, member]) => member.removedAt === undefined && !record.departed.has(device))
				.map(([device, member]) => ({
					id: device,
					name: member.name,
					role: member.role === 'owner' ? ('owner' as const) : ('member' as const),
					me: device === myHex,
					online: device === myHex ? this.#app.connection === 'online' : online.has(device),
					posts: authority.writers.has(device),
					admin: authority.admins.has(device)
				})),
			messages,
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
			// A reader (announcements, rule 7) is in no list but holds the newest secret.
			removed:
				!!sync && sync.excludes(runtime.ctx.author.device.publicKey) && !sync.holdsHeadSecret,
			kind: record.kind,
			rights: {
				post: canWrite,
				administer: isAdmin && canWrite,
				reactions: canReact,
				readReceipts: record.features.reads,
				pins: record.features.pins && record.features.resources,
				rename: record.features.renames
			},
			pinned: record.pinned,
			resources: record.resources,
			unread: record.unread,
			muted: prefs.muted === true,
			archived: prefs.archived === true,
			typing,
			earlier: this.#loadingEarlier
				? 'loading'
				: (source.periods?.oldestHeld ?? 0) > 0
					? 'more'
					: 'none'
		};
	}

	/**
	 * Office hours of the administering members other than me, each only if that member's own
	 * device wrote it (rule 7, checked here at display time). The actor claims and admin list
	 * come from the leader tab's sync, or in another tab from what the leader persisted.
	 */
	#availability(
		doc: A.Doc<ConversationDoc>,
		myHex: string,
		authority: Authority
	): { list: TherapistAvailability[]; forged: boolean } {
		const list: TherapistAvailability[] = [];
		let forged = false;
		for (const [device, member] of Object.entries(doc.members ?? {})) {
			if (device === myHex || !/^[0-9a-f]{64}$/.test(device)) continue;
			const read = readAvailability(doc, device, authority.deviceOf);
			forged ||= read.forged;
			if (!read.record || !authority.admins.has(device)) continue;
			const { timeZone, hours, replyHours, emergency } = read.record;
			list.push({ name: member.name, timeZone, hours, replyHours, emergency });
		}
		return { list, forged };
	}

	#clearing = new Set<string>();

	/**
	 * A deleted message can still hold text an edit wrote concurrently with the deletion. The
	 * message's author or an administering device clears it when it sees it; the others wait
	 * (their write would be someone else's overwrite).
	 */
	#clearLingering(record: ConversationRecord, myHex: string, admin: boolean): void {
		const ids = record.messages
			.filter((m) => m.lingering && (m.author === myHex || admin) && !this.#clearing.has(m.id))
			.map((m) => m.id);
		if (ids.length === 0 || this.#app.readOnly) return;
		for (const id of ids) this.#clearing.add(id);
		void this.#write((doc) => {
			for (const id of ids) {
				const message = findMessage(doc, id);
				if (message) clearMessageText(message);
			}
		})
			.catch(() => {})
			.finally(() => {
				setTimeout(() => ids.forEach((id) => this.#clearing.delete(id)), CLEAR_RETRY_MS);
			});
	}

	/**
	 * Files of deleted messages leave this device, and the relay too where this device may
	 * delete them there: the message's author (who uploaded them) or an administrator. The
	 * relay checks the same itself; `FileTransfers.discard` skips files already handled.
	 */
	#discardDeletedFiles(record: ConversationRecord, myHex: string, admin: boolean): void {
		const files = this.#app.files;
		if (!files) return;
		for (const message of record.messages) {
			if (message.removedFiles.length === 0) continue;
			const atRelay = message.author === myHex || admin;
			void files.discard(this.#docKey, message.removedFiles, atRelay).catch(() => {});
		}
	}

	async #loadInvites(): Promise<void> {
		const engine = this.#app.runtime?.engine;
		if (!engine) return;
		const claimed = new Set(engine.claimsFor(this.#docKey).map((c) => c.inviteId));
		const stored = await engine.invites(this.#docKey);
		this.#invites = stored.map((invite) => {
			const inviteId = toBase64Url(invite.invite);
			return {
				inviteId,
				link: inviteLink(invite.invite, invite.secret),
				expiresAt: invite.expires,
				state: claimed.has(inviteId) ? 'claimed' : 'open'
			};
		});
	}

	#writable() {
		const source = this.#app.source(this.#docKey);
		const runtime = this.#app.runtime;
		if (!source?.sync || !runtime?.engine || this.#app.readOnly) {
			throw new Error('Tend is open in another tab; this one is read-only.');
		}
		return { sync: source.sync, engine: runtime.engine, runtime };
	}

	/**
	 * Applies a change to the conversation: in the leader tab through its DocSync (flushed, then
	 * pushed), elsewhere through this tab's Repo, which the leader pushes. `saving` names a
	 * message shown as "saving" until the change is on disk.
	 */
	async #write(
		fn: (doc: ConversationDoc) => void,
		saving?: string,
		where: Where = 'conversation'
	): Promise<void> {
		const source = this.#app.source(this.#docKey);
		const runtime = this.#app.runtime;
		if (!source || !runtime || this.#app.readOnly) {
			throw new Error('Tend is open in another tab; this one is read-only.');
		}
		if (saving) this.#saving.add(saving);
		try {
			if (!source.sync) {
				const target = tabTarget(source, where);
				const write = this.#app.writeInTab<ConversationDoc>(this.#docKey, fn, target);
				this.#recompute();
				await write;
				return;
			}
			const { engine } = this.#writable();
			const sync = await syncTarget(source, where);
			await sync.change<ConversationDoc>(fn);
			this.#recompute();
			await runtime.repo.flush([sync.localId]);
			engine.schedulePush(sync);
		} finally {
			if (saving) this.#saving.delete(saving);
			this.#schedule();
		}
	}

	/** Writes the sibling of announcements (reactions, read markers), then shows the result. */
	async #writeSibling(siblingKey: string, fn: (doc: SiblingDoc) => void): Promise<void> {
		if (this.#app.readOnly) throw new Error('Tend is open in another tab; this one is read-only.');
		if (!this.#app.source(siblingKey)) throw new Error('Reactions are not available here yet.');
		try {
			await this.#app.writeDoc<SiblingDoc>(siblingKey, fn);
		} finally {
			this.#schedule();
		}
	}

	#me(): string {
		const runtime = this.#app.runtime;
		if (!runtime) throw new Error('Tend is not set up on this device yet');
		return this.#app.personHex;
	}

	/** Members (device hex) whose `@name` the text contains. */
	#mentions(text: string): string[] {
		const members = Object.entries(this.#record?.members ?? {})
			.filter(([device]) => !this.#record?.departed.has(device))
			.map(([device, member]) => ({ device, name: member.name }));
		return mentionedIn(text, members).map((m) => m.device);
	}

	#message(messageId: string) {
		const message = this.view?.messages.find((m) => m.id === messageId);
		if (!message) throw new Error('no such message');
		return message;
	}

	async send(text: string, thread?: string): Promise<void> {
		if (text.length === 0) return;
		if (!thread) {
			clearTimeout(this.#draftTimer);
			this.#draftTimer = undefined;
			this.#pendingDraft = '';
			void this.#writeDraft('');
		}
		if (text.length > MAX_MESSAGE_LENGTH) {
			throw new Error(`A message can be at most ${MAX_MESSAGE_LENGTH} characters.`);
		}
		this.setTyping(false);
		if (this.view && !this.view.rights.post) throw new Error('Only administering members post here.');
		// A reply to a reply goes to the thread's first message: threads are one level deep.
		const root = thread ? (this.#message(thread).thread ?? thread) : undefined;
		const id = crypto.randomUUID();
		const author = this.#me();
		const mentions = this.#mentions(text);
		await this.#write(
			(doc) => appendMessage(doc, { id, author, sentAt: Date.now(), text, thread: root, mentions }),
			id,
			'new-message'
		);
	}

	async edit(messageId: string, text: string): Promise<void> {
		if (!this.#message(messageId).canEdit) throw new Error('Only the author edits a message.');
		const mentions = this.#mentions(text);
		await this.#write((doc) => editMessage(doc, messageId, { text, at: Date.now(), mentions }), undefined, {
			message: messageId
		});
	}

	async remove(messageId: string): Promise<void> {
		const message = this.#message(messageId);
		if (!message.canDelete) throw new Error('This message cannot be deleted here.');
		await this.#write((doc) => deleteMessage(doc, messageId, Date.now()), undefined, { message: messageId });
		this.#app.audit.record(AuditKind.messageDeleted, {
			doc: this.#docKey,
			message: messageId,
			others: !message.mine,
			files: message.attachments?.length ?? 0
		});
	}

	async react(messageId: string, emoji: string): Promise<void> {
		const message = this.#message(messageId);
		if (!this.view?.rights.reactions) throw new Error('Reactions are not available here.');
		const on = !message.reactions.some((r) => r.emoji === emoji && r.mine);
		const sibling = this.#siblingKey();
		if (sibling) await this.#writeSibling(sibling, (doc) => setReaction(doc, messageId, emoji, on));
		else await this.#write((doc) => setReaction(doc, messageId, emoji, on), undefined, { message: messageId });
	}

	async setPinned(messageId: string, pinned: boolean): Promise<void> {
		if (!this.view?.rights.administer) throw new Error('Only administering members pin.');
		await this.#write((doc) => setPin(doc, messageId, pinned, Date.now()));
	}

	async rename(title: string): Promise<void> {
		if (!this.view?.rights.administer) throw new Error('Only administering members rename.');
		await this.#write((doc) => renameConversation(doc, title, Date.now()));
	}

	async addResource(title: string, url: string): Promise<void> {
		if (!this.view?.rights.administer) throw new Error('Only administering members pin.');
		const id = crypto.randomUUID();
		await this.#write((doc) => addResource(doc, { id, title, url, at: Date.now() }));
	}

	async removeResource(resourceId: string): Promise<void> {
		if (!this.view?.rights.administer) throw new Error('Only administering members pin.');
		await this.#write((doc) => removeResource(doc, resourceId, Date.now()));
	}

	#marking = false;
	#loadingEarlier = false;

	/** Loads the period before the oldest one shown (the reader scrolled up to it). */
	async loadEarlier(): Promise<void> {
		const periods = this.#app.source(this.#docKey)?.periods;
		if (!periods || this.#loadingEarlier || periods.oldestHeld === 0) return;
		this.#loadingEarlier = true;
		this.#recompute();
		try {
			await periods.loadEarlier();
		} finally {
			this.#loadingEarlier = false;
			this.#recompute();
		}
	}

	async reveal(messageId: string): Promise<boolean> {
		await this.#started.catch(() => {});
		const source = this.#app.source(this.#docKey);
		if (!source || this.#closed) return false;
		const periods = source.periods;
		// Another tab's view already reads every period the leader holds.
		if (!periods) return locate([{ n: 0, doc: searchDoc(source) }], messageId) !== undefined;

		// Periods held before a restart are held again in the background: wait for them.
		await periods.settled();
		const documents = periods.searchDocuments();
		const found = locate(documents, messageId);
		if (!found) return false;
		const root = found.thread ? locate(documents, found.thread) : undefined;
		const lowest = Math.min(found.n, root?.n ?? found.n);

		if (periods.oldestHeld > lowest && !this.#closed) {
			this.#loadingEarlier = true;
			this.#recompute();
			try {
				await periods.loadDownTo(lowest);
			} finally {
				this.#loadingEarlier = false;
				this.#recompute();
			}
		}
		return true;
	}

	async markRead(): Promise<void> {
		const record = this.#record;
		if (!record?.features.reads || this.#marking || this.#app.readOnly) return;
		const me = this.#me();
		const newest = record.messages[record.messages.length - 1];
		if (!newest || (record.readIndex.get(me) ?? -1) >= newest.index) return;
		// Announcements: every member's marker goes in the sibling document (rule 7).
		const sibling = this.#siblingKey();
		const authority = sibling ? this.#sibling()?.authority : this.#app.authority(this.#docKey);
		if (!authority?.writers.has(me)) return;
		this.#marking = true;
		try {
			const mark = (doc: Pick<ConversationDoc, 'reads'>) => markRead(doc, me, me, newest.id, Date.now());
			if (sibling) await this.#writeSibling(sibling, mark);
			else await this.#write(mark);
		} finally {
			this.#marking = false;
		}
	}

	async setMuted(muted: boolean): Promise<void> {
		await this.#app.setPrefs(this.#docKey, { muted });
	}

	async setArchived(archived: boolean): Promise<void> {
		await this.#app.setPrefs(this.#docKey, { archived });
		this.#app.audit.record(AuditKind.archived, { doc: this.#docKey, archived });
	}

	async leave(): Promise<void> {
		if (this.#record?.features.departures && this.view?.rights.post) {
			await this.#write((doc) => leaveConversation(doc, Date.now()));
		}
		await this.#app.setPrefs(this.#docKey, { left: true });
	}

	get canAttach(): boolean {
		return !!this.#app.files?.connected && !this.#app.readOnly;
	}

	async sendWithFiles(text: string, files: AttachmentDraft[]): Promise<void> {
		if (files.length === 0) return this.send(text);
		this.setTyping(false);
		if (text.length > MAX_MESSAGE_LENGTH) throw new Error('message-too-long');
		if (files.some((file) => file.bytes.length > MAX_ATTACHMENT_BYTES)) {
			throw new Error('file-too-large');
		}
		const { engine, runtime } = this.#writable();
		const sync = await syncTarget(this.#app.source(this.#docKey)!, 'new-message');
		const transfers = this.#app.files;
		if (!transfers?.connected) throw new Error('Files can be sent from the tab that is connected.');

		// Sealed and queued on this device first: the message only ever names files this
		// device holds, so it can always upload them later (local first).
		const attachments: AttachmentInput[] = [];
		for (const file of files) {
			const sealed = sealFile(file.bytes);
			await transfers.queueUpload(this.#docKey, sealed);
			attachments.push({
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
			});
		}

		clearTimeout(this.#draftTimer);
		this.#draftTimer = undefined;
		this.#pendingDraft = '';
		void this.#writeDraft('');
		const id = crypto.randomUUID();
		const author = this.#app.personHex;
		const mentions = this.#mentions(text);
		this.#saving.add(id);
		await sync.change<ConversationDoc>((doc) =>
			appendMessage(doc, { id, author, sentAt: Date.now(), text, attachments, mentions })
		);
		this.#recompute();
		await runtime.repo.flush([sync.localId]);
		this.#saving.delete(id);
		this.#recompute();
		engine.schedulePush(sync);
	}

	async openAttachment(attachmentId: string): Promise<Blob> {
		const source = this.#app.source(this.#docKey);
		const files = this.#app.files;
		if (!source || !files || !source.handle.isReady()) throw new Error('offline');
		const doc = viewDoc(source)!;
		const found = readMessages(doc)
			.flatMap((message) => message.attachments)
			.find((a) => toHex(a.blob) === attachmentId);
		if (!found) throw new Error('unavailable');
		const hex = toHex(found.blob);
		const fromRelay = !files.has(this.#docKey, hex);
		try {
			const plaintext = await files.open(this.#docKey, {
				id: found.blob,
				key: found.key,
				hash: found.hash,
				size: found.size,
				stored: found.stored
			});
			// Ids and numbers only: the file's name and content never enter the audit trail.
			if (fromRelay) {
				this.#app.audit.record(AuditKind.attachmentDownloaded, {
					doc: this.#docKey,
					blob: hex,
					kind: found.kind,
					size: found.size
				});
			}
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

	/**
	 * A direct conversation is between two people: once it has both, no invite is made and no
	 * one else is let in (counted as the members panel lists them).
	 */
	#refuseIfFull(): void {
		const view = this.view;
		if (!view) throw new Error('The conversation is still opening.');
		if (!mayInviteMore(view.kind, view.members.length)) {
			throw new Error('A direct conversation is between two people; it already has both.');
		}
	}

	async createInvite(): Promise<InviteView> {
		if (!this.#app.practice.allows('inviteClient')) {
			throw new Error(t('conversation.inviteByClinicians'));
		}
		const { sync, engine, runtime } = this.#writable();
		this.#refuseIfFull();
		const doc = sync.handle.doc() as A.Doc<ConversationDoc>;
		// In a practice, a direct conversation's invite is a client's (issue 7): the role is sealed
		// in the invite details and shown on the join page; the invite still opens only this one.
		const practiceRole = this.#app.practice.state?.role;
		const forClient = doc.kind === 'direct' && practiceRole && mayGrant(practiceRole, 'client');
		const stored = await engine.createInvite(sync, {
			inviterName: runtime.device.name,
			title: doc.title,
			// Announcements: the invite names the sibling, so the invitee accepts its envelope.
			...(this.#siblingSync() ? { docs: [this.#siblingSync()!.doc] } : {}),
			...(forClient ? { role: 'client' } : {})
		});
		this.#app.audit.record(AuditKind.memberInvited, {
			doc: this.#docKey,
			invite: toBase64Url(stored.invite)
		});
		await this.#loadInvites();
		this.#recompute();
		return {
			inviteId: toBase64Url(stored.invite),
			link: inviteLink(stored.invite, stored.secret),
			expiresAt: stored.expires,
			state: 'open'
		};
	}

	async revokeInvite(inviteId: string): Promise<void> {
		const { engine } = this.#writable();
		await engine.revokeInvite(inviteId);
		this.#app.audit.record(AuditKind.inviteRevoked, { doc: this.#docKey, invite: inviteId });
		await this.#loadInvites();
		this.#recompute();
	}

	/** Announcements: the sibling's DocSync in this (leader) tab. */
	#siblingSync(): DocSync | undefined {
		const key = this.#siblingKey();
		return key ? this.#app.source(key)?.sync : undefined;
	}

	async admit(inviteId: string, options: { canPost?: boolean } = {}): Promise<void> {
		const { sync, engine, runtime } = this.#writable();
		this.#refuseIfFull();
		const kind = this.view?.kind ?? 'direct';
		const sibling = this.#siblingSync();
		if (kind === 'announcements' && !sibling) throw new Error('The announcements are still opening.');
		// Who posts is decided in one place; a reader is listed as such in the chain (rule 7).
		const write = mayPost({ kind, admin: false, canPost: options.canPost });
		const claim = await engine.admit(sync, inviteId, {
			write,
			// Every member writes the sibling; its envelope goes first (rule 7).
			before: sibling
				? async (c) => {
						await engine.grantAccess(sibling, c.device, c.boxPk, true);
					}
				: undefined
		});
		this.#app.audit.record(AuditKind.memberAdded, {
			doc: this.#docKey,
			invite: inviteId,
			member: toHex(claim.device)
		});
		await sync.change<ConversationDoc>((doc) =>
			addMember(doc, toHex(claim.device), { name: claim.name, role: 'member', addedAt: Date.now() })
		);
		await runtime.repo.flush([sync.localId]);
		engine.schedulePush(sync);
		await this.#loadInvites();
		this.#recompute();
	}

	async setPosting(memberId: string, post: boolean): Promise<void> {
		const { sync, engine, runtime } = this.#writable();
		if (this.view?.kind !== 'announcements') throw new Error('only announcements have posters');
		if (!sync.isAdmin(runtime.ctx.author.device.publicKey)) {
			throw new Error('only an administrator decides who posts');
		}
		// Every device of the person: its records, wherever the person published them.
		const records = engine.docs().flatMap((d) => deviceRecordsOf(d.handle.doc()).get(memberId) ?? []);
		const devices = devicesOfPerson(fromHex(memberId), records);
		if (await engine.setPosting(sync, devices, post)) {
			this.#app.audit.record(AuditKind.postingChanged, { doc: this.#docKey, member: memberId, post });
		}
		this.#recompute();
	}

	async removeMember(memberId: string): Promise<void> {
		const { sync, engine, runtime } = this.#writable();
		if (!sync.isAdmin(runtime.ctx.author.device.publicKey)) {
			throw new Error('only an administrator can remove members');
		}
		await engine.removeDevices(sync, [fromHex(memberId)]);
		// The sibling of announcements gets a new key too: the member no longer writes there.
		const sibling = this.#siblingSync();
		if (sibling) await engine.removeDevices(sibling, [fromHex(memberId)]);
		this.#app.audit.record(AuditKind.memberRemoved, { doc: this.#docKey, member: memberId });
		await sync.change<ConversationDoc>((doc) => markMemberRemoved(doc, memberId, Date.now()));
		await runtime.repo.flush([sync.localId]);
		engine.schedulePush(sync);
		this.#recompute();
	}

	/**
	 * The conversation for the clinical record: the archive JSON signed by this device (with the
	 * document's signed chain), and a printable HTML view with every text escaped. Recorded.
	 */
	async exportArchive(): Promise<ArchiveFiles> {
		const source = this.#app.source(this.#docKey);
		const runtime = this.#app.runtime;
		if (!source?.handle.isReady() || !runtime) throw new Error('The conversation is not open yet.');
		// The record covers the whole conversation: every period, not just the ones on screen.
		if (source.periods) while (await source.periods.loadEarlier());
		const doc = viewDoc(source)!;
		const members = doc.members ?? {};
		const at = Date.now();
		const archive: ArchiveContent = {
			kind: 'conversation',
			doc: this.#docKey,
			title: doc.title,
			exportedAt: at,
			exportedBy: { device: toHex(runtime.device.signPk), name: runtime.device.name },
			members: Object.entries(members).map(([device, m]) => ({ device, name: m.name, role: m.role })),
			messages: readMessages(doc).map((m) => ({
				id: m.id,
				author: m.author,
				authorName: members[m.author]?.name ?? '?',
				sentAt: m.sentAt,
				text: m.text,
				...(m.attachments.length > 0
					? { attachments: m.attachments.map((a) => ({ name: a.name, size: a.size, mime: a.mime })) }
					: {})
			}))
		};
		const chain = source.sync?.chainRecords() ?? [];
		const file = createArchiveFile(
			{ publicKey: runtime.device.signPk, privateKey: runtime.device.signSk },
			archive,
			chain
		);
		const html = renderArchiveHtml(file, archiveLabels('conversation'), getLocale());
		this.#app.audit.record(AuditKind.exported, {
			doc: this.#docKey,
			messages: archive.messages?.length ?? 0
		});
		const base = archiveBaseName(doc.title, at, 'conversation');
		return {
			json: { name: `${base}.json`, text: `${JSON.stringify(file, null, 1)}\n` },
			html: { name: `${base}.html`, text: html }
		};
	}

	async decline(inviteId: string): Promise<void> {
		const { sync, engine } = this.#writable();
		await engine.decline(sync, inviteId);
		this.#app.audit.record(AuditKind.memberDeclined, { doc: this.#docKey, invite: inviteId });
		await this.#loadInvites();
		this.#recompute();
	}
}

function conversationKind(kind: unknown): ConversationKind {
	return kind === 'group' || kind === 'announcements' ? kind : 'direct';
}

function inviteLink(invite: Uint8Array, secret: Uint8Array): string {
	return `${location.origin}/join#${formatInviteFragment(invite, secret)}`;
}

/**
 * The period of the first of `documents` holding the message, and the id of its thread's first
 * message if it is a reply.
 */
function locate(
	documents: { n: number; doc: A.Doc<unknown> | undefined }[],
	messageId: string
): { n: number; thread?: string } | undefined {
	for (const { n, doc } of documents) {
		const message = doc && findMessage(doc as unknown as MessageHost, messageId);
		if (message) return { n, thread: str(message.thread) || undefined };
	}
	return undefined;
}

/** Which document a change goes into (rule 19): an op on a message lives with the message. */
type Where = 'conversation' | 'new-message' | { message: string };

/** In the leader tab: the DocSync of the document the change belongs in. */
async function syncTarget(source: DocSource, where: Where): Promise<DocSync> {
	const sync = source.sync!;
	const periods = source.periods;
	if (!periods || where === 'conversation') return sync;
	if (where === 'new-message') return periods.writeTarget();
	for (const { doc, sync: holder } of periods.documents()) {
		if (findMessage(doc as unknown as MessageHost, where.message)) return holder;
	}
	return sync;
}

/** In another tab: the period handle a change belongs in (undefined: the conversation). */
function tabTarget(source: DocSource, where: Where) {
	const periods = [...(source.tabPeriods ?? [])].sort((a, b) => a[0] - b[0]);
	if (periods.length === 0 || where === 'conversation') return undefined;
	// Only the leader opens new periods; another tab writes into the newest one it has.
	if (where === 'new-message') return periods[periods.length - 1][1];
	for (const [, period] of periods) {
		if (!period.handle.isReady()) continue;
		if (findMessage(period.handle.doc() as MessageHost, where.message)) return period;
	}
	return undefined;
}
