import * as A from '@automerge/automerge';
import { Repo } from '@automerge/automerge-repo';
import { makeActorClaimMessage } from '../../src/lib/crypto/actorClaim.js';
import type { EntryAuthor } from '../../src/lib/crypto/entry.js';
import { generateSignKeyPair, randomBytes } from '../../src/lib/crypto/primitives.js';
import { toHex } from '../../src/lib/protocol/bytes.js';
import { initialConversation, type ConversationDoc } from '../../src/lib/model/conversation.js';
import { EncryptedStorageAdapter } from '../../src/lib/storage/EncryptedStorageAdapter.js';
import type { KvBackend, KvBatch, KvEntry } from '../../src/lib/storage/KvBackend.js';
import { MemoryBackend } from '../../src/lib/storage/MemoryBackend.js';
import { DocSync, type DocSyncContext } from '../../src/lib/sync/DocSync.js';
import { createAddWriterRecord, createGenesis } from '../../src/lib/sync/documentRecords.js';

/**
 * Devices whose Repo and sync state live in one encrypted store over a MemoryBackend (the
 * "disk"), so a test can crash a device and start it again from what was on disk.
 */

/**
 * A view of the disk for one run of the app. After `kill()` it drops every write and reads
 * nothing: a crashed process's timers (automerge-repo's throttled saves) can't reach the disk.
 */
export class CrashableBackend implements KvBackend {
	#inner: KvBackend;
	#dead = false;

	constructor(inner: KvBackend) {
		this.#inner = inner;
	}

	kill(): void {
		this.#dead = true;
	}

	async get(key: string): Promise<Uint8Array | undefined> {
		return this.#dead ? undefined : this.#inner.get(key);
	}

	async put(entries: KvEntry[]): Promise<void> {
		if (!this.#dead) await this.#inner.put(entries);
	}

	async delete(keys: string[]): Promise<void> {
		if (!this.#dead) await this.#inner.delete(keys);
	}

	async range(prefix: string): Promise<KvEntry[]> {
		return this.#dead ? [] : this.#inner.range(prefix);
	}

	async deleteRange(prefix: string): Promise<void> {
		if (!this.#dead) await this.#inner.deleteRange(prefix);
	}

	async write(batch: KvBatch): Promise<void> {
		if (!this.#dead) await this.#inner.write(batch);
	}

	close(): void {
		this.#dead = true;
	}
}

export type PersistentContext = DocSyncContext & { store: EncryptedStorageAdapter };

/** One device: its disk and keys survive restarts; its Repo and store are per run. */
export class PersistentDevice {
	readonly disk = new MemoryBackend();
	readonly storageKey = randomBytes(32);
	readonly author: EntryAuthor = { device: generateSignKeyPair(), incarnation: randomBytes(16) };
	ctx!: PersistentContext;
	#live!: CrashableBackend;
	restarts = 0;

	constructor() {
		this.#boot();
	}

	/** Starts a fresh run of the app over the same disk (the previous run must be dead). */
	#boot(): void {
		this.#live = new CrashableBackend(this.disk);
		const store = new EncryptedStorageAdapter({ backend: this.#live, storageKey: this.storageKey });
		this.ctx = { repo: new Repo({ storage: store, network: [] }), store, author: this.author };
	}

	/**
	 * Kills the running app without any clean-up (nothing unflushed reaches the disk), starts a
	 * new Repo over the same disk and loads the document's sync state with `DocSync.load`.
	 */
	async crashAndRestart(doc: Uint8Array): Promise<DocSync> {
		const old = this.ctx.repo;
		this.#live.kill();
		await old.shutdown().catch(() => undefined);
		this.#boot();
		this.restarts++;
		const sync = await DocSync.load(this.ctx, doc);
		if (!sync) throw new Error('DocSync.load found no state for the document');
		return sync;
	}

	/** Stops the running app for good (end of a test). */
	async stop(): Promise<void> {
		this.#live.kill();
		await this.ctx.repo.shutdown().catch(() => undefined);
	}
}

export interface Replica {
	device: PersistentDevice;
	sync: DocSync;
}

/**
 * Like `conversationWith` in syncFixtures.ts, but every device is a {@link PersistentDevice}:
 * the owner creates the conversation and admits `memberCount` devices as writers.
 */
export async function persistentConversationWith(memberCount: number, title = 'Check-ins') {
	return persistentDocWith<ConversationDoc>(memberCount, (ownerHex) =>
		initialConversation(title, ownerHex, 'Dr. Owner', 1)
	);
}

/**
 * The same for any document (a conversation, a board): `first` builds the owner's first
 * change, which creates every container.
 */
export async function persistentDocWith<T>(
	memberCount: number,
	first: (ownerHex: string) => (doc: T) => void
) {
	const owner = new PersistentDevice();
	const created = createGenesis(owner.author.device, 'conversation');
	let initial = A.init<T>();
	const actor = A.getActorId(initial);
	initial = A.change(
		initial,
		{ message: makeActorClaimMessage(owner.author.device, created.doc, actor) },
		first(toHex(owner.author.device.publicKey))
	);
	const ownerSync = await DocSync.create(owner.ctx, {
		chain: [created.genesis],
		secrets: { 0: created.secret },
		initial,
		myActors: [actor],
		registered: true
	});

	const memberDevices: PersistentDevice[] = [];
	for (let i = 0; i < memberCount; i++) {
		const device = new PersistentDevice();
		const record = createAddWriterRecord(owner.author.device, ownerSync.head, device.author.device.publicKey);
		await ownerSync.extendChain([record]);
		memberDevices.push(device);
	}
	const members: Replica[] = [];
	for (const device of memberDevices) {
		const sync = await DocSync.create(device.ctx, {
			chain: ownerSync.chainRecords(),
			secrets: { 0: created.secret },
			initial: A.init(),
			myActors: [],
			registered: true
		});
		members.push({ device, sync });
	}
	return { owner: { device: owner, sync: ownerSync } as Replica, members, created };
}
