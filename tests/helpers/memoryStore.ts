import type { SealedStore } from '../../src/lib/sync/SealedStore.js';

/** An in-memory SealedStore for unit tests; `snapshot`/`restore` simulate a crash and restart. */
export class MemorySealedStore implements SealedStore {
	data = new Map<string, { key: string[]; data: Uint8Array }>();

	async load(key: string[]) {
		return this.data.get(JSON.stringify(key))?.data.slice();
	}

	async loadRange(prefix: string[]) {
		const out: { key: string[]; data: Uint8Array }[] = [];
		for (const value of this.data.values()) {
			if (prefix.every((part, i) => value.key[i] === part)) {
				out.push({ key: value.key, data: value.data.slice() });
			}
		}
		return out;
	}

	async write(puts: { key: string[]; data: Uint8Array }[], removes: string[][]) {
		for (const { key, data } of puts) this.data.set(JSON.stringify(key), { key, data: data.slice() });
		for (const key of removes) this.data.delete(JSON.stringify(key));
	}
}
