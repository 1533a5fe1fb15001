import { Repo } from '@automerge/automerge-repo';
import WebSocket from 'ws';
import { generateBoxKeyPair, generateSignKeyPair, randomBytes } from '../../src/lib/crypto/primitives.js';
import { EncryptedStorageAdapter } from '../../src/lib/storage/EncryptedStorageAdapter.js';
import { MemoryBackend } from '../../src/lib/storage/MemoryBackend.js';
import type { DocSyncContext } from '../../src/lib/sync/DocSync.js';
import type { SocketLike } from '../../src/lib/sync/RelayConnection.js';
import { SyncEngine } from '../../src/lib/sync/SyncEngine.js';
import type { AuditRecorder } from '../../src/lib/audit/AuditRecorder.js';
import type { PresenceOptions } from '../../src/lib/sync/PresenceTracker.js';

/**
 * A Tend device in Node: the real SyncEngine, Repo and encrypting storage (over an in-memory
 * backend that outlives the device, so it can be "restarted"), talking to a real relay over `ws`.
 */
export interface NodeDevice {
	ctx: DocSyncContext;
	engine: SyncEngine;
	box: { publicKey: Uint8Array; privateKey: Uint8Array };
	backend: MemoryBackend;
	storageKey: Uint8Array;
	restart(): NodeDevice;
	stop(): void;
}

export function nodeDevice(
	relayUrl: string,
	previous?: Pick<NodeDevice, 'backend' | 'storageKey' | 'box'> & { ctx: Pick<DocSyncContext, 'author'> },
	options: { audit?: AuditRecorder; presence?: Partial<PresenceOptions> } = {}
): NodeDevice {
	const backend = previous?.backend ?? new MemoryBackend();
	const storageKey = previous?.storageKey ?? randomBytes(32);
	const store = new EncryptedStorageAdapter({ backend, storageKey });
	const repo = new Repo({ storage: store, network: [] });
	const author = previous?.ctx.author ?? {
		device: generateSignKeyPair(),
		incarnation: randomBytes(16)
	};
	const box = previous?.box ?? generateBoxKeyPair();
	const ctx: DocSyncContext = { repo, store, author };
	const engine = new SyncEngine({
		...ctx,
		box,
		relayUrl,
		socketFactory: (url) => new WebSocket(url) as unknown as SocketLike,
		audit: options.audit,
		presence: options.presence
	});
	const device: NodeDevice = {
		ctx,
		engine,
		box,
		backend,
		storageKey,
		restart() {
			engine.stop();
			return nodeDevice(relayUrl, device, { presence: options.presence });
		},
		stop() {
			engine.stop();
		}
	};
	return device;
}

/** Waits until `check` returns a truthy value (polling), or fails after `ms`. */
export async function waitFor<T>(check: () => T | Promise<T>, ms = 15_000, what = 'condition'): Promise<T> {
	const deadline = Date.now() + ms;
	for (;;) {
		const value = await check();
		if (value) return value;
		if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
		await new Promise((resolve) => setTimeout(resolve, 25));
	}
}
