import * as A from '@automerge/automerge';
import type { ConversationDoc, Message } from '../model/conversation.js';
import { periodLocalId, periodSize, writePeriod, type PeriodDoc } from '../model/period.js';
import { periodDocId } from '../protocol/period.js';
import { DocSync, type DocSyncContext } from './DocSync.js';

/**
 * The period documents one device holds for one conversation (rule 19; docs/protocol.md,
 * "Periods"). Period 0 is the conversation document's own message list; periods 1, 2, … are
 * separate documents, each with its own log at the relay, sharing the conversation's chain.
 *
 * The device writes into the highest period it holds and moves on to the next one when that is
 * full ({@link writePeriod}); the next one comes from the deterministic genesis, so a device
 * that rolls over offline creates the same document as everyone else.
 */
export class ConversationPeriods {
	readonly #ctx: DocSyncContext;
	readonly conversation: DocSync;
	readonly #periods = new Map<number, DocSync>();
	readonly #size: () => number;

	constructor(ctx: DocSyncContext, conversation: DocSync, size: () => number = () => periodSize()) {
		this.#ctx = ctx;
		this.conversation = conversation;
		this.#size = size;
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

	/**
	 * Holds period `n`: loads its sync state from this device's store, or creates it from the
	 * genesis. Holding period n also holds nothing else: older periods load on demand.
	 */
	async hold(n: number): Promise<DocSync> {
		if (n === 0) return this.conversation;
		const known = this.#periods.get(n);
		if (known) return known;
		const conv = this.conversation;
		const loaded = await DocSync.load(this.#ctx, periodDocId(conv.doc, n));
		const sync =
			loaded ?? (await DocSync.createPeriod(this.#ctx, conv, n, periodLocalId(conv.localId, n)));
		// Another call may have held it while this one loaded.
		const raced = this.#periods.get(n);
		if (raced) return raced;
		this.#periods.set(n, sync);
		return sync;
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
		const highest = this.highest;
		const legacy = this.#periodsOnly() ? Infinity : this.count(0);
		const fill = highest > 0 ? { n: highest, count: this.count(highest) } : undefined;
		return this.hold(writePeriod(fill, legacy, this.#size()));
	}

	/** Every held period's document, oldest first, period 0 included. */
	documents(): { n: number; doc: A.Doc<PeriodDoc | ConversationDoc> }[] {
		return [0, ...this.held()].map((n) => ({
			n,
			doc: this.get(n)!.handle.doc() as A.Doc<PeriodDoc | ConversationDoc>
		}));
	}
}
