import * as A from '@automerge/automerge';
import {
	Repo,
	type Chunk,
	type DocHandle,
	type PeerId,
	type StorageAdapterInterface,
	type StorageKey
} from '@automerge/automerge-repo';
import { WebSocketClientAdapter } from '@automerge/automerge-repo-network-websocket';
import { makeActorClaimMessage } from '../../src/lib/crypto/actorClaim.js';
import { deriveAccessKey } from '../../src/lib/crypto/documentKeys.js';
import { randomBytes, Tag } from '../../src/lib/crypto/primitives.js';
import { toHex } from '../../src/lib/protocol/bytes.js';
import { encodeSignedRecord, verifyGenesis } from '../../src/lib/protocol/records.js';
import {
	appendMessage,
	initialConversation,
	type ConversationDoc
} from '../../src/lib/model/conversation.js';
import { DocSync } from '../../src/lib/sync/DocSync.js';
import { nodeDevice, type NodeDevice } from '../helpers/nodeDevice.js';
import { fillerLike } from './corpus.js';
import type { Participant } from './messageLoad.js';
import { sleep, waitUntil } from './stats.js';

/**
 * Sets up the devices of the end-to-end message loads (messageLoad.ts): stock automerge-repo
 * clients, or Tend devices. Each returns the participants and a teardown.
 */

export interface Participants {
	participants: Participant[];
	close(): Promise<void>;
}

/**
 * `count` automerge-repo clients (WebSocketClientAdapter, storage in memory like the Tend
 * devices' own) sharing one document through the stock sync server. The first creates the
 * conversation; the others find it by URL once the server holds it. Texts are replaced by
 * filler of the same length: that server keeps documents in plaintext (see corpus.ts).
 */
export async function stockParticipants(url: string, count: number): Promise<Participants> {
	const repos = Array.from(
		{ length: count },
		(_, i) =>
			new Repo({
				network: [new WebSocketClientAdapter(url)],
				storage: new MemoryStorageAdapter(),
				peerId: `bench-${i}` as PeerId
			})
	);
	const first = repos[0].create<ConversationDoc>();
	first.change(initialConversation('Bench', 'stock-0', 'Dr. B', Date.now()));
	const handles: DocHandle<ConversationDoc>[] = [first];
	for (const repo of repos.slice(1)) handles.push(await findWithRetry(repo, first.url));
	await waitUntil(
		() => handles.every((h) => Array.isArray(h.doc()?.messages)),
		15_000,
		'every stock client holds the conversation'
	);

	const participants = handles.map((handle, i) => ({
		handle: handle as DocHandle<unknown>,
		async send(id: string, text: string) {
			handle.change((doc) =>
				appendMessage(doc, { id, author: `stock-${i}`, sentAt: Date.now(), text: fillerLike(text) })
			);
		}
	}));
	return {
		participants,
		async close() {
			await Promise.all(repos.map((repo) => repo.shutdown()));
		}
	};
}

/**
 * automerge-repo storage in memory: the stock clients persist what they sync, as the Tend
 * devices do into their (encrypting) in-memory storage, so both sides pay for saving.
 */
class MemoryStorageAdapter implements StorageAdapterInterface {
	readonly #data = new Map<string, { key: StorageKey; data: Uint8Array }>();

	async load(key: StorageKey) {
		return this.#data.get(key.join('/'))?.data;
	}

	async save(key: StorageKey, data: Uint8Array) {
		this.#data.set(key.join('/'), { key, data });
	}

	async remove(key: StorageKey) {
		this.#data.delete(key.join('/'));
	}

	async loadRange(prefix: StorageKey): Promise<Chunk[]> {
		return [...this.#data.values()].filter(({ key }) => startsWith(key, prefix));
	}

	async removeRange(prefix: StorageKey) {
		for (const [joined, { key }] of this.#data) {
			if (startsWith(key, prefix)) this.#data.delete(joined);
		}
	}
}

function startsWith(key: StorageKey, prefix: StorageKey): boolean {
	return prefix.every((part, i) => key[i] === part);
}

/** `repo.find` rejects while the server doesn't hold the document yet; try again for 15 s. */
async function findWithRetry<T>(repo: Repo, url: DocHandle<T>['url']): Promise<DocHandle<T>> {
	const deadline = performance.now() + 15_000;
	for (;;) {
		try {
			return await repo.find<T>(url);
		} catch (error) {
			if (performance.now() > deadline) throw error;
			await sleep(50);
		}
	}
}

/**
 * `count` Tend devices (the real SyncEngine, Repo and encrypting storage of
 * tests/helpers/nodeDevice.ts) writing one conversation through the Tend relay. The genesis lists
 * every device as a writer, as if each had been invited and admitted (admission is not what is
 * measured). Devices send as `ConversationController.send` does: change, flush, schedule a push.
 */
export async function tendParticipants(url: string, count: number): Promise<Participants> {
	const devices: NodeDevice[] = Array.from({ length: count }, () => nodeDevice(url));
	const secret = randomBytes(32);
	const creator = devices[0].ctx.author.device;
	const genesis = encodeSignedRecord(
		{
			t: 'genesis',
			v: 1,
			kind: 'conversation',
			salt: randomBytes(16),
			creator: creator.publicKey,
			admins: [creator.publicKey],
			writers: devices.map((d) => d.ctx.author.device.publicKey),
			accessPk: deriveAccessKey(secret, 0).publicKey
		},
		Tag.genesis,
		creator
	);
	const verified = verifyGenesis(genesis);
	if (!verified.ok) throw new Error(`bench genesis does not verify: ${verified.why}`);

	// The creator registers the document and writes its first change (with its actor claim).
	let initial = A.init<ConversationDoc>();
	const actor = A.getActorId(initial);
	initial = A.change(
		initial,
		{ message: makeActorClaimMessage(creator, verified.value.doc, actor) },
		initialConversation('Bench', toHex(creator.publicKey), 'Dr. B', Date.now())
	);
	const syncs = [
		await DocSync.create(devices[0].ctx, {
			chain: [genesis],
			secrets: { 0: secret },
			initial,
			myActors: [actor],
			registered: false
		})
	];
	devices[0].engine.add(syncs[0]);
	devices[0].engine.start();
	await waitUntil(
		() => syncs[0].registered && syncs[0].outbox.length === 0,
		15_000,
		'the creator registers the conversation'
	);

	for (const device of devices.slice(1)) {
		const sync = await DocSync.create(device.ctx, {
			chain: [genesis],
			secrets: { 0: secret },
			initial: A.init(),
			myActors: [],
			registered: true
		});
		device.engine.add(sync);
		device.engine.start();
		syncs.push(sync);
	}
	await waitUntil(
		() => syncs.every((s) => Array.isArray((s.handle.doc() as ConversationDoc).messages)),
		15_000,
		'every Tend device holds the conversation'
	);

	const participants = syncs.map((sync, i) => {
		const device = devices[i];
		const author = toHex(device.ctx.author.device.publicKey);
		return {
			handle: sync.handle,
			async send(id: string, text: string) {
				await sync.change<ConversationDoc>((doc) =>
					appendMessage(doc, { id, author, sentAt: Date.now(), text })
				);
				await device.ctx.repo.flush([sync.localId]);
				device.engine.schedulePush(sync);
			}
		};
	});
	return {
		participants,
		async close() {
			for (const device of devices) device.stop();
		}
	};
}
