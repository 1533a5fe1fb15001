import '@automerge/automerge-repo';
// The package's reusable acceptance suite (TOOLCHAIN.md, automerge-repo contracts).
import {
	runStorageAdapterTests
} from '@automerge/automerge-repo/helpers/tests/storage-adapter-tests.js';
import { beforeAll } from 'vitest';
import { readyCrypto } from '../../../src/lib/crypto/sodium.js';
import { EncryptedStorageAdapter } from '../../../src/lib/storage/EncryptedStorageAdapter.js';
import { MemoryBackend } from '../../../src/lib/storage/MemoryBackend.js';

beforeAll(async () => {
	await readyCrypto();
});

// MemoryBackend keeps insertion order, so all 11 cases run, including the order-dependent one
// that the IndexedDB run skips.
runStorageAdapterTests(async () => {
	const backend = new MemoryBackend();
	const storageKey = crypto.getRandomValues(new Uint8Array(32));
	const adapter = new EncryptedStorageAdapter({ backend, storageKey });
	const teardown = () => {
		adapter.close();
		backend.close();
	};
	return { adapter, teardown };
}, 'EncryptedStorageAdapter over MemoryBackend');
