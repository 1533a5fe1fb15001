import '@automerge/automerge-repo';
import 'fake-indexeddb/auto';
// The package's reusable acceptance suite (TOOLCHAIN.md, automerge-repo contracts).
import {
	runStorageAdapterTests
} from '@automerge/automerge-repo/helpers/tests/storage-adapter-tests.js';
import { beforeAll, beforeEach } from 'vitest';
import { readyCrypto } from '../../../src/lib/crypto/sodium.js';
import { EncryptedStorageAdapter } from '../../../src/lib/storage/EncryptedStorageAdapter.js';
import { IndexedDBBackend } from '../../../src/lib/storage/IndexedDBBackend.js';
import { freshDbName } from './helpers/rawIndexedDb.js';

beforeAll(async () => {
	await readyCrypto();
});

// This case expects loadRange to return chunks in insertion order. IndexedDB returns records
// sorted by key, and our keys are keyed hashes, so the order is effectively random. The Repo
// does not depend on the order (TOOLCHAIN.md); the same case passes over MemoryBackend, which
// keeps insertion order (EncryptedStorageAdapter.acceptance.memory.test.ts), and the content of
// loadRange over IndexedDB is checked without order in EncryptedStorageAdapter.test.ts.
const ORDER_DEPENDENT = 'should return all the data that matches the key';

beforeEach((ctx) => {
	if (ctx.task.name === ORDER_DEPENDENT) ctx.skip();
});

runStorageAdapterTests(async () => {
	const name = freshDbName('acceptance');
	const backend = new IndexedDBBackend(name);
	const storageKey = crypto.getRandomValues(new Uint8Array(32));
	const adapter = new EncryptedStorageAdapter({ backend, storageKey });
	const teardown = () => {
		adapter.close();
		backend.close();
		indexedDB.deleteDatabase(name);
	};
	return { adapter, teardown };
}, 'EncryptedStorageAdapter over IndexedDBBackend');
