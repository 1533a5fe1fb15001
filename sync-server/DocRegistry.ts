import { Buffer } from 'node:buffer';
import { verifyChain, type EpochState } from '../src/lib/protocol/records.js';
import type { Connection } from './Connection.js';
import { keyOf } from './keys.js';
import { logId } from './log.js';
import type { Store } from './store/Store.js';
import type { Subscription } from './Subscription.js';

/**
 * What the relay keeps in memory about one document: its verified head and per-epoch access
 * keys (so that opening, pushing and sending mail cost no database read and no signature
 * check), the last seq, and who has it open or subscribed.
 */
export interface DocState {
	id: Uint8Array;
	/** Salted id for logs ({@link logId}). */
	logId: string;
	head: EpochState;
	/** The relay access public key of each epoch, indexed by epoch number. */
	accessPks: Uint8Array[];
	/** Hex keys of the head's writers and admins (rule 7), for checks on every push. */
	writers: Set<string>;
	admins: Set<string>;
	/**
	 * Hex keys of every device any epoch listed as writer, reader or admin. Such a device may read the
	 * chain (public keys and hashes) without the current access key, so a removed device learns
	 * from a signed record that it was removed.
	 */
	listed: Set<string>;
	/** The highest committed seq. */
	lastSeq: number;
	/** Connections that proved the access key (`doc.open`), with the key they proved. */
	readers: Map<Connection, Uint8Array>;
	subs: Set<Subscription>;
	/**
	 * For a period document (rule 19): the conversation whose chain, access keys and writers it
	 * shares, and its number. A period has no chain of its own.
	 */
	parent?: { doc: DocState; n: number };
	/** For a conversation: its period documents loaded so far (kept in step with the head). */
	children: DocState[];
	/** For a conversation: the highest period registered (0 when none). */
	periods: number;
}

/**
 * Loads documents on first use, verifying their whole chain once, and keeps them.
 *
 * @remarks
 * Verifying on load means a database edited behind the relay's back (or a bug that stored a
 * bad record) surfaces as an error on that document instead of being served as if valid.
 * Documents stay cached for the life of the process: a few hundred bytes each plus their key
 * lists, small next to the connections that use them.
 */
export class DocRegistry {
	readonly #docs = new Map<string, DocState>();

	constructor(readonly store: Store) {}

	/** The document's state, or undefined when no such document is registered. */
	get(doc: Uint8Array): DocState | undefined {
		// Every push looks its document up here; latin1 is the cheapest exact string of the bytes.
		const key = Buffer.from(doc.buffer, doc.byteOffset, doc.byteLength).toString('latin1');
		const cached = this.#docs.get(key);
		if (cached) return cached;

		const stored = this.store.getDocument(doc);
		if (!stored) return this.#period(doc, key);
		const chain = verifyChain(doc, this.store.readChain(doc, 0, Infinity));
		if (!chain.ok) throw new Error(`stored chain does not verify: ${chain.why}`);
		const states = chain.value;
		const head = states[states.length - 1];
		if (head.n !== stored.headN) throw new Error('stored head does not match the chain');

		const state: DocState = {
			id: head.doc,
			logId: logId(doc),
			head,
			accessPks: states.map((s) => s.accessPk),
			writers: keySet(head.writers),
			admins: keySet(head.admins),
			listed: keySet(states.flatMap((st) => [...st.writers, ...st.admins, ...st.readers])),
			lastSeq: this.store.lastSeq(doc),
			readers: new Map(),
			subs: new Set(),
			children: [],
			periods: this.store.highestPeriod(doc)
		};
		this.#docs.set(key, state);
		return state;
	}

	/**
	 * A period document's state: its own log, readers and subscriptions, and its conversation's
	 * head, access keys and writer lists (the same objects, moved by {@link advanceHead}).
	 */
	#period(id: Uint8Array, key: string): DocState | undefined {
		const period = this.store.getPeriod(id);
		if (!period) return undefined;
		const parent = this.get(period.conv);
		if (!parent) throw new Error('a stored period names no document');
		const state: DocState = {
			id: Uint8Array.from(id),
			logId: logId(id),
			head: parent.head,
			accessPks: parent.accessPks,
			writers: parent.writers,
			admins: parent.admins,
			listed: parent.listed,
			lastSeq: this.store.lastSeq(id),
			readers: new Map(),
			subs: new Set(),
			parent: { doc: parent, n: period.n },
			children: [],
			periods: 0
		};
		parent.children.push(state);
		this.#docs.set(key, state);
		return state;
	}
}

/** Moves the cached head to a newly stored epoch record that extends it. */
export function advanceHead(doc: DocState, next: EpochState): void {
	doc.head = next;
	doc.accessPks[next.n] = next.accessPk;
	doc.writers = keySet(next.writers);
	doc.admins = keySet(next.admins);
	for (const key of [...next.writers, ...next.admins, ...next.readers]) doc.listed.add(keyOf(key));
	// Periods share the conversation's chain (rule 19): same head, same writer lists.
	for (const child of doc.children) {
		child.head = doc.head;
		child.writers = doc.writers;
		child.admins = doc.admins;
	}
}

function keySet(keys: Uint8Array[]): Set<string> {
	return new Set(keys.map(keyOf));
}
