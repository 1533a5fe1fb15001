import * as A from '@automerge/automerge';
import { beforeAll, describe, expect, it } from 'vitest';
import { deriveContentKey } from '../../../src/lib/crypto/documentKeys.js';
import { readyCrypto } from '../../../src/lib/crypto/sodium.js';
import { appendMessage, readMessages, type ConversationDoc } from '../../../src/lib/model/conversation.js';
import { forgeChange, newAuthor, sealChanges } from '../../helpers/forgeEntry.js';
import { RECEIVE_CHUNK } from '../../../src/lib/sync/DocSync.js';
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
		const log = new FakeLog();
		await pushAll(owner.sync, log);
		await members[0].sync.receive(log.after(0));
		expect(members[0].sync.unverifiedCount).toBe(0);

		// An outsider who learnt the secret (not in the writers list) seals a claimed message
		// with the right content key.
		const outsider = newAuthor();
		const actor = '0f'.repeat(16);
		const change = forgeChange(
			members[0].sync.handle.doc() as A.Doc<ConversationDoc>,
			actor,
			(d) => appendMessage(d, { id: 'intruder', author: 'x', sentAt: 3, text: 'Hello from outside' }),
			{ claimer: outsider.device, doc: created.doc }
		);
		const entry = sealChanges({
			contentKey: deriveContentKey(created.secret, created.doc, 0),
			doc: created.doc,
			epoch: owner.sync.head.n,
			author: outsider,
			counter: 1,
			changes: [change]
		});
		await members[0].sync.receive([{ seq: log.append(entry).seq, b: entry }]);

		expect(members[0].sync.unverifiedCount).toBe(1);
		expect(texts(members[0].sync)).toEqual([]);
	});

	it('applies a long catch-up in parts, letting the event loop run between them', async () => {
		const { owner, members } = await conversationWith(1);
		const log = new FakeLog();
		await pushAll(owner.sync, log);
		const total = RECEIVE_CHUNK * 3 + 5;
		for (let i = 0; i < total; i++) {
			await owner.sync.change<ConversationDoc>((d) =>
				appendMessage(d, { id: `m${i}`, author: 'x', sentAt: i, text: `Message ${i}` })
			);
			await pushAll(owner.sync, log);
		}
		const client = members[0].sync;
		const items = log.after(0);
		expect(items.length).toBe(total + 1);

		// What a screen would see while the catch-up runs: timers fire between the parts.
		const seen: number[] = [];
		let running = true;
		const sample = () => {
			seen.push(texts(client).length);
			if (running) setTimeout(sample, 0);
		};
		setTimeout(sample, 0);
		await client.receive(items);
		running = false;

		expect(texts(client)).toHaveLength(total);
		expect(client.cursor).toBe(total + 1);
		const partial = seen.filter((n) => n > 0 && n < total);
		expect(partial.length).toBeGreaterThan(0);
		expect(Math.min(...partial)).toBeLessThanOrEqual(RECEIVE_CHUNK);
	});
});
