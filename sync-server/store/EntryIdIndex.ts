import { Buffer } from 'node:buffer';
import { equalBytes } from '../../src/lib/protocol/bytes.js';

/**
 * The ids of one document's stored entries, held in memory for the duplicate check of every
 * push (SECURITY-RULES.md, rule 9: a retry of the same sealed bytes is stored once).
 *
 * @remarks
 * Why not a unique index in SQLite: entry ids are hashes, so each insert lands on a random page
 * of such an index, and every commit then writes one page per entry to the WAL. On the bench
 * that tripled the database's CPU per entry. Here the index is rebuilt from the `(doc, seq, id)`
 * covering index (appended in order, cheap) when a document is first pushed to.
 *
 * Keys are the first 30 bits of the id, which V8 keeps as small integers (no boxed numbers, ~30
 * bytes per entry). A prefix names the first entry stored with it; a hit is confirmed against
 * that entry's stored id, and later entries whose prefix was taken are kept by full id in a
 * second map, so a crafted prefix collision costs one lookup and never a false duplicate.
 */
export class EntryIdIndex {
	readonly #first = new Map<number, number>();
	readonly #more = new Map<string, number>();
	/** The highest seq stored for the document. */
	lastSeq = 0;

	get size(): number {
		return this.#first.size + this.#more.size;
	}

	/** The seq of the stored entry with this id, if any; `storedId` reads an entry's id by seq. */
	find(id: Uint8Array, storedId: (seq: number) => Uint8Array | undefined): number | undefined {
		const seq = this.#first.get(prefixOf(id));
		if (seq === undefined) return undefined;
		const stored = storedId(seq);
		if (stored && equalBytes(stored, id)) return seq;
		return this.#more.get(fullKey(id));
	}

	add(id: Uint8Array, seq: number): void {
		const prefix = prefixOf(id);
		if (this.#first.has(prefix)) this.#more.set(fullKey(id), seq);
		else this.#first.set(prefix, seq);
		if (seq > this.lastSeq) this.lastSeq = seq;
	}
}

function prefixOf(id: Uint8Array): number {
	return (id[0] << 22) | (id[1] << 14) | (id[2] << 6) | (id[3] >> 2);
}

function fullKey(id: Uint8Array): string {
	return Buffer.from(id.buffer, id.byteOffset, id.byteLength).toString('latin1');
}
