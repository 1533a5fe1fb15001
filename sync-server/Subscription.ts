import type { Item } from '../src/lib/protocol/frames.js';
import type { Connection } from './Connection.js';
import type { DocState } from './DocRegistry.js';
import { entryFrames } from './entryFrames.js';
import { CATCH_UP_BYTES, CATCH_UP_ROWS, SLOW_SOCKET_BYTES } from './limits.js';
import type { Store } from './store/Store.js';

/** Entries committed in one batch for one document, encoded once for every subscriber. */
export interface LiveBatch {
	items: Item[];
	frames: Uint8Array[];
}

/** How long catch-up waits for a slow socket to drain before reading more (ms). */
const DRAIN_WAIT_MS = 20;

/**
 * One connection's subscription to one document: the stored entries after a cursor, then new
 * ones as they are committed, each exactly once and in seq order.
 *
 * @remarks
 * The subscription is registered first and starts in catch-up: it reads stored entries page by
 * page (yielding between pages and waiting while the socket is backed up, so a long backlog
 * neither blocks the relay nor piles up in memory) and ignores live batches, whose entries are
 * already committed and will be read from the database. When a read reaches the document's
 * last committed seq it turns live in that same synchronous step. Commits and their fan-out
 * also run in one synchronous step (`PushBatcher`), so no commit falls between the last read and
 * the switch: nothing is missed and nothing is sent twice.
 */
export class Subscription {
	#cursor: number;
	#live = false;
	#stopped = false;
	#timer: ReturnType<typeof setTimeout> | undefined;

	constructor(
		readonly conn: Connection,
		readonly doc: DocState,
		after: number,
		readonly store: Store
	) {
		this.#cursor = after;
	}

	get live(): boolean {
		return this.#live;
	}

	/** Starts catch-up on the next turn, after the `ok` for `sub` went out. */
	start(): void {
		this.#timer = setTimeout(() => this.#catchUp(), 0);
	}

	stop(): void {
		this.#stopped = true;
		clearTimeout(this.#timer);
	}

	/** Sends a live batch if this subscription is live and hasn't seen its entries. */
	deliver(batch: LiveBatch): void {
		if (!this.#live || this.#stopped) return;
		const last = batch.items[batch.items.length - 1].seq;
		if (this.#cursor >= last) return;

		if (this.#cursor < batch.items[0].seq) {
			for (const frame of batch.frames) this.conn.sendBytes(frame);
		} else {
			const unseen = batch.items.filter((item) => item.seq > this.#cursor);
			for (const frame of entryFrames(this.doc.id, unseen)) this.conn.sendBytes(frame);
		}
		this.#cursor = last;
	}

	#catchUp(): void {
		if (this.#stopped || !this.conn.isOpen) return;
		if (this.conn.buffered > SLOW_SOCKET_BYTES) {
			this.#timer = setTimeout(() => this.#catchUp(), DRAIN_WAIT_MS);
			return;
		}

		const rows = this.store.readEntries(this.doc.id, this.#cursor, CATCH_UP_ROWS, CATCH_UP_BYTES);
		if (rows.length > 0) {
			const items = rows.map((row) => ({ seq: row.seq, b: row.bytes }));
			for (const frame of entryFrames(this.doc.id, items)) this.conn.sendBytes(frame);
			this.#cursor = items[items.length - 1].seq;
		}

		if (this.#cursor >= this.doc.lastSeq) {
			this.#live = true;
			return;
		}
		this.#timer = setTimeout(() => this.#catchUp(), 0);
	}
}
