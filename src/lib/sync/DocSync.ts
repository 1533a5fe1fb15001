import * as A from '@automerge/automerge';
import type { DocHandle, DocumentId, Repo } from '@automerge/automerge-repo';
import { EventEmitter } from 'eventemitter3';
import { makeActorClaimMessage, parseActorClaimMessage } from '../crypto/actorClaim.js';
import { deriveAccessKey, deriveContentKey } from '../crypto/documentKeys.js';
import { MAX_ENTRY_PAYLOAD, openEntry, sealEntry, type EntryAuthor } from '../crypto/entry.js';
import { equalBytes, toBase64Url, toHex } from '../protocol/bytes.js';
import { decodeCbor, encodeCbor } from '../protocol/cbor.js';
import { EntryKind, entryId } from '../protocol/entry.js';
import type { Item } from '../protocol/frames.js';
import {
	isListed,
	verifyChain,
	verifyEpochRecord,
	verifyGenesis,
	type EpochState
} from '../protocol/records.js';
import { SerialQueue, type SealedStore } from './SealedStore.js';

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
}

export interface OutboxItem {
	id: Uint8Array;
	entry: Uint8Array;
	/** Own changes in the entry, as (actor, first op, last op): tells which messages it carries. */
	ranges: { actor: string; start: number; end: number }[];
	key: string[];
}

export type DocProblem =
	| { kind: 'unverified'; count: number }
	| { kind: 'withheld'; author: string }
	| { kind: 'missing-history'; author: string };

export interface DocSyncEvents {
	/** New entries were added to the outbox. */
	outbox: () => void;
	/** An entry left the outbox (acknowledged). */
	acknowledged: () => void;
	problem: (problem: DocProblem) => void;
	/** The chain gained an epoch this device didn't hold; the engine should fetch it. */
	'need-chain': () => void;
}

export interface DocSyncContext {
	repo: Repo;
	store: SealedStore;
	author: EntryAuthor;
}

const OUTBOX_PAD = 12;

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
}

export class DocSync extends EventEmitter<DocSyncEvents> {
	readonly doc: Uint8Array;
	readonly docKey: string;
	readonly handle: DocHandle<unknown>;
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
		this.#state = state;
		this.#epochs = epochs;
		this.handle = handle;
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
		await ctx.repo.flush([handle.documentId]);
		await sync.#saveState();
		return sync;
	}

	/** Loads a document's sync state from the sealed store; undefined if there is none. */
	static async load(ctx: DocSyncContext, doc: Uint8Array): Promise<DocSync | undefined> {
		const docKey = toBase64Url(doc);
		const bytes = await ctx.store.load(stateKey(docKey));
		if (!bytes) return undefined;
		const state = decodeCbor(bytes) as DocState;
		const verified = verifyChain(doc, state.chain);
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

	// ----- Local changes --------------------------------------------------------------------

	/**
	 * Changes the local document. The first change of a new actor carries the device's signed
	 * actor claim (rule 12); the actor is persisted as ours before the change exists, so a crash
	 * can't leave an own change that is never pushed.
	 */
	async change<T>(fn: (doc: T) => void): Promise<void> {
		const doc = this.handle.doc() as A.Doc<unknown>;
		const actor = A.getActorId(doc);
		let message: string | undefined;
		if (!this.#state.myActors.includes(actor)) {
			message = makeActorClaimMessage(this.#ctx.author.device, this.doc, actor);
			await this.#queue.run(async () => {
				this.#state.myActors.push(actor);
				this.#state.actors[actor] = this.#ctx.author.device.publicKey;
				await this.#saveState();
			});
		}
		this.handle.change(fn as (doc: unknown) => void, message ? { message } : {});
	}

	/**
	 * Seals this device's changes since the last push into outbox entries (rule 11: only
	 * changes whose actor this device claimed). Flushes the document first, so an entry never
	 * carries a change that isn't on disk here.
	 */
	commitLocal(): Promise<number> {
		return this.#queue.run(async () => {
			await this.#ctx.repo.flush([this.localId]);
			const doc = this.handle.doc() as A.Doc<unknown>;
			const heads = A.getHeads(doc);
			if (sameHeads(heads, this.#state.pushedHeads)) return 0;

			const own: { bytes: Uint8Array; actor: string; start: number; end: number }[] = [];
			for (const change of A.getChangesSince(doc, this.#state.pushedHeads)) {
				const decoded = A.decodeChange(change);
				if (!this.#state.myActors.includes(decoded.actor) && !this.#adoptTabActor(decoded)) {
					continue;
				}
				const end = decoded.startOp + decoded.ops.length - 1;
				own.push({ bytes: change, actor: decoded.actor, start: decoded.startOp, end });
			}
			this.#state.pushedHeads = heads;
			if (own.length === 0) {
				await this.#saveState();
				return 0;
			}

			const epoch = this.head.n;
			const secret = this.secretOf(this.head.gen);
			if (!secret) throw new Error('no secret for the current key generation');
			const contentKey = deriveContentKey(secret, this.doc, this.head.gen);
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
				const item = { id: entryId(entry), entry, ranges };
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
			if (fresh.length === 0) return;

			const verified: Verified[] = [];
			const parked: Uint8Array[] = [];
			let needChain = false;
			for (const item of fresh) {
				// The relay echoes this device's own entries: their changes are already here.
				if (this.#sealed.size > 0 && this.#sealed.delete(toBase64Url(entryId(item.b)))) continue;
				const result = this.#verify(item.seq, item.b);
				if (result === 'unknown-epoch' || result === 'park') parked.push(item.b);
				else if (result) verified.push(result);
				needChain ||= result === 'unknown-epoch';
			}
			const waiting = await this.#apply(verified);

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
			if (needChain) this.emit('need-chain');
		});
	}

	/** Applies entries parked in the inbox whose dependencies may have arrived since. */
	retryInbox(): Promise<void> {
		return this.#queue.run(() => this.#retryInboxNow());
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
		const opened = openEntry(bytes, this.doc, (epoch) => {
			const state = this.#epochs[epoch];
			const secret = state && this.#state.secrets[state.gen];
			return secret && deriveContentKey(secret, this.doc, state.gen);
		});
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
		this.#noteCounter(`${toHex(author)}:${toHex(incarnation)}:${header.epoch}`, counter);
		return { seq, id: entryId(bytes), bytes, changes, hashes };
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

	/** Entries parked because an earlier entry they depend on hasn't arrived. */
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
