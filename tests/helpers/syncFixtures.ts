import * as A from '@automerge/automerge';
import { Repo } from '@automerge/automerge-repo';
import { makeActorClaimMessage } from '../../src/lib/crypto/actorClaim.js';
import { generateSignKeyPair, randomBytes } from '../../src/lib/crypto/primitives.js';
import { entryId } from '../../src/lib/protocol/entry.js';
import { equalBytes, toHex } from '../../src/lib/protocol/bytes.js';
import type { Item } from '../../src/lib/protocol/frames.js';
import { initialConversation, type ConversationDoc } from '../../src/lib/model/conversation.js';
import { DocSync, type DocSyncContext } from '../../src/lib/sync/DocSync.js';
import { createAddWriterRecord, createGenesis } from '../../src/lib/sync/documentRecords.js';
import { MemorySealedStore } from './memoryStore.js';

/** A device with its own repo (no storage: flush is a no-op) and sealed store. */
export function makeDevice(store = new MemorySealedStore()): DocSyncContext & {
	store: MemorySealedStore;
} {
	return {
		repo: new Repo({ network: [] }),
		store,
		author: { device: generateSignKeyPair(), incarnation: randomBytes(16) }
	};
}

/** The relay's log, reduced to what sync needs: append with dedup by entry id. */
export class FakeLog {
	items: Item[] = [];
	ids: Uint8Array[] = [];

	append(entry: Uint8Array): { seq: number; dup: boolean } {
		const id = entryId(entry);
		const existing = this.ids.findIndex((known) => equalBytes(known, id));
		if (existing >= 0) return { seq: existing + 1, dup: true };
		this.ids.push(id);
		this.items.push({ seq: this.items.length + 1, b: entry });
		return { seq: this.items.length, dup: false };
	}

	after(cursor: number): Item[] {
		return this.items.slice(cursor);
	}
}

/** Pushes a device's whole outbox to the log and acknowledges it, as the engine does. */
export async function pushAll(sync: DocSync, log: FakeLog): Promise<void> {
	await sync.commitLocal();
	for (const item of [...sync.outbox]) {
		log.append(item.entry);
		await sync.acknowledge(item.id);
	}
}

/** A therapist's new conversation plus `members` other devices admitted as writers. */
export async function conversationWith(memberCount: number, title = 'Check-ins') {
	const owner = makeDevice();
	const created = createGenesis(owner.author.device, 'conversation');
	let initial = A.init<ConversationDoc>();
	const actor = A.getActorId(initial);
	initial = A.change(
		initial,
		{ message: makeActorClaimMessage(owner.author.device, created.doc, actor) },
		initialConversation(title, toHex(owner.author.device.publicKey), 'Dr. Owner', 1)
	);
	const ownerSync = await DocSync.create(owner, {
		chain: [created.genesis],
		secrets: { 0: created.secret },
		initial,
		myActors: [actor],
		registered: true
	});
	const members: { ctx: ReturnType<typeof makeDevice>; sync: DocSync }[] = [];
	for (let i = 0; i < memberCount; i++) {
		const ctx = makeDevice();
		const record = createAddWriterRecord(owner.author.device, ownerSync.head, ctx.author.device.publicKey);
		await ownerSync.extendChain([record]);
		members.push({ ctx, sync: undefined as unknown as DocSync });
	}
	for (const member of members) {
		member.sync = await DocSync.create(member.ctx, {
			chain: ownerSync.chainRecords(),
			secrets: { 0: created.secret },
			initial: A.init(),
			myActors: [],
			registered: true
		});
	}
	return { owner: { ctx: owner, sync: ownerSync }, members, created };
}
