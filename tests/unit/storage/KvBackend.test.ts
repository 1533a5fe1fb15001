import 'fake-indexeddb/auto';
import { afterEach, describe, expect, it } from 'vitest';
import { IndexedDBBackend } from '../../../src/lib/storage/IndexedDBBackend.js';
import type { KvBackend, KvEntry } from '../../../src/lib/storage/KvBackend.js';
import { MemoryBackend } from '../../../src/lib/storage/MemoryBackend.js';
import { freshDbName } from './helpers/rawIndexedDb.js';

const bytes = (...values: number[]) => new Uint8Array(values);

/** A Uint8Array whose buffer was transferred away: IndexedDB can't clone it (DataCloneError). */
function detachedBytes(): Uint8Array {
	const value = bytes(9, 9, 9);
	structuredClone(value.buffer, { transfer: [value.buffer] });
	return value;
}

const byKey = (entries: KvEntry[]) => [...entries].sort((a, b) => (a.key < b.key ? -1 : 1));

const backends: [string, () => KvBackend][] = [
	['IndexedDBBackend', () => new IndexedDBBackend(freshDbName('kv'))],
	['MemoryBackend', () => new MemoryBackend()]
];

describe.each(backends)('%s', (_name, create) => {
	let backend: KvBackend;
	afterEach(() => backend.close());

	it('stores, reads and deletes values', async () => {
		backend = create();

		await backend.put([
			{ key: 'a', value: bytes(1) },
			{ key: 'b', value: bytes(2) }
		]);
		await backend.delete(['a', 'missing']);

		expect(await backend.get('a')).toBeUndefined();
		expect(await backend.get('b')).toStrictEqual(bytes(2));
	});

	it('copies values, so a caller reusing its buffer does not change what is stored', async () => {
		backend = create();
		const value = bytes(1, 2, 3);

		await backend.put([{ key: 'a', value }]);
		value[0] = 99;
		const read = await backend.get('a');
		read![1] = 99;

		expect(await backend.get('a')).toStrictEqual(bytes(1, 2, 3));
	});

	it('ranges over exactly the keys that start with a prefix', async () => {
		backend = create();
		await backend.put([
			{ key: 'x/1', value: bytes(1) },
			{ key: 'x', value: bytes(2) },
			{ key: 'x/2/3', value: bytes(3) },
			{ key: 'w', value: bytes(4) },
			{ key: 'y', value: bytes(5) }
		]);

		expect(byKey(await backend.range('x/'))).toStrictEqual([
			{ key: 'x/1', value: bytes(1) },
			{ key: 'x/2/3', value: bytes(3) }
		]);
		expect((await backend.range('x')).map((e) => e.key).sort()).toStrictEqual([
			'x',
			'x/1',
			'x/2/3'
		]);
		expect(await backend.range('')).toHaveLength(5);
		expect(await backend.range('z')).toStrictEqual([]);
	});

	it('deletes a range without touching keys outside it', async () => {
		backend = create();
		await backend.put([
			{ key: 'x/1', value: bytes(1) },
			{ key: 'x/2', value: bytes(2) },
			{ key: 'xy', value: bytes(3) },
			{ key: 'w', value: bytes(4) }
		]);

		await backend.deleteRange('x/');

		expect((await backend.range('')).map((e) => e.key).sort()).toStrictEqual(['w', 'xy']);
	});

	it('applies a batch of deletes and puts; a put wins over a delete of its key', async () => {
		backend = create();
		await backend.put([
			{ key: 'a', value: bytes(1) },
			{ key: 'b', value: bytes(2) }
		]);

		await backend.write({
			delete: ['a', 'b'],
			put: [
				{ key: 'b', value: bytes(3) },
				{ key: 'c', value: bytes(4) }
			]
		});

		expect(byKey(await backend.range(''))).toStrictEqual([
			{ key: 'b', value: bytes(3) },
			{ key: 'c', value: bytes(4) }
		]);
	});

	it('rolls back every put and delete of a batch when one entry fails (atomic write)', async () => {
		backend = create();
		await backend.put([{ key: 'keep', value: bytes(1) }]);

		// The third put can't be stored: IndexedDB throws DataCloneError after the first two
		// requests were queued in the transaction, and the transaction must roll them back.
		const failing = backend.write({
			delete: ['keep'],
			put: [
				{ key: 'new1', value: bytes(2) },
				{ key: 'new2', value: bytes(3) },
				{ key: 'bad', value: detachedBytes() }
			]
		});

		await expect(failing).rejects.toThrow();
		expect(await backend.range('')).toStrictEqual([{ key: 'keep', value: bytes(1) }]);
	});

	it('rolls back an atomic put when one entry fails', async () => {
		backend = create();

		const failing = backend.put([
			{ key: 'new1', value: bytes(2) },
			{ key: 'bad', value: detachedBytes() }
		]);

		await expect(failing).rejects.toThrow();
		expect(await backend.range('')).toStrictEqual([]);
	});

	it('rejects a key containing U+FFFF, which prefix ranges could not reach', async () => {
		backend = create();

		await expect(backend.put([{ key: 'a\uffffb', value: bytes(1) }])).rejects.toThrow(/U\+FFFF/);
	});

	it('rejects calls after close', async () => {
		backend = create();
		backend.close();

		await expect(backend.get('a')).rejects.toThrow(/closed/);
	});
});

describe('IndexedDBBackend', () => {
	it('keeps data across connections to the same database', async () => {
		const name = freshDbName('kv-reopen');
		const first = new IndexedDBBackend(name);
		await first.put([{ key: 'a', value: bytes(7) }]);
		first.close();

		const second = new IndexedDBBackend(name);

		expect(await second.get('a')).toStrictEqual(bytes(7));
		second.close();
	});
});
