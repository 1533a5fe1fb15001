import type { Chunk, StorageAdapterInterface, StorageKey } from '@automerge/automerge-repo';
import { mkdir, open, readdir, readFile, rename, rm } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';

/**
 * A file-per-key automerge-repo storage adapter for the stock sync server baseline, standing in
 * for `@automerge/automerge-repo-storage-nodefs`, which is not installed here.
 *
 * @remarks
 * It follows NodeFSStorageAdapter's layout (`<dir>/<first 2 chars of key[0]>/<rest of
 * key[0]>/<key[1]>/…`) and keeps its in-memory cache, so reads of recent saves don't touch the
 * disk. Unlike the stock adapter it makes each save durable (write to a temporary file, fsync,
 * rename), because the Tend relay and the bare baseline fsync too: every server in the
 * comparison promises the same thing when it has accepted data.
 */
export class FsStorageAdapter implements StorageAdapterInterface {
	/** Saved values by joined key, as NodeFSStorageAdapter keeps them. */
	readonly #cache = new Map<string, Uint8Array>();
	#tmpCounter = 0;

	constructor(readonly baseDirectory: string) {}

	async load(key: StorageKey): Promise<Uint8Array | undefined> {
		const cached = this.#cache.get(join(...key));
		if (cached) return cached;
		try {
			return new Uint8Array(await readFile(this.#path(key)));
		} catch (error) {
			if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
			throw error;
		}
	}

	async save(key: StorageKey, data: Uint8Array): Promise<void> {
		this.#cache.set(join(...key), data);
		const path = this.#path(key);
		await mkdir(dirname(path), { recursive: true });
		const temporary = `${path}.tmp-${process.pid}-${this.#tmpCounter++}`;
		const file = await open(temporary, 'w');
		try {
			await file.writeFile(data);
			await file.sync();
		} finally {
			await file.close();
		}
		await rename(temporary, path);
	}

	async remove(key: StorageKey): Promise<void> {
		this.#cache.delete(join(...key));
		await rm(this.#path(key), { force: true });
	}

	async loadRange(prefix: StorageKey): Promise<Chunk[]> {
		const keys = new Set<string>();
		const joined = join(...prefix);
		for (const key of this.#cache.keys()) if (key.startsWith(joined)) keys.add(key);
		for (const file of await walk(this.#path(prefix))) {
			if (file.includes('.tmp-')) continue;
			// Undo the 2-character split of the first key part.
			const parts = relative(this.baseDirectory, file).split(sep);
			keys.add(join(parts[0] + parts[1], ...parts.slice(2)));
		}
		return Promise.all(
			[...keys].map(async (joinedKey) => {
				const key = joinedKey.split(sep);
				return { key, data: await this.load(key) };
			})
		);
	}

	async removeRange(prefix: StorageKey): Promise<void> {
		const joined = join(...prefix);
		for (const key of [...this.#cache.keys()]) if (key.startsWith(joined)) this.#cache.delete(key);
		await rm(this.#path(prefix), { recursive: true, force: true });
	}

	#path(key: StorageKey): string {
		const [first, ...rest] = key;
		return join(this.baseDirectory, first.slice(0, 2), first.slice(2), ...rest);
	}
}

/** Every file below `dir`, recursively; none if it doesn't exist. */
async function walk(dir: string): Promise<string[]> {
	try {
		const entries = await readdir(dir, { withFileTypes: true });
		const nested = await Promise.all(
			entries.map((entry) => {
				const path = join(dir, entry.name);
				return entry.isDirectory() ? walk(path) : Promise.resolve([path]);
			})
		);
		return nested.flat();
	} catch (error) {
		const code = (error as NodeJS.ErrnoException).code;
		if (code === 'ENOENT') return [];
		if (code === 'ENOTDIR') return [dir];
		throw error;
	}
}
