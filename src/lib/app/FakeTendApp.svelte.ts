import { MessageIndex } from '../search/MessageIndex.js';
import { parseQuickReplies } from '../boundaries/quickReplies.js';
import { defaultQuickReplies } from './defaultQuickReplies.js';
import { FakeBoardHandle, FakeBoards } from './FakeBoards.svelte.js';
import { FakeJoinHandle, fakeInviteStatus } from './FakeJoinHandle.svelte.js';
import { FakeVault } from './FakeVault.svelte.js';
import {
	demoConversations,
	demoMe,
	fakeId,
	fakeMessage,
	randomCode,
	type FakeConversation
} from './fakeSeed.js';
import type { AuditDetails } from '../audit/kinds.js';
import { safeBlobType } from './attachmentViews.js';
import {
	MAX_ATTACHMENT_BYTES,
	type AttachmentDraft,
	type AttachmentView
} from './types.js';
import type {
	AvailabilitySettings,
	AppPhase,
	ArchiveFiles,
	AuditFileCheck,
	AuditHandle,
	AuditLog,
	BoardHandle,
	BoardSummary,
	AuditView,
	ConnectionState,
	ConversationHandle,
	ConversationKind,
	ConversationSummary,
	ConversationView,
	InviteStatus,
	InviteView,
	JoinHandle,
	Me,
	PendingJoinView,
	QuickReply,
	SearchPerson,
	SearchRequest,
	SearchResultsView,
	TaskLink,
	TendApp
} from './types.js';

/**
 * An in-memory `TendApp` for developing the UI and for component tests. It stores nothing,
 * encrypts nothing and talks to no relay; it only imitates the timing of the real app:
 * start-up, `saving → saved → delivered`, a join request arriving after an invite is made,
 * and the connection following the browser's online/offline events.
 *
 * Never import it from a route: routes get their app from `createTendApp()`.
 */

/** How the fake starts. Every field is optional; the defaults are a first run with no profile. */
export interface FakeScenario {
	/** Undefined: no profile yet, so the app goes to onboarding. */
	me?: Me;
	/** Seed the demo conversations (needs `me`). */
	demo?: boolean;
	/** Time spent in the `starting` phase. */
	startDelayMs?: number;
	/** End start-up in the `failed` phase with this text. */
	failure?: string;
	readOnly?: boolean;
	protectedByPassphrase?: boolean;
	persistentStorage?: boolean;
	/** Connection state after start-up; `online` by default. */
	connection?: ConnectionState;
	/** Base delay of every simulated operation. */
	latencyMs?: number;
	/** After `createInvite`, someone claims it this much later; `0` turns it off. */
	joinRequestAfterMs?: number;
	/** After a join request, the inviter lets this device in this much later. */
	admitAfterMs?: number;
	/**
	 * Where the vault starts: `unlocked` (default, as after an unlock), `setup` (no passphrase
	 * yet) or `locked` (the lock screen; the passphrase is `FAKE_PASSPHRASE`).
	 */
	vault?: 'unlocked' | 'setup' | 'locked';
}

/**
 * Reads `?fake=<name>` from the first URL the app is opened with: `fresh` (default), `demo`,
 * `empty`, `slow` (stays in `starting`), `failed`, `readonly`, `offline`, `protected`, `setup`
 * (choose a passphrase first), `locked` (the lock screen).
 */
export function scenarioFromUrl(href: string): FakeScenario {
	const name = new URL(href).searchParams.get('fake') ?? 'fresh';
	switch (name) {
		case 'demo':
			return { me: demoMe, demo: true };
		case 'empty':
			return { me: demoMe };
		case 'slow':
			return { startDelayMs: 24 * 60 * 60 * 1000 };
		case 'failed':
			return { failure: 'The encrypted storage could not be opened (demo).' };
		case 'readonly':
			return { me: demoMe, demo: true, readOnly: true };
		case 'offline':
			return { me: demoMe, demo: true, connection: 'offline' };
		case 'protected':
			return { me: demoMe, demo: true, protectedByPassphrase: true, persistentStorage: true };
		case 'setup':
			return { vault: 'setup' };
		case 'locked':
			return { me: demoMe, demo: true, protectedByPassphrase: true, vault: 'locked' };
		default:
			return {};
	}
}

/** The fake's audit log: keeps events in memory, signs nothing. */
export class FakeAuditLog implements AuditLog {
	events = $state<{ kind: string; at: number; details: AuditDetails }[]>([]);

	record(kind: string, details: AuditDetails = {}): void {
		this.events.push({ kind, at: Date.now(), details });
	}
}

/** The fake's audit screen: this device's own events, nothing signed, nothing to verify. */
class FakeAuditHandle implements AuditHandle {
	#app: FakeTendApp;

	constructor(app: FakeTendApp) {
		this.#app = app;
	}

	view: AuditView | undefined = $derived.by(() => ({
		owner: true,
		problems: [],
		records: this.#app.audit.events
			.map((event, i) => ({
				id: `fake:${i + 1}`,
				at: event.at,
				kind: event.kind,
				device: 'a1b2c3d4'.padEnd(64, '0'),
				deviceLabel: this.#app.me?.deviceFingerprint ?? 'a1b2 c3d4',
				personName: this.#app.me?.name ?? '',
				n: i + 1,
				conversationId: typeof event.details.doc === 'string' ? event.details.doc : undefined,
				conversationTitle:
					typeof event.details.doc === 'string' ? this.#app.find(event.details.doc)?.title : undefined,
				problems: []
			}))
			.reverse()
	}));

	async exportFile(): Promise<{ name: string; text: string }> {
		this.#app.audit.record('audit-exported', { records: this.#app.audit.events.length });
		return { name: 'tend-audit-demo.json', text: JSON.stringify({ format: 'demo, unsigned' }) };
	}

	checkFile(): AuditFileCheck {
		return { readable: false, ok: false, records: 0, chains: 0, problems: [] };
	}

	close(): void {}
}

const REQUESTER_NAMES = ['Sam Rivera', 'Alex Kim', 'Jordan Lee', 'Noor Aziz'];

function randomToken(bytes: number): string {
	const raw = crypto.getRandomValues(new Uint8Array(bytes));
	return btoa(String.fromCharCode(...raw))
		.replace(/\+/g, '-')
		.replace(/\//g, '_')
		.replace(/=+$/, '');
}

export class FakeTendApp implements TendApp {
	phase = $state<AppPhase>('starting');
	readonly audit = new FakeAuditLog();
	failure = $state<string | undefined>(undefined);
	me = $state<Me | undefined>(undefined);
	connection = $state<ConnectionState>('connecting');
	protectedByPassphrase = $state(false);
	persistentStorage = $state(false);
	readOnly = $state(false);
	leader = $state(true);
	relayUrl = $state('ws://127.0.0.1:8787');
	pendingJoins = $state<PendingJoinView[]>([]);
	availability = $state.raw<AvailabilitySettings | undefined>(undefined);
	#savedQuickReplies = $state.raw<QuickReply[] | undefined>(undefined);

	get quickReplies(): QuickReply[] {
		return this.#savedQuickReplies ?? defaultQuickReplies();
	}
	notifications = $state<NotificationPermission | 'unsupported'>('default');

	readonly vault: FakeVault = new FakeVault({
		setPhase: (phase) => {
			this.phase = phase;
			if (phase !== 'locked' && phase !== 'setup') this.protectedByPassphrase = true;
		},
		unlockedPhase: () => (this.me ? 'ready' : 'onboarding'),
		wait: () => this.#wait()
	});

	/** Conversations in creation order; deeply reactive, so handles see every change. */
	store = $state<FakeConversation[]>([]);
	/** Names shown as typing, per conversation (the real app gets them from presence frames). */
	typingIn = $state<Record<string, string[]>>({});
	/** What the open conversation last said about this person typing (for tests). */
	typingSent: boolean | undefined;

	conversations: ConversationSummary[] = $derived(
		this.store.filter((c) => !c.left).map((c) => this.#summarise(c)).sort((a, b) => b.updatedAt - a.updatedAt)
	);

	/** Boards: real Automerge documents in memory (see FakeBoards). */
	fakeBoards = new FakeBoards(() => this.me?.name ?? '');
	boards: BoardSummary[] = $derived(this.fakeBoards.summaries);
	dueToday: number = $derived(this.fakeBoards.summaries.reduce((sum, b) => sum + b.dueToday, 0));

	#scenario: FakeScenario;
	#timers = new Set<ReturnType<typeof setTimeout>>();
	#unlisten: (() => void) | undefined;

	constructor(scenario: FakeScenario = {}) {
		this.#scenario = scenario;
		this.readOnly = scenario.readOnly ?? false;
		this.protectedByPassphrase = scenario.protectedByPassphrase ?? false;
		this.persistentStorage = scenario.persistentStorage ?? false;
		this.#listenToBrowser();
		this.later(scenario.startDelayMs ?? 600, () => this.#finishStart());
	}

	get latency(): number {
		return this.#scenario.latencyMs ?? 300;
	}

	/** Runs `fn` after `ms`, unless {@link dispose} is called first. */
	later(ms: number, fn: () => void): void {
		const timer = setTimeout(() => {
			this.#timers.delete(timer);
			fn();
		}, ms);
		this.#timers.add(timer);
	}

	/** Cancels pending timers and browser listeners (for tests). */
	dispose(): void {
		for (const timer of this.#timers) clearTimeout(timer);
		this.#timers.clear();
		this.#unlisten?.();
	}

	async createProfile(name: string): Promise<void> {
		await this.#wait();
		this.me = { name: name.trim(), deviceFingerprint: 'e5f6 0718' };
		this.phase = 'ready';
	}

	async createConversation(title: string, kind: ConversationKind = 'direct'): Promise<string> {
		await this.#wait();
		const me = this.#requireMe();
		const id = fakeId('c');
		this.audit.record('conversation-created', { doc: id });
		this.store.push({
			id,
			kind,
			title: title.trim(),
			createdAt: Date.now(),
			isAdmin: true,
			members: [{ id: 'me', name: me.name, role: 'owner', me: true, online: true, posts: true, admin: true }],
			messages: [],
			requests: [],
			invites: [],
			problems: []
		});
		return id;
	}

	openConversation(id: string): ConversationHandle {
		return new FakeConversationHandle(this, id);
	}

	async createBoard(title: string): Promise<string> {
		await this.#wait();
		this.#requireMe();
		return this.fakeBoards.create(title.trim(), ['To do', 'Doing', 'Done']);
	}

	openBoard(id: string): BoardHandle {
		return new FakeBoardHandle(this.fakeBoards, id, (ms, fn) => this.later(ms, fn), this.latency);
	}

	async makeTask(params: {
		boardId: string;
		conversationId: string;
		messageId: string;
		text: string;
	}): Promise<string> {
		const column = this.fakeBoards.firstColumn(params.boardId);
		if (!column) throw new Error('unknown board');
		const id = `card-${Math.random().toString(16).slice(2, 10)}`;
		const title = (params.text.split('\n').find((line) => line.trim()) ?? params.text).trim();
		this.fakeBoards.act(params.boardId, {
			t: 'addLinkedCard',
			id,
			column,
			title: title.slice(0, 120),
			description: params.text,
			conversation: params.conversationId,
			message: params.messageId
		});
		return id;
	}

	tasksFor(conversationId: string): TaskLink[] {
		return this.fakeBoards.links.filter((link) => link.conversationId === conversationId);
	}

	openAudit(): AuditHandle {
		return new FakeAuditHandle(this);
	}

	openJoin(fragment: string): JoinHandle {
		return new FakeJoinHandle(this, fragment);
	}

	inviteStatus(fragment: string): Promise<InviteStatus> {
		return new Promise((resolve) =>
			this.later(this.latency * 2, () => resolve(fakeInviteStatus(fragment, this.connection)))
		);
	}

	async requestNotifications(): Promise<void> {
		this.notifications = 'granted';
	}

	async cancelJoin(inviteId: string): Promise<void> {
		this.pendingJoins = this.pendingJoins.filter((join) => join.inviteId !== inviteId);
	}

	async setRelayUrl(url: string): Promise<void> {
		await this.#wait();
		if (!/^wss?:\/\/\S+$/.test(url)) throw new Error(`not a WebSocket URL: ${url}`);
		this.relayUrl = url;
		this.setConnection('connecting');
		this.later(this.latency * 2, () => this.setConnection('online'));
	}

	/** The same index as the real app, rebuilt from the fake's messages on every search. */
	async search(request: SearchRequest): Promise<SearchResultsView> {
		const index = new MessageIndex();
		for (const c of this.store) {
			index.syncConversation(
				c.id,
				c.messages.map((m) => ({
					conversationId: c.id,
					messageId: m.id,
					author: m.mine ? 'me' : m.authorName,
					sentAt: m.sentAt,
					text: m.text
				}))
			);
		}
		const { hits, total } = index.search(request.text, {
			conversationId: request.conversationId || undefined,
			author: request.personId || undefined,
			from: request.from,
			to: request.to
		});
		return {
			total,
			hits: hits.map((hit) => {
				const c = this.find(hit.conversationId);
				const m = c?.messages.find((x) => x.id === hit.messageId);
				return {
					conversationId: hit.conversationId,
					conversationTitle: c?.title ?? '',
					messageId: hit.messageId,
					authorName: m?.authorName ?? '?',
					mine: m?.mine ?? false,
					sentAt: hit.sentAt,
					snippet: hit.snippet
				};
			})
		};
	}

	async saveAvailability(settings: AvailabilitySettings): Promise<void> {
		await this.#wait();
		if (this.readOnly) throw new Error('this tab is read-only');
		this.availability = { ...settings, emergency: settings.emergency.trim() };
	}

	async saveQuickReplies(replies: QuickReply[]): Promise<void> {
		await this.#wait();
		this.#savedQuickReplies = parseQuickReplies(replies) ?? [];
	}

	namesOutside(conversationId: string): string[] {
		const here = new Set(this.find(conversationId)?.members.map((m) => m.name) ?? []);
		const names = new Set<string>();
		for (const c of this.store) {
			for (const m of c.members) if (!m.me && !here.has(m.name)) names.add(m.name);
		}
		return [...names];
	}

	searchPeople(): SearchPerson[] {
		const people = new Map<string, SearchPerson>();
		for (const c of this.store) {
			for (const m of c.members) {
				const id = m.me ? 'me' : m.name;
				people.set(id, { id, name: m.name, me: m.me });
			}
		}
		return [...people.values()];
	}

	// Dev and test controls ------------------------------------------------------------------

	/** Switches the connection; going online delivers everything saved meanwhile. */
	setConnection(state: ConnectionState): void {
		this.connection = state;
		if (state !== 'online') return;

		for (const c of this.store) {
			for (const m of c.messages) {
				if (m.mine && m.state === 'saved') this.later(this.latency, () => this.#deliver(m.id));
			}
			this.#uploadLater(c.id);
		}
	}

	/** Someone claims an invite of `conversationId` and asks to be let in. */
	receiveJoinRequest(conversationId: string, name = REQUESTER_NAMES[0]): void {
		const c = this.find(conversationId);
		if (!c) return;

		let invite = c.invites.find((i) => i.state === 'open');
		if (!invite) {
			const inviteId = fakeId('inv');
			c.invites.push({ inviteId, link: '', expiresAt: Date.now() + 7 * 86_400_000, state: 'open' });
			invite = c.invites[c.invites.length - 1];
		}
		invite.state = 'claimed';
		c.requests.push({ inviteId: invite.inviteId, name, safetyCode: randomCode() });
	}

	/** A message from another member arrives. */
	receiveMessage(conversationId: string, authorName: string, text: string): void {
		const me = this.me?.name ?? '';
		this.find(conversationId)?.messages.push(
			fakeMessage({
				id: fakeId('m'),
				authorName,
				mine: false,
				text,
				sentAt: Date.now(),
				state: 'delivered',
				canDelete: this.find(conversationId)?.isAdmin ?? false,
				mentionsMe: me !== '' && text.toLowerCase().includes(`@${me.toLowerCase()}`)
			})
		);
	}

	/** Puts the app into the `failed` phase. */
	fail(reason: string): void {
		this.failure = reason;
		this.phase = 'failed';
	}

	find(id: string): FakeConversation | undefined {
		return this.store.find((c) => c.id === id);
	}

	// Used by the handles ---------------------------------------------------------------------

	async send(conversationId: string, text: string, thread?: string): Promise<void> {
		const me = this.#requireMe();
		const c = this.find(conversationId);
		if (!c) throw new Error(`unknown conversation ${conversationId}`);
		if (this.readOnly) throw new Error('this tab is read-only');

		const id = fakeId('m');
		const root = thread ? (c.messages.find((m) => m.id === thread)?.thread ?? thread) : undefined;
		c.messages.push(
			fakeMessage({ id, authorName: me.name, mine: true, text, sentAt: Date.now(), state: 'saving', thread: root })
		);
		if (root) {
			const first = c.messages.find((m) => m.id === root);
			if (first) first.replies++;
		}
		c.seen = c.messages.length;
		this.later(this.latency / 2, () => {
			this.#setState(id, 'saved');
			if (this.connection === 'online') this.later(this.latency * 2, () => this.#deliver(id));
		});
	}

	/** Attachment contents by id, in memory only (the fake encrypts nothing). */
	readonly files = new Map<string, { bytes: Uint8Array; kind: string; mime: string }>();

	/** Like the real app: the message shows at once; its files upload while online. */
	async sendWithFiles(conversationId: string, text: string, drafts: AttachmentDraft[]): Promise<void> {
		if (drafts.some((d) => d.bytes.length > MAX_ATTACHMENT_BYTES)) throw new Error('file-too-large');
		await this.send(conversationId, text);
		const message = this.find(conversationId)?.messages.at(-1);
		if (!message) return;
		message.attachments = drafts.map((d): AttachmentView => {
			const id = fakeId('f');
			this.files.set(id, { bytes: d.bytes, kind: d.kind, mime: d.mime });
			const view: AttachmentView = {
				id,
				kind: d.kind,
				name: d.name,
				mime: d.mime,
				size: d.bytes.length,
				status: this.connection === 'online' ? 'uploading' : 'queued',
				progress: 0
			};
			if (d.durationMs !== undefined) view.durationMs = d.durationMs;
			if (d.wave) view.wave = [...d.wave].map((v) => v / 255);
			return view;
		});
		this.#uploadLater(conversationId);
	}

	#uploadLater(conversationId: string): void {
		this.later(this.latency * 2, () => {
			const c = this.find(conversationId);
			if (!c || this.connection !== 'online') return;
			for (const m of c.messages) {
				for (const a of m.attachments ?? []) {
					if (a.status === 'queued' || a.status === 'uploading') {
						a.status = 'saved';
						delete a.progress;
					}
				}
			}
		});
	}

	async openAttachment(id: string): Promise<Blob> {
		await this.#wait();
		const file = this.files.get(id);
		if (!file) throw new Error('unavailable');
		this.audit.record('attachment-downloaded', { blob: id, kind: file.kind, size: file.bytes.length });
		return new Blob([file.bytes as Uint8Array<ArrayBuffer>], { type: safeBlobType(file.kind, file.mime) });
	}

	async createInvite(conversationId: string): Promise<InviteView> {
		await this.#wait();
		const c = this.find(conversationId);
		if (!c?.isAdmin) throw new Error('not an administrator of this conversation');

		const invite: InviteView = {
			inviteId: fakeId('inv'),
			link: `${globalThis.location?.origin ?? 'http://127.0.0.1'}/join#${randomToken(16)}.${randomToken(16)}`,
			expiresAt: Date.now() + 7 * 86_400_000,
			state: 'open'
		};
		c.invites.push(invite);

		const after = this.#scenario.joinRequestAfterMs ?? 4000;
		if (after > 0) {
			const name = REQUESTER_NAMES[c.invites.length % REQUESTER_NAMES.length];
			this.later(after, () => this.#claim(conversationId, invite.inviteId, name));
		}
		return invite;
	}

	async removeInvite(conversationId: string, inviteId: string, admitted: boolean) {
		await this.#wait();
		const c = this.find(conversationId);
		if (!c) return;

		const request = c.requests.find((r) => r.inviteId === inviteId);
		c.requests = c.requests.filter((r) => r.inviteId !== inviteId);
		c.invites = c.invites.filter((i) => i.inviteId !== inviteId);
		if (!admitted || !request) return;

		c.members.push({
			id: `m-${request.inviteId}`,
			name: request.name,
			role: 'member',
			me: false,
			online: true,
			posts: c.kind !== 'announcements',
			admin: false
		});
		// The new member types for a moment, then writes (as presence frames would show it).
		this.later(this.latency * 2, () => (this.typingIn[conversationId] = [request.name]));
		this.later(this.latency * 5, () => {
			this.typingIn[conversationId] = [];
			this.receiveMessage(conversationId, request.name, 'Hello, thank you for inviting me.');
		});
	}

	/** Removes a member, as the real app does after its rotation succeeded. */
	async removeMember(conversationId: string, memberId: string): Promise<void> {
		await this.#wait();
		const c = this.find(conversationId);
		if (!c?.isAdmin) throw new Error('only an administrator can remove members');
		c.members = c.members.filter((m) => m.me || m.id !== memberId);
	}

	/** Lets a member of announcements post or stops them, as the real app's epoch record does. */
	async setPosting(conversationId: string, memberId: string, post: boolean): Promise<void> {
		await this.#wait();
		const c = this.find(conversationId);
		if (!c?.isAdmin) throw new Error('only an administrator decides who posts');
		c.members = c.members.map((m) => (m.id === memberId && !m.admin ? { ...m, posts: post } : m));
	}

	get admitAfterMs(): number {
		return this.#scenario.admitAfterMs ?? 6000;
	}

	// Internals -----------------------------------------------------------------------------

	#finishStart(): void {
		const s = this.#scenario;
		if (s.failure) return this.fail(s.failure);

		this.me = s.me;
		if (s.me && s.demo) this.store = demoConversations(Date.now(), s.me);
		this.phase = s.vault === 'setup' || s.vault === 'locked' ? s.vault : s.me ? 'ready' : 'onboarding';
		this.later(this.latency, () => this.setConnection(s.connection ?? 'online'));
	}

	#claim(conversationId: string, inviteId: string, name: string): void {
		const c = this.find(conversationId);
		const invite = c?.invites.find((i) => i.inviteId === inviteId);
		if (!c || !invite || invite.state !== 'open') return;

		invite.state = 'claimed';
		c.requests.push({ inviteId, name, safetyCode: randomCode() });
	}

	#summarise(c: FakeConversation): ConversationSummary {
		const last = c.messages.findLast((m) => !m.deleted);
		const unread = c.messages.slice(c.seen ?? 0).filter((m) => !m.mine && !m.deleted);
		return {
			id: c.id,
			title: c.title,
			memberNames: c.members.filter((m) => !m.me).map((m) => m.name),
			lastMessage: last && {
				text: last.text,
				sentAt: last.sentAt,
				authorName: last.authorName,
				mine: last.mine
			},
			updatedAt: last?.sentAt ?? c.createdAt,
			pendingRequests: c.isAdmin ? c.requests.length : 0,
			kind: c.kind ?? 'direct',
			unread: unread.length,
			unreadMentions: unread.filter((m) => m.mentionsMe).length,
			muted: c.muted === true,
			archived: c.archived === true
		};
	}

	#deliver(messageId: string): void {
		if (this.connection === 'online') this.#setState(messageId, 'delivered');
	}

	#setState(messageId: string, state: 'saved' | 'delivered'): void {
		for (const c of this.store) {
			const m = c.messages.find((x) => x.id === messageId);
			if (m && !(m.state === 'delivered')) m.state = state;
		}
	}

	#requireMe(): Me {
		if (!this.me) throw new Error('no profile yet');
		return this.me;
	}

	#wait(): Promise<void> {
		return new Promise((resolve) => this.later(this.latency, resolve));
	}

	#listenToBrowser(): void {
		if (typeof window === 'undefined') return;

		const offline = () => this.setConnection('offline');
		const online = () => {
			this.setConnection('connecting');
			this.later(this.latency * 2, () => this.setConnection('online'));
		};
		window.addEventListener('offline', offline);
		window.addEventListener('online', online);
		this.#unlisten = () => {
			window.removeEventListener('offline', offline);
			window.removeEventListener('online', online);
		};
	}
}

class FakeConversationHandle implements ConversationHandle {
	#app: FakeTendApp;
	#id: string;
	#loaded = $state(false);

	missing: boolean = $derived.by(() => this.#loaded && !this.#app.find(this.#id));
	draft = '';

	saveDraft(text: string): void {
		this.draft = text;
	}

	view: ConversationView | undefined = $derived.by(() => {
		const c = this.#loaded ? this.#app.find(this.#id) : undefined;
		if (!c) return undefined;
		return {
			id: c.id,
			title: c.title,
			kind: c.kind ?? 'direct',
			availability: c.availability ?? [],
			members: c.members.map((m) => (m.me ? { ...m, online: this.#app.connection === 'online' } : m)),
			messages: c.messages,
			requests: c.isAdmin ? c.requests : [],
			invites: c.isAdmin ? c.invites : [],
			isAdmin: c.isAdmin,
			problems: c.problems,
			removed: false,
			rights: {
				post: c.kind !== 'announcements' || c.isAdmin,
				administer: c.isAdmin,
				reactions: true,
				readReceipts: true,
				pins: true,
				rename: true
			},
			pinned: c.messages.filter((m) => m.pinned).map((m) => m.id),
			resources: c.resources ?? [],
			unread: c.messages.slice(c.seen ?? 0).filter((m) => !m.mine && !m.deleted).length,
			muted: c.muted === true,
			archived: c.archived === true,
			typing: this.#app.typingIn[c.id] ?? [],
			earlier: 'none'
		};
	});

	setTyping(composing: boolean): void {
		this.#app.typingSent = composing;
	}

	constructor(app: FakeTendApp, id: string) {
		this.#app = app;
		this.#id = id;
		app.later(app.latency, () => (this.#loaded = true));
	}

	send(text: string, thread?: string): Promise<void> {
		return this.#app.send(this.#id, text, thread);
	}

	#conversation() {
		const c = this.#app.find(this.#id);
		if (!c) throw new Error(`unknown conversation ${this.#id}`);
		return c;
	}

	#messageOf(messageId: string) {
		const message = this.#conversation().messages.find((m) => m.id === messageId);
		if (!message) throw new Error('no such message');
		return message;
	}

	async edit(messageId: string, text: string): Promise<void> {
		const message = this.#messageOf(messageId);
		if (!message.canEdit || message.deleted) throw new Error('Only the author edits a message.');
		message.versions.push({ text: message.text, at: message.editedAt ?? message.sentAt });
		message.text = text;
		message.editedAt = Date.now();
	}

	async remove(messageId: string): Promise<void> {
		const message = this.#messageOf(messageId);
		if (!message.canDelete) throw new Error('This message cannot be deleted here.');
		Object.assign(message, { deleted: true, text: '', versions: [], reactions: [], canEdit: false, canDelete: false, pinned: false, deletedByAdmin: !message.mine });
		const root = message.thread && this.#conversation().messages.find((m) => m.id === message.thread);
		if (root) root.replies--;
	}

	async react(messageId: string, emoji: string): Promise<void> {
		const me = this.#app.me?.name ?? '';
		const message = this.#messageOf(messageId);
		const reaction = message.reactions.find((r) => r.emoji === emoji);
		if (reaction?.mine) {
			reaction.mine = false;
			reaction.names = reaction.names.filter((n) => n !== me);
			if (reaction.names.length === 0) message.reactions = message.reactions.filter((r) => r !== reaction);
		} else if (reaction) {
			reaction.mine = true;
			reaction.names.push(me);
		} else {
			message.reactions.push({ emoji, names: [me], mine: true });
		}
	}

	async setPinned(messageId: string, pinned: boolean): Promise<void> {
		if (!this.#conversation().isAdmin) throw new Error('Only administering members pin.');
		this.#messageOf(messageId).pinned = pinned;
	}

	async rename(title: string): Promise<void> {
		if (!this.#conversation().isAdmin) throw new Error('Only administering members rename.');
		this.#conversation().title = title.trim();
	}

	async addResource(title: string, url: string): Promise<void> {
		const c = this.#conversation();
		if (!/^(https?:|mailto:)/i.test(url.trim())) throw new Error('only http, https and mailto links');
		c.resources = [...(c.resources ?? []), { id: fakeId('r'), title: title.trim() || url, url: url.trim() }];
	}

	async removeResource(resourceId: string): Promise<void> {
		const c = this.#conversation();
		c.resources = (c.resources ?? []).filter((r) => r.id !== resourceId);
	}

	async markRead(): Promise<void> {
		const c = this.#conversation();
		if ((c.seen ?? 0) < c.messages.length) c.seen = c.messages.length;
	}

	async setMuted(muted: boolean): Promise<void> {
		this.#conversation().muted = muted;
	}

	async setArchived(archived: boolean): Promise<void> {
		this.#conversation().archived = archived;
	}

	async leave(): Promise<void> {
		this.#conversation().left = true;
	}

	get canAttach(): boolean {
		return !this.#app.readOnly;
	}

	sendWithFiles(text: string, files: AttachmentDraft[]): Promise<void> {
		return this.#app.sendWithFiles(this.#id, text, files);
	}

	openAttachment(id: string): Promise<Blob> {
		return this.#app.openAttachment(id);
	}

	createInvite(): Promise<InviteView> {
		return this.#app.createInvite(this.#id);
	}

	revokeInvite(inviteId: string): Promise<void> {
		return this.#app.removeInvite(this.#id, inviteId, false);
	}

	admit(inviteId: string): Promise<void> {
		return this.#app.removeInvite(this.#id, inviteId, true);
	}

	async loadEarlier(): Promise<void> {
		// The demo's conversations are short: everything is loaded.
	}

	async reveal(messageId: string): Promise<boolean> {
		return this.#app.find(this.#id)?.messages.some((m) => m.id === messageId) ?? false;
	}

	async exportArchive(): Promise<ArchiveFiles> {
		const c = this.#app.find(this.#id);
		if (!c) throw new Error('no such conversation');
		this.#app.audit.record('exported', { doc: c.id, messages: c.messages.length });
		const text = JSON.stringify({ format: 'demo, unsigned', title: c.title, messages: c.messages.length });
		return {
			json: { name: 'tend-demo.json', text },
			html: { name: 'tend-demo.html', text: '<!doctype html><p>Demo export</p>' }
		};
	}

	decline(inviteId: string): Promise<void> {
		return this.#app.removeInvite(this.#id, inviteId, false);
	}

	removeMember(memberId: string): Promise<void> {
		return this.#app.removeMember(this.#id, memberId);
	}

	setPosting(memberId: string, post: boolean): Promise<void> {
		return this.#app.setPosting(this.#id, memberId, post);
	}

	close(): void {
		this.#loaded = false;
	}
}
