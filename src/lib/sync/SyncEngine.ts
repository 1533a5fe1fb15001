import * as A from '@automerge/automerge';
import { EventEmitter } from 'eventemitter3';
import { deriveAccessKey } from '../crypto/documentKeys.js';
import { openFromSealedBox, randomBytes, type BoxKeyPair } from '../crypto/primitives.js';
import { signAccessProof } from '../protocol/auth.js';
import { equalBytes, fromBase64Url, toBase64Url } from '../protocol/bytes.js';
import { decodeCbor, encodeCbor } from '../protocol/cbor.js';
import { RelayError } from '../protocol/errors.js';
import type { InviteClaim, Item, Push } from '../protocol/frames.js';
import {
	deriveInviteKeys,
	INVITE_ID_BYTES,
	INVITE_LIFETIME_MS,
	INVITE_SECRET_BYTES,
	openProfile,
	refusalOf,
	safetyCode,
	sealInviteInfo,
	sealProfile,
	signClaimByDevice,
	signInviteProof,
	verifyClaimByDevice,
	type InviteInfo,
	type JoinRefusal
} from '../protocol/invite.js';
import {
	isListed,
	openEnvelopeRecord,
	verifyChain,
	type EnvelopeBody
} from '../protocol/records.js';
import type { AuditRecorder } from '../audit/AuditRecorder.js';
import { AuditSync } from './AuditSync.js';
import { ConversationPeriods } from './ConversationPeriods.js';
import { DocSync, type DocProblem, type DocSyncContext } from './DocSync.js';
import { DeviceLinks } from './DeviceLinks.js';
import {
	createAddDeviceRecord,
	createAddMemberRecord,
	createAddWriterRecord,
	createEnvelope,
	createPostingRecord,
	createRotationRecord
} from './documentRecords.js';
import { PresenceTracker, type PeerPresence, type PresenceOptions } from './PresenceTracker.js';
import { RelayConnection, type ConnectionStatus, type SocketFactory } from './RelayConnection.js';

/**
 * Connects the documents this device holds to the relay: registers and opens them, catches up
 * from each cursor, sends outboxes (the same bytes after every reconnect, rule 9), and runs the
 * invite and key-envelope exchanges (rules 1 and 3). One engine per device; only the leader tab
 * runs one.
 */

export interface JoinClaim {
	doc: string;
	inviteId: string;
	name: string;
	safetyCode: string;
	device: Uint8Array;
	boxPk: Uint8Array;
}

export interface StoredInvite {
	doc: Uint8Array;
	invite: Uint8Array;
	secret: Uint8Array;
	expires: number;
	state: 'open' | 'claimed';
	/** The role the inviter chose (practice invites, issue 7); kept sealed on this device. */
	role?: string;
	/** Further documents the invitee is to be let into (see {@link InviteInfo.docs}). */
	docs?: Uint8Array[];
}

/** A join this device is waiting on (persisted, so a reload keeps waiting). */
export interface PendingJoin {
	invite: Uint8Array;
	secret: Uint8Array;
	info: InviteInfo;
	name: string;
}

export interface SyncEngineEvents {
	status: (status: ConnectionStatus) => void;
	/** A document changed (local or remote) or its delivery state changed. */
	'doc-changed': (doc: string) => void;
	problem: (doc: string, problem: DocProblem) => void;
	/** Someone claimed an invite of a document this device administers. */
	claims: (doc: string) => void;
	/** An administering device let this device into a document. */
	admitted: (sync: DocSync, join: PendingJoin) => void;
	/**
	 * An administrator of this device's practice directory let it into another document (a new
	 * channel, or one its new role may read).
	 */
	granted: (sync: DocSync) => void;
	/**
	 * An invite this device waits on ended: `declined` (the inviter revoked it after this
	 * device's claim) or `revoked` (cancelled before the claim arrived, or gone).
	 */
	'join-refused': (invite: string, reason: JoinRefusal) => void;
	/** The document is open (access proved) and subscribed on the current connection. */
	'doc-live': (doc: string) => void;
	/** Who is online or typing in the document changed. */
	presence: (doc: string) => void;
	/** The conversation gained a period this device now holds, or one was loaded (rule 19). */
	periods: (doc: string) => void;
	/**
	 * A period document read its log up to where the relay said it ended when it was subscribed
	 * on this connection ({@link SyncEngine.caughtUp}); `doc` is the period's own key.
	 */
	'caught-up': (doc: string) => void;
	/** A document this (newly linked) device was given because its person belongs to it. */
	'linked-doc': (sync: DocSync, kind: 'conversation' | 'board' | 'practice') => void;
}

export interface SyncEngineParams extends DocSyncContext {
	box: BoxKeyPair;
	relayUrl: string;
	socketFactory: SocketFactory;
	/** The device's audit recorder: its trails are synced through the relay too (AuditSync). */
	audit?: AuditRecorder;
	/** Presence timings (tests shorten the grace before a claimed entry counts as withheld). */
	presence?: Partial<PresenceOptions>;
}

/** The conversation on screen says "online" this often (ms); every document every 5 minutes. */
const PRESENCE_ACTIVE_MS = 20_000;
const PRESENCE_ALL_MS = 5 * 60_000;
/** Gap between queued presence frames (ms), well inside the relay's per-connection limit. */
const PRESENCE_PACE_MS = 300;

const JOIN_PREFIX = ['tend', 'join'];
const INVITE_PREFIX = ['tend', 'invite'];
/** Box public keys of devices this device let in (or was told of), by signing key in hex. */
const BOX_PREFIX = ['tend', 'box'];

/** How long a rotation that lost the race waits for the winner's envelope (ms). */
const ROTATION_CATCH_UP_MS = 15_000;

/** Attempts to connect a period the relay turned away, before waiting for the next reconnect. */
const PERIOD_RETRIES = 12;

/** How {@link SyncEngine.removeDevices} treats devices the epoch doesn't list. */
export interface RemoveOptions {
	/**
	 * Devices that read the document without being listed (readers, rule 7): they get the new
	 * secret too. When given, the rotation happens even if no removed device is listed (a
	 * removed reader still holds the old secret), unless another rotation happened meanwhile.
	 */
	readers?: Uint8Array[];
}

/** The outcome of {@link SyncEngine.removeDevices}. */
export interface RotationResult {
	/** False when the devices were already gone (another administrator removed them). */
	rotated: boolean;
	/** Remaining devices the new secret could not be sealed to: their box key isn't known here. */
	unsealed: Uint8Array[];
}

export class SyncEngine extends EventEmitter<SyncEngineEvents> {
	readonly connection: RelayConnection;
	/** Audit trails through the relay; present when the engine was given a recorder. */
	readonly audit: AuditSync | undefined;
	/** The person's devices: linking, and acting on device certificates (DeviceLinks). */
	readonly links: DeviceLinks;
	#reconcileTimers = new Map<string, ReturnType<typeof setTimeout>>();
	#ctx: DocSyncContext;
	#box: BoxKeyPair;
	#docs = new Map<string, DocSync>();
	/** Period documents per conversation (rule 19); their DocSyncs are in #docs too. */
	#periods = new Map<string, ConversationPeriods>();
	/** Period document key → its conversation's key. */
	#parentOf = new Map<string, string>();
	/** Documents opened and subscribed on the current connection. */
	#live = new Set<string>();
	/** Outbox entries sent on the current connection and not yet answered. */
	#inflight = new Set<string>();
	#claims = new Map<string, JoinClaim[]>();
	#pushScheduled = new Set<string>();
	/** Documents whose snapshot is being made or uploaded. */
	#snapshotting = new Set<string>();
	/** Other devices' presence, and their counter vectors checked against what arrived. */
	readonly presence: PresenceTracker;
	/** The last seq the relay named when each document was subscribed on this connection. */
	#subSeq = new Map<string, number>();
	/** The conversation on screen, and whether this device is typing in it. */
	#active: string | undefined;
	#typing = false;
	#presenceQueue: string[] = [];
	#pumping = false;
	#ticker: ReturnType<typeof setInterval> | undefined;
	#ticks = 0;
	/**
	 * The practice directory this device belongs to (issue 7), by relay id: envelopes for new
	 * documents signed by one of its administering devices are accepted without an invite.
	 */
	practiceDoc: string | undefined;

	constructor(params: SyncEngineParams) {
		super();
		this.#ctx = { repo: params.repo, store: params.store, author: params.author };
		this.#box = params.box;
		this.presence = new PresenceTracker(params.author.device, params.presence);
		this.connection = new RelayConnection(
			params.relayUrl,
			params.author.device,
			params.socketFactory
		);
		this.connection.on('status', (status) => {
			if (status !== 'online') {
				this.#live.clear();
				this.#periodRetries.clear();
				this.#inflight.clear();
				this.#subSeq.clear();
				this.presence.reset();
				for (const doc of this.#docs.keys()) this.emit('presence', doc);
			}
			this.emit('status', status);
		});
		this.audit = params.audit
			? new AuditSync({
					connection: this.connection,
					recorder: params.audit,
					store: params.store,
					device: params.author.device,
					box: params.box
				})
			: undefined;
		this.links = new DeviceLinks({
			connection: this.connection,
			store: params.store,
			device: params.author.device,
			box: params.box,
			docs: () => this.docs(),
			addDevice: (sync, device, boxPk, rights) => this.addDevice(sync, device, boxPk, rights),
			removeDevices: (sync, remove) => this.removeDevices(sync, remove),
			rememberBoxKey: (device, boxPk) => this.rememberBoxKey(device, boxPk)
		});
		this.connection.on('ready', () => void this.#onReady());
		this.connection.on('push', (frame) => void this.#onPush(frame));
	}

	start(): void {
		this.connection.start();
		// While someone waits to be let in, a decline shows within seconds (one small request
		// every 10 s, only while a join is pending).
		this.#joinTimer = setInterval(() => void this.checkJoins(), 10_000);
		this.#ticker = setInterval(() => this.#tick(), 1000);
	}

	stop(): void {
		clearInterval(this.#joinTimer);
		this.audit?.stop();
		clearInterval(this.#ticker);
		for (const timer of this.#reconcileTimers.values()) clearTimeout(timer);
		this.#reconcileTimers.clear();
		this.connection.stop();
	}

	get status(): ConnectionStatus {
		return this.connection.status;
	}

	/** The documents synced, period documents left out (they belong to their conversation). */
	docs(): DocSync[] {
		return [...this.#docs.values()].filter((sync) => sync.period === 0);
	}

	/**
	 * The period documents of a conversation this engine syncs (rule 19). Created on first use;
	 * `restore()` holds the periods this device held before, and every period held is synced.
	 */
	periodsOf(conv: DocSync): ConversationPeriods {
		let periods = this.#periods.get(conv.docKey);
		if (!periods) {
			periods = new ConversationPeriods(this.#ctx, conv, {
				onHold: (sync) => {
					this.#parentOf.set(sync.docKey, conv.docKey);
					this.add(sync);
					this.emit('periods', conv.docKey);
				}
			});
			this.#periods.set(conv.docKey, periods);
		}
		return periods;
	}

	/** The conversation a period document belongs to (its own key for anything else). */
	conversationOf(doc: string): string {
		return this.#parentOf.get(doc) ?? doc;
	}

	get(doc: string): DocSync | undefined {
		return this.#docs.get(doc);
	}

	/** The document is open and subscribed on the current connection (blobs can move). */
	isLive(doc: string): boolean {
		return this.#live.has(doc) && this.status === 'online';
	}

	claimsFor(doc: string): JoinClaim[] {
		return this.#claims.get(doc) ?? [];
	}

	/** Starts syncing a document; connects it at once when online. */
	add(sync: DocSync): void {
		if (this.#docs.has(sync.docKey)) return;
		this.#docs.set(sync.docKey, sync);
		// A period's changes show in its conversation.
		const changed = () => this.emit('doc-changed', this.conversationOf(sync.docKey));
		sync.on('outbox', () => {
			changed();
			void this.#sendOutbox(sync);
		});
		sync.on('acknowledged', changed);
		sync.on('problem', (problem) => this.emit('problem', this.conversationOf(sync.docKey), problem));
		sync.on('need-chain', () => void this.#refreshChain(sync));
		const onChange = () => {
			changed();
			this.#scheduleReconcile(sync);
			// A change can come from another tab of this device (over the BroadcastChannel):
			// the leader seals it. Remote changes make this a cheap no-op.
			this.schedulePush(sync);
		};
		let handle = sync.handle;
		handle.on('change', onChange);
		// A distrusted snapshot was discarded: follow the new handle and read the full log.
		sync.on('handle', () => {
			handle.off('change', onChange);
			handle = sync.handle;
			handle.on('change', onChange);
			changed();
		});
		sync.on('resubscribe', () => void this.#resubscribe(sync));
		// Own changes not yet sealed (a new document's first change, or a crash) go out now.
		this.schedulePush(sync);
		if (this.status === 'online') void this.#connectDoc(sync);
	}

	/** Seals the document's new own changes soon; several calls in one turn seal once. */
	schedulePush(sync: DocSync): void {
		if (this.#pushScheduled.has(sync.docKey)) return;
		this.#pushScheduled.add(sync.docKey);
		queueMicrotask(() => {
			this.#pushScheduled.delete(sync.docKey);
			sync.commitLocal().catch(() => this.emit('problem', sync.docKey, { kind: 'unverified', count: 0 }));
		});
	}

	// ----- Connecting documents -------------------------------------------------------------

	async #onReady(): Promise<void> {
		this.presence.restartClaims(Date.now());
		await Promise.all([...this.#docs.values()].map((sync) => this.#connectDoc(sync)));
		await this.audit?.onReady();
		await this.#fetchClaims();
		await this.links.onReady();
		await this.#fetchMail();
		await this.checkJoins();
		for (const sync of this.#docs.values()) this.#scheduleReconcile(sync);
	}

	/**
	 * Acts on the device records of a document soon after it changed (DeviceLinks.reconcile):
	 * a burst of remote changes runs one pass.
	 */
	#scheduleReconcile(sync: DocSync): void {
		if (this.#reconcileTimers.has(sync.docKey)) return;
		const timer = setTimeout(() => {
			this.#reconcileTimers.delete(sync.docKey);
			if (this.status !== 'online') return;
			this.links.reconcile(sync).catch(() => {
				// The relay refused or the connection dropped: the next change or connect retries.
			});
		}, 200);
		this.#reconcileTimers.set(sync.docKey, timer);
	}

	#joinTimer: ReturnType<typeof setInterval> | undefined;

	/**
	 * Asks the relay about each invite this device is waiting on. One the inviter declined
	 * (revoked) is forgotten and reported, so the person isn't left waiting for ever.
	 */
	async checkJoins(): Promise<void> {
		const joins = await this.pendingJoins();
		if (joins.length === 0 || this.status !== 'online') return;
		for (const join of joins) {
			try {
				const answer = await this.connection.request('invite.get', { invite: join.invite });
				if (answer.state === 'revoked') {
					await this.forgetJoin(join.invite);
					this.emit('join-refused', toBase64Url(join.invite), refusalOf(answer));
				}
			} catch (error) {
				if (error instanceof RelayError && error.code === 'invite-unknown') {
					await this.forgetJoin(join.invite);
					this.emit('join-refused', toBase64Url(join.invite), 'revoked');
				}
			}
		}
	}

	async #connectDoc(sync: DocSync): Promise<void> {
		if (sync.period > 0) return this.#connectPeriod(sync);
		try {
			if (!sync.registered) {
				try {
					await this.connection.request('doc.create', { genesis: sync.genesis });
				} catch (error) {
					if (!(error instanceof RelayError && error.code === 'exists')) throw error;
				}
				await sync.markRegistered();
			}
			const opened = await this.#open(sync);
			if ((opened.head as number) > sync.head.n) await this.#refreshChain(sync);
			if (sync.wantsSnapshot) await this.#loadSnapshot(sync);
			this.#live.add(sync.docKey);
			const subscribed = await this.connection.request('sub', { doc: sync.doc, after: sync.cursor });
			this.#subSeq.set(sync.docKey, subscribed.seq as number);
			this.emit('doc-live', sync.docKey);
			this.#queuePresence(sync.docKey);
			await this.#sendOutbox(sync);
			await this.#connectPeriods(sync, Number(opened.periods ?? 0));
		} catch (error) {
			// Refused access: either a rotation this device will get an envelope for, or one that
			// removed it. The chain (readable to devices it ever listed) tells which.
			if (error instanceof RelayError && error.code === 'no-access') await this.#refreshChain(sync);
			// Otherwise the connection dropped or the relay refused; the next reconnect tries again.
		}
	}

	/**
	 * After the conversation is live: its periods get its newest chain and secrets, the newest
	 * period the relay knows of is held, and every held period is registered (in order: the
	 * relay takes only the next number) and connected.
	 */
	async #connectPeriods(conv: DocSync, relayHighest: number): Promise<void> {
		// A document just let in may be connected before the app asked for its periods: the
		// relay naming periods is enough to hold them.
		const periods = relayHighest > 0 ? this.periodsOf(conv) : this.#periods.get(conv.docKey);
		if (!periods) return;
		await this.#syncPeriods(conv);
		if (await periods.learn(relayHighest)) this.emit('periods', conv.docKey);
		for (const n of periods.held()) await this.#connectPeriod(periods.get(n)!);
	}

	/** Passes the conversation's chain records and secrets on to its periods (they share them). */
	async #syncPeriods(conv: DocSync): Promise<void> {
		const periods = this.#periods.get(conv.docKey);
		if (!periods) return;
		for (const n of periods.held()) {
			const period = periods.get(n)!;
			const records = conv.chainRecords().slice(period.head.n + 1);
			if (records.length > 0 && (await period.extendChain(records))) await period.retryInbox();
			for (const gen of conv.heldGenerations()) {
				if (!period.secretOf(gen)) await period.adoptSecret(gen, conv.secretOf(gen)!);
			}
		}
	}

	/**
	 * Registers a period (`period.create`, rule 19) and opens and subscribes it, once its
	 * conversation is live on this connection (the relay checks the access proved there).
	 */
	async #connectPeriod(sync: DocSync): Promise<void> {
		const convKey = this.#parentOf.get(sync.docKey);
		if (!convKey || !this.#live.has(convKey) || this.status !== 'online') return;
		try {
			// Writers register it (the relay lets only them); a reader only ever holds periods the
			// relay told it of, which exist there already.
			const writer = isListed(sync.head.writers, this.#ctx.author.device.publicKey);
			if (!sync.registered && writer) {
				await this.connection.request('period.create', { doc: sync.chainDoc, n: sync.period });
				await sync.markRegistered();
			}
			const opened = await this.#open(sync);
			if ((opened.head as number) > sync.head.n) await this.#refreshChain(sync);
			if (sync.wantsSnapshot) await this.#loadSnapshot(sync);
			this.#live.add(sync.docKey);
			const subscribed = await this.connection.request('sub', { doc: sync.doc, after: sync.cursor });
			this.#subSeq.set(sync.docKey, subscribed.seq as number);
			this.#periodRetries.delete(sync.docKey);
			// Entries may have come before the answer, or there was nothing to read.
			this.#reportCaughtUp(sync);
			await this.#sendOutbox(sync);
		} catch {
			// The relay refused for now (busy, a rotation in progress, a lower period not
			// registered yet): try again a few times; after that, the conversation's next connect
			// does. A dropped connection reconnects everything anyway.
			this.#live.delete(sync.docKey);
			const tries = (this.#periodRetries.get(sync.docKey) ?? 0) + 1;
			this.#periodRetries.set(sync.docKey, tries);
			if (tries <= PERIOD_RETRIES && this.status === 'online') {
				setTimeout(() => void this.#connectPeriod(sync), Math.min(500 * 2 ** tries, 15_000));
			}
		}
	}

	/**
	 * Failed attempts to connect a period on this connection, retried with a back-off of up to
	 * 15 s ({@link PERIOD_RETRIES} times: a few minutes on a slow connection or a busy relay).
	 */
	#periodRetries = new Map<string, number>();

	async #resubscribe(sync: DocSync): Promise<void> {
		if (!this.#live.has(sync.docKey)) return;
		try {
			const answer = await this.connection.request('sub', { doc: sync.doc, after: sync.cursor });
			this.#subSeq.set(sync.docKey, answer.seq as number);
			this.#reportCaughtUp(sync);
		} catch {
			// Subscribed again on the next connect.
		}
	}

	/**
	 * A device that has read nothing of the document's log starts from the relay's snapshot, if
	 * it verifies (rule 14); otherwise, or if there is none, from the start of the log.
	 */
	async #loadSnapshot(sync: DocSync): Promise<void> {
		let answer: Record<string, unknown>;
		try {
			answer = await this.connection.request('snap.get', { doc: sync.doc });
		} catch (error) {
			// A relay that refuses (or predates) snapshots serves the full log.
			if (error instanceof RelayError) return;
			throw error;
		}
		const { upTo, entry } = answer;
		if (!(entry instanceof Uint8Array) || !Number.isSafeInteger(upTo)) return;
		await sync.loadSnapshot(upTo as number, entry);
	}

	/**
	 * An administering device uploads a snapshot every `SNAPSHOT_EVERY` log entries (snapshot.ts). A
	 * refusal other than a transient one counts as done, so it isn't retried on every batch.
	 */
	async #uploadSnapshot(sync: DocSync): Promise<void> {
		const key = sync.docKey;
		if (this.#snapshotting.has(key) || !this.#live.has(key)) return;
		this.#snapshotting.add(key);
		let upTo: number | undefined;
		try {
			const snapshot = await sync.makeSnapshot();
			if (!snapshot) return;
			upTo = snapshot.upTo;
			await this.connection.request('snap.put', { doc: sync.doc, ...snapshot });
			await sync.markSnapshot(upTo);
		} catch (error) {
			const transient =
				!(error instanceof RelayError) || error.code === 'internal' || error.code === 'rate-limited';
			if (!transient && upTo !== undefined) await sync.markSnapshot(upTo);
		} finally {
			this.#snapshotting.delete(key);
		}
	}

	#open(sync: DocSync) {
		const head = sync.head;
		const access = sync.accessKey();
		const sig = signAccessProof(
			access,
			this.connection.origin,
			this.connection.challenge,
			sync.doc,
			head.n
		);
		return this.connection.request('doc.open', {
			doc: sync.doc,
			epoch: head.n,
			accessPk: access.publicKey,
			sig
		});
	}

	async #refreshChain(sync: DocSync): Promise<void> {
		try {
			const answer = await this.connection.request('doc.chain', {
				doc: sync.doc,
				from: sync.head.n + 1
			});
			const records = answer.records as Uint8Array[];
			if (await sync.extendChain(records)) {
				await sync.retryInbox();
				await this.#syncPeriods(sync);
				this.emit('doc-changed', sync.docKey);
			}
		} catch {
			// Retried on the next connect.
		}
	}

	/** Sends every outbox entry not already in flight, in order, and drops each once acknowledged. */
	async #sendOutbox(sync: DocSync): Promise<void> {
		if (!this.#live.has(sync.docKey)) return;
		const sends: Promise<void>[] = [];
		for (const item of sync.outbox) {
			const key = toBase64Url(item.id);
			if (this.#inflight.has(key)) continue;
			this.#inflight.add(key);
			sends.push(
				this.connection.request('push', { doc: sync.doc, entry: item.entry }).then(
					async () => {
						this.#inflight.delete(key);
						await sync.acknowledge(item.id);
					},
					() => {
						this.#inflight.delete(key);
					}
				)
			);
		}
		await Promise.all(sends);
	}

	async #onPush(frame: Push): Promise<void> {
		if (frame.t === 'entries') {
			const sync = this.#docs.get(toBase64Url(frame.doc));
			if (sync) await this.#receive(sync, frame.items);
			else await this.audit?.receive(frame.doc, frame.items).catch(() => false);
		} else if (frame.t === 'head') {
			const sync = this.#docs.get(toBase64Url(frame.doc));
			if (sync && frame.n > sync.head.n) await this.#refreshChain(sync);
			else if (!sync) await this.audit?.onHead(frame.doc);
		} else if (frame.t === 'period') {
			// Only a conversation has periods: the relay names them for nothing else.
			const conv = this.#docs.get(toBase64Url(frame.doc));
			const periods = conv && conv.period === 0 ? this.periodsOf(conv) : undefined;
			if (periods && (await periods.learn(frame.n))) this.emit('periods', conv!.docKey);
		} else if (frame.t === 'claim') {
			await this.#acceptClaims(frame.claim);
			await this.links.acceptClaims(frame.claim);
		} else if (frame.t === 'mail') {
			await this.#acceptMail(frame.items);
		} else if (frame.t === 'presence') {
			const sync = this.#docs.get(toBase64Url(frame.doc));
			if (sync && this.presence.receive(sync, frame.frame, Date.now())) {
				this.emit('presence', sync.docKey);
			}
		}
	}

	// ----- Presence ---------------------------------------------------------------------------

	/** Members' devices online in the document (and typing), as of now. */
	presenceOf(doc: string): PeerPresence[] {
		return this.presence.peers(doc, Date.now());
	}

	/** Devices (hex) whose entries another member says the relay holds and never sent here. */
	withheldByPresence(doc: string): string[] {
		const sync = this.#docs.get(doc);
		return sync ? this.presence.withheld(sync) : [];
	}

	/** The conversation on screen: it announces this device every 20 s instead of every 5 min. */
	setActive(doc: string | undefined): void {
		if (this.#active === doc) return;
		this.#active = doc;
		this.#typing = false;
		if (doc) this.#queuePresence(doc);
	}

	/**
	 * Says at once whether this device is typing in the conversation on screen. The caller
	 * (ConversationController) sends "typing" at most every few seconds and clears it on send
	 * or blur.
	 */
	setTyping(doc: string, typing: boolean): void {
		if (this.#active !== doc) return;
		this.#typing = typing;
		const sync = this.#docs.get(doc);
		if (sync) void this.#sendPresence(sync);
	}

	/**
	 * Whether the device read the document's log up to where the relay said it ended when it was
	 * subscribed on this connection (false while offline or not yet subscribed). Search counts a
	 * period fetched for it as arrived only then.
	 */
	caughtUp(doc: string): boolean {
		const sync = this.#docs.get(doc);
		return sync !== undefined && this.#caughtUp(sync);
	}

	/** Tells the app when a period has caught up, so what waits on it (search) can move on. */
	#reportCaughtUp(sync: DocSync): void {
		if (sync.period > 0 && this.#caughtUp(sync)) this.emit('caught-up', sync.docKey);
	}

	/** Whether the device read the document's log up to where the relay said it ended. */
	#caughtUp(sync: DocSync): boolean {
		const seq = this.#subSeq.get(sync.docKey);
		return this.status === 'online' && seq !== undefined && sync.cursor >= seq;
	}

	#tick(): void {
		this.#ticks++;
		const now = Date.now();
		const changed = this.presence.check(this.docs(), now, (sync) => this.#caughtUp(sync));
		for (const doc of changed.presence) this.emit('presence', doc);
		for (const doc of changed.problems) {
			const authors = this.withheldByPresence(doc);
			for (const author of authors) this.emit('problem', doc, { kind: 'withheld', author });
			// Entries that arrived after all clear the report: the view is rebuilt either way.
			if (authors.length === 0) this.emit('presence', doc);
		}
		if (this.status !== 'online') return;
		if (this.#active && this.#ticks % (PRESENCE_ACTIVE_MS / 1000) === 0) {
			this.#queuePresence(this.#active);
		}
		if (this.#ticks % (PRESENCE_ALL_MS / 1000) === 0) {
			for (const doc of this.#docs.keys()) this.#queuePresence(doc);
		}
	}

	/** Sends a presence frame for the document soon, paced behind the others queued. */
	#queuePresence(doc: string): void {
		// Presence is per conversation; its periods send none.
		if (this.#parentOf.has(doc)) return;
		if (!this.#presenceQueue.includes(doc)) this.#presenceQueue.push(doc);
		if (this.#pumping) return;
		this.#pumping = true;
		void (async () => {
			try {
				for (let doc = this.#presenceQueue.shift(); doc; doc = this.#presenceQueue.shift()) {
					const sync = this.#docs.get(doc);
					if (sync) await this.#sendPresence(sync);
					await new Promise((resolve) => setTimeout(resolve, PRESENCE_PACE_MS));
				}
			} finally {
				this.#pumping = false;
			}
		})();
	}

	async #sendPresence(sync: DocSync): Promise<void> {
		if (!this.#live.has(sync.docKey) || this.status !== 'online') return;
		const typing = this.#typing && this.#active === sync.docKey;
		const audited = (await this.audit?.writtenFor(sync.docKey).catch(() => 0)) ?? 0;
		const frame = this.presence.seal(sync, typing, Date.now(), audited);
		if (!frame) return;
		// A refusal (rate-limited, a connection that just dropped) loses only this frame.
		await this.connection.request('presence', { doc: sync.doc, frame }).catch(() => {});
	}

	async #receive(sync: DocSync, items: Item[]): Promise<void> {
		const behind = !this.#caughtUp(sync);
		try {
			await sync.receive(items);
		} catch {
			this.emit('problem', sync.docKey, { kind: 'unverified', count: sync.unverifiedCount });
		}
		if (behind) this.#reportCaughtUp(sync);
		if (sync.snapshotDue && this.status === 'online') void this.#uploadSnapshot(sync);
	}

	// ----- Invites, on the inviter's side ---------------------------------------------------

	/** Creates an invite link's secret part and registers the invite with the relay. */
	async createInvite(
		sync: DocSync,
		details: {
			inviterName: string;
			title: string;
			kind?: 'conversation' | 'board' | 'practice';
			role?: string;
			docs?: Uint8Array[];
		}
	): Promise<StoredInvite> {
		const invite = randomBytes(INVITE_ID_BYTES);
		const secret = randomBytes(INVITE_SECRET_BYTES);
		const keys = deriveInviteKeys(secret);
		const expires = Date.now() + INVITE_LIFETIME_MS;
		const info = sealInviteInfo(keys, invite, {
			doc: sync.doc,
			inviter: this.#ctx.author.device.publicKey,
			inviterName: details.inviterName,
			title: details.title,
			kind: details.kind ?? 'conversation',
			...(details.role ? { role: details.role } : {}),
			...(details.docs?.length ? { docs: details.docs } : {}),
			...this.audit?.inviteInfoFor(sync.docKey)
		});
		await this.connection.request('invite.create', {
			invite,
			authPk: keys.auth.publicKey,
			info,
			expires
		});
		const stored: StoredInvite = {
			doc: sync.doc,
			invite,
			secret,
			expires,
			state: 'open',
			...(details.role ? { role: details.role } : {}),
			...(details.docs?.length ? { docs: details.docs } : {})
		};
		await this.#ctx.store.write(
			[{ key: [...INVITE_PREFIX, toBase64Url(invite)], data: encodeCbor(stored) }],
			[]
		);
		return stored;
	}

	/** The stored invite behind a pending request, if this device made it. */
	async inviteOf(inviteId: string): Promise<StoredInvite | undefined> {
		const all = await this.#loadInvites();
		return all.find((invite) => toBase64Url(invite.invite) === inviteId);
	}

	async invites(doc: string): Promise<StoredInvite[]> {
		const all = await this.#loadInvites();
		return all.filter((invite) => toBase64Url(invite.doc) === doc && invite.expires > Date.now());
	}

	async revokeInvite(inviteId: string): Promise<void> {
		const invite = fromBase64Url(inviteId);
		await this.connection.request('invite.revoke', { invite });
		await this.#forgetInvite(inviteId);
	}

	async #loadInvites(): Promise<StoredInvite[]> {
		const rows = await this.#ctx.store.loadRange(INVITE_PREFIX);
		return rows.flatMap(({ data }) => (data ? [decodeCbor(data) as StoredInvite] : []));
	}

	async #forgetInvite(inviteId: string): Promise<void> {
		await this.#ctx.store.write([], [[...INVITE_PREFIX, inviteId]]);
		for (const [doc, claims] of this.#claims) {
			this.#claims.set(
				doc,
				claims.filter((claim) => claim.inviteId !== inviteId)
			);
		}
	}

	async #fetchClaims(): Promise<void> {
		try {
			const answer = await this.connection.request('invite.pending', {});
			await this.#acceptClaims(answer.claims as InviteClaim[]);
		} catch {
			// Retried on the next connect.
		}
	}

	async #acceptClaims(claims: InviteClaim[]): Promise<void> {
		const invites = await this.#loadInvites();
		const touched = new Set<string>();
		for (const claim of claims) {
			const invite = invites.find((i) => equalBytes(i.invite, claim.invite));
			if (!invite) continue;
			const valid = verifyClaimByDevice(
				claim.device,
				claim.deviceSig,
				claim.invite,
				claim.boxPk,
				claim.profile
			);
			const keys = deriveInviteKeys(invite.secret);
			const profile = valid && openProfile(keys, claim.invite, claim.device, claim.profile);
			if (!profile) continue;
			const doc = toBase64Url(invite.doc);
			const inviteId = toBase64Url(claim.invite);
			const list = (this.#claims.get(doc) ?? []).filter((c) => c.inviteId !== inviteId);
			list.push({
				doc,
				inviteId,
				name: profile.name,
				safetyCode: safetyCode(
					keys,
					invite.doc,
					this.#ctx.author.device.publicKey,
					claim.device,
					claim.boxPk
				),
				device: claim.device,
				boxPk: claim.boxPk
			});
			this.#claims.set(doc, list);
			touched.add(doc);
		}
		for (const doc of touched) this.emit('claims', doc);
	}

	/**
	 * Lets a claimer in: appends an epoch record that lists their device as a writer (unless
	 * `write` is false: a reader, e.g. of announcements), then seals the document secret to their
	 * device in a signed envelope (rules 2, 3 and 7). `before` runs between the two, e.g. to let
	 * the claimer into a practice's other documents first.
	 */
	async admit(
		sync: DocSync,
		inviteId: string,
		options: { write?: boolean; before?: (claim: JoinClaim) => Promise<void> } = {}
	): Promise<JoinClaim> {
		const claim = this.claimsFor(sync.docKey).find((c) => c.inviteId === inviteId);
		if (!claim) throw new Error('no such request');
		await options.before?.(claim);
		await this.grantAccess(sync, claim.device, claim.boxPk, options.write ?? true);
		// The member's device may now append to the audit trail (it still reads none of it).
		await this.audit?.admit(sync.docKey, claim).catch(() => {});
		await this.connection.request('invite.close', { invite: fromBase64Url(inviteId) }).catch(() => {});
		await this.#forgetInvite(inviteId);
		this.emit('claims', sync.docKey);
		return claim;
	}

	/**
	 * Lets a device read a document this device administers, and write it when `write`: lists
	 * it as a writer if it isn't yet (an epoch record with the same secret, rule 2), then seals
	 * the current secret to it (rule 3). Without `boxPk`, the box key this device was told
	 * before is used; false when there is none.
	 */
	async grantAccess(
		sync: DocSync,
		device: Uint8Array,
		boxPk: Uint8Array | undefined,
		write: boolean
	): Promise<boolean> {
		const box = boxPk ?? (await this.#boxKeyOf(device));
		if (!box) return false;
		if (write && !isListed(sync.head.writers, device)) {
			await this.changeWriters(sync, (head) =>
				isListed(head.writers, device) ? undefined : createAddWriterRecord(this.#ctx.author.device, head, device)
			);
		}
		// A reader (announcements, rule 7) is listed as one, so every later rotation keeps it and
		// its own device doesn't take the missing writer entry for a removal.
		const listedAnywhere = (head: DocSync['head']) =>
			isListed(head.writers, device) || isListed(head.admins, device) || isListed(head.readers, device);
		if (!write && !listedAnywhere(sync.head)) {
			await this.changeWriters(sync, (head) =>
				listedAnywhere(head) ? undefined : createAddMemberRecord(this.#ctx.author.device, head, device, 'reader')
			);
		}
		const secret = sync.secretOf(sync.head.gen);
		if (!secret) throw new Error('no secret for the current key generation');
		await this.rememberBoxKey(device, box);
		const envelope = createEnvelope(this.#ctx.author.device, sync.head, secret, { device, boxPk: box });
		await this.connection.request('mail.send', { to: device, envelope });
		return true;
	}

	/**
	 * Lets a member's devices post in announcements, or stops them (rule 7): an epoch record
	 * with the new writer list and the same secret (`createPostingRecord`). The relay refuses
	 * their pushes from then on when stopped; every device drops their entries under the new
	 * epoch. False when the head already said so.
	 */
	async setPosting(sync: DocSync, devices: Uint8Array[], post: boolean): Promise<boolean> {
		const me = this.#ctx.author.device;
		return this.changeWriters(sync, (head) => createPostingRecord(me, head, devices, post));
	}

	/**
	 * Appends the epoch record `make` builds on the current head (same secret: a change of the
	 * writer or administrator lists, rule 7). On a lost race it reads the new head and asks
	 * `make` again; `make` returns undefined when the head already says what it wants.
	 */
	async changeWriters(
		sync: DocSync,
		make: (head: DocSync['head']) => Uint8Array | undefined
	): Promise<boolean> {
		for (let attempt = 0; ; attempt++) {
			const record = make(sync.head);
			if (!record) return false;
			try {
				await this.connection.request('epoch.append', { doc: sync.doc, record });
				await sync.extendChain([record]);
				this.emit('doc-changed', sync.docKey);
				return true;
			} catch (error) {
				const conflict = error instanceof RelayError && error.code === 'conflict';
				if (!conflict || attempt >= 2) throw error;
				await this.#refreshChain(sync);
			}
		}
	}

	/**
	 * Adds a person's certified device to a document with the rights the person has (rule 3):
	 * an epoch record listing it (and as an administrator where the person is one), then the
	 * secret sealed to it in a signed envelope, and a place in the audit trail. Used by
	 * DeviceLinks, which checked the certificate chain.
	 */
	async addDevice(
		sync: DocSync,
		device: Uint8Array,
		boxPk: Uint8Array,
		rights: { admin: boolean; reader?: boolean }
	): Promise<void> {
		const me = this.#ctx.author.device;
		await this.changeWriters(sync, (head) => {
			if (rights.reader) {
				const listed = isListed(head.readers, device) || isListed(head.writers, device);
				return listed ? undefined : createAddMemberRecord(me, head, device, 'reader');
			}
			const complete =
				isListed(head.writers, device) && (!rights.admin || isListed(head.admins, device));
			return complete ? undefined : createAddDeviceRecord(me, head, device, rights);
		});
		const secret = sync.secretOf(sync.head.gen);
		if (!secret) throw new Error('no secret for the current key generation');
		await this.rememberBoxKey(device, boxPk);
		const envelope = createEnvelope(me, sync.head, secret, { device, boxPk });
		await this.connection.request('mail.send', { to: device, envelope });
		await this.audit?.admit(sync.docKey, { device, boxPk }).catch(() => {});
		this.emit('doc-changed', sync.docKey);
	}

	// ----- Removing devices: key rotation (rule 2) ------------------------------------------

	/**
	 * Remembers a device's box key, taken from a claim whose device signature verified, so a
	 * later rotation can seal the new secret to it.
	 */
	async rememberBoxKey(device: Uint8Array, boxPk: Uint8Array): Promise<void> {
		await this.#ctx.store.write([{ key: [...BOX_PREFIX, toBase64Url(device)], data: boxPk }], []);
	}

	async #boxKeyOf(device: Uint8Array): Promise<Uint8Array | undefined> {
		return this.#ctx.store.load([...BOX_PREFIX, toBase64Url(device)]);
	}

	/**
	 * Removes devices from a document (a member who leaves, a revoked device): appends an epoch
	 * record with a new secret and a new relay access key, signed by this administering device,
	 * then seals the new secret to every remaining device in signed envelopes (rules 2 and 3).
	 * The relay swaps the head only if it is still the one the record extends; when another
	 * administrator won the race, this device waits for the winner's epoch (its envelope), keeps
	 * the winner's lists and rotates again on top, so both end in one chain.
	 */
	async removeDevices(
		sync: DocSync,
		remove: Uint8Array[],
		options: RemoveOptions = {}
	): Promise<RotationResult> {
		const me = this.#ctx.author.device;
		const startGen = sync.head.gen;
		for (let attempt = 0; attempt < 5; attempt++) {
			const head = sync.head;
			const listed = (k: Uint8Array) =>
				isListed(head.writers, k) || isListed(head.admins, k) || isListed(head.readers, k);
			// A reader is in no list: it loses access only through a new secret, whoever makes it.
			const rotatedMeanwhile = options.readers !== undefined && head.gen > startGen;
			if (rotatedMeanwhile || (options.readers === undefined && !remove.some(listed))) {
				return { rotated: false, unsealed: [] };
			}
			if (!isListed(head.admins, me.publicKey)) {
				throw new Error('this device does not administer the document');
			}
			const previous = sync.secretOf(head.gen);
			if (!previous) {
				await this.#catchUp(sync, head.n - 1);
				continue;
			}

			const rotation = createRotationRecord(me, head, previous, remove);
			try {
				await this.connection.request('epoch.append', { doc: sync.doc, record: rotation.record });
			} catch (error) {
				if (!(error instanceof RelayError)) throw error;
				// `no-access`: the document isn't open here with the head's key. Either this device
				// adopted a new key and is still reopening, or a rotation that won the race closed it.
				if (error.code === 'no-access' && (await this.#reopen(sync))) continue;
				if (error.code !== 'conflict' && error.code !== 'no-access') throw error;
				await this.#catchUp(sync, head.n);
				await this.#reopen(sync);
				continue;
			}
			await sync.extendChain([rotation.record]);
			await sync.adoptSecret(sync.head.gen, rotation.secret);
			const keep = (options.readers ?? []).filter((k) => !isListed(remove, k));
			const unsealed = await this.#sealToRemaining(sync, rotation.secret, keep);
			// The relay closed the document on every connection that proved the old key, this
			// one included: open it again with the new one.
			this.#live.delete(sync.docKey);
			await this.#connectDoc(sync);
			this.emit('doc-changed', sync.docKey);
			return { rotated: true, unsealed };
		}
		throw new Error('the rotation kept losing the race; try again');
	}

	/** Proves the head's access key on this connection again; false when the relay refuses it. */
	async #reopen(sync: DocSync): Promise<boolean> {
		try {
			await this.#open(sync);
			return true;
		} catch {
			return false;
		}
	}

	/**
	 * After losing a race: waits until this device holds an epoch beyond `seen` and its secret.
	 * A record that kept the access key arrives with `doc.chain`; a rotation closed the document
	 * here, so its record comes with the winner's envelope. A device the winner removed never
	 * gets one and gives up.
	 */
	async #catchUp(sync: DocSync, seen: number): Promise<void> {
		const deadline = Date.now() + ROTATION_CATCH_UP_MS;
		while (Date.now() < deadline) {
			await this.#refreshChain(sync);
			if (sync.head.n > seen && sync.holdsHeadSecret) return;
			await this.#fetchMail();
			if (sync.head.n > seen && sync.holdsHeadSecret) return;
			await new Promise((resolve) => setTimeout(resolve, 200));
		}
		throw new Error('another administrator changed the document and this device has no access to it');
	}

	/** Seals the head's new secret to every listed device but this one; returns those it couldn't. */
	async #sealToRemaining(
		sync: DocSync,
		secret: Uint8Array,
		readers: Uint8Array[] = []
	): Promise<Uint8Array[]> {
		const me = this.#ctx.author.device;
		const head = sync.head;
		const recipients: Uint8Array[] = [];
		for (const key of [...head.admins, ...head.writers, ...head.readers, ...readers]) {
			if (!equalBytes(key, me.publicKey) && !isListed(recipients, key)) recipients.push(key);
		}
		const unsealed: Uint8Array[] = [];
		for (const device of recipients) {
			const boxPk = await this.#boxKeyOf(device);
			if (!boxPk) {
				unsealed.push(device);
				continue;
			}
			const envelope = createEnvelope(me, head, secret, { device, boxPk });
			await this.connection.request('mail.send', { to: device, envelope });
		}
		return unsealed;
	}

	async decline(sync: DocSync, inviteId: string): Promise<void> {
		await this.revokeInvite(inviteId);
		this.emit('claims', sync.docKey);
	}

	// ----- Invites, on the invitee's side ---------------------------------------------------

	/**
	 * Claims an invite for this device: its public keys, its name sealed under the invite key,
	 * its signature, and a proof of the invite secret bound to this connection (rule 1). The join
	 * is remembered first, so an envelope that arrives after a crash still finds it.
	 */
	async claimInvite(join: PendingJoin, boxPk: Uint8Array): Promise<void> {
		await this.rememberJoin(join);
		await this.audit?.expect(join.info);
		const keys = deriveInviteKeys(join.secret);
		const device = this.#ctx.author.device;
		const profile = sealProfile(keys, join.invite, device.publicKey, join.name);
		try {
			await this.connection.request('invite.claim', {
				invite: join.invite,
				device: device.publicKey,
				boxPk,
				profile,
				deviceSig: signClaimByDevice(device, join.invite, boxPk, profile),
				inviteSig: signInviteProof(
					keys,
					this.connection.origin,
					this.connection.challenge,
					join.invite,
					device.publicKey,
					boxPk,
					profile
				)
			});
		} catch (error) {
			const code = error instanceof RelayError ? error.code : undefined;
			if (code === 'invite-claimed' || code === 'invite-expired' || code === 'invite-revoked') {
				await this.forgetJoin(join.invite);
			}
			throw error;
		}
	}

	async pendingJoins(): Promise<PendingJoin[]> {
		const rows = await this.#ctx.store.loadRange(JOIN_PREFIX);
		return rows.flatMap(({ data }) => (data ? [decodeCbor(data) as PendingJoin] : []));
	}

	async rememberJoin(join: PendingJoin): Promise<void> {
		await this.#ctx.store.write(
			[{ key: [...JOIN_PREFIX, toBase64Url(join.invite)], data: encodeCbor(join) }],
			[]
		);
	}

	async forgetJoin(invite: Uint8Array): Promise<void> {
		await this.#ctx.store.write([], [[...JOIN_PREFIX, toBase64Url(invite)]]);
	}

	async #fetchMail(): Promise<void> {
		try {
			const answer = await this.connection.request('mail.fetch', {});
			await this.#acceptMail(answer.items as Item[]);
		} catch {
			// Retried on the next connect.
		}
	}

	/**
	 * Opens key envelopes. An envelope is accepted only if it is signed by the device that
	 * invited us, that device administers the document in its verified chain, the sealed secret
	 * opens with our box key, and the secret's access key is the one the chain names. Anything
	 * else is dropped (a forged envelope never gives anyone a key).
	 */
	async #acceptMail(items: Item[]): Promise<void> {
		const joins = await this.pendingJoins();
		const done: number[] = [];
		for (const item of items) {
			try {
				if ((await this.audit?.acceptEnvelope(item.b)) || (await this.links.acceptMail(item.b))) {
					done.push(item.seq);
					continue;
				}
				const admitted = await this.#acceptEnvelope(item.b, joins);
				if (admitted) this.emit('admitted', admitted.sync, admitted.join);
			} catch {
				// A failure of the connection leaves the envelope for the next attempt.
				if (this.status !== 'online') return;
			}
			done.push(item.seq);
		}
		if (done.length > 0) await this.connection.request('mail.ack', { ids: done }).catch(() => {});
	}

	/**
	 * An envelope for a document this device already holds: the secret of a new key generation
	 * after a rotation (rule 2). The relay closed the document for the old key, so the device
	 * opens it with the access key derived from the new secret, reads the chain, and adopts the
	 * secret only if the chain names that access key for the envelope's epoch and generation and
	 * the signer administers that epoch. Then it reopens the document and sends its outbox,
	 * sealed again under the new key.
	 */
	async #acceptRotation(sync: DocSync, body: EnvelopeBody, signer: Uint8Array): Promise<void> {
		if (sync.secretOf(body.gen)) return;
		const secret = openFromSealedBox(this.#box, body.sealed);
		if (!secret || secret.length !== 32) return;
		if (body.n > sync.head.n) {
			const access = deriveAccessKey(secret, body.gen);
			const sig = signAccessProof(
				access,
				this.connection.origin,
				this.connection.challenge,
				body.doc,
				body.n
			);
			try {
				await this.connection.request('doc.open', {
					doc: body.doc,
					epoch: body.n,
					accessPk: access.publicKey,
					sig
				});
			} catch (error) {
				// Refused: a later rotation replaced this key; its envelope brings this secret too.
				if (error instanceof RelayError && error.code !== 'internal') return;
				throw error;
			}
			this.#live.delete(sync.docKey);
			const answer = await this.connection.request('doc.chain', { doc: sync.doc, from: sync.head.n + 1 });
			await sync.extendChain(answer.records as Uint8Array[]);
		}
		const epoch = sync.epochs[body.n];
		if (!epoch || epoch.gen !== body.gen || !isListed(epoch.admins, signer)) return;
		if (!(await sync.adoptSecret(body.gen, secret))) return;
		if (sync.holdsHeadSecret) await this.#connectDoc(sync);
		this.emit('doc-changed', sync.docKey);
	}

	async #acceptEnvelope(
		bytes: Uint8Array,
		joins: PendingJoin[]
	): Promise<{ sync: DocSync; join: PendingJoin } | undefined> {
		const opened = openEnvelopeRecord(bytes);
		if (!opened.ok) return undefined;
		const { body, signer } = opened.value;
		const me = this.#ctx.author.device.publicKey;
		if (!equalBytes(body.to, me)) return undefined;
		const held = this.#docs.get(toBase64Url(body.doc));
		if (held) {
			await this.#acceptRotation(held, body, signer);
			return undefined;
		}
		const docKey = toBase64Url(body.doc);
		const join = joins.find(
			(j) => equalBytes(j.info.doc, body.doc) || isListed(j.info.docs ?? [], body.doc)
		);
		const practice = this.practiceDoc ? this.#docs.get(this.practiceDoc) : undefined;
		const fromInviter = join !== undefined && equalBytes(join.info.inviter, signer);
		const fromPracticeAdmin = practice !== undefined && isListed(practice.head.admins, signer);
		// Linked: a document the person's other device said this device would be given, from any
		// device that administers it (checked against the chain below).
		const linkedKind = await this.links.expects(docKey);
		if (!fromInviter && !fromPracticeAdmin && !linkedKind) return undefined;
		if (this.#docs.has(docKey)) return undefined;

		const secret = openFromSealedBox(this.#box, body.sealed);
		if (!secret || secret.length !== 32) return undefined;
		const access = deriveAccessKey(secret, body.gen);
		const sig = signAccessProof(
			access,
			this.connection.origin,
			this.connection.challenge,
			body.doc,
			body.n
		);
		try {
			await this.connection.request('doc.open', {
				doc: body.doc,
				epoch: body.n,
				accessPk: access.publicKey,
				sig
			});
		} catch (error) {
			if (error instanceof RelayError && error.code !== 'internal') return undefined;
			throw error;
		}
		const answer = await this.connection.request('doc.chain', { doc: body.doc, from: 0 });
		const records = answer.records as Uint8Array[];
		const chain = verifyChain(body.doc, records);
		if (!chain.ok) return undefined;
		const epoch = chain.value[body.n];
		if (!epoch || epoch.gen !== body.gen || !equalBytes(epoch.accessPk, access.publicKey)) {
			return undefined;
		}
		if (!isListed(epoch.admins, signer)) return undefined;

		const sync = await DocSync.create(this.#ctx, {
			chain: records,
			secrets: { [body.gen]: secret },
			initial: A.init(),
			myActors: [],
			registered: true
		});
		this.add(sync);
		if (linkedKind) await this.links.forgetExpect(docKey);
		// A practice invite's other documents arrive first; the main one ends the wait.
		if (fromInviter && join && equalBytes(join.info.doc, body.doc)) {
			await this.forgetJoin(join.invite);
			return { sync, join };
		}
		if (linkedKind) {
			this.emit('linked-doc', sync, linkedKind);
			return undefined;
		}
		this.emit('granted', sync);
		return undefined;
	}
}
