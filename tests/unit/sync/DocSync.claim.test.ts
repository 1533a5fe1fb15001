import * as A from '@automerge/automerge';
import { beforeAll, describe, expect, it } from 'vitest';
import { readyCrypto } from '../../../src/lib/crypto/sodium.js';
import { appendMessage, readMessages, type ConversationDoc } from '../../../src/lib/model/conversation.js';
import { conversationWith, FakeLog, pushAll } from '../../helpers/syncFixtures.js';

beforeAll(async () => {
	await readyCrypto();
});

describe('DocSync actor claims (rule 12)', () => {
	it('puts the claim on the first change that exists when an earlier change wrote nothing', async () => {
		const { owner, members } = await conversationWith(1);
		const client = members[0];
		const log = new FakeLog();
		await pushAll(owner.sync, log);
		await client.sync.receive(log.after(0));

		// A change function that decides there is nothing to do (e.g. a card title set to what
		// it already is) makes no Automerge change, so it can't carry the claim.
		await client.sync.change<ConversationDoc>(() => {});
		await client.sync.change<ConversationDoc>((d) =>
			appendMessage(d, { id: 'm1', author: 'x', sentAt: 2, text: 'after a no-op' })
		);
		await pushAll(client.sync, log);
		await owner.sync.receive(log.after(owner.sync.cursor));

		expect(owner.sync.unverifiedCount).toBe(0);
		const messages = readMessages(owner.sync.handle.doc() as A.Doc<ConversationDoc>);
		expect(messages.map((m) => m.text)).toEqual(['after a no-op']);
	});
});
