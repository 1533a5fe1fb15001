import * as A from '@automerge/automerge';
import type { DocHandle, DocumentId, Repo } from '@automerge/automerge-repo';
import { EventEmitter } from 'eventemitter3';
import { makeActorClaimMessage, parseActorClaimMessage } from '../crypto/actorClaim.js';
import { deriveAccessKey, deriveContentKey, derivePresenceKey, openPreviousSecret } from '../crypto/documentKeys.js';
import type { VectorEntry } from '../crypto/presence.js';
import { MAX_ENTRY_PAYLOAD, openEntry, sealEntry, type EntryAuthor } from '../crypto/entry.js';
import { equalBytes, fromHex, toBase64Url, toHex } from '../protocol/bytes.js';
import { decodeCbor, encodeCbor } from '../protocol/cbor.js';
import { EntryKind, entryId, parseEntryHeader, type EntryHeader } from '../protocol/entry.js';
import type { Item } from '../protocol/frames.js';
import {
	isListed,
	verifyChain,
	verifyEpochRecord,
	verifyGenesis,
	type EpochState
} from '../protocol/records.js';
import { periodDocId } from '../protocol/period.js';
import {
	acceptsGenesisActor,
	checkPeriodDoc,
	periodGenesis,
	PERIOD_GENESIS_ACTOR
} from '../model/period.js';
import { secretMatchesEpoch } from './documentRecords.js';
import { mainThread } from './pacer.js';
import { SerialQueue, type SealedStore } from './SealedStore.js';
import {
	decodeSnapshotPayload,
	encodeSnapshotPayload,
	snapshotEvery,
	type SnapshotPayload
} from './snapshot.js';

/**
 * Sync of one document with the relay's log, independent of the transport: local changes
 * become sealed entries in a persisted outbox; entries from the log are verified, decrypted and
 * applied, and the cursor advances only past what is safe on disk (SECURITY-RULES.md, rules
 * 8–13). The engine (SyncEngine) moves outbox entries to the relay and log entries back.
 */

/** What is persisted per document, sealed, under ['tend', 'doc', <relay id>]. */
interface DocState {
	localId: string;
	/** Genesis and epoch records, verified on load. */
	chain: Uint8Array[];
	/** Document secrets by key generation. */
	secrets: Record<number, Uint8Array>;
	/** Highest log sequence number below which everything is applied and flushed. */
	cursor: number;
	/** Heads up to which this device's own changes are sealed into the outbox. */
	pushedHeads: string[];
	/** Last counter used per epoch (rule 10: scoped to device, incarnation, document, epoch). */
	counters: Record<number, number>;
	/** Actors this device claimed in this document. */
	myActors: string[];
	/** Actor (hex) → device key of its claim's signer. */
	actors: Record<string, Uint8Array>;
	/**
	 * Per author ‖ incarnation ‖ epoch: the highest counter applied and the counters below it
	 * not seen yet. A counter that stays missing means the relay withheld an entry (rule 14).
	 */
	seen: Record<string, { max: number; missing: number[] }>;
	/** The relay has accepted the genesis record. */
	registered: boolean;
	nextOutbox: number;
	/** Log seq covered by the last snapshot this device uploaded or loaded (rule 14). */
	snapshotAt?: number;
	/** Last counter used for snapshot entries: their own space, as the header's kind differs. */
	snapshotCounter?: number;
	/**
	 * Counters of a loaded snapshot whose continuation hasn't shown in the tail yet. The first
	 * tail entry of each key must carry the next counter and apply on top of the snapshot.
	 */
	tail?: Record<string, number>;
	/** A snapshot was distrusted: this device catches up from the full log and loads none. */
	noSnapshot?: boolean;
	/**
	 * Set for a period document (rule 19): the conversation whose epoch chain and secrets it
	 * shares, and its number. Its entry keys are derived with (conversation, generation, n).
	 */
	period?: { conv: Uint8Array; n: number };
}

export interface OutboxItem {
	id: Uint8Array;
	entry: Uint8Array;
	/** Own changes in the entry, as (actor, first op, last op): tells which messages it carries. */
	ranges: { actor: string; start: number; end: number }[];
	key: string[];
	/** The entry's epoch and counter (absent in items persisted before presence existed). */
	epoch?: number;
	counter?: number;
}

export type DocProblem =
	| { kind: 'unverified'; count: number }
	| { kind: 'withheld'; author: string }
	| { kind: 'missing-history'; author: string }
	/** A loaded snapshot left entries out; the device read the full log instead (rule 14). */
	| { kind: 'bad-snapshot' };

export interface DocSyncEvents {
	/** New entries were added to the outbox. */
	outbox: () => void;
	/** An entry left the outbox (acknowledged). */
	acknowledged: () => void;
	problem: (problem: DocProblem) => void;
	/** The chain gained an epoch this device didn't hold; the engine should fetch it. */
	'need-chain': () => void;
	/** The Automerge handle was replaced (a distrusted snapshot was discarded). */
	handle: () => void;
	/** The cursor went back (to 0, after a distrusted snapshot): subscribe again from it. */
	resubscribe: () => void;
}

export interface DocSyncContext {
	repo: Repo;
	store: SealedStore;
	author: EntryAuthor;
}

const OUTBOX_PAD = 12;

/** Log entries applied in one part of a catch-up (the event loop runs between parts). */
export const RECEIVE_CHUNK = 64;

function stateKey(doc: string): string[] {
	return ['tend', 'doc', doc];
}

function outboxKey(doc: string, n: number): string[] {
	return ['tend', 'outbox', doc, n.toString().padStart(OUTBOX_PAD, '0')];
}

function inboxKey(doc: string, id: Uint8Array): string[] {
	return ['tend', 'inbox', doc, toBase64Url(id)];
}

interface Verified {
	seq: number;
	id: Uint8Array;
	bytes: Uint8Array;
	changes: Uint8Array[];
	hashes: string[];
	/** The first entry of its author after a loaded snapshot: it must apply on top of it. */
	firstTail?: boolean;
}

export class DocSync extends EventEmitter<DocSyncEvents> {
	/** The relay id of this document's log (a period's own id for a period document). */
	readonly doc: Uint8Array;
	readonly docKey: string;
	/** The document the epoch chain names: the conversation, for a period document. */
	readonly chainDoc: Uint8Array;
	/** The period number: 0 for a conversation (or board) document itself. */
	readonly period: number;
	#handle: DocHandle<unknown>;
	#ctx: DocSyncContext;
	#state: DocState;
	#epochs: EpochState[];
	#queue = new SerialQueue();
	#outbox: OutboxItem[] = [];
	/** Sequence numbers above the cursor that were received out of order. */
	#received = new Set<number>();
	#unverified = 0;
	/** Whether entries may be parked in the inbox (checked after each batch that applied some). */
	#inboxNonEmpty = true;
	#waiting = 0;
	/** Ids of entries sealed here since start-up whose echo from the relay hasn't come back. */
	#sealed = new Set<string>();
	/** `author:` of this device's counter keys (hex), worked out once, not per entry. */
	get #ownKeyPrefix(): string {
		return (this.#ownPrefix ??= `${toHex(this.#ctx.author.device.publicKey)}:`);
	}
	#ownPrefix: string | undefined;
	/** Log entries verified since start-up (tests check that a snapshot spared the rest). */
	#processed = 0;
	/** The tail contradicted the loaded snapshot; the next step discards it. */
	#distrusted = false;

	private constructor(
		ctx: DocSyncContext,
		doc: Uint8Array,
		state: DocState,
		epochs: EpochState[],
		handle: DocHandle<unknown>
	) {
		super();
		this.#ctx = ctx;
		this.doc = doc;
		this.docKey = toBase64Url(doc);
		this.chainDoc = state.period?.conv ?? doc;
		this.period = state.period?.n ?? 0;
		this.#state = state;
		this.#epochs = epochs;
		this.#handle = handle;
	}

	/**
	 * The local Automerge document. It is replaced (with a `handle` event) only when a loaded
	 * snapshot is distrusted and its content discarded.
	 */
	get handle(): DocHandle<unknown> {
		return this.#handle;
	}

	// ----- Creating and loading -------------------------------------------------------------

	/**
	 * Starts syncing a document this device holds the secret of. `genesis` and `records` are the
	 * chain; `initial` is the local Automerge document (empty for a document being joined).
	 */
	static async create(
		ctx: DocSyncContext,
		params: {
			chain: Uint8Array[];
			secrets: Record<number, Uint8Array>;
			initial: A.Doc<unknown>;
			myActors: string[];
			registered: boolean;
		}
	): Promise<DocSync> {
		const genesis = verifyGenesis(params.chain[0]);
		if (!genesis.ok) throw new Error(`invalid genesis: ${genesis.why}`);
		const verified = verifyChain(genesis.value.doc, params.chain);
		if (!verified.ok) throw new Error(`invalid chain: ${verified.why}`);
		const doc = verified.value[0].doc;

		const handle = ctx.repo.import<unknown>(A.save(params.initial));
		const actors: Record<string, Uint8Array> = {};
		for (const actor of params.myActors) actors[actor] = ctx.author.device.publicKey;
		const state: DocState = {
			localId: handle.documentId,
			chain: params.chain,
			secrets: params.secrets,
			cursor: 0,
			pushedHeads: [],
			counters: {},
			myActors: params.myActors,
			actors,
			seen: {},
			registered: params.registered,
			nextOutbox: 0
		};
		const sync = new DocSync(ctx, doc, state, verified.value, handle);
		// A device let in after a rotation gets only the newest secret; the older ones it may read
		// history with come out of the rotation records (rule 2).
		for (const [gen, secret] of Object.entries(params.secrets)) sync.#unsealPrevious(Number(gen), secret);
		await ctx.repo.flush([handle.documentId]);
		await sync.#saveState();
		return sync;
	}

	/**
	 * Starts syncing period `n` of the conversation `parent` syncs (rule 19): the document is
	 * imported from the deterministic genesis under `localId`, so another device (or tab) that
	 * rolled over to the same period holds the same document. It shares the conversation's chain
	 * and secrets; the engine passes later records and secrets to both. The relay must register
	 * it (`period.create`) before it is opened; until then `registered` is false.
	 */
	static async createPeriod(
		ctx: DocSyncContext,
		parent: DocSync,
		n: number,
		localId: DocumentId
	): Promise<DocSync> {
		if (parent.period !== 0) throw new Error('a period belongs to a conversation, not a period');
		const doc = periodDocId(parent.doc, n);
		const handle = ctx.repo.import<unknown>(periodGenesis(doc, n).saved, { docId: localId });
		// `import` with an id leaves a new handle loading; the genesis is all there is to load.
		if (!handle.isReady()) handle.doneLoading();
		const secrets: Record<number, Uint8Array> = {};
		for (const gen of parent.heldGenerations()) secrets[gen] = parent.secretOf(gen)!;
		const state: DocState = {
			localId,
			chain: parent.chainRecords(),
			secrets,
			cursor: 0,
			pushedHeads: A.getHeads(handle.doc() as A.Doc<unknown>),
			counters: {},
			myActors: [],
			actors: {},
			seen: {},
			registered: false,
			nextOutbox: 0,
			period: { conv: parent.doc, n }
		};
		const sync = new DocSync(ctx, doc, state, [...parent.epochs], handle);
		await ctx.repo.flush([localId]);
		await sync.#saveState();
		return sync;
	}

	/** Loads a document's sync state from the sealed store; undefined if there is none. */
	static async load(ctx: DocSyncContext, doc: Uint8Array): Promise<DocSync | undefined> {
		const docKey = toBase64Url(doc);
		const bytes = await ctx.store.load(stateKey(docKey));
		if (!bytes) return undefined;
		const state = decodeCbor(bytes) as DocState;
		const verified = verifyChain(state.period?.conv ?? doc, state.chain);
		if (!verified.ok) throw new Error(`stored chain is invalid: ${verified.why}`);

		const handle = await ctx.repo.find<unknown>(state.localId as DocumentId);
		const sync = new DocSync(ctx, doc, state, verified.value, handle);
		const items = await ctx.store.loadRange(['tend', 'outbox', docKey]);
		for (const item of items) {
			if (!item.data) continue;
			const decoded = decodeCbor(item.data) as Omit<OutboxItem, 'key'>;
			sync.#outbox.push({ ...decoded, key: item.key });
		}
		sync.#outbox.sort((a, b) => a.key[3].localeCompare(b.key[3]));
		// A rotation adopted before a crash: entries still under the old key are sealed again.
		await sync.#queue.run(async () => {
			const puts = sync.#resealStale();
			if (puts.length > 0) await ctx.store.write([...puts, { key: stateKey(docKey), data: encodeCbor(state) }], []);
		});
		await sync.retryInbox();
		// Own changes made before a crash that never reached the outbox are sealed now.
		await sync.commitLocal();
		return sync;
	}

	// ----- Reading state --------------------------------------------------------------------

	get localId(): DocumentId {
		return this.#state.localId as DocumentId;
	}

	get cursor(): number {
		return this.#state.cursor;
	}

	get registered(): boolean {
		return this.#state.registered;
	}

	get genesis(): Uint8Array {
		return this.#state.chain[0];
	}

	get head(): EpochState {
		return this.#epochs[this.#epochs.length - 1];
	}

	/** The chain's records, genesis first, as stored. */
	chainRecords(): Uint8Array[] {
		return [...this.#state.chain];
	}

	get epochs(): readonly EpochState[] {
		return this.#epochs;
	}

	/** Entries not yet acknowledged by the relay, in the order they must be sent. */
	get outbox(): readonly OutboxItem[] {
		return this.#outbox;
	}

	get unverifiedCount(): number {
		return this.#unverified;
	}

	/** The device that claimed an actor in this document, if any. */
	deviceOfActor(actor: string): Uint8Array | undefined {
		return this.#state.actors[actor];
	}

	isAdmin(device: Uint8Array): boolean {
		return isListed(this.head.admins, device);
	}

	secretOf(generation: number): Uint8Array | undefined {
		return this.#state.secrets[generation];
	}

	accessKey() {
		const secret = this.secretOf(this.head.gen);
		if (!secret) throw new Error('no secret for the current key generation');
		return deriveAccessKey(secret, this.head.gen);
	}

	/**
	 * Own changes still waiting for the relay, as (actor, first op, last op): in unacknowledged
	 * outbox entries or not yet sealed. A message whose object id falls in a range isn't
	 * delivered yet.
	 */
	pendingRanges(): { actor: string; start: number; end: number }[] {
		const doc = this.handle.doc() as A.Doc<unknown>;
		return collectPending(doc, this.#state, this.#outbox);
	}

	/**
	 * The same as {@link pendingRanges}, for a tab that isn't the leader: read from what the
	 * leader persisted (it never writes the sync state itself).
	 */
	static async pendingFromStore(
		store: SealedStore,
		docKey: string,
		doc: A.Doc<unknown>
	): Promise<{ actor: string; start: number; end: number }[]> {
		const bytes = await store.load(stateKey(docKey));
		if (!bytes) return [];
		const state = decodeCbor(bytes) as DocState;
		const items = await store.loadRange(['tend', 'outbox', docKey]);
		const outbox = items.flatMap(({ data }) =>
			data ? [decodeCbor(data) as Pick<OutboxItem, 'ranges'>] : []
		);
		return collectPending(doc, state, outbox);
	}

	/** Reads only the local document id of a stored document (for read-only tabs). */
	static async peekLocalId(store: SealedStore, doc: string): Promise<DocumentId | undefined> {
		const bytes = await store.load(stateKey(doc));
		return bytes ? ((decodeCbor(bytes) as DocState).localId as DocumentId) : undefined;
	}

	/**
	 * What a tab that isn't the leader needs to decide who may do what (rules 7 and 12): the
	 * actor claims and the newest epoch's admin and writer lists, from what the leader persisted.
	 */
	static async peekAuthority(
		store: SealedStore,
		docKey: string
	): Promise<
		| { actors: Record<string, Uint8Array>; admins: Uint8Array[]; writers: Uint8Array[]; readers: Uint8Array[] }
		| undefined
	> {
		const bytes = await store.load(stateKey(docKey));
		if (!bytes) return undefined;
		const state = decodeCbor(bytes) as DocState;
		const genesis = verifyGenesis(state.chain[0]);
		if (!genesis.ok) return undefined;
		const verified = verifyChain(genesis.value.doc, state.chain);
		if (!verified.ok) return undefined;
		const head = verified.value[verified.value.length - 1];
		return { actors: state.actors, admins: head.admins, writers: head.writers, readers: head.readers };
	}

	// ----- Local changes --------------------------------------------------------------------

	/**
	 * Changes the local document. The first change of a new actor carries the device's signed
	 * actor claim (rule 12); the actor is persisted as ours before the change exists, so a crash
	 * can't leave an own change that is never pushed.
	 */
	async change<T>(fn: (doc: T) => void): Promise<void> {
		const doc = this.handle.doc() as A.Doc<unknown>;
		const actor = A.getActorId(doc);
		if (!this.#state.myActors.includes(actor)) {
			await this.#queue.run(async () => {
				this.#state.myActors.push(actor);
				this.#state.actors[actor] = this.#ctx.author.device.publicKey;
				await this.#saveState();
			});
		}
		// The claim rides on the actor's first change that exists: a change function that
		// writes nothing makes no change, so the claim goes on the next one.
		const claimed = this.#claimMade.has(actor);
		const message = claimed ? undefined : makeActorClaimMessage(this.#ctx.author.device, this.doc, actor);
		const before = A.getHeads(doc);
		this.handle.change(fn as (doc: unknown) => void, message ? { message } : {});
		const after = A.getHeads(this.handle.doc() as A.Doc<unknown>);
		if (!sameHeads(before, after)) this.#claimMade.add(actor);
	}

	/** Actors of this run whose first change (carrying the claim) exists. */
	#claimMade = new Set<string>();

	/**
	 * Seals this device's changes since the last push into outbox entries (rule 11: only
	 * changes whose actor this device claimed). Flushes the document before sealing, so an
	 * entry never carries a change that isn't on disk here.
	 */
	commitLocal(): Promise<number> {
		return this.#queue.run(async () => {
			const doc = this.handle.doc() as A.Doc<unknown>;
			const heads = A.getHeads(doc);
			if (sameHeads(heads, this.#state.pushedHeads)) return 0;
			// Write only under the newest epoch this device holds the chain of (rule 2). Until the
			// envelope with its secret arrives, own changes wait here, flushed and unsealed: sealing
			// them under the old key would let a device the rotation removed read them.
			const secret = this.secretOf(this.head.gen);
			if (!secret) return 0;

			// After a distrusted snapshot was discarded, pushed heads may name changes the new
			// document doesn't hold (yet); own changes since the rest are sealed again (no-ops).
			const since = this.#state.pushedHeads.filter((h) => A.hasHeads(doc, [h]));
			const own: { bytes: Uint8Array; actor: string; start: number; end: number }[] = [];
			for (const change of A.getChangesSince(doc, since)) {
				const decoded = A.decodeChange(change);
				if (!this.#state.myActors.includes(decoded.actor) && !this.#adoptTabActor(decoded)) {
					continue;
				}
				const end = decoded.startOp + decoded.ops.length - 1;
				own.push({ bytes: change, actor: decoded.actor, start: decoded.startOp, end });
			}
			this.#state.pushedHeads = heads;
			// Only remote changes (the usual case on every applied batch): nothing to seal, and
			// the new pushed heads ride along with the next state write; a restart before it
			// just filters the same changes again.
			if (own.length === 0) return 0;
			await this.#ctx.repo.flush([this.localId]);

			const epoch = this.head.n;
			const contentKey = this.#contentKey(secret, this.head.gen);
			const puts: { key: string[]; data: Uint8Array }[] = [];
			const created: OutboxItem[] = [];
			for (const group of groupBySize(own, MAX_ENTRY_PAYLOAD - 1024)) {
				const counter = (this.#state.counters[epoch] ?? 0) + 1;
				this.#state.counters[epoch] = counter;
				const payload = encodeCbor({ c: group.map((c) => c.bytes) });
				const entry = sealEntry({
					contentKey,
					kind: EntryKind.changes,
					doc: this.doc,
					epoch,
					author: this.#ctx.author,
					counter,
					payload
				});
				const ranges = group.map(({ actor, start, end }) => ({ actor, start, end }));
				const key = outboxKey(this.docKey, this.#state.nextOutbox++);
				const item = { id: entryId(entry), entry, ranges, epoch, counter };
				puts.push({ key, data: encodeCbor(item) });
				created.push({ ...item, key });
			}
			puts.push({ key: stateKey(this.docKey), data: encodeCbor(this.#state) });
			await this.#ctx.store.write(puts, []);
			this.#outbox.push(...created);
			for (const item of created) this.#sealed.add(toBase64Url(item.id));
			this.emit('outbox');
			return created.length;
		});
	}

	/**
	 * Another tab of this browser wrote a change (it reached this leader tab's Repo over the
	 * BroadcastChannel). Its actor's first change carries a claim signed by this device's key,
	 * so it is this device's own change and the leader pushes it (rule 11). Changes of actors
	 * claimed by other devices, or unclaimed, are never adopted.
	 */
	#adoptTabActor(change: A.DecodedChange): boolean {
		if (this.#state.actors[change.actor] || change.seq !== 1) return false;
		const claim = parseActorClaimMessage(change.message);
		const me = this.#ctx.author.device.publicKey;
		const mine =
			claim !== undefined &&
			claim.actor === change.actor &&
			equalBytes(claim.doc, this.doc) &&
			equalBytes(claim.device, me);
		if (!mine) return false;
		this.#state.myActors.push(change.actor);
		this.#state.actors[change.actor] = me;
		return true;
	}

	/** The relay durably stored an entry: drop it from the outbox. */
	acknowledge(id: Uint8Array): Promise<void> {
		return this.#queue.run(async () => {
			const index = this.#outbox.findIndex((item) => equalBytes(item.id, id));
			if (index < 0) return;
			const [item] = this.#outbox.splice(index, 1);
			await this.#ctx.store.write([], [item.key]);
			this.emit('acknowledged');
		});
	}

	async markRegistered(): Promise<void> {
		await this.#queue.run(async () => {
			this.#state.registered = true;
			await this.#saveState();
		});
	}

	// ----- Epochs ---------------------------------------------------------------------------

	/** Adds records that extend the chain (from doc.chain); ignores ones already held. */
	async extendChain(records: Uint8Array[]): Promise<boolean> {
		return this.#queue.run(async () => {
			let changed = false;
			for (const record of records) {
				const next = verifyEpochRecord(this.head, record);
				if (!next.ok) continue;
				this.#epochs.push(next.value);
				this.#state.chain.push(record);
				changed = true;
			}
			if (changed) await this.#saveState();
			return changed;
		});
	}

	/**
	 * The head no longer lists `device` as a writer, reader or administrator: an administrator
	 * removed it (a signed record; a relay can't fake one).
	 */
	excludes(device: Uint8Array): boolean {
		const head = this.head;
		return (
			!isListed(head.writers, device) && !isListed(head.admins, device) && !isListed(head.readers, device)
		);
	}

	/** This device holds the secret of the head's key generation: it can write the newest epoch. */
	get holdsHeadSecret(): boolean {
		return this.secretOf(this.head.gen) !== undefined;
	}

	/** Key generations whose secret this device holds. */
	heldGenerations(): number[] {
		return Object.keys(this.#state.secrets).map(Number);
	}

	/**
	 * Adopts the secret of key generation `gen` (from a verified envelope, or one this device
	 * just made in a rotation). It must derive the access key the chain names for that
	 * generation; then the previous generations' secrets are unsealed from the rotation records
	 * (rule 2), so history stays readable, and outbox entries sealed under an older generation
	 * are sealed again under the head (rule 9). False when the secret doesn't fit the chain.
	 */
	adoptSecret(gen: number, secret: Uint8Array): Promise<boolean> {
		return this.#queue
			.run(async () => {
				const epoch = this.#firstEpochOf(gen);
				if (!epoch || !secretMatchesEpoch(secret, epoch)) return false;
				const known = this.#state.secrets[gen];
				if (known && equalBytes(known, secret)) return false;
				this.#state.secrets[gen] = secret;
				this.#unsealPrevious(gen, secret);
				await this.#ctx.store.write(
					[...this.#resealStale(), { key: stateKey(this.docKey), data: encodeCbor(this.#state) }],
					[]
				);
				return true;
			})
			.then(async (adopted) => {
				if (adopted) {
					await this.retryInbox();
					if (this.#outbox.length > 0) this.emit('outbox');
				}
				return adopted;
			});
	}

	#firstEpochOf(gen: number): EpochState | undefined {
		return this.#epochs.find((e) => e.gen === gen);
	}

	/** Walks down the rotation records from `gen`, opening each previous secret it lacks. */
	#unsealPrevious(gen: number, secret: Uint8Array): void {
		for (let g = gen, s = secret; g > 0 && !this.#state.secrets[g - 1]; g--) {
			const rotation = this.#firstEpochOf(g);
			const before = this.#firstEpochOf(g - 1);
			if (!rotation?.sealedPrev || !before) return;
			const previous = openPreviousSecret(s, this.chainDoc, g, rotation.sealedPrev);
			if (!previous || !secretMatchesEpoch(previous, before)) return;
			this.#state.secrets[g - 1] = previous;
			s = previous;
		}
	}

	/**
	 * Seals outbox entries of an older key generation again under the head, as new entries with
	 * new counters in the same outbox slots (so their order holds). The relay refuses entries
	 * under a replaced key, and a removed device could read them. Returns the puts to write.
	 */
	#resealStale(): { key: string[]; data: Uint8Array }[] {
		const head = this.head;
		const secret = this.#state.secrets[head.gen];
		if (!secret) return [];
		const contentKey = this.#contentKey(secret, head.gen);
		const puts: { key: string[]; data: Uint8Array }[] = [];
		this.#outbox = this.#outbox.map((item) => {
			const header = parseEntryHeader(item.entry);
			const epoch = header ? this.#epochs[header.epoch] : undefined;
			if (!header || !epoch || epoch.gen >= head.gen) return item;
			const opened = openEntry(item.entry, this.doc, (n) => this.#contentKeyOf(n));
			if (!opened.ok) return item;
			const counter = (this.#state.counters[head.n] ?? 0) + 1;
			this.#state.counters[head.n] = counter;
			const entry = sealEntry({
				contentKey,
				kind: header.kind,
				doc: this.doc,
				epoch: head.n,
				author: this.#ctx.author,
				counter,
				payload: opened.entry.payload
			});
			const next: OutboxItem = { id: entryId(entry), entry, ranges: item.ranges, key: item.key };
			puts.push({ key: item.key, data: encodeCbor({ id: next.id, entry, ranges: next.ranges }) });
			this.#sealed.add(toBase64Url(next.id));
			return next;
		});
		return puts;
	}

	// ----- Entries from the log -------------------------------------------------------------

	/**
	 * Verifies, decrypts and applies entries from the relay's log. An entry that fails any check
	 * is reported and skipped, never applied. Entries whose changes wait for dependencies are
	 * kept in the sealed inbox; the cursor advances only over contiguous sequence numbers whose
	 * entries are applied and flushed, or parked in the inbox (rule 13).
	 */
	receive(items: Item[]): Promise<void> {
		return this.#queue.run(async () => {
			const fresh = items.filter((item) => item.seq > this.#state.cursor);
			// A long catch-up is applied in parts, paced with every other document's (pacer.ts),
			// so the screen keeps responding while a week of messages arrives.
			for (let from = 0; from < fresh.length; from += RECEIVE_CHUNK) {
				await mainThread.turn();
				const done = await this.#receiveChunk(fresh.slice(from, from + RECEIVE_CHUNK));
				if (done === 'stop') return;
			}
		});
	}

	/** One part of {@link receive}: 'stop' when the rest must wait (a snapshot was distrusted). */
	async #receiveChunk(fresh: Item[]): Promise<'stop' | undefined> {
		const verified: Verified[] = [];
		const parked: Uint8Array[] = [];
		let needChain = false;
		for (const item of fresh) {
			// The relay echoes this device's own entries: their changes are already here.
			if (this.#sealed.size > 0 && this.#sealed.delete(toBase64Url(entryId(item.b)))) continue;
			this.#processed++;
			const result = this.#verify(item.seq, item.b);
			if (result === 'unknown-epoch' || result === 'park') parked.push(item.b);
			else if (result) verified.push(result);
			needChain ||= result === 'unknown-epoch';
		}
		if (this.#distrusted) return this.#stopDistrusted();
		const waiting = await this.#apply(verified);
		// The first entry of an author after the snapshot continues its counter, so what it
		// depends on is in the snapshot or in the tail: if it can't apply, something was left out.
		if (verified.some((v) => v.firstTail && waiting.includes(v.bytes))) {
			return this.#stopDistrusted();
		}

		const puts = [...waiting, ...parked].map((bytes) => ({
			key: inboxKey(this.docKey, entryId(bytes)),
			data: bytes
		}));
		for (const item of fresh) this.#received.add(item.seq);
		while (this.#received.has(this.#state.cursor + 1)) {
			this.#received.delete(this.#state.cursor + 1);
			this.#state.cursor++;
		}
		puts.push({ key: stateKey(this.docKey), data: encodeCbor(this.#state) });
		await this.#ctx.store.write(puts, []);
		if (puts.length > 1) this.#inboxNonEmpty = true;
		// What arrived may be what parked entries were waiting for.
		if (this.#inboxNonEmpty && verified.length > 0) await this.#retryInboxNow();
		if (this.#distrusted) return this.#stopDistrusted();
		if (needChain) this.emit('need-chain');
		return undefined;
	}

	async #stopDistrusted(): Promise<'stop'> {
		await this.#discardSnapshot();
		return 'stop';
	}

	/** Applies entries parked in the inbox whose dependencies may have arrived since. */
	retryInbox(): Promise<void> {
		return this.#queue.run(async () => {
			await this.#retryInboxNow();
			if (this.#distrusted) await this.#discardSnapshot();
		});
	}

	async #retryInboxNow(): Promise<void> {
		// Applying one parked entry can unblock another (a claim, then the changes after it).
		for (let round = 0; round < 16; round++) {
			const parked = await this.#ctx.store.loadRange(['tend', 'inbox', this.docKey]);
			this.#inboxNonEmpty = parked.length > 0;
			this.#waiting = parked.length;
			if (parked.length === 0) return;
			const verified: { key: string[]; entry: Verified }[] = [];
			const removes: string[][] = [];
			for (const { key, data } of parked) {
				const result = data ? this.#verify(0, data) : undefined;
				if (this.#distrusted) return;
				if (result === 'unknown-epoch' || result === 'park') continue;
				if (result) verified.push({ key, entry: result });
				else removes.push(key);
			}
			const waiting = await this.#apply(verified.map((v) => v.entry));
			let progressed = false;
			for (const { key, entry } of verified) {
				if (!waiting.includes(entry.bytes)) {
					removes.push(key);
					progressed = true;
				}
			}
			if (removes.length > 0) await this.#ctx.store.write([], removes);
			this.#inboxNonEmpty = parked.length > removes.length;
			this.#waiting = parked.length - removes.length;
			if (!progressed) return;
		}
	}

	/**
	 * Returns the entry's changes; 'unknown-epoch' or 'park' to keep it in the inbox until the
	 * chain or an earlier entry arrives; undefined if it is rejected (and reported).
	 */
	#verify(seq: number, bytes: Uint8Array): Verified | 'unknown-epoch' | 'park' | undefined {
		const opened = openEntry(bytes, this.doc, (epoch) => this.#contentKeyOf(epoch));
		if (!opened.ok) {
			if (opened.why === 'unknown-epoch') return 'unknown-epoch';
			return this.#reject();
		}
		const { header, author, incarnation, counter, payload } = opened.entry;
		if (header.kind !== EntryKind.changes) return this.#reject();
		// Rule 7: the whole entry is dropped if its author isn't a writer of its epoch.
		if (!isListed(this.#epochs[header.epoch].writers, author)) return this.#reject();

		let changes: Uint8Array[];
		try {
			const decoded = decodeCbor(payload) as { c?: unknown };
			if (!Array.isArray(decoded.c) || !decoded.c.every((c) => c instanceof Uint8Array)) {
				return this.#reject();
			}
			changes = decoded.c;
		} catch {
			return this.#reject();
		}

		// Rule 12: every change's actor must be claimed by this entry's author.
		const claims: Record<string, Uint8Array> = {};
		const hashes: string[] = [];
		for (const change of changes) {
			let decoded: A.DecodedChange;
			try {
				decoded = A.decodeChange(change);
			} catch {
				return this.#reject();
			}
			if (decoded.actor === PERIOD_GENESIS_ACTOR) {
				// Rule 19: the genesis actor's only change is the genesis every device recomputes.
				const period = this.#state.period;
				if (!period || !acceptsGenesisActor(decoded, this.doc, period.n)) return this.#reject();
				hashes.push(decoded.hash);
				continue;
			}
			const known = this.#state.actors[decoded.actor] ?? claims[decoded.actor];
			if (known) {
				if (!equalBytes(known, author)) return this.#reject();
			} else {
				const claim = parseActorClaimMessage(decoded.message);
				// An actor's first change must carry its claim. A later change without one means the
				// first hasn't arrived (a retried push can land after a later one): parked, like a
				// missing dependency.
				if (!claim) return decoded.seq === 1 ? this.#reject() : 'park';
				const valid =
					claim.actor === decoded.actor &&
					equalBytes(claim.doc, this.doc) &&
					equalBytes(claim.device, author);
				if (!valid) return this.#reject();
				claims[decoded.actor] = author;
			}
			hashes.push(decoded.hash);
		}
		Object.assign(this.#state.actors, claims);
		const key = `${toHex(author)}:${toHex(incarnation)}:${header.epoch}`;
		const firstTail = this.#checkTail(key, counter);
		this.#noteCounter(key, counter);
		return { seq, id: entryId(bytes), bytes, changes, hashes, firstTail };
	}

	#contentKeyOf(epoch: number): Uint8Array | undefined {
		const state = this.#epochs[epoch];
		const secret = state && this.#state.secrets[state.gen];
		return secret ? this.#contentKey(secret, state.gen) : undefined;
	}

	/** Entry key of generation `gen`: derived with the period number (rule 19, docs/security.md). */
	#contentKey(secret: Uint8Array, gen: number): Uint8Array {
		return deriveContentKey(secret, this.chainDoc, gen, this.period);
	}

	/**
	 * The tail check of a loaded snapshot (rule 14): the first entry after it from each
	 * author ‖ incarnation ‖ epoch it lists must carry the next counter. A gap means the
	 * snapshot (or the relay) left entries out. Entries at or below the listed counter are
	 * covered by the snapshot and apply as no-ops. Returns whether this is the first entry.
	 */
	#checkTail(key: string, counter: number): boolean {
		const tail = this.#state.tail;
		if (!tail || !Object.hasOwn(tail, key) || counter <= tail[key]) return false;
		const last = tail[key];
		delete tail[key];
		// An author's retried push can land after a later one; that also ends up here, and costs
		// a needless catch-up from the full log, never a wrong state.
		if (counter !== last + 1) this.#distrusted = true;
		return true;
	}

	#reject(): undefined {
		this.#unverified++;
		this.emit('problem', { kind: 'unverified', count: this.#unverified });
		return undefined;
	}

	/**
	 * Notes a verified entry's counter. Counters skipped below the highest are entries not
	 * received yet: an entry can arrive late (a retried push), so the list heals as they come,
	 * and what stays missing was withheld.
	 */
	#noteCounter(key: string, counter: number): void {
		// This device's own entries are known from its outbox, not the log: their echoes are
		// skipped while it runs, so after a restart its own counters show gaps that no relay made.
		if (key.startsWith(this.#ownKeyPrefix)) return;
		const seen = this.#state.seen[key] ?? { max: 0, missing: [] };
		if (counter > seen.max + 1) this.emit('problem', { kind: 'withheld', author: key.split(':')[0] });
		if (counter > seen.max) {
			// A jump this large is not a few lost entries; keep the list bounded.
			for (let c = Math.max(seen.max + 1, counter - 1000); c < counter; c++) seen.missing.push(c);
			seen.max = counter;
		} else {
			seen.missing = seen.missing.filter((c) => c !== counter);
		}
		this.#state.seen[key] = seen;
	}

	/** Devices (hex) that skipped counters this device never received: entries withheld. */
	withheldFrom(): string[] {
		const authors = new Set<string>();
		for (const [key, seen] of Object.entries(this.#state.seen)) {
			if (seen.missing.length > 0) authors.add(key.split(':')[0]);
		}
		return [...authors];
	}

	// ----- Presence (rules 14 and 21; sync/PresenceTracker.ts) -------------------------------

	/**
	 * What this device knows the relay holds, per author ‖ incarnation ‖ epoch: the last counter
	 * received from others, and its own up to the entry before the oldest one still waiting in
	 * its outbox (never more than was acknowledged, so a receiver is never told of an entry the
	 * relay didn't get). Newest epochs first, at most `limit` keys.
	 */
	counterVector(limit: number): VectorEntry[] {
		const vector: VectorEntry[] = [];
		const { device, incarnation: mine } = this.#ctx.author;
		const own = `${toHex(device.publicKey)}:${toHex(mine)}:`;
		for (const [key, seen] of Object.entries(this.#state.seen)) {
			const [author, incarnation, epoch] = key.split(':');
			// Own keys (listed by a loaded snapshot) come from the outbox side below.
			if (seen.max > 0 && !key.startsWith(own)) {
				vector.push({
					author: fromHex(author),
					incarnation: fromHex(incarnation),
					epoch: Number(epoch),
					counter: seen.max
				});
			}
		}
		for (const [epochKey, last] of Object.entries(this.#state.counters)) {
			const epoch = Number(epochKey);
			const waiting = this.#outbox.filter((item) => item.epoch === undefined || item.epoch === epoch);
			// An item from before counters were kept in the outbox: its counter is unknown.
			if (waiting.some((item) => item.counter === undefined)) continue;
			const counter = Math.min(last, ...waiting.map((item) => (item.counter as number) - 1));
			if (counter > 0) vector.push({ author: device.publicKey, incarnation: mine, epoch, counter });
		}
		vector.sort((a, b) => b.epoch - a.epoch || b.counter - a.counter);
		return vector.slice(0, limit);
	}

	/** The key of presence frames under `epoch`, if this device holds that epoch's secret. */
	presenceKey(epoch: number): Uint8Array | undefined {
		const contentKey = this.#contentKeyOf(epoch);
		return contentKey && derivePresenceKey(contentKey, this.doc);
	}

	/** The last counter received from `author‖incarnation‖epoch` (hex, `:`-separated), or 0. */
	lastCounter(key: string): number {
		return this.#state.seen[key]?.max ?? 0;
	}

	/** Whether `device` writes, reads or administers under epoch `epoch` of the chain. */
	isMemberOf(epoch: number, device: Uint8Array): boolean {
		const state = this.#epochs[epoch];
		if (!state) return false;
		return isListed(state.writers, device) || isListed(state.admins, device) || isListed(state.readers, device);
	}

	/** Entries parked because an earlier entry they depend on hasn't arrived. */
	/** A snapshot from the relay didn't add up and was refused (reported, full log used). */
	get snapshotRefused(): boolean {
		return this.#state.noSnapshot === true;
	}

	get waitingCount(): number {
		return this.#waiting;
	}

	/**
	 * Applies verified entries in one document update; returns the bytes of entries whose changes
	 * still wait for dependencies. An entry Automerge refuses (e.g. a change reusing an actor's
	 * sequence number) is rejected alone and never blocks the others.
	 */
	async #apply(verified: Verified[]): Promise<Uint8Array[]> {
		if (verified.length === 0) return [];
		const refused = new Set<Verified>();
		this.handle.update((doc) => {
			// One call for the whole batch is several times faster than one per entry. Only if
			// Automerge refuses something is each entry applied alone, to find the culprit;
			// changes already applied by the failed call apply again as no-ops.
			try {
				return A.applyChanges(doc as A.Doc<unknown>, verified.flatMap((v) => v.changes))[0];
			} catch {
				let current = doc as A.Doc<unknown>;
				for (const entry of verified) {
					try {
						current = A.applyChanges(current, entry.changes)[0];
					} catch {
						refused.add(entry);
					}
				}
				return current;
			}
		});
		for (let i = 0; i < refused.size; i++) this.#reject();
		await this.#ctx.repo.flush([this.localId]);
		const doc = this.handle.doc() as A.Doc<unknown>;
		return verified
			.filter((v) => !refused.has(v) && !A.hasHeads(doc, v.hashes))
			.map((v) => v.bytes);
	}

	// ----- Snapshots (rule 14) ----------------------------------------------------------------

	/** Log entries verified since start-up (own echoes skipped unverified don't count). */
	get processedCount(): number {
		return this.#processed;
	}

	/**
	 * Whether this device should upload a snapshot now: it administers the document, at least
	 * {@link SNAPSHOT_EVERY} log entries arrived since the last one, and nothing is known to be
	 * parked or missing ({@link makeSnapshot} checks the inbox again).
	 */
	get snapshotDue(): boolean {
		return (
			this.isAdmin(this.#ctx.author.device.publicKey) &&
			this.#state.cursor - (this.#state.snapshotAt ?? 0) >= snapshotEvery() &&
			this.#waiting === 0 &&
			this.withheldFrom().length === 0
		);
	}

	/** A device that has read nothing of the log yet may start from a snapshot. */
	get wantsSnapshot(): boolean {
		return this.#state.cursor === 0 && !this.#state.snapshotAt && !this.#state.noSnapshot;
	}

	/**
	 * Seals a snapshot of the document as it is, covering the log up to the cursor. The relay
	 * takes it only from an administering device, and loaders ignore one whose author doesn't
	 * administer its epoch. Returns undefined, and waits for the next {@link SNAPSHOT_EVERY}
	 * entries, when the payload exceeds one entry: snapshots are an optimisation, and the full
	 * log always works. Also undefined while entries wait in the inbox: a snapshot lists its
	 * counters as complete, so it is made only from a complete log.
	 */
	makeSnapshot(): Promise<{ upTo: number; entry: Uint8Array } | undefined> {
		return this.#queue.run(async () => {
			await this.#retryInboxNow();
			if (this.#inboxNonEmpty || this.withheldFrom().length > 0) return undefined;
			await this.#ctx.repo.flush([this.localId]);
			const doc = this.handle.doc() as A.Doc<unknown>;
			const upTo = this.#state.cursor;
			if (upTo === 0) return undefined;

			const counters: Record<string, number> = {};
			for (const [key, seen] of Object.entries(this.#state.seen)) counters[key] = seen.max;
			// Own entries are skipped on their echo, so their counters come from the outbox side;
			// an own entry sealed but not yet logged shows in the tail as covered.
			const { device, incarnation } = this.#ctx.author;
			const me = `${toHex(device.publicKey)}:${toHex(incarnation)}`;
			for (const [epoch, counter] of Object.entries(this.#state.counters)) {
				const key = `${me}:${epoch}`;
				counters[key] = Math.max(counters[key] ?? 0, counter);
			}
			const payload = encodeSnapshotPayload({
				heads: A.getHeads(doc),
				upTo,
				counters,
				actors: { ...this.#state.actors },
				doc: A.save(doc)
			});
			if (payload.length > MAX_ENTRY_PAYLOAD) {
				this.#state.snapshotAt = upTo;
				await this.#saveState();
				return undefined;
			}

			// Rule 10: the counter is persisted before the entry is sealed.
			const counter = (this.#state.snapshotCounter ?? 0) + 1;
			this.#state.snapshotCounter = counter;
			await this.#saveState();
			const secret = this.secretOf(this.head.gen);
			if (!secret) throw new Error('no secret for the current key generation');
			const entry = sealEntry({
				contentKey: this.#contentKey(secret, this.head.gen),
				kind: EntryKind.snapshot,
				doc: this.doc,
				epoch: this.head.n,
				author: this.#ctx.author,
				counter,
				payload
			});
			return { upTo, entry };
		});
	}

	/** The relay stored (or refused for good) the snapshot up to `upTo`. */
	markSnapshot(upTo: number): Promise<void> {
		return this.#queue.run(async () => {
			this.#state.snapshotAt = Math.max(this.#state.snapshotAt ?? 0, upTo);
			await this.#saveState();
		});
	}

	/**
	 * Loads a snapshot from the relay into a device that has read nothing of the log yet.
	 * Ignored (false) unless it opens, is signed by an administrator of its epoch, covers the
	 * `upTo` the relay named, holds its heads, and every actor of every change has a claim by a
	 * writer. Then the cursor moves to `upTo`, and the tail check decides whether it stays
	 * trusted (see {@link #checkTail}); if not, it is discarded and the full log is read.
	 */
	loadSnapshot(upTo: number, bytes: Uint8Array): Promise<boolean> {
		return this.#queue.run(async () => {
			if (!this.wantsSnapshot) return false;
			const opened = this.#openSnapshot(upTo, bytes);
			if (!opened) return false;
			const { payload, changes } = opened;

			this.handle.update((doc) => A.applyChanges(doc as A.Doc<unknown>, changes)[0]);
			await this.#ctx.repo.flush([this.localId]);
			Object.assign(this.#state.actors, payload.actors);
			for (const [key, max] of Object.entries(payload.counters)) {
				this.#state.seen[key] = { max, missing: [] };
			}
			this.#state.tail = { ...payload.counters };
			this.#state.cursor = upTo;
			this.#state.snapshotAt = upTo;
			for (const seq of this.#received) if (seq <= upTo) this.#received.delete(seq);
			await this.#saveState();
			return true;
		});
	}

	#openSnapshot(
		upTo: number,
		bytes: Uint8Array
	): { header: EntryHeader; payload: SnapshotPayload; changes: Uint8Array[] } | undefined {
		const opened = openEntry(bytes, this.doc, (epoch) => this.#contentKeyOf(epoch));
		if (!opened.ok) return undefined;
		const { header, author, payload: raw } = opened.entry;
		if (header.kind !== EntryKind.snapshot) return undefined;
		// Rule 14: only an administering device of the snapshot's epoch vouches for its content.
		if (!isListed(this.#epochs[header.epoch].admins, author)) return undefined;
		const payload = decodeSnapshotPayload(raw);
		if (!payload || payload.upTo !== upTo || upTo === 0) return undefined;

		let changes: Uint8Array[];
		let actors: Set<string>;
		try {
			const loaded = A.load<unknown>(payload.doc);
			if (!A.hasHeads(loaded, payload.heads)) return undefined;
			changes = A.getAllChanges(loaded);
			actors = new Set(A.getChangesMetaSince(loaded, []).map((meta) => meta.actor));
		} catch {
			return undefined;
		}
		// Rule 19: a period's snapshot holds the recomputed genesis and nothing else by its actor.
		const period = this.#state.period;
		if (period) {
			if (!checkPeriodDoc(A.load<unknown>(payload.doc), this.doc, period.n).ok) return undefined;
			actors.delete(PERIOD_GENESIS_ACTOR);
		}
		// Rule 12: every actor is claimed, by a device that writes the document.
		const writers = this.#epochs.slice(0, header.epoch + 1).flatMap((e) => e.writers);
		for (const actor of actors) {
			const device = payload.actors[actor];
			if (!device || !isListed(writers, device)) return undefined;
			const known = this.#state.actors[actor];
			if (known && !equalBytes(known, device)) return undefined;
		}
		return { header, payload, changes };
	}

	/**
	 * The tail contradicted the loaded snapshot: its content is dropped with the document (a
	 * new, empty handle; this device's own changes are carried over), the cursor goes back to 0
	 * and the full log is read again. Own entries echoed from the log are applied this time.
	 */
	async #discardSnapshot(): Promise<void> {
		this.#distrusted = false;
		const old = this.handle.doc() as A.Doc<unknown>;
		const own = A.getAllChanges(old).filter((change) =>
			this.#state.myActors.includes(A.decodeChange(change).actor)
		);
		const period = this.#state.period;
		let fresh = period ? A.load<unknown>(periodGenesis(this.doc, period.n).saved) : A.init<unknown>();
		if (own.length > 0) fresh = A.applyChanges(fresh, own)[0];
		const handle = this.#ctx.repo.import<unknown>(A.save(fresh));

		const me = this.#ctx.author.device.publicKey;
		const actors: Record<string, Uint8Array> = {};
		for (const actor of this.#state.myActors) actors[actor] = me;
		Object.assign(this.#state, {
			localId: handle.documentId,
			cursor: 0,
			actors,
			seen: {},
			snapshotAt: 0,
			noSnapshot: true
		});
		delete this.#state.tail;
		this.#received.clear();
		this.#sealed.clear();
		this.#handle = handle;

		await this.#ctx.repo.flush([handle.documentId]);
		const parked = await this.#ctx.store.loadRange(['tend', 'inbox', this.docKey]);
		await this.#ctx.store.write(
			[{ key: stateKey(this.docKey), data: encodeCbor(this.#state) }],
			parked.map((item) => item.key)
		);
		this.#inboxNonEmpty = false;
		this.#waiting = 0;
		this.emit('problem', { kind: 'bad-snapshot' });
		this.emit('handle');
		this.emit('resubscribe');
	}

	async #saveState(): Promise<void> {
		await this.#ctx.store.write([{ key: stateKey(this.docKey), data: encodeCbor(this.#state) }], []);
	}
}

/**
 * Own changes not yet acknowledged: those in outbox entries, and those after the pushed heads
 * by an actor of this device, or by an actor nobody claimed yet (another tab's, about to be
 * adopted; other devices' actors are always known once their entries are applied).
 */
function collectPending(
	doc: A.Doc<unknown>,
	state: Pick<DocState, 'pushedHeads' | 'myActors' | 'actors'>,
	outbox: readonly Pick<OutboxItem, 'ranges'>[]
): { actor: string; start: number; end: number }[] {
	const ranges = outbox.flatMap((item) => item.ranges);
	for (const meta of A.getChangesMetaSince(doc, state.pushedHeads)) {
		if (state.myActors.includes(meta.actor) || !state.actors[meta.actor]) {
			ranges.push({ actor: meta.actor, start: meta.startOp, end: meta.maxOp });
		}
	}
	return ranges;
}

function sameHeads(a: string[], b: string[]): boolean {
	return a.length === b.length && a.every((h) => b.includes(h));
}

function groupBySize<T extends { bytes: Uint8Array }>(items: T[], limit: number): T[][] {
	const groups: T[][] = [];
	let current: T[] = [];
	let size = 0;
	for (const item of items) {
		if (item.bytes.length > limit) throw new Error('a single change is larger than an entry');
		if (current.length > 0 && size + item.bytes.length > limit) {
			groups.push(current);
			current = [];
			size = 0;
		}
		current.push(item);
		size += item.bytes.length + 8;
	}
	if (current.length > 0) groups.push(current);
	return groups;
}
