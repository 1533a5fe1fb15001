import * as A from '@automerge/automerge';
import { beforeAll, describe, expect, it } from 'vitest';
import { makeActorClaimMessage } from '../../../src/lib/crypto/actorClaim.js';
import { generateSignKeyPair } from '../../../src/lib/crypto/primitives.js';
import { readyCrypto } from '../../../src/lib/crypto/sodium.js';
import { appendMessage, readMessages, type ConversationDoc } from '../../../src/lib/model/conversation.js';
import { conversationWith, FakeLog, pushAll } from '../../helpers/syncFixtures.js';

beforeAll(async () => {
	await readyCrypto();
});

/** A change made in another tab: a fresh actor whose first change carries a claim by `signer`. */
function otherTabChange(
	base: A.Doc<ConversationDoc>,
	doc: Uint8Array,
	signer: ReturnType<typeof generateSignKeyPair>,
	text: string
): Uint8Array {
	const tab = A.clone(base);
	const actor = A.getActorId(tab);
	const changed = A.change(tab, { message: makeActorClaimMessage(signer, doc, actor) }, (d) =>
		appendMessage(d, { id: text, author: 'x', sentAt: 1, text })
	);
	const change = A.getLastLocalChange(changed);
	if (!change) throw new Error('no change');
	return change;
}

describe('DocSync in the leader tab (rule 11)', () => {
	it('pushes a change another tab of this device wrote, claimed by this device', async () => {
		const { owner, members } = await conversationWith(1);
		const log = new FakeLog();
		await pushAll(owner.sync, log);
		const base = owner.sync.handle.doc() as A.Doc<ConversationDoc>;
		const change = otherTabChange(base, owner.sync.doc, owner.ctx.author.device, 'from tab two');

		owner.sync.handle.update((d) => A.applyChanges(d as A.Doc<unknown>, [change])[0]);
		expect(await owner.sync.commitLocal()).toBe(1);
		await pushAll(owner.sync, log);
		await members[0].sync.receive(log.after(0));

		const texts = readMessages(members[0].sync.handle.doc() as A.Doc<ConversationDoc>).map((m) => m.text);
		expect(texts).toEqual(['from tab two']);
		expect(members[0].sync.unverifiedCount).toBe(0);
	});

	it('does not push a change whose actor another device claimed', async () => {
		const { owner } = await conversationWith(1);
		const log = new FakeLog();
		await pushAll(owner.sync, log);
		const base = owner.sync.handle.doc() as A.Doc<ConversationDoc>;
		const stranger = generateSignKeyPair();
		const change = otherTabChange(base, owner.sync.doc, stranger, 'not mine');

		owner.sync.handle.update((d) => A.applyChanges(d as A.Doc<unknown>, [change])[0]);

		expect(await owner.sync.commitLocal()).toBe(0);
		expect(owner.sync.outbox).toHaveLength(0);
	});
});
