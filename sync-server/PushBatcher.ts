import { encodePushOk } from '../src/lib/protocol/fastFrames.js';
import type { Item } from '../src/lib/protocol/frames.js';
import type { Connection } from './Connection.js';
import type { DocState } from './DocRegistry.js';
import { entryFrames } from './entryFrames.js';
import type { Logger } from './log.js';
import type { Store } from './store/Store.js';

/** A push that passed every check and waits for the next commit. */
export interface PendingPush {
	conn: Connection;
	rid: number;
	doc: DocState;
	entry: Uint8Array;
	/** `entryId(entry)`. */
	id: Uint8Array;
}

/**
 * Commits pushes in one transaction per event-loop turn, then answers and fans them out.
 *
 * @remarks
 * "Delivered means durable" (SECURITY-RULES.md, rule 15): a device may drop an entry from its
 * outbox once the relay says `ok`, so `ok` goes out only after the commit, which is fsynced
 * (`synchronous=FULL`). One fsync per entry would cut throughput to a tenth or less; one per
 * turn keeps most of it (DESIGN.md, "Performance facts"). Fan-out happens after the commit too,
 * so no device ever sees an entry the relay could still lose.
 */
export class PushBatcher {
	#queue: PendingPush[] = [];
	#scheduled: ReturnType<typeof setImmediate> | undefined;

	constructor(
		readonly store: Store,
		readonly log: Logger
	) {}

	add(push: PendingPush): void {
		this.#queue.push(push);
		this.#scheduled ??= setImmediate(() => this.flush());
	}

	/** Commits everything queued; also called on shutdown so that no accepted push is dropped. */
	flush(): void {
		clearImmediate(this.#scheduled);
		this.#scheduled = undefined;
		const batch = this.#queue;
		this.#queue = [];
		if (batch.length === 0) return;

		const started = performance.now();
		const results = this.#commit(batch);
		if (!results) return;
		const commitMs = performance.now() - started;

		const fresh = new Map<DocState, Item[]>();
		const corked = new Set<Connection>();
		const cork = (conn: Connection) => {
			if (corked.has(conn)) return;
			corked.add(conn);
			conn.cork();
		};
		let bytes = 0;
		try {
			batch.forEach((push, i) => {
				const { seq, dup } = results[i];
				cork(push.conn);
				push.conn.sendBytes(encodePushOk(push.rid, seq, push.id, dup));
				bytes += push.entry.length;
				if (dup) return;
				push.doc.lastSeq = Math.max(push.doc.lastSeq, seq);
				const items = fresh.get(push.doc) ?? [];
				items.push({ seq, b: push.entry });
				fresh.set(push.doc, items);
			});
			for (const [doc, items] of fresh) fanOut(doc, items, cork);
		} finally {
			for (const conn of corked) conn.uncork();
		}
		if (!this.log.isLevelEnabled('debug')) return;
		const ms = round(performance.now() - started);
		const summary = { n: batch.length, docs: fresh.size, bytes, commitMs: round(commitMs), ms };
		this.log.debug(summary, 'push batch');
	}

	#commit(batch: PendingPush[]) {
		try {
			return this.store.appendEntries(
				batch.map((push) => ({ doc: push.doc.id, id: push.id, bytes: push.entry }))
			);
		} catch (error) {
			this.log.error({ err: error, n: batch.length }, 'push batch not stored');
			for (const push of batch) push.conn.err(push.rid, 'internal', 'not stored; send it again');
			return undefined;
		}
	}
}

/** Sends newly committed entries (in seq order) to every live subscriber of the document. */
function fanOut(doc: DocState, items: Item[], cork: (conn: Connection) => void): void {
	if (doc.subs.size === 0) return;
	items.sort((a, b) => a.seq - b.seq);
	const batch = { items, frames: entryFrames(doc.id, items) };
	for (const sub of doc.subs) {
		cork(sub.conn);
		sub.deliver(batch);
	}
}

function round(ms: number): number {
	return Math.round(ms * 100) / 100;
}
