import { assertKvKey, assertKvValue } from './KvBackend.js';
import type { KvBackend, KvBatch, KvEntry } from './KvBackend.js';

/**
 * {@link KvBackend} in memory, for tests and for code that must run without IndexedDB.
 *
 * @remarks
 * Like IndexedDB it copies values in and out, so a caller that reuses its buffer can't change
 * what is stored. A batch is validated and copied before the map changes, which makes every
 * write all-or-nothing. `range` returns entries in insertion order (an overwrite keeps the
 * key's first position), which is the order automerge-repo's acceptance suite expects.
 */
export class MemoryBackend implements KvBackend {
	/** The records; a `Map` keeps insertion order. */
	#entries = new Map<string, Uint8Array>();
	/** Set by `close()`; later calls reject, as they do for a closed IndexedDB connection. */
	#closed = false;

	async get(key: string): Promise<Uint8Array | undefined> {
		this.#assertOpen();
		return this.#entries.get(key)?.slice();
	}

	put(entries: KvEntry[]): Promise<void> {
		return this.write({ put: entries });
	}

	delete(keys: string[]): Promise<void> {
		return this.write({ delete: keys });
	}

	async range(prefix: string): Promise<KvEntry[]> {
		this.#assertOpen();
		const out: KvEntry[] = [];
		for (const [key, value] of this.#entries) {
			if (key.startsWith(prefix)) out.push({ key, value: value.slice() });
		}
		return out;
	}

	async deleteRange(prefix: string): Promise<void> {
		this.#assertOpen();
		for (const key of [...this.#entries.keys()]) {
			if (key.startsWith(prefix)) this.#entries.delete(key);
		}
	}

	async write(batch: KvBatch): Promise<void> {
		this.#assertOpen();
		const deletes = batch.delete ?? [];
		for (const key of deletes) assertKvKey(key);

		// Copy every value first: a value that can't be copied (its buffer was transferred, so
		// `slice` throws TypeError) fails the batch here, before anything changed.
		const puts = (batch.put ?? []).map(({ key, value }) => {
			assertKvKey(key);
			assertKvValue(key, value);
			return { key, value: value.slice() };
		});

		for (const key of deletes) this.#entries.delete(key);
		for (const { key, value } of puts) this.#entries.set(key, value);
	}

	close(): void {
		this.#closed = true;
		this.#entries.clear();
	}

	#assertOpen(): void {
		if (this.#closed) throw new Error('storage backend is closed');
	}
}
