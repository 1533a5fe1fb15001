/**
 * The part of the encrypting storage adapter the sync engine uses for its own state (outbox,
 * inbox, cursors, counters, keys). Keys are arrays of strings, hashed and sealed exactly like
 * automerge-repo's own chunks (rule 16); `write` is one IndexedDB transaction.
 */
export interface SealedStore {
	load(key: string[]): Promise<Uint8Array | undefined>;
	loadRange(prefix: string[]): Promise<{ key: string[]; data: Uint8Array | undefined }[]>;
	write(puts: { key: string[]; data: Uint8Array }[], removes: string[][]): Promise<void>;
}

/** A serial queue: each task starts after the previous one settled. */
export class SerialQueue {
	#tail: Promise<unknown> = Promise.resolve();

	run<T>(task: () => Promise<T>): Promise<T> {
		const result = this.#tail.then(task, task);
		this.#tail = result.catch(() => undefined);
		return result;
	}
}
