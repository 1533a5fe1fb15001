import * as A from '@automerge/automerge';
import { Repo, type DocumentId, type DocHandle } from '@automerge/automerge-repo';
import { BroadcastChannelNetworkAdapter } from '@automerge/automerge-repo-network-broadcastchannel';
import { AuditRecorder, localStorageQueue, type QueuedEvent } from '../audit/AuditRecorder.js';
import { AuditKind, type AuditDetails } from '../audit/kinds.js';
import { makeActorClaimMessage } from '../crypto/actorClaim.js';
import { generateBoxKeyPair, generateSignKeyPair, randomBytes, wipe } from '../crypto/primitives.js';
import { readyCrypto } from '../crypto/sodium.js';
import { fromBase64Url, toBase64Url, toHex } from '../protocol/bytes.js';
import { decodeCbor, encodeCbor } from '../protocol/cbor.js';
import type { JoinRefusal } from '../protocol/invite.js';
import { isSiblingDoc, type ConversationDoc, type SiblingDoc } from '../model/conversation.js';
import { readSiblingKey } from '../model/siblingKey.js';
import { writeAvailability, type AvailabilityRecord } from '../model/availability.js';
import { parseQuickReplies } from '../boundaries/quickReplies.js';
import { defaultQuickReplies } from './defaultQuickReplies.js';
import { EncryptedStorageAdapter } from '../storage/EncryptedStorageAdapter.js';
import { IndexedDBBackend } from '../storage/IndexedDBBackend.js';
import { requestPersistentStorage } from '../storage/storageKey.js';
import { setLockedEventReceiver } from '../vault/lockedEvents.js';
import { DATA_DB, VaultController, type UnlockMethod } from '../vault/VaultController.svelte.js';
import type { LockReason } from '../vault/VaultTabs.js';
import { DocSync, type DocSyncContext } from '../sync/DocSync.js';
import { ConversationPeriods } from '../sync/ConversationPeriods.js';
import { combineDeviceOf, mergePeriods } from '../model/periodView.js';
import { periodLocalId, type PeriodDoc } from '../model/period.js';
import { periodDocId } from '../protocol/period.js';
import { FileTransfers } from '../files/FileTransfers.js';
import { createAnnouncements, createConversation } from '../sync/createConversation.js';
import { createBoard } from '../sync/createBoard.js';
import { liveColumnIds, type BoardDoc } from '../model/board.js';
import { applyBoardAction } from '../model/boardActions.js';
import { t } from '../ui/strings.js';
import { BoardController } from './BoardController.svelte.js';
import { isBoardDoc, localDay, summarizeBoard } from './boardView.js';
import { SyncEngine, type PendingJoin } from '../sync/SyncEngine.js';
import type { SocketLike } from '../sync/RelayConnection.js';
import { checkInviteStatus } from '../sync/inviteStatus.js';
import { AuditController } from './AuditController.svelte.js';
import { ConversationController } from './ConversationController.svelte.js';
import { DevicesController, LinkController, type DevicesHandle, type LinkHandle } from './DevicesController.svelte.js';
import { JoinController } from './JoinController.svelte.js';
import { PracticeController } from './PracticeController.svelte.js';
import { isPracticeDoc } from '../model/practice.js';
import { SearchService } from './SearchService.js';
import { SearchCoverage } from './SearchCoverage.svelte.js';
import { periodHoldings, searchDoc } from './searchDoc.js';
import type { PeriodHoldings } from '../model/periodCoverage.js';
import { summarize } from './summaries.js';
import { authorityOf, readContextOf, type Authority, type PeekedAuthority } from './authority.js';
import { showNewMessageNotification } from './notify.js';
import type {
	AvailabilitySettings,
	AuditHandle,
	AppPhase,
	BoardHandle,
	BoardSummary,
	ConnectionState,
	ConversationHandle,
	ConversationKind,
	ConversationSummary,
	InviteStatus,
	JoinHandle,
	Me,
	PendingJoinView,
	QuickReply,
	SearchCoverageView,
	SearchPerson,
	SearchRequest,
	SearchResultsView,
	TaskLink,
	TendApp
} from './types.js';

/**
 * The real Tend app: device identity, encrypted storage, the Repo and the sync engine, with the
 * state the UI reads held in `$state` fields. One leader tab per browser talks to the relay
 * (Web Locks); other tabs are read-only and follow the leader's Repo over a BroadcastChannel.
 */

const DEVICE_KEY = ['tend', 'device'];
const SETTINGS_KEY = ['tend', 'settings'];
/**
 * The relay address the app's server last named in `/config.json` (admission token included),
 * kept sealed so a reload while offline still connects to it once the network is back.
 */
const SERVED_RELAY_KEY = ['tend', 'served-relay'];
const AVAILABILITY_KEY = ['tend', 'availability'];
const QUICK_REPLIES_KEY = ['tend', 'quick-replies'];
const LEADER_LOCK = 'tend-leader';

/** What identifies this device; sealed in IndexedDB under the storage key. */
interface DeviceRecord {
	signPk: Uint8Array;
	signSk: Uint8Array;
	boxPk: Uint8Array;
	boxSk: Uint8Array;
	/** Renewed whenever local data is created (rule 10). */
	incarnation: Uint8Array;
	name: string;
	/**
	 * The person this device belongs to (their first device's key), set when the device was
	 * linked from another of theirs; absent on a person's first device (docs/protocol.md).
	 */
	person?: Uint8Array;
	/** Local id of the per-user index document that lists the person's conversations. */
	indexId: string;
}

/**
 * The person's own list of documents, sealed in IndexedDB like everything else. Boards are
 * listed with conversations (one container, created with the index) and marked by `type`; an
 * entry without one is a conversation.
 */
interface IndexDoc {
	v: 1;
	conversations: Record<string, ConversationPrefs & { type?: DocType }>;
	/** The practice directory this person belongs to (issue 7), by relay id. */
	practice?: string;
}

/**
 * What an index entry is when it isn't a conversation: a board, or the sibling document of
 * announcements (rule 7), which is opened and synced but never listed.
 */
type DocType = 'board' | 'sibling';

/** This person's choices about one conversation, kept in their (local) index document. */
export interface ConversationPrefs {
	addedAt: number;
	muted?: boolean;
	archived?: boolean;
	/** Left: hidden from the list; the conversation records the departure. */
	left?: boolean;
}

export interface DocSource {
	handle: DocHandle<unknown>;
	/** Present in the leader tab only. */
	sync?: DocSync;
	/** The conversation's period documents (rule 19), in the leader tab. */
	periods?: ConversationPeriods;
	/**
	 * In another tab: the handles of the periods the leader holds (read through this tab's Repo,
	 * which the leader's reaches over the BroadcastChannel), and their actor claims.
	 */
	tabPeriods?: Map<number, { handle: DocHandle<unknown>; relayId: Uint8Array }>;
	/** In another tab: the highest period the leader knows of (what it persisted). */
	tabKnown?: number;
}

/**
 * The conversation as one document over the periods loaded (model/periodView.ts): what
 * readConversation, the summaries, search and the archive read.
 */
export function viewDoc(source: DocSource): A.Doc<ConversationDoc> | undefined {
	if (!source.handle.isReady()) return undefined;
	const conv = source.handle.doc() as A.Doc<ConversationDoc>;
	if (source.periods) return mergePeriods(conv, source.periods.documents());
	if (source.tabPeriods && source.tabPeriods.size > 0) {
		const parts = [...source.tabPeriods]
			.filter(([, p]) => p.handle.isReady())
			.map(([n, p]) => ({ n, doc: p.handle.doc() as A.Doc<PeriodDoc> }));
		const numbers = parts.map((p) => p.n).sort((a, b) => a - b);
		// Period 0 counts only when every period above it is there (as in the leader).
		const contiguous = numbers.every((n, i) => n === i + 1);
		return mergePeriods(conv, contiguous ? [{ n: 0, doc: conv }, ...parts] : parts);
	}
	return conv;
}

/**
 * The leader tab's source follows the sync's handle, which is replaced when a distrusted
 * snapshot is discarded (SECURITY-RULES.md rule 14).
 */
function syncSource(sync: DocSync, periods?: ConversationPeriods): DocSource {
	return {
		get handle() {
			return sync.handle;
		},
		sync,
		periods
	};
}

export interface Runtime {
	repo: Repo;
	store: EncryptedStorageAdapter;
	device: DeviceRecord;
	engine: SyncEngine | undefined;
	ctx: DocSyncContext;
	/** Files of every document: upload queue, sealed cache, transfers (relay in the leader only). */
	files: FileTransfers;
}

/** The relay address the app's server names in `/config.json`; undefined when unreachable. */
async function servedRelayUrl(): Promise<string | undefined> {
	try {
		const response = await fetch('/config.json', { cache: 'no-store' });
		if (response.ok) {
			const config = (await response.json()) as { relayUrl?: unknown };
			if (typeof config.relayUrl === 'string') return config.relayUrl;
		}
	} catch {
		// Offline, or served without a config.
	}
	return undefined;
}

/** A relay beside the app on the default port: only when no address was ever known. */
function fallbackRelayUrl(): string {
	const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
	return `${scheme}://${location.hostname}:8787`;
}

export class RealTendApp implements TendApp {
	phase = $state<AppPhase>('starting');
	failure = $state<string | undefined>(undefined);
	me = $state<Me | undefined>(undefined);
	connection = $state<ConnectionState>('offline');
	conversations = $state.raw<ConversationSummary[]>([]);
	protectedByPassphrase = $state(false);
	persistentStorage = $state(false);
	readOnly = $state(false);
	leader = $state(true);
	relayUrl = $state('');
	pendingJoins = $state.raw<PendingJoinView[]>([]);
	/**
	 * The audit recorder (src/lib/audit/AuditRecorder.ts). In the leader tab it owns this
	 * device's audit chains; other tabs hand their events to it over `tend-audit`.
	 */
	readonly recorder = new AuditRecorder({ locked: browserLockedQueue() });
	readonly audit = {
		record: (kind: string, details: AuditDetails = {}): void => this.#recordAudit(kind, details)
	};
	#auditChannel: BroadcastChannel | undefined;

	#recordAudit(kind: string, details: AuditDetails): void {
		if (!this.leader && this.#auditChannel) {
			this.#auditChannel.postMessage({ kind, at: Date.now(), details } satisfies QueuedEvent);
			return;
		}
		this.recorder.record(kind, details);
	}
	boards = $state.raw<BoardSummary[]>([]);
	dueToday = $state(0);
	/** Tasks made from messages, by conversation id. */
	#taskLinks = $state.raw<Map<string, TaskLink[]>>(new Map());
	/** Index entries marked as boards (known before a joined board's first change arrives). */
	#boardIds = new Set<string>();
	/** Index entries that are the sibling documents of announcements (never listed). */
	#siblingIds = new Set<string>();
	notifications = $state<NotificationPermission | 'unsupported'>(
		typeof Notification === 'undefined' ? 'unsupported' : Notification.permission
	);

	availability = $state.raw<AvailabilitySettings | undefined>(undefined);
	#savedQuickReplies = $state.raw<QuickReply[] | undefined>(undefined);

	/** The saved list, or the defaults in the current language until one is saved. */
	get quickReplies(): QuickReply[] {
		return this.#savedQuickReplies ?? defaultQuickReplies();
	}

	readonly vault: VaultController;
	/** The practice this device belongs to, or may start (issue 7). */
	readonly practice: PracticeController;

	#runtime: Runtime | undefined;
	#delivery: BroadcastChannel | undefined;
	/** Resolves once storage is open (after the vault was set up or unlocked). */
	#opened: { promise: Promise<void>; resolve: () => void };
	/** The storage key while open, kept for an in-place restart as leader; wiped on shutdown. */
	#storageKey: Uint8Array | undefined;
	/** Undoes what `#run` attached to the window. */
	#detach: (() => void)[] = [];
	#shuttingDown = false;
	/** How the vault was opened in this tab, for the sign-in record. */
	#unlockMethod: UnlockMethod = 'passphrase';
	/** Actors this (non-leader) tab has claimed, per conversation: `${docKey}:${actor}`. */
	#tabClaims = new Set<string>();
	#ready: Promise<void>;
	#joinListeners = new Set<(sync: DocSync, join: PendingJoin) => void>();

	constructor() {
		let resolve = () => {};
		const promise = new Promise<void>((r) => (resolve = r));
		this.#opened = { promise, resolve };
		this.vault = new VaultController({
			showPhase: (phase) => {
				this.phase = phase;
				if (phase === 'locked') this.#hideContent();
			},
			open: (key, method) => {
				this.#unlockMethod = method;
				return this.#openStorage(key);
			},
			shutdown: (reason) => this.#shutdown(reason)
		});
		// Failed unlocks the vault queued while locked go on the audit trail, signed once the
		// recorder has the device keys (it keeps them in its own locked queue until then).
		void setLockedEventReceiver(async ({ events, dropped }) => {
			events.forEach((event, i) => {
				const details: Record<string, number> = { failedAt: event.at };
				if (event.method === 'recovery-key') details.recoveryKey = 1;
				if (i === 0 && dropped > 0) details.dropped = dropped;
				this.recorder.record(AuditKind.unlockFailed, details);
			});
		});
		this.practice = new PracticeController(this);
		this.#ready = this.#start().catch((error: unknown) => this.#fail(error));
	}

	#fail(error: unknown): void {
		this.failure = error instanceof Error ? error.message : String(error);
		this.phase = 'failed';
	}

	get runtime(): Runtime | undefined {
		return this.#runtime;
	}

	/** Files of every document on this device; undefined until set up. */
	get files(): FileTransfers | undefined {
		return this.#runtime?.files;
	}

	/** Resolves once the vault is open and the app runs (never while locked). */
	whenStarted(): Promise<void> {
		return this.#ready.then(() => this.#opened.promise);
	}

	/** Locks every tab now (the header's lock button). */
	lock(): void {
		this.vault.lock();
	}

	// ----- Start-up -------------------------------------------------------------------------

	async #start(): Promise<void> {
		await readyCrypto();
		this.persistentStorage = await requestPersistentStorage();
		await this.vault.start();
	}

	/** Opens the sealed storage with the key the vault gave, then runs the app. */
	async #openStorage(storageKey: Uint8Array): Promise<void> {
		try {
			this.#storageKey = storageKey;
			this.protectedByPassphrase = true;
			await this.#openRuntime(storageKey, await this.#becomeLeader());
			this.#opened.resolve();
		} catch (error) {
			this.#fail(error);
		}
	}

	async #openRuntime(storageKey: Uint8Array, leader: boolean): Promise<void> {
		const store = new EncryptedStorageAdapter({
			backend: new IndexedDBBackend(DATA_DB),
			storageKey,
			onCorrupt: () => {
				// Reported in the conversation's problems when it affects one; never logged.
			}
		});
		const tabsLinked = typeof BroadcastChannel !== 'undefined';
		this.leader = leader;
		// A tab that isn't the leader writes through the leader's Repo (BroadcastChannel); without
		// one it could only read.
		this.readOnly = !leader && !tabsLinked;
		const network = tabsLinked
			? [new BroadcastChannelNetworkAdapter({ channelName: 'tend-tabs' })]
			: [];
		if (tabsLinked) this.#listenForDelivery(leader);
		const repo = new Repo({ storage: store, network, sharePolicy: async () => true });

		const settings = await store.load(SETTINGS_KEY);
		const saved = settings ? (decodeCbor(settings) as { relayUrl?: string }) : {};
		this.relayUrl = saved.relayUrl ?? (await this.#servedOrKnownRelay(store));

		const deviceBytes = await store.load(DEVICE_KEY);
		if (!deviceBytes) {
			this.#runtime = undefined;
			this.#pendingStore = { repo, store };
			this.phase = 'onboarding';
			return;
		}
		await this.#run(repo, store, decodeCbor(deviceBytes) as DeviceRecord);
	}

	#pendingStore: { repo: Repo; store: EncryptedStorageAdapter } | undefined;

	/**
	 * Resolves true if this tab holds the leader lock. A follower waits for the lock and, when
	 * the leader tab closes, restarts in place as the leader: a reload would lose the storage
	 * key and ask for the passphrase again.
	 */
	async #becomeLeader(): Promise<boolean> {
		if (typeof navigator === 'undefined' || !navigator.locks) return true;
		return new Promise<boolean>((resolve) => {
			void navigator.locks.request(LEADER_LOCK, { ifAvailable: true }, (lock) => {
				if (!lock) {
					resolve(false);
					void navigator.locks.request(LEADER_LOCK, () => this.#takeOver());
					return undefined;
				}
				resolve(true);
				return new Promise<void>(() => {});
			});
		});
	}

	/** This follower got the leader lock: it holds it and restarts its runtime as the leader. */
	#takeOver(): Promise<void> {
		const key = this.#storageKey?.slice();
		if (!key || this.#shuttingDown) {
			location.reload();
			return new Promise<void>(() => {});
		}
		void (async () => {
			this.phase = 'starting';
			await this.#stopRuntime();
			try {
				await this.#openRuntime(key, true);
			} catch (error) {
				this.#fail(error);
			}
		})();
		return new Promise<void>(() => {});
	}

	/** Clears everything the screen could show, at once (the lock screen replaces it). */
	#hideContent(): void {
		this.me = undefined;
		this.conversations = [];
		this.pendingJoins = [];
		this.notify(undefined);
	}

	/**
	 * Shuts the app down for a lock (SECURITY-RULES.md rule 17): flushes and stops the Repo and
	 * the sync, leaves the BroadcastChannels, forgets every document and zeroes the device's
	 * secret keys and the storage key. The vault reloads the page afterwards.
	 */
	async #shutdown(reason: LockReason): Promise<void> {
		this.#shuttingDown = true;
		this.#hideContent();
		if (this.recorder.attached) {
			this.recorder.record(AuditKind.locked, { reason });
			await this.recorder.flush().catch(() => {});
		}
		await this.#stopRuntime();
		if (this.#storageKey) wipe(this.#storageKey);
		this.#storageKey = undefined;
	}

	/** Stops the current runtime (sync, Repo, channels, listeners) and forgets its state. */
	async #stopRuntime(): Promise<void> {
		const runtime = this.#runtime;
		const pending = this.#pendingStore;
		this.#runtime = undefined;
		this.#pendingStore = undefined;
		for (const detach of this.#detach) detach();
		this.#detach = [];
		clearTimeout(this.#summaryTimer);
		this.#summaryTimer = undefined;
		this.#delivery?.close();
		this.#delivery = undefined;
		this.#auditChannel?.close();
		this.#auditChannel = undefined;
		this.recorder.detach();
		// The search index holds message text: a new, empty one replaces it.
		this.#search = this.#newSearch();
		this.#coverage.reset();
		this.#sources.clear();
		this.#opening.clear();
		this.#tabClaims.clear();

		runtime?.engine?.stop();
		const repo = runtime?.repo ?? pending?.repo;
		const store = runtime?.store ?? pending?.store;
		try {
			await repo?.shutdown();
		} catch {
			// Shutting down anyway; what was flushed is saved.
		}
		store?.close();
		if (runtime) {
			wipe(runtime.device.signSk);
			wipe(runtime.device.boxSk);
			wipe(runtime.ctx.author.device.privateKey);
		}
	}

	async #run(repo: Repo, store: EncryptedStorageAdapter, device: DeviceRecord): Promise<void> {
		const ctx: DocSyncContext = {
			repo,
			store,
			author: {
				device: { publicKey: device.signPk, privateKey: device.signSk },
				incarnation: device.incarnation
			}
		};
		let engine: SyncEngine | undefined;
		if (this.leader) {
			engine = new SyncEngine({
				...ctx,
				box: { publicKey: device.boxPk, privateKey: device.boxSk },
				relayUrl: this.relayUrl,
				socketFactory: (url) => new WebSocket(url) as unknown as SocketLike,
				audit: this.recorder
			});
			engine.on('status', (status) => {
				this.connection = status;
				this.#coverage.update();
			});
			engine.on('doc-changed', (doc) => {
				void this.#checkRemoved();
				this.notify(doc);
				this.#announceDelivery(doc);
				this.#refreshSummaries();
			});
			engine.on('claims', (doc) => {
				this.notify(doc);
				this.#refreshSummaries();
			});
			engine.on('problem', (doc) => this.notify(doc));
			engine.on('periods', (doc) => {
				this.notify(doc);
				this.#announceDelivery(doc);
				this.#refreshSummaries();
			});
			engine.on('presence', (doc) => this.notify(doc));
			// A period fetched for search has arrived: the search page counts it.
			engine.on('caught-up', () => this.#refreshSummaries());
			engine.on('admitted', (sync, join) => void this.#admitted(sync, join));
			engine.on('granted', (sync) => void this.#granted(sync));
			engine.on('linked-doc', (sync, kind) => void this.#linkedDoc(sync, kind));
			engine.links.on('linked', (contents) => void this.#linked(contents.name, contents.person));
			engine.links.on('devices', () => {
				void this.#checkRemoved();
				this.notify(undefined);
			});
			engine.on('join-refused', (invite, reason) => {
				void this.#refreshPendingJoins();
				for (const listener of this.#refusedListeners) listener(invite, reason);
			});
		}
		const files = new FileTransfers(
			store,
			engine && {
				connection: engine.connection,
				isLive: (doc) => engine.isLive(doc),
				on: (event, listener) => engine.on(event, listener)
			}
		);
		this.#runtime = { repo, store, device, engine, ctx, files };
		this.me = { name: device.name, deviceFingerprint: fingerprint(device.signPk) };
		await this.#startAudit(device);
		await this.#loadBoundaries(store);

		const index = await this.#indexHandle();
		this.#readPrefs(index.doc());
		for (const [docKey, entry] of Object.entries(index.doc().conversations ?? {})) {
			this.#noteType(docKey, entry?.type);
			await this.#openSource(docKey);
		}
		const practice = index.doc().practice;
		if (practice) this.practice.attach(practice);
		if (engine) {
			// Conversations this device administers from before the audit trail existed join it.
			const me = device.signPk;
			for (const sync of engine.docs()) {
				if (sync.isAdmin(me) && !this.recorder.trailOf(sync.docKey)) {
					await engine.audit?.linkToOwnTrail(sync.docKey).catch(() => {});
				}
			}
			engine.start();
			const online = () => engine.connection.retryNow();
			const offline = () => engine.connection.networkLost();
			window.addEventListener('online', online);
			window.addEventListener('offline', offline);
			this.#detach.push(() => {
				window.removeEventListener('online', online);
				window.removeEventListener('offline', offline);
			});
		}
		index.on('change', ({ doc }) => {
			this.#readPrefs(doc);
			// In a read-only tab, conversations the leader added arrive through the index. (The
			// leader registers its own before adding them: one DocSync per document, always.)
			for (const [docKey, entry] of Object.entries(doc.conversations ?? {})) {
				this.#noteType(docKey, entry?.type);
			}
			if (!this.leader) {
				for (const docKey of Object.keys(doc.conversations ?? {})) void this.#openSource(docKey);
			}
			if (doc.practice && doc.practice !== this.practice.docKey) this.practice.attach(doc.practice);
			this.#refreshSummaries();
		});
		await this.#refreshPendingJoins();
		this.#refreshSummaries();
		this.phase = device.name ? 'ready' : 'onboarding';
	}

	/**
	 * The leader tab signs audit records; it listens for other tabs' events. Opening the app with
	 * the device keys available is a sign-in (the vault will make that the unlock).
	 */
	async #startAudit(device: DeviceRecord): Promise<void> {
		if (typeof BroadcastChannel !== 'undefined') {
			this.#auditChannel = new BroadcastChannel('tend-audit');
			if (this.leader) {
				this.#auditChannel.onmessage = (event: MessageEvent<Partial<QueuedEvent>>) => {
					const { kind, details } = event.data ?? {};
					if (typeof kind === 'string' && details && typeof details === 'object') {
						this.recorder.record(kind, details);
					}
				};
			}
		}
		if (!this.leader) return;
		await this.recorder.attach({
			store: this.#require().store,
			device: { publicKey: device.signPk, privateKey: device.signSk },
			box: { publicKey: device.boxPk, privateKey: device.boxSk },
			incarnation: device.incarnation
		});
		this.recorder.record(AuditKind.signIn, { method: this.#unlockMethod });
	}

	async #indexHandle(): Promise<DocHandle<IndexDoc>> {
		const runtime = this.#require();
		return runtime.repo.find<IndexDoc>(runtime.device.indexId as DocumentId);
	}

	/**
	 * Tabs tell each other when delivery state changed (the leader after an outbox change), so
	 * another tab's "saved" turns into "sent" without polling. Only document ids cross it.
	 */
	#listenForDelivery(leader: boolean): void {
		this.#delivery = new BroadcastChannel('tend-delivery');
		if (!leader) {
			this.#delivery.onmessage = (event: MessageEvent<{ doc?: unknown }>) => {
				const doc = event.data?.doc;
				if (typeof doc !== 'string') return;
				this.notify(doc);
				// The leader may have opened a period (rule 19): this tab reads it too.
				const source = this.#sources.get(doc);
				if (source?.tabPeriods) {
					const refresh = () => {
						void this.refreshAuthority(doc).then(() => this.#refreshSummaries());
					};
					void this.#openTabPeriods(doc, source, refresh).then(refresh, () => {});
				}
			};
		}
	}

	#announceDelivery(docKey: string): void {
		this.#delivery?.postMessage({ doc: docKey });
	}

	/**
	 * Writes to a conversation from a tab that isn't the leader: the change goes into this tab's
	 * Repo and over the BroadcastChannel to the leader, which pushes it. This tab's actor claims
	 * itself in its first change, signed by the device key, so the leader knows it as its own
	 * (rule 12).
	 */
	async writeInTab<T>(
		docKey: string,
		fn: (doc: T) => void,
		period?: { handle: DocHandle<unknown>; relayId: Uint8Array }
	): Promise<void> {
		const runtime = this.#require();
		const source = this.#sources.get(docKey);
		if (!source) throw new Error('unknown conversation');
		// A period's changes are claimed for the period's relay id (rule 19): the leader's
		// period DocSync adopts them as this device's own.
		const handle = period?.handle ?? source.handle;
		const relayId = period?.relayId ?? fromBase64Url(docKey);
		const actor = A.getActorId(handle.doc() as A.Doc<unknown>);
		const claimKey = `${toBase64Url(relayId)}:${actor}`;
		const message = this.#tabClaims.has(claimKey)
			? undefined
			: makeActorClaimMessage(runtime.ctx.author.device, relayId, actor);
		const before = A.getHeads(handle.doc() as A.Doc<unknown>);
		handle.change(fn as (doc: unknown) => void, message ? { message } : {});
		// A change function that wrote nothing made no change: the claim goes on the next one.
		const after = A.getHeads(handle.doc() as A.Doc<unknown>);
		if (before.length !== after.length || before.some((h, i) => h !== after[i])) {
			this.#tabClaims.add(claimKey);
		}
		await runtime.repo.flush([handle.documentId]);
	}

	/**
	 * Changes a shared document from this tab: through its DocSync in the leader tab (flushed,
	 * then sealed for the relay), through the leader's Repo elsewhere ({@link writeInTab}).
	 */
	async writeDoc<T>(docKey: string, fn: (doc: T) => void): Promise<void> {
		const runtime = this.#require();
		const source = this.#sources.get(docKey);
		if (!source) throw new Error('unknown document');
		if (!source.sync) return this.writeInTab(docKey, fn);
		if (!runtime.engine || this.readOnly) throw new Error('This tab is read-only.');
		await source.sync.change<T>(fn);
		await runtime.repo.flush([source.sync.localId]);
		runtime.engine.schedulePush(source.sync);
	}

	/** Opens a stored conversation: with sync in the leader tab, read-only elsewhere. */
	async #openSource(docKey: string): Promise<void> {
		const runtime = this.#require();
		if (this.#sources.has(docKey) || this.#opening.has(docKey)) return;
		this.#opening.add(docKey);
		try {
			if (runtime.engine) {
				const sync = await DocSync.load(runtime.ctx, fromBase64Url(docKey));
				if (!sync) return;
				runtime.engine.add(sync);
				const periods = runtime.engine.periodsOf(sync);
				this.#sources.set(docKey, syncSource(sync, periods));
				// Every period this device holds stays subscribed (rule 19); loaded in the background,
				// newest first, so the list shows at once.
				void periods.restore().then(
					() => this.#refreshSummaries(),
					() => {}
				);
			} else {
				const localId = await DocSync.peekLocalId(runtime.store, docKey);
				if (!localId) return;
				const handle = await runtime.repo.find<unknown>(localId);
				const refresh = () => {
					void this.refreshAuthority(docKey).then(() => this.#refreshSummaries());
				};
				handle.on('change', refresh);
				const source: DocSource = { handle, tabPeriods: new Map() };
				this.#sources.set(docKey, source);
				await this.#openTabPeriods(docKey, source, refresh);
				await this.refreshAuthority(docKey);
			}
		} catch {
			// A document whose state can't be read is skipped; the others still open.
		} finally {
			this.#opening.delete(docKey);
		}
		this.#refreshSummaries();
	}

	/**
	 * In a tab that isn't the leader: opens the periods the leader holds, through this tab's
	 * Repo (their local ids are derived, the same in every tab).
	 */
	async #openTabPeriods(docKey: string, source: DocSource, onChange: () => void): Promise<void> {
		const runtime = this.#require();
		const { held, known } = await ConversationPeriods.peek(runtime.store, docKey);
		source.tabKnown = known;
		const conv = fromBase64Url(docKey);
		for (const n of held) {
			if (source.tabPeriods?.has(n)) continue;
			const handle = await runtime.repo.find<unknown>(periodLocalId(source.handle.documentId, n));
			handle.on('change', () => {
				onChange();
				this.notify(docKey);
			});
			source.tabPeriods?.set(n, { handle, relayId: periodDocId(conv, n) });
		}
	}

	#sources = new Map<string, DocSource>();
	#opening = new Set<string>();

	/** Ids of the conversations open on this device. */
	sourceIds(): string[] {
		return [...this.#sources.keys()];
	}

	/** The document behind a conversation id, if this device holds it. */
	source(docKey: string): DocSource | undefined {
		return this.#sources.get(docKey);
	}

	/** Fires on any change that can alter what a conversation shows. */
	onChange(listener: (docKey: string | undefined) => void): () => void {
		this.#changeListeners.add(listener);
		return () => this.#changeListeners.delete(listener);
	}

	#changeListeners = new Set<(docKey: string | undefined) => void>();

	notify(docKey: string | undefined): void {
		for (const listener of this.#changeListeners) listener(docKey);
	}

	#require(): Runtime {
		if (!this.#runtime) throw new Error('Tend is not set up on this device yet');
		return this.#runtime;
	}

	// ----- Profile and settings -------------------------------------------------------------

	/** Creates this device's identity if there is none (used by the join page before a name). */
	async ensureDevice(): Promise<void> {
		await this.#ready;
		if (this.#runtime) return;
		const pending = this.#pendingStore;
		if (!pending) throw new Error('storage is not ready');
		const sign = generateSignKeyPair();
		const box = generateBoxKeyPair();
		const index = pending.repo.create<IndexDoc>({ v: 1, conversations: {} });
		await pending.repo.flush([index.documentId]);
		const device: DeviceRecord = {
			signPk: sign.publicKey,
			signSk: sign.privateKey,
			boxPk: box.publicKey,
			boxSk: box.privateKey,
			incarnation: randomBytes(16),
			name: '',
			indexId: index.documentId
		};
		await pending.store.write([{ key: DEVICE_KEY, data: encodeCbor(device) }], []);
		this.#pendingStore = undefined;
		await this.#run(pending.repo, pending.store, device);
	}

	async createProfile(name: string): Promise<void> {
		const trimmed = name.trim();
		if (!trimmed) throw new Error('A name is needed');
		await this.ensureDevice();
		const runtime = this.#require();
		runtime.device.name = trimmed.slice(0, 80);
		await runtime.store.write([{ key: DEVICE_KEY, data: encodeCbor(runtime.device) }], []);
		this.me = { name: runtime.device.name, deviceFingerprint: fingerprint(runtime.device.signPk) };
		this.phase = 'ready';
	}

	/**
	 * The address `/config.json` names, remembered (sealed) when it changes; when the server
	 * can't be reached (a reload while offline), the one it named last time.
	 */
	async #servedOrKnownRelay(store: EncryptedStorageAdapter): Promise<string> {
		const knownBytes = await store.load(SERVED_RELAY_KEY);
		const known = knownBytes ? (decodeCbor(knownBytes) as unknown) : undefined;
		const served = await servedRelayUrl();
		if (served) {
			if (served !== known) await store.write([{ key: SERVED_RELAY_KEY, data: encodeCbor(served) }], []);
			return served;
		}
		return typeof known === 'string' ? known : fallbackRelayUrl();
	}

	async setRelayUrl(url: string): Promise<void> {
		const parsed = new URL(url);
		if (parsed.protocol !== 'ws:' && parsed.protocol !== 'wss:') {
			throw new Error('The relay address starts with ws:// or wss://');
		}
		await this.#ready;
		const store = this.#runtime?.store ?? this.#pendingStore?.store;
		if (!store) throw new Error('storage is not ready');
		await store.write([{ key: SETTINGS_KEY, data: encodeCbor({ relayUrl: parsed.href }) }], []);
		location.reload();
	}

	// ----- Conversations --------------------------------------------------------------------

	async createConversation(title: string, kind: ConversationKind = 'direct'): Promise<string> {
		const runtime = this.#require();
		const engine = runtime.engine;
		if (!engine) throw new Error('Tend is open in another tab; this one is read-only');
		// In a practice, only roles that start client conversations start conversations (rule 7).
		if (!this.practice.allows('createClientConversation')) throw new Error(t('home.newByClinicians'));
		let sync: DocSync;
		if (kind === 'announcements') {
			// The sibling first (rule 7): the conversation's genesis names it.
			const created = await createAnnouncements(runtime.ctx, { title, creatorName: runtime.device.name });
			await this.#addSibling(created.sibling);
			sync = created.conversation;
		} else {
			sync = await createConversation(runtime.ctx, { title, kind, creatorName: runtime.device.name });
		}
		this.#sources.set(sync.docKey, syncSource(sync, engine.periodsOf(sync)));
		engine.add(sync);
		await this.#addToIndex(sync.docKey);
		// Its events go to this person's own audit trail (docs/security.md, "Audit trail").
		await engine.audit?.linkToOwnTrail(sync.docKey).catch(() => {});
		this.audit.record(AuditKind.conversationCreated, { doc: sync.docKey });
		await this.#publishAvailability(sync);
		this.#refreshSummaries();
		return sync.docKey;
	}

	#noteType(docKey: string, type: DocType | undefined): void {
		if (type === 'board') this.#boardIds.add(docKey);
		if (type === 'sibling') this.#siblingIds.add(docKey);
	}

	/** Holds the sibling document of announcements: synced, never listed (rule 7). */
	async #addSibling(sync: DocSync): Promise<void> {
		const runtime = this.#require();
		this.#sources.set(sync.docKey, syncSource(sync));
		runtime.engine?.add(sync);
		await this.#addToIndex(sync.docKey, 'sibling');
		this.notify(undefined);
	}

	async #addToIndex(docKey: string, type?: DocType): Promise<void> {
		const runtime = this.#require();
		const index = await this.#indexHandle();
		this.#noteType(docKey, type);
		index.change((doc) => {
			if (doc.conversations[docKey]) return;
			doc.conversations[docKey] = type ? { addedAt: Date.now(), type } : { addedAt: Date.now() };
		});
		await runtime.repo.flush([index.documentId]);
	}

	// ----- Boards ---------------------------------------------------------------------------

	async createBoard(title: string): Promise<string> {
		const runtime = this.#require();
		const engine = runtime.engine;
		if (!engine) throw new Error('Tend is open in another tab; this one is read-only');
		const sync = await createBoard(runtime.ctx, {
			title,
			creatorName: runtime.device.name,
			columns: [t('board.column.todo'), t('board.column.doing'), t('board.column.done')]
		});
		this.#sources.set(sync.docKey, syncSource(sync));
		engine.add(sync);
		await this.#addToIndex(sync.docKey, 'board');
		await engine.audit?.linkToOwnTrail(sync.docKey).catch(() => {});
		this.audit.record(AuditKind.boardCreated, { doc: sync.docKey });
		this.#refreshSummaries();
		return sync.docKey;
	}

	openBoard(id: string): BoardHandle {
		return new BoardController(this, id);
	}

	async makeTask(params: {
		boardId: string;
		conversationId: string;
		messageId: string;
		text: string;
	}): Promise<string> {
		const source = this.#sources.get(params.boardId);
		const doc = source?.handle.doc();
		if (!isBoardDoc(doc)) throw new Error('unknown board');
		const column = liveColumnIds(doc)[0];
		if (!column) throw new Error('the board has no columns');
		const id = crypto.randomUUID().replace(/-/g, '').slice(0, 16);
		const firstLine = params.text.split('\n').find((line) => line.trim()) ?? params.text;
		const me = this.personHex;
		await this.writeDoc<BoardDoc>(params.boardId, (d) =>
			applyBoardAction(
				d,
				{
					t: 'addLinkedCard',
					id,
					column,
					title: firstLine.trim().slice(0, 120),
					description: params.text,
					conversation: params.conversationId,
					message: params.messageId
				},
				me,
				Date.now(),
				doc
			)
		);
		this.#refreshSummaries();
		return id;
	}

	tasksFor(conversationId: string): TaskLink[] {
		return this.#taskLinks.get(conversationId) ?? [];
	}

	openConversation(id: string): ConversationHandle {
		return new ConversationController(this, id);
	}

	openAudit(): AuditHandle {
		return new AuditController(this);
	}

	async inviteStatus(fragment: string): Promise<InviteStatus> {
		// Before the vault nothing is stored: the relay is the one the app's server names (or,
		// without one, the default beside the app), as for a device set up now.
		await readyCrypto();
		const relayUrl = (await servedRelayUrl()) ?? fallbackRelayUrl();
		return checkInviteStatus(relayUrl, fragment, (url) => new WebSocket(url) as unknown as SocketLike);
	}

	openJoin(fragment: string): JoinHandle {
		return new JoinController(this, fragment);
	}

	/** Lets the join page hear when a device lets us in. */
	onAdmitted(listener: (sync: DocSync, join: PendingJoin) => void): () => void {
		this.#joinListeners.add(listener);
		return () => this.#joinListeners.delete(listener);
	}

	/**
	 * Takes a practice this device started: the directory and its channels join this person's
	 * list (the directory is never shown as a conversation), and the index names the directory.
	 * The announcements' siblings are held and synced, never listed.
	 */
	async adoptPractice(directory: DocSync, channels: DocSync[], siblings: DocSync[] = []): Promise<void> {
		for (const sibling of siblings) await this.#addSibling(sibling);
		for (const sync of [directory, ...channels]) {
			this.#sources.set(sync.docKey, syncSource(sync, this.#runtime?.engine?.periodsOf(sync)));
			await this.#addToIndex(sync.docKey);
		}
		await this.#setPractice(directory.docKey);
		this.#refreshSummaries();
	}

	async #setPractice(docKey: string): Promise<void> {
		const runtime = this.#require();
		const index = await this.#indexHandle();
		index.change((doc) => {
			doc.practice = docKey;
		});
		await runtime.repo.flush([index.documentId]);
		this.practice.attach(docKey);
	}

	/** An administrator of this person's practice let this device into another document. */
	async #granted(sync: DocSync): Promise<void> {
		this.#sources.set(sync.docKey, syncSource(sync, this.#runtime?.engine?.periodsOf(sync)));
		await this.#addToIndex(sync.docKey);
		this.audit.record(AuditKind.joined, { doc: sync.docKey });
		this.#refreshSummaries();
		this.notify(sync.docKey);
	}

	async #admitted(sync: DocSync, join: PendingJoin): Promise<void> {
		const periods = join.info.kind === 'board' ? undefined : this.#runtime?.engine?.periodsOf(sync);
		this.#sources.set(sync.docKey, syncSource(sync, periods));
		await this.#addToIndex(sync.docKey, join.info.kind === 'board' ? 'board' : undefined);
		if (join.info.kind === 'practice') await this.#setPractice(sync.docKey);
		this.audit.record(AuditKind.joined, { doc: sync.docKey, invite: toBase64Url(join.invite) });
		await this.#refreshPendingJoins();
		this.#refreshSummaries();
		for (const listener of this.#joinListeners) listener(sync, join);
	}

	/** The person this device acts for, in hex: the key conversations know them by. */
	get personHex(): string {
		const device = this.#require().device;
		return toHex(device.person ?? device.signPk);
	}

	/**
	 * This device was revoked by another of the person's devices: its own records say so, or
	 * (for a linked device that missed the revocation) every document's chain left it out.
	 */
	deviceRemoved = $state(false);

	async #checkRemoved(): Promise<void> {
		const runtime = this.#runtime;
		const engine = runtime?.engine;
		if (!engine) return;
		const me = runtime.ctx.author.device.publicKey;
		const docs = engine.docs();
		const cutOff = !!runtime.device.person && docs.length > 0 && docs.every((d) => d.excludes(me));
		this.deviceRemoved = cutOff || (await engine.links.revoked());
	}

	/** This device was linked from another of the person's devices: take their name and key. */
	async #linked(name: string, person: Uint8Array): Promise<void> {
		const runtime = this.#require();
		runtime.device.name = name.trim().slice(0, 80);
		runtime.device.person = person;
		await runtime.store.write([{ key: DEVICE_KEY, data: encodeCbor(runtime.device) }], []);
		this.me = { name: runtime.device.name, deviceFingerprint: fingerprint(runtime.device.signPk) };
		this.phase = 'ready';
	}

	/** A document the person belongs to, given to this linked device by an administrator. */
	async #linkedDoc(sync: DocSync, kind: 'conversation' | 'board' | 'practice'): Promise<void> {
		const periods = kind === 'conversation' ? this.#runtime?.engine?.periodsOf(sync) : undefined;
		this.#sources.set(sync.docKey, syncSource(sync, periods));
		await this.#addToIndex(sync.docKey, kind === 'board' ? 'board' : undefined);
		if (kind === 'practice') await this.#setPractice(sync.docKey);
		this.#refreshSummaries();
		this.notify(sync.docKey);
	}

	/** Whether a document this device holds is a task board or a conversation. */
	kindOf(docKey: string): 'conversation' | 'board' | 'practice' {
		if (this.#runtime?.engine?.practiceDoc === docKey) return 'practice';
		return this.boards.some((b) => b.id === docKey) ? 'board' : 'conversation';
	}

	/** Resolves once the engine is connected to the relay (the new device's link claim). */
	waitOnline(): Promise<void> {
		const engine = this.runtime?.engine;
		if (!engine) return Promise.reject(new Error('not connected'));
		if (engine.status === 'online') return Promise.resolve();
		return new Promise((resolve) => {
			const onStatus = (status: string) => {
				if (status !== 'online') return;
				engine.off('status', onStatus);
				resolve();
			};
			engine.on('status', onStatus);
		});
	}

	openDevices(): DevicesHandle {
		return new DevicesController(this);
	}

	openLink(): LinkHandle {
		return new LinkController(this);
	}

	#refusedListeners = new Set<(invite: string, reason: JoinRefusal) => void>();

	/** Lets the join page hear that the inviter declined. */
	onJoinRefused(listener: (invite: string, reason: JoinRefusal) => void): () => void {
		this.#refusedListeners.add(listener);
		return () => this.#refusedListeners.delete(listener);
	}

	async cancelJoin(inviteId: string): Promise<void> {
		const engine = this.#runtime?.engine;
		if (!engine) return;
		await engine.forgetJoin(fromBase64Url(inviteId));
		await this.#refreshPendingJoins();
	}

	async refreshPendingJoins(): Promise<void> {
		await this.#refreshPendingJoins();
	}

	async #refreshPendingJoins(): Promise<void> {
		const engine = this.#runtime?.engine;
		if (!engine) return;
		const joins = await engine.pendingJoins();
		const runtime = this.#require();
		this.pendingJoins = joins.map((join) => ({
			inviteId: toBase64Url(join.invite),
			inviterName: join.info.inviterName,
			title: join.info.title,
			safetyCode: JoinController.codeFor(join, runtime)
		}));
	}

	// ----- Office hours and quick replies -----------------------------------------------------

	/** Reads the sealed settings; a record that doesn't parse is skipped (never fatal). */
	async #loadBoundaries(store: EncryptedStorageAdapter): Promise<void> {
		try {
			const bytes = await store.load(AVAILABILITY_KEY);
			if (bytes) this.availability = decodeCbor(bytes) as AvailabilitySettings;
		} catch {
			this.availability = undefined;
		}
		try {
			const bytes = await store.load(QUICK_REPLIES_KEY);
			if (bytes) this.#savedQuickReplies = parseQuickReplies(decodeCbor(bytes));
		} catch {
			this.#savedQuickReplies = undefined;
		}
	}

	async saveAvailability(settings: AvailabilitySettings): Promise<void> {
		const runtime = this.#require();
		if (!runtime.engine || this.readOnly) {
			throw new Error('Tend is open in another tab; change office hours there');
		}
		const clean: AvailabilitySettings = {
			timeZone: settings.timeZone,
			hours: settings.hours.map(({ day, start, end }) => ({ day, start, end })),
			replyHours: settings.replyHours,
			emergency: settings.emergency.trim()
		};
		await runtime.store.write([{ key: AVAILABILITY_KEY, data: encodeCbor(clean) }], []);
		this.availability = clean;
		for (const source of this.#sources.values()) {
			if (source.sync) await this.#publishAvailability(source.sync);
		}
	}

	/** Writes this device's hours into its member record, where it administers the conversation. */
	async #publishAvailability(sync: DocSync): Promise<void> {
		const runtime = this.#require();
		const settings = this.availability;
		const me = this.personHex;
		if (!settings || !runtime.engine || !sync.isAdmin(runtime.ctx.author.device.publicKey)) return;
		const doc = sync.handle.doc() as A.Doc<ConversationDoc>;
		if (!doc.members?.[me]) return;
		const record: AvailabilityRecord = { v: 1, ...settings, updatedAt: Date.now() };
		await sync.change<ConversationDoc>((d) => writeAvailability(d, me, record));
		await runtime.repo.flush([sync.localId]);
		runtime.engine.schedulePush(sync);
	}

	async saveQuickReplies(replies: QuickReply[]): Promise<void> {
		const runtime = this.#require();
		const clean = parseQuickReplies(replies) ?? [];
		await runtime.store.write([{ key: QUICK_REPLIES_KEY, data: encodeCbor(clean) }], []);
		this.#savedQuickReplies = clean;
	}

	namesOutside(conversationId: string): string[] {
		const here = this.#sources.get(conversationId);
		const inHere = new Set<string>();
		if (here?.handle.isReady()) {
			const doc = here.handle.doc() as A.Doc<ConversationDoc>;
			for (const [device, member] of Object.entries(doc.members ?? {})) {
				inHere.add(device);
				if (typeof member?.name === 'string') inHere.add(`name:${member.name}`);
			}
		}
		const names = new Set<string>();
		for (const person of this.#search.people()) {
			if (!person.me && !inHere.has(person.id) && !inHere.has(`name:${person.name}`)) {
				names.add(person.name);
			}
		}
		return [...names];
	}

	// ----- Search ---------------------------------------------------------------------------

	#search = this.#newSearch();

	#newSearch(): SearchService {
		return new SearchService({
			conversationIds: () => [...this.#sources.keys()],
			doc: (id) => {
				const source = this.#sources.get(id);
				const doc = source && searchDoc(source);
				return doc && typeof doc.title === 'string' ? doc : undefined;
			},
			myId: () => (this.#runtime ? this.personHex : ''),
			readContext: (id) => {
				const authority = this.authority(id);
				const runtime = this.#runtime;
				if (!authority || !runtime) return undefined;
				return readContextOf(authority, this.personHex);
			}
		});
	}

	async search(request: SearchRequest): Promise<SearchResultsView> {
		await this.#ready;
		return this.#search.search(request);
	}

	searchPeople(): SearchPerson[] {
		return this.#search.people();
	}

	readonly #coverage = new SearchCoverage({
		holdings: () => this.#periodHoldings(),
		canFetch: () => this.leader && !!this.#runtime?.engine,
		hold: async (id, n) => {
			const periods = this.#sources.get(id)?.periods;
			if (!periods) throw new Error('only the leader tab holds periods');
			await periods.hold(n);
		},
		ready: (id, n) => {
			const period = this.#sources.get(id)?.periods?.get(n);
			return !!period && !!this.#runtime?.engine?.caughtUp(period.docKey);
		},
		online: () => this.connection === 'online'
	});

	get searchCoverage(): SearchCoverageView {
		return this.#coverage;
	}

	/**
	 * What this device holds of each listed conversation's periods. Conversations this person
	 * left, or was removed from, are left out: nothing more of them can be fetched.
	 */
	*#periodHoldings(): Iterable<[string, PeriodHoldings]> {
		const me = this.#runtime?.ctx.author.device.publicKey;
		for (const [docKey, source] of this.#sources) {
			if (this.#boardIds.has(docKey) || this.#siblingIds.has(docKey)) continue;
			if (docKey === this.practice.docKey || this.prefsOf(docKey).left) continue;
			const sync = source.sync;
			if (sync && me && sync.excludes(me) && !sync.holdsHeadSecret) continue;
			yield [docKey, periodHoldings(source)];
		}
	}

	#summaryTimer: ReturnType<typeof setTimeout> | undefined;
	/** Board summaries by document, kept while the document's heads don't change. */
	#boardCache = new Map<string, { key: string } & ReturnType<typeof summarizeBoard>>();
	/** Unread count per conversation at the last refresh: a rise while hidden notifies. */
	#lastUnread = new Map<string, number>();
	#prefs: Record<string, ConversationPrefs> = {};

	#refreshSummaries(): void {
		if (this.#summaryTimer) return;
		this.#summaryTimer = setTimeout(() => {
			this.#summaryTimer = undefined;
			const runtime = this.#runtime;
			// A lock hid the content and is shutting down: nothing comes back into view.
			if (!runtime || this.#shuttingDown) return;
			const me = this.personHex;
			const conversations: ConversationSummary[] = [];
			const boards: BoardSummary[] = [];
			const links = new Map<string, TaskLink[]>();
			const today = localDay();
			for (const [docKey, source] of this.#sources) {
				const doc = source.handle.isReady() ? source.handle.doc() : undefined;
				const pending = runtime.engine?.claimsFor(docKey).length ?? 0;
				if (isBoardDoc(doc)) {
					const key = `${A.getHeads(doc).join(',')}|${pending}|${today}`;
					let cached = this.#boardCache.get(docKey);
					if (cached?.key !== key) {
						cached = { key, ...summarizeBoard(docKey, doc, pending, today) };
						this.#boardCache.set(docKey, cached);
					}
					const { summary, links: cardLinks } = cached;
					boards.push(summary);
					for (const link of cardLinks) {
						links.set(link.conversationId, [...(links.get(link.conversationId) ?? []), link]);
					}
					continue;
				}
				// A joined board shows nothing until its first change arrives; siblings never show.
				if (this.#boardIds.has(docKey) || this.#siblingIds.has(docKey)) continue;
				// The practice directory is shown in the settings, not as a conversation.
				if (isPracticeDoc(doc) || docKey === this.practice.docKey) continue;
				if (this.prefsOf(docKey).left) continue;
				const authority = this.authority(docKey);
				if (!authority) continue;
				const summary = summarize({
					docKey,
					doc: viewDoc(source),
					me,
					authority,
					sibling: this.siblingOf(docKey),
					pendingRequests: pending,
					prefs: this.prefsOf(docKey)
				});
				if (summary) conversations.push(summary);
			}
			conversations.sort((a, b) => b.updatedAt - a.updatedAt);
			this.#coverage.update();
			this.#notifyIfNew(conversations);
			this.conversations = conversations;
			this.boards = boards.sort((a, b) => b.updatedAt - a.updatedAt);
			this.dueToday = boards.reduce((sum, b) => sum + b.dueToday, 0);
			this.#taskLinks = links;
		}, 30);
	}

	/**
	 * Shows "New message in Tend" when a conversation's unread count rises while the app is in
	 * the background: never its content, author or title. Only the leader tab notifies, so one
	 * device shows one notification.
	 */
	#notifyIfNew(summaries: ConversationSummary[]): void {
		let rose = false;
		for (const summary of summaries) {
			const before = this.#lastUnread.get(summary.id);
			if (before !== undefined && summary.unread > before && !summary.muted) rose = true;
			this.#lastUnread.set(summary.id, summary.unread);
		}
		const hidden = typeof document !== 'undefined' && document.visibilityState === 'hidden';
		if (rose && hidden && this.leader && this.notifications === 'granted') {
			void showNewMessageNotification();
		}
	}

	async requestNotifications(): Promise<void> {
		if (typeof Notification === 'undefined') {
			this.notifications = 'unsupported';
			return;
		}
		this.notifications = await Notification.requestPermission();
	}

	// ----- Per-conversation choices and authority --------------------------------------------

	prefsOf(docKey: string): ConversationPrefs {
		return this.#prefs[docKey] ?? { addedAt: 0 };
	}

	/** Changes this person's choices about a conversation (muted, archived, left). */
	async setPrefs(docKey: string, patch: Omit<Partial<ConversationPrefs>, 'addedAt'>): Promise<void> {
		const runtime = this.#require();
		const index = await this.#indexHandle();
		index.change((doc) => {
			const entry = doc.conversations[docKey];
			if (!entry) return;
			for (const [key, value] of Object.entries(patch)) {
				(entry as unknown as Record<string, unknown>)[key] = value;
			}
		});
		await runtime.repo.flush([index.documentId]);
		this.#readPrefs(index.doc());
		this.notify(docKey);
		this.#refreshSummaries();
	}

	#readPrefs(doc: IndexDoc | undefined): void {
		const out: Record<string, ConversationPrefs> = {};
		for (const [docKey, entry] of Object.entries(doc?.conversations ?? {})) {
			out[docKey] = {
				addedAt: entry.addedAt,
				muted: entry.muted === true,
				archived: entry.archived === true,
				left: entry.left === true
			};
		}
		this.#prefs = out;
	}

	#peeked = new Map<string, PeekedAuthority>();

	/**
	 * Announcements: the sibling document (rule 7) as the conversation reads it, with who wrote
	 * what in it; undefined for other kinds and until the sibling is open here.
	 */
	siblingOf(docKey: string): { key: string; doc: A.Doc<SiblingDoc>; authority: Authority } | undefined {
		const key = this.siblingKeyOf(docKey);
		const sibling = key ? this.#sources.get(key) : undefined;
		if (!key || !sibling?.handle.isReady()) return undefined;
		const siblingDoc = sibling.handle.doc();
		// A member's linked devices act as the member there too: the announcements say whose they are.
		const authority = this.authority(key, this.#sources.get(docKey)?.handle.doc());
		if (!isSiblingDoc(siblingDoc) || !authority) return undefined;
		return { key, doc: siblingDoc as A.Doc<SiblingDoc>, authority };
	}

	/**
	 * Announcements: the relay id of the sibling document, as an administering device named it
	 * (`readSiblingKey`: a pointer a writer changed is ignored); undefined for other kinds.
	 */
	siblingKeyOf(docKey: string): string | undefined {
		const source = this.#sources.get(docKey);
		const authority = this.authority(docKey);
		if (!source?.handle.isReady() || !authority) return undefined;
		const doc = source.handle.doc() as A.Doc<ConversationDoc>;
		return readSiblingKey(doc, authority.deviceOf, (device) => authority.admins.has(device));
	}

	/**
	 * Who may do what in a conversation (see authority.ts); undefined if it isn't open here.
	 * `peopleFrom`: the document whose device records name the people (see `authorityOf`).
	 */
	authority(docKey: string, peopleFrom?: unknown): Authority | undefined {
		const source = this.#sources.get(docKey);
		const runtime = this.#runtime;
		if (!source || !runtime) return undefined;
		const me = this.personHex;
		const tabActors = [...this.#tabClaims]
			.filter((key) => key.startsWith(`${docKey}:`))
			.map((key) => key.slice(docKey.length + 1));
		return authorityOf(source, me, this.#peeked.get(docKey), tabActors, peopleFrom);
	}

	/** In a tab that isn't the leader: reloads the claims and epoch lists the leader persisted. */
	async refreshAuthority(docKey: string): Promise<void> {
		const runtime = this.#runtime;
		if (!runtime || this.#sources.get(docKey)?.sync) return;
		const peeked = await DocSync.peekAuthority(runtime.store, docKey);
		if (!peeked) return;
		// The periods' claims too (rule 19); an actor two documents give to different devices
		// names nobody.
		const source = this.#sources.get(docKey);
		const lookups = [peeked.actors];
		for (const period of source?.tabPeriods?.values() ?? []) {
			const more = await DocSync.peekAuthority(runtime.store, toBase64Url(period.relayId));
			if (more) lookups.push(more.actors);
		}
		const deviceOf = combineDeviceOf(lookups.map((actors) => (actor: string) => (actors[actor] ? toHex(actors[actor]) : undefined)));
		const actors: Record<string, Uint8Array> = {};
		for (const map of lookups) {
			for (const [actor, device] of Object.entries(map)) if (deviceOf(actor) !== undefined) actors[actor] = device;
		}
		this.#peeked.set(docKey, { ...peeked, actors });
	}
}

/** Locked-time audit events in localStorage, or nowhere when it isn't available. */
function browserLockedQueue() {
	return typeof localStorage === 'undefined' ? undefined : localStorageQueue();
}

/** "a1b2 c3d4": the first four bytes of a device key, for people to tell devices apart. */
export function fingerprint(publicKey: Uint8Array): string {
	const hex = toHex(publicKey.subarray(0, 4));
	return `${hex.slice(0, 4)} ${hex.slice(4)}`;
}

