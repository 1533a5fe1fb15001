import '@automerge/automerge-repo';
import 'fake-indexeddb/auto';
import { Repo } from '@automerge/automerge-repo';
import type { Chunk, StorageAdapterInterface } from '@automerge/automerge-repo';
import { IndexedDBStorageAdapter } from '@automerge/automerge-repo-storage-indexeddb';
import { Encoder } from 'cbor-x';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { seal } from '../../../src/lib/crypto/primitives.js';
import { readyCrypto } from '../../../src/lib/crypto/sodium.js';
import { EncryptedStorageAdapter } from '../../../src/lib/storage/EncryptedStorageAdapter.js';
import { IndexedDBBackend } from '../../../src/lib/storage/IndexedDBBackend.js';
import type { KvBatch } from '../../../src/lib/storage/KvBackend.js';
import { MemoryBackend } from '../../../src/lib/storage/MemoryBackend.js';
import {
	dumpDatabase,
	findInDump,
	freshDbName,
	latin1,
	utf16le
} from './helpers/rawIndexedDb.js';

/** Fixed test keys, so a failure reproduces. */
const STORAGE_KEY = new Uint8Array(32).fill(0x42);
const OTHER_KEY = new Uint8Array(32).fill(0x17);

/** Shaped like an automerge-repo document id; non-ASCII marker so Latin-1 differs from UTF-8. */
const DOC_ID = '3Hq7dXkVgP2mWcR9sLzTbN4yJfE';
const MARKER = 'TEND-PLAINTEXT-MARKER-café-7f3a';

const cbor = new Encoder({ useRecords: false, tagUint8Array: false });
const utf8 = (text: string) => new TextEncoder().encode(text);
const sortChunks = (chunks: Chunk[]) =>
	[...chunks].sort((a, b) => (a.key.join('\0') < b.key.join('\0') ? -1 : 1));

beforeAll(async () => {
	await readyCrypto();
});

const cleanups: (() => void | Promise<void>)[] = [];
afterEach(async () => {
	while (cleanups.length) await cleanups.pop()!();
});

function idbAdapter(storageKey = STORAGE_KEY, onCorrupt?: (hashedKey: string) => void) {
	const name = freshDbName('encrypted');
	const backend = new IndexedDBBackend(name);
	const adapter = new EncryptedStorageAdapter({ backend, storageKey, onCorrupt });
	cleanups.push(() => {
		adapter.close();
		backend.close();
	});
	return { name, backend, adapter };
}

/** Saves one value into an empty backend and returns the hashed key it landed under. */
async function saveAndFindKey(
	adapter: EncryptedStorageAdapter,
	backend: IndexedDBBackend | MemoryBackend,
	key: string[],
	data: Uint8Array
): Promise<string> {
	const before = new Set((await backend.range('')).map((e) => e.key));
	await adapter.save(key, data);
	const added = (await backend.range('')).map((e) => e.key).filter((k) => !before.has(k));
	expect(added).toHaveLength(1);
	return added[0];
}

describe('EncryptedStorageAdapter', () => {
	describe('confidentiality at rest (an attacker reads the raw IndexedDB)', () => {
		it('stores no key component or data in plaintext; the scan finds a planted marker', async () => {
			const { name, backend, adapter } = idbAdapter();
			await adapter.save([DOC_ID, 'snapshot', 'a1b2c3'], utf8(MARKER));
			await adapter.save([DOC_ID, 'incremental', 'd4e5f6'], utf16le(MARKER));
			await adapter.save([DOC_ID, 'sync-state', 'peer'], latin1(MARKER));
			await adapter.write([{ key: ['tend', 'outbox', DOC_ID, '1'], data: utf8(MARKER) }], []);

			const dump = await dumpDatabase(name);

			expect(dump).toHaveLength(4);
			for (const secret of [DOC_ID, MARKER, 'snapshot', 'incremental', 'sync-state', 'outbox']) {
				expect(findInDump(dump, secret), secret).toStrictEqual([]);
			}

			// Positive control: the same dump and scan find the same strings written in plain
			// text on purpose, in each form a browser may store them.
			await backend.put([
				{ key: `control/${DOC_ID}`, value: utf8(MARKER) },
				{ key: 'control/utf16', value: utf16le(MARKER) },
				{ key: 'control/latin1', value: latin1(MARKER) }
			]);
			const control = await dumpDatabase(name);
			expect(findInDump(control, DOC_ID).length).toBeGreaterThan(0);
			const hits = findInDump(control, MARKER);
			expect(hits.some((hit) => hit.startsWith('UTF-8'))).toBe(true);
			expect(hits.some((hit) => hit.startsWith('UTF-16LE'))).toBe(true);
			expect(hits.some((hit) => hit.startsWith('Latin-1'))).toBe(true);
		});

		it('keeps a Repo document id and text out of IndexedDB; stock adapter leaks both', async () => {
			async function storeDocument(storage: StorageAdapterInterface): Promise<string> {
				const repo = new Repo({ storage, network: [] });
				const handle = repo.create({ text: MARKER });
				await repo.flush();
				await repo.shutdown();
				return handle.documentId;
			}

			const { name, adapter } = idbAdapter();
			const documentId = await storeDocument(adapter);
			const dump = await dumpDatabase(name);

			expect(dump.length).toBeGreaterThan(0);
			expect(findInDump(dump, documentId)).toStrictEqual([]);
			expect(findInDump(dump, MARKER)).toStrictEqual([]);

			// Positive control: the same Repo flow over automerge-repo's own IndexedDB adapter
			// leaves both in the clear, and the same scan finds them.
			const plainName = freshDbName('plain');
			const plainId = await storeDocument(new IndexedDBStorageAdapter(plainName));
			const plainDump = await dumpDatabase(plainName);
			expect(findInDump(plainDump, plainId).length).toBeGreaterThan(0);
			expect(findInDump(plainDump, MARKER).length).toBeGreaterThan(0);
		});

		it('reads back the document a Repo stored through it', async () => {
			const { backend } = idbAdapter();
			const storage = () => new EncryptedStorageAdapter({ backend, storageKey: STORAGE_KEY });
			const first = new Repo({ storage: storage(), network: [] });
			const handle = first.create({ text: MARKER });
			await first.flush();
			await first.shutdown();

			const second = new Repo({ storage: storage(), network: [] });
			const reloaded = await second.find<{ text: string }>(handle.url);

			expect(reloaded.doc().text).toBe(MARKER);
			await second.shutdown();
		});
	});

	describe('integrity (an attacker edits the raw IndexedDB)', () => {
		it('rejects a value moved to another key and reports it through onCorrupt', async () => {
			const onCorrupt = vi.fn();
			const { backend, adapter } = idbAdapter(STORAGE_KEY, onCorrupt);
			const keyA = await saveAndFindKey(adapter, backend, [DOC_ID, 'snapshot', 'a'], utf8('A'));
			const keyB = await saveAndFindKey(adapter, backend, [DOC_ID, 'snapshot', 'b'], utf8('B'));

			// The swap: B's slot now holds A's sealed value.
			await backend.put([{ key: keyB, value: (await backend.get(keyA))! }]);

			expect(await adapter.load([DOC_ID, 'snapshot', 'b'])).toBeUndefined();
			expect(onCorrupt).toHaveBeenCalledWith(keyB);
			expect(await adapter.loadRange([DOC_ID])).toStrictEqual([
				{ key: [DOC_ID, 'snapshot', 'a'], data: utf8('A') }
			]);
			expect(onCorrupt).toHaveBeenCalledTimes(2);
		});

		it('rejects a value sealed for another slot even if its inner key names this one', async () => {
			// The check inside the value (its key must hash to its slot) would already catch a
			// plain move; this value passes that check, so only the associated data rejects it.
			const onCorrupt = vi.fn();
			const { backend, adapter } = idbAdapter(STORAGE_KEY, onCorrupt);
			const keyA = await saveAndFindKey(adapter, backend, [DOC_ID, 'a'], utf8('A'));
			const keyB = await saveAndFindKey(adapter, backend, [DOC_ID, 'b'], utf8('B'));
			const record = cbor.encode({ k: [DOC_ID, 'b'], d: utf8('forged') });

			await backend.put([{ key: keyB, value: seal(STORAGE_KEY, record, utf8(keyA)) }]);

			expect(await adapter.load([DOC_ID, 'b'])).toBeUndefined();
			expect(onCorrupt).toHaveBeenCalledWith(keyB);
		});

		it('rejects a value with any single bit flipped (nonce, ciphertext or tag)', async () => {
			const onCorrupt = vi.fn();
			const { backend, adapter } = idbAdapter(STORAGE_KEY, onCorrupt);
			const key = [DOC_ID, 'incremental', 'c'];
			const hashed = await saveAndFindKey(adapter, backend, key, utf8(MARKER));
			const sealed = (await backend.get(hashed))!;

			for (const position of [0, 23, 24, sealed.length - 17, sealed.length - 1]) {
				const tampered = sealed.slice();
				tampered[position] ^= 0x01;
				await backend.put([{ key: hashed, value: tampered }]);

				expect(await adapter.load(key), `bit flipped at byte ${position}`).toBeUndefined();
				expect(await adapter.loadRange([DOC_ID])).toStrictEqual([]);
			}
			expect(onCorrupt).toHaveBeenCalledTimes(10);
			expect(new Set(onCorrupt.mock.calls.map(([k]) => k))).toStrictEqual(new Set([hashed]));
		});

		it('rejects a truncated value without throwing into the caller', async () => {
			const onCorrupt = vi.fn(() => {
				throw new Error('a faulty callback');
			});
			const { backend, adapter } = idbAdapter(STORAGE_KEY, onCorrupt);
			const hashed = await saveAndFindKey(adapter, backend, [DOC_ID], utf8('x'));

			await backend.put([{ key: hashed, value: new Uint8Array(10) }]);

			expect(await adapter.load([DOC_ID])).toBeUndefined();
			expect(onCorrupt).toHaveBeenCalledWith(hashed);
		});

		it('does not let a different storage key read, list or locate the data', async () => {
			const { backend, adapter } = idbAdapter();
			await adapter.save([DOC_ID, 'snapshot', 'a'], utf8(MARKER));
			const onCorrupt = vi.fn();

			const intruder = new EncryptedStorageAdapter({ backend, storageKey: OTHER_KEY, onCorrupt });

			// Under another key the hashed key differs, so the value is not even found...
			expect(await intruder.load([DOC_ID, 'snapshot', 'a'])).toBeUndefined();
			expect(await intruder.loadRange([DOC_ID])).toStrictEqual([]);
			// ...and a scan of everything opens nothing.
			expect(await intruder.loadRange([])).toStrictEqual([]);
			expect(onCorrupt).toHaveBeenCalledTimes(1);
			expect(await adapter.load([DOC_ID, 'snapshot', 'a'])).toStrictEqual(utf8(MARKER));
		});
	});

	describe('atomic write() for the sync engine', () => {
		it('applies removes and puts together', async () => {
			const { adapter } = idbAdapter();
			await adapter.save(['tend', 'outbox', DOC_ID, '1'], utf8('one'));
			await adapter.save(['tend', 'outbox', DOC_ID, '2'], utf8('two'));

			await adapter.write(
				[{ key: ['tend', 'cursor', DOC_ID], data: utf8('2') }],
				[
					['tend', 'outbox', DOC_ID, '1'],
					['tend', 'outbox', DOC_ID, '2']
				]
			);

			expect(await adapter.loadRange(['tend'])).toStrictEqual([
				{ key: ['tend', 'cursor', DOC_ID], data: utf8('2') }
			]);
		});

		it('rolls back every put and remove when the IndexedDB transaction fails', async () => {
			// A backend whose transactions fail after the adapter's requests are queued: it adds
			// one entry IndexedDB can't clone (DataCloneError), which aborts the transaction.
			class FailingBackend extends IndexedDBBackend {
				override write(batch: KvBatch): Promise<void> {
					const poison = new Uint8Array(1);
					structuredClone(poison.buffer, { transfer: [poison.buffer] });
					const put = [...(batch.put ?? []), { key: 'z', value: poison }];
					return super.write({ ...batch, put });
				}
			}
			const backend = new FailingBackend(freshDbName('failing'));
			cleanups.push(() => backend.close());
			const adapter = new EncryptedStorageAdapter({ backend, storageKey: STORAGE_KEY });
			const goodBackend = new IndexedDBBackend(backend.name);
			cleanups.push(() => goodBackend.close());
			const good = new EncryptedStorageAdapter({ backend: goodBackend, storageKey: STORAGE_KEY });
			await good.save(['tend', 'counter', DOC_ID], utf8('1'));

			const failing = adapter.write(
				[
					{ key: ['tend', 'outbox', DOC_ID, '2'], data: utf8('entry') },
					{ key: ['tend', 'counter', DOC_ID], data: utf8('2') }
				],
				[['tend', 'counter', DOC_ID]]
			);

			await expect(failing).rejects.toThrow();
			expect(await good.loadRange(['tend'])).toStrictEqual([
				{ key: ['tend', 'counter', DOC_ID], data: utf8('1') }
			]);
		});
	});

	describe('prefix ranges over hashed keys', () => {
		const entries: [string[], string][] = [
			[['tend', 'outbox'], 'exact prefix'],
			[['tend', 'outbox', 'doc1', '1'], 'o-1-1'],
			[['tend', 'outbox', 'doc1', '2'], 'o-1-2'],
			[['tend', 'outbox', 'doc2', '1'], 'o-2-1'],
			[['tend', 'out', 'doc1'], 'string prefix, other component'],
			[['tend', 'cursor', 'doc1'], 'cursor'],
			[['doc1', 'snapshot', 'h'], 'automerge chunk']
		];

		async function filled() {
			const { adapter } = idbAdapter();
			await adapter.write(
				entries.map(([key, text]) => ({ key, data: utf8(text) })),
				[]
			);
			return adapter;
		}

		const expected = (predicate: (key: string[]) => boolean) =>
			sortChunks(
				entries.filter(([key]) => predicate(key)).map(([key, t]) => ({ key, data: utf8(t) }))
			);

		it('loads nested keys under each prefix, matching whole components only', async () => {
			const adapter = await filled();
			const startsWith = (prefix: string[]) => (key: string[]) =>
				prefix.every((part, i) => key[i] === part);

			for (const prefix of [
				[],
				['tend'],
				['tend', 'outbox'],
				['tend', 'outbox', 'doc1'],
				['tend', 'out'],
				['doc1'],
				['nothing']
			]) {
				expect(sortChunks(await adapter.loadRange(prefix)), prefix.join('/')).toStrictEqual(
					expected(startsWith(prefix))
				);
			}
		});

		it('removes a nested range and leaves neighbours and string-prefix siblings', async () => {
			const adapter = await filled();

			await adapter.removeRange(['tend', 'outbox']);

			expect(sortChunks(await adapter.loadRange([]))).toStrictEqual(
				expected((key) => !(key[0] === 'tend' && key[1] === 'outbox'))
			);
		});
	});

	describe('misuse', () => {
		it('refuses a storage key that is not 32 bytes', () => {
			const backend = new MemoryBackend();

			expect(
				() => new EncryptedStorageAdapter({ backend, storageKey: new Uint8Array(16) })
			).toThrow(/32 bytes/);
		});

		it('refuses a key component with a lone surrogate, which would hash like U+FFFD', async () => {
			const adapter = new EncryptedStorageAdapter({
				backend: new MemoryBackend(),
				storageKey: STORAGE_KEY
			});

			await expect(adapter.save(['a\ud800'], utf8('x'))).rejects.toThrow(/well-formed/);
		});

		it('stops working once closed, as the key copy is wiped', async () => {
			const adapter = new EncryptedStorageAdapter({
				backend: new MemoryBackend(),
				storageKey: STORAGE_KEY
			});

			adapter.close();

			await expect(adapter.load(['a'])).rejects.toThrow(/closed/);
		});
	});
});
