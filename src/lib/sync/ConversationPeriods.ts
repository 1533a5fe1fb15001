import * as A from '@automerge/automerge';
import type { ConversationDoc, Message } from '../model/conversation.js';
import { periodLocalId, periodSize, writePeriod, type PeriodDoc } from '../model/period.js';
import { missingPeriods } from '../model/periodCoverage.js';
import { decodeCbor, encodeCbor } from '../protocol/cbor.js';
import { periodDocId } from '../protocol/period.js';
import { DocSync, type DocSyncContext } from './DocSync.js';

/**
 * The period documents one device holds for one conversation (rule 19; docs/protocol.md,
 * "Periods"). Period 0 is the conversation document's own message list; periods 1, 2, … are
 * separate documents, each with its own log at the relay, sharing the conversation's chain.
 *
 * The device writes into the highest period it holds and moves on to the next one when that is
 * full ({@link writePeriod}); the next one comes from the deterministic genesis, so a device
 * that rolls over offline creates the same document as everyone else. Which periods the device
 * holds is persisted, so it stays subscribed to all of them across restarts.
 */

/** Fewer messages than this in the newest period: opening loads the previous one too. */
export const SCREENFUL = 50;

interface Persisted {
	/** Period numbers this device holds. */
	held: number[];
	/** The highest period the relay (or this device) knows of. */
	known: number;
}

export interface ConversationPeriodsOptions {
	/** The period size in force (tests make it small); {@link periodSize} by default. */
	size?: () => number;
	/** Called once for every period this device starts holding (the engine syncs it). */
	onHold?: (sync: DocSync) => void;
}

export class ConversationPeriods {
	readonly #ctx: DocSyncContext;
	readonly conversation: DocSync;
	readonly #periods = new Map<number, DocSync>();
	readonly #loading = new Map<number, Promise<DocSync>>();
	readonly #size: () => number;
	readonly #onHold: (sync: DocSync) => void;
	#known = 0;
	/** The running {@link restore}, so others can wait until what was held is held again. */
	#restoring: Promise<void> = Promise.resolve();

	constructor(
		ctx: DocSyncContext,
		conversation: DocSync,
		options: ConversationPeriodsOptions | (() => number) = {}
	) {
		const opts = typeof options === 'function' ? { size: options } : options;
		this.#ctx = ctx;
		this.conversation = conversation;
		this.#size = opts.size ?? (() => periodSize());
		this.#onHold = opts.onHold ?? (() => {});
	}

	#key(): string[] {
		return ['tend', 'periods', this.conversation.docKey];
	}

	/**
	 * The periods the leader tab holds and the highest it knows of, read from what it persisted
	 * (for the other tabs).
	 */
	static async peek(
		store: DocSyncContext['store'],
		convKey: string
	): Promise<{ held: number[]; known: number }> {
		const bytes = await store.load(['tend', 'periods', convKey]);
		if (!bytes) return { held: [], known: 0 };
		const saved = decodeCbor(bytes) as Persisted;
		return { held: saved.held, known: Math.max(saved.known, ...saved.held) };
	}

	/** Holds again every period this device held before (they load from this device's store). */
	restore(): Promise<void> {
		const restoring = this.#restore();
		this.#restoring = restoring.catch(() => {});
		return restoring;
	}

	async #restore(): Promise<void> {
		const bytes = await this.#ctx.store.load(this.#key());
		if (!bytes) return;
		const saved = decodeCbor(bytes) as Persisted;
		this.#known = Math.max(this.#known, saved.known);
		// Newest first: the period a conversation opens on is ready soonest.
		for (const n of [...saved.held].sort((a, b) => b - a)) await this.hold(n);
	}

	async #persist(): Promise<void> {
		const data = encodeCbor({ held: this.held(), known: this.#known } satisfies Persisted);
		await this.#ctx.store.write([{ key: this.#key(), data }], []);
	}

	/** Period numbers held, ascending (period 0, the conversation document, not included). */
	held(): number[] {
		return [...this.#periods.keys()].sort((a, b) => a - b);
	}

	get(n: number): DocSync | undefined {
		return n === 0 ? this.conversation : this.#periods.get(n);
	}

	/** The highest period held; 0 (the conversation document) when none. */
	get highest(): number {
		const held = this.held();
		return held.length > 0 ? held[held.length - 1] : 0;
	}

	/** The highest period known to exist (held or not). */
	get known(): number {
		return Math.max(this.#known, this.highest);
	}

	/**
	 * The relay said the conversation has periods up to `n`. The newest one is held at once (new
	 * messages are written there); older ones load when someone scrolls up.
	 */
	async learn(n: number): Promise<boolean> {
		if (n <= this.known) return false;
		this.#known = n;
		await this.hold(n);
		return true;
	}

	/**
	 * Holds period `n`: loads its sync state from this device's store, or creates it from the
	 * genesis, and keeps it (persisted, synced by the engine through `onHold`).
	 */
	hold(n: number): Promise<DocSync> {
		if (n === 0) return Promise.resolve(this.conversation);
		const known = this.#periods.get(n);
		if (known) return Promise.resolve(known);
		let loading = this.#loading.get(n);
		if (!loading) {
			loading = this.#load(n).finally(() => this.#loading.delete(n));
			this.#loading.set(n, loading);
		}
		return loading;
	}

	async #load(n: number): Promise<DocSync> {
		const conv = this.conversation;
		const loaded = await DocSync.load(this.#ctx, periodDocId(conv.doc, n));
		const sync =
			loaded ?? (await DocSync.createPeriod(this.#ctx, conv, n, periodLocalId(conv.localId, n)));
		this.#periods.set(n, sync);
		this.#known = Math.max(this.#known, n);
		await this.#persist();
		this.#onHold(sync);
		return sync;
	}

	/**
	 * What opening the conversation needs: the newest period, and the one before it when the
	 * newest holds less than a screenful.
	 */
	async openRecent(): Promise<void> {
		const newest = this.known;
		if (newest === 0) return;
		await this.hold(newest);
		if (newest > 1 && this.count(newest) < SCREENFUL) await this.hold(newest - 1);
	}

	/** The oldest period held, counting period 0 only when every period above it is held. */
	get oldestHeld(): number {
		let n = this.highest;
		while (n > 0 && this.#periods.has(n - 1)) n--;
		return n === 1 || this.highest === 0 ? 0 : n;
	}

	/** Holds the period just before the oldest one shown; false when everything is held. */
	async loadEarlier(): Promise<boolean> {
		// Periods still loading (the opening ones) count as shown: the next one is before them.
		await Promise.allSettled([...this.#loading.values()]);
		const oldest = this.oldestHeld;
		if (oldest === 0) return false;
		await this.hold(oldest - 1);
		return true;
	}

	/**
	 * Holds every period from the oldest shown down to `n`, so the merged view reaches it (a jump
	 * from search to a message in an earlier period). Periods below `n` stay as they are.
	 */
	async loadDownTo(n: number): Promise<void> {
		while (this.oldestHeld > n) {
			if (!(await this.loadEarlier())) return;
		}
	}

	/** Resolves once the periods held before a restart and those still opening are held. */
	async settled(): Promise<void> {
		await this.#restoring;
		await Promise.allSettled([...this.#loading.values()]);
	}

	/** Periods known to exist that this device doesn't hold, newest first (periodCoverage.ts). */
	missing(): number[] {
		return missingPeriods({ known: this.known, held: this.held() });
	}

	/** Whether the conversation keeps its messages in periods from 1 on (format v3). */
	#periodsOnly(): boolean {
		const doc = this.conversation.handle.doc() as A.Doc<ConversationDoc> | undefined;
		return (doc?.v ?? 0) >= 3;
	}

	/** Messages in period `n` as this device holds it. */
	count(n: number): number {
		const sync = this.get(n);
		const doc = sync?.handle.doc() as A.Doc<{ messages?: Message[] }> | undefined;
		return Array.isArray(doc?.messages) ? doc.messages.length : 0;
	}

	/** The period a new message goes into now, held (created from the genesis if new). */
	async writeTarget(): Promise<DocSync> {
		// Write where the others write: into the newest period known, never an older one.
		if (this.known > this.highest) await this.hold(this.known);
		const highest = this.highest;
		const legacy = this.#periodsOnly() ? Infinity : this.count(0);
		const fill = highest > 0 ? { n: highest, count: this.count(highest) } : undefined;
		return this.hold(writePeriod(fill, legacy, this.#size()));
	}

	/**
	 * Every held period's document from the oldest contiguous one on, oldest first, period 0
	 * (the conversation document's own list) included once everything above it is held.
	 */
	documents(): { n: number; doc: A.Doc<PeriodDoc | ConversationDoc>; sync: DocSync }[] {
		const from = this.oldestHeld;
		const numbers = from === 0 ? [0, ...this.held()] : this.held().filter((n) => n >= from);
		return this.#documentsOf(numbers);
	}

	/**
	 * Every document this device holds, oldest first, period 0 included, whether or not the held
	 * periods are one run: what search reads, so a message in a period held below a gap (the
	 * device was away while several periods filled) is still found. The message list shows
	 * {@link documents}.
	 */
	searchDocuments(): { n: number; doc: A.Doc<PeriodDoc | ConversationDoc>; sync: DocSync }[] {
		return this.#documentsOf([0, ...this.held()]);
	}

	#documentsOf(numbers: number[]) {
		return numbers.map((n) => {
			const sync = this.get(n)!;
			return { n, doc: sync.handle.doc() as A.Doc<PeriodDoc | ConversationDoc>, sync };
		});
	}
}
