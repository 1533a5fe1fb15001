import * as A from '@automerge/automerge';
import { beforeAll, describe, expect, it } from 'vitest';
import {
	deriveAccessKey,
	deriveContentKey,
	openPreviousSecret,
	sealPreviousSecret
} from '../../../src/lib/crypto/documentKeys.js';
import { openEntry } from '../../../src/lib/crypto/entry.js';
import { randomBytes } from '../../../src/lib/crypto/primitives.js';
import { readyCrypto } from '../../../src/lib/crypto/sodium.js';
import { appendMessage, readMessages, type ConversationDoc } from '../../../src/lib/model/conversation.js';
import { parseEntryHeader } from '../../../src/lib/protocol/entry.js';
import { isListed, verifyChain, verifyEpochRecord } from '../../../src/lib/protocol/records.js';
import { DocSync } from '../../../src/lib/sync/DocSync.js';
import { createRotationRecord } from '../../../src/lib/sync/documentRecords.js';
import { conversationWith, FakeLog, pushAll } from '../../helpers/syncFixtures.js';

/**
 * Key rotation at the document level (SECURITY-RULES.md, rules 2 and 9): a rotation record
 * brings a new secret, remaining devices adopt it from an envelope, older secrets come out of
 * the record, and entries written later are closed to the removed device.
 */

beforeAll(async () => {
	await readyCrypto();
});

function texts(sync: DocSync): string[] {
	return readMessages(sync.handle.doc() as A.Doc<ConversationDoc>).map((m) => m.text);
}

async function write(sync: DocSync, text: string) {
	await sync.change<ConversationDoc>((d) =>
		appendMessage(d, { id: crypto.randomUUID(), author: 'x', sentAt: 1, text })
	);
}

describe('sealed previous secret', () => {
	it('opens only with the new secret, for the same document and generation', () => {
		const secret = randomBytes(32);
		const previous = randomBytes(32);
		const doc = randomBytes(32);
		const sealed = sealPreviousSecret(secret, doc, 3, previous);

		expect(openPreviousSecret(secret, doc, 3, sealed)).toEqual(previous);
		expect(openPreviousSecret(randomBytes(32), doc, 3, sealed)).toBeUndefined();
		expect(openPreviousSecret(secret, randomBytes(32), 3, sealed)).toBeUndefined();
		expect(openPreviousSecret(secret, doc, 2, sealed)).toBeUndefined();
		const tampered = sealed.slice();
		tampered[tampered.length - 1] ^= 1;
		expect(openPreviousSecret(secret, doc, 3, tampered)).toBeUndefined();
	});
});

describe('createRotationRecord', () => {
	it('drops the removed device from both lists, names a new access key and verifies', async () => {
		const { owner, members } = await conversationWith(2);
		const removed = members[1].ctx.author.device.publicKey;
		const rotation = createRotationRecord(owner.ctx.author.device, owner.sync.head, owner.sync.secretOf(0)!, [
			removed
		]);
		const next = verifyEpochRecord(owner.sync.head, rotation.record);

		expect(next.ok).toBe(true);
		if (!next.ok) return;
		expect(next.value.gen).toBe(1);
		expect(isListed(next.value.writers, removed)).toBe(false);
		expect(isListed(next.value.writers, members[0].ctx.author.device.publicKey)).toBe(true);
		expect(next.value.accessPk).toEqual(deriveAccessKey(rotation.secret, 1).publicKey);
		expect(next.value.accessPk).not.toEqual(owner.sync.head.accessPk);
	});

	it('refuses to remove the signing administrator or the last administrator', async () => {
		const { owner } = await conversationWith(1);
		const me = owner.ctx.author.device;
		expect(() => createRotationRecord(me, owner.sync.head, owner.sync.secretOf(0)!, [me.publicKey])).toThrow();
	});
});

describe('DocSync across a rotation', () => {
	it('a remaining member adopts the new secret and reads on; the removed one opens nothing new', async () => {
		const { owner, members } = await conversationWith(2);
		const [stays, removed] = members;
		const log = new FakeLog();
		await write(owner.sync, 'before');
		await pushAll(owner.sync, log);
		for (const m of members) await m.sync.receive(log.after(m.sync.cursor));

		const rotation = createRotationRecord(owner.ctx.author.device, owner.sync.head, owner.sync.secretOf(0)!, [
			removed.ctx.author.device.publicKey
		]);
		await owner.sync.extendChain([rotation.record]);
		expect(await owner.sync.adoptSecret(1, rotation.secret)).toBe(true);
		await write(owner.sync, 'after');
		await pushAll(owner.sync, log);

		// The member has the record but not yet the secret: the new entry waits in its inbox.
		await stays.sync.extendChain([rotation.record]);
		await stays.sync.receive(log.after(stays.sync.cursor));
		expect(texts(stays.sync)).toEqual(['before']);
		// A wrong secret (a forged envelope) is refused; the right one opens the waiting entry.
		expect(await stays.sync.adoptSecret(1, randomBytes(32))).toBe(false);
		expect(await stays.sync.adoptSecret(1, rotation.secret)).toBe(true);
		expect(texts(stays.sync)).toEqual(['before', 'after']);

		// The removed device, even given the record, has no key for the new epoch.
		await removed.sync.extendChain([rotation.record]);
		await removed.sync.receive(log.after(removed.sync.cursor));
		expect(texts(removed.sync)).toEqual(['before']);
		const newest = log.items[log.items.length - 1].b;
		const oldKey = deriveContentKey(removed.sync.secretOf(0)!, removed.sync.doc, 0);
		expect(openEntry(newest, removed.sync.doc, () => oldKey).ok).toBe(false);
	});

	it('holds own changes unsealed while the newest secret is missing, then seals them under it', async () => {
		const { owner, members } = await conversationWith(2);
		const [stays, removed] = members;
		const log = new FakeLog();
		await pushAll(owner.sync, log);
		await stays.sync.receive(log.after(0));
		const rotation = createRotationRecord(owner.ctx.author.device, owner.sync.head, owner.sync.secretOf(0)!, [
			removed.ctx.author.device.publicKey
		]);
		await stays.sync.extendChain([rotation.record]);

		await write(stays.sync, 'written between record and envelope');
		expect(await stays.sync.commitLocal()).toBe(0);
		expect(stays.sync.outbox).toHaveLength(0);
		expect(stays.sync.pendingRanges().length).toBeGreaterThan(0);

		await stays.sync.adoptSecret(1, rotation.secret);
		expect(await stays.sync.commitLocal()).toBe(1);
		const header = parseEntryHeader(stays.sync.outbox[0].entry)!;
		expect(header.epoch).toBe(stays.sync.head.n);
	});

	it('re-seals an outbox entry of the old generation under the new one, with a new id (rule 9)', async () => {
		const { owner, members } = await conversationWith(2);
		const [offline, removed] = members;
		const initial = new FakeLog();
		await pushAll(owner.sync, initial);
		await offline.sync.receive(initial.after(0));
		await removed.sync.receive(initial.after(0));
		await write(offline.sync, 'sealed before the rotation');
		await offline.sync.commitLocal();
		const before = offline.sync.outbox[0];
		expect(parseEntryHeader(before.entry)!.epoch).toBe(2);

		const rotation = createRotationRecord(owner.ctx.author.device, owner.sync.head, owner.sync.secretOf(0)!, [
			removed.ctx.author.device.publicKey
		]);
		await offline.sync.extendChain([rotation.record]);
		await offline.sync.adoptSecret(1, rotation.secret);

		expect(offline.sync.outbox).toHaveLength(1);
		const after = offline.sync.outbox[0];
		expect(after.id).not.toEqual(before.id);
		expect(after.key).toEqual(before.key);
		expect(parseEntryHeader(after.entry)!.epoch).toBe(3);

		// The owner reads it; the removed device can't.
		const log = new FakeLog();
		await owner.sync.extendChain([rotation.record]);
		await owner.sync.adoptSecret(1, rotation.secret);
		log.append(after.entry);
		await owner.sync.receive(log.after(0));
		expect(texts(owner.sync)).toEqual(['sealed before the rotation']);
		await removed.sync.receive(log.after(0));
		expect(texts(removed.sync)).toEqual([]);

		// A restart keeps the re-sealed entry (it was written in the same step as the secret).
		const reloaded = await DocSync.load(offline.ctx, offline.sync.doc);
		expect(reloaded!.outbox.map((i) => i.id)).toEqual([after.id]);
	});

	it('a device given only the newest secret unseals every older one and reads history', async () => {
		const { owner, members } = await conversationWith(3);
		const log = new FakeLog();
		await write(owner.sync, 'generation 0');
		await pushAll(owner.sync, log);

		// Two rotations in a row, each removing one device.
		for (const leaving of [members[1], members[2]]) {
			const rotation = createRotationRecord(
				owner.ctx.author.device,
				owner.sync.head,
				owner.sync.secretOf(owner.sync.head.gen)!,
				[leaving.ctx.author.device.publicKey]
			);
			await owner.sync.extendChain([rotation.record]);
			await owner.sync.adoptSecret(owner.sync.head.gen, rotation.secret);
			await write(owner.sync, `generation ${owner.sync.head.gen}`);
			await pushAll(owner.sync, log);
		}

		const newcomer = await DocSync.create(members[0].ctx, {
			chain: owner.sync.chainRecords(),
			secrets: { 2: owner.sync.secretOf(2)! },
			initial: A.init(),
			myActors: [],
			registered: true
		});
		expect(newcomer.heldGenerations().sort()).toEqual([0, 1, 2]);
		await newcomer.receive(log.after(0));
		expect(texts(newcomer)).toEqual(['generation 0', 'generation 1', 'generation 2']);
	});
});

describe('two administrators rotating at once (compare-and-swap, rule 2)', () => {
	it('the loser’s record no longer extends the head; it adopts the winner’s secret and rotates again', async () => {
		const { owner, members } = await conversationWith(3);
		const [second, leavesA, leavesB] = members;
		// Promote the second device to administrator (a record that changes only the lists).
		const { encodeSignedRecord } = await import('../../../src/lib/protocol/records.js');
		const { Tag } = await import('../../../src/lib/crypto/primitives.js');
		const head = owner.sync.head;
		const promote = encodeSignedRecord(
			{
				t: 'epoch',
				v: 1,
				doc: head.doc,
				n: head.n + 1,
				prev: head.hash,
				gen: head.gen,
				accessPk: head.accessPk,
				admins: [...head.admins, second.ctx.author.device.publicKey],
				writers: head.writers
			},
			Tag.epoch,
			owner.ctx.author.device
		);
		await owner.sync.extendChain([promote]);
		await second.sync.extendChain([promote]);

		// The relay's head, reduced to its compare-and-swap.
		const relayChain = owner.sync.chainRecords();
		const casAppend = (record: Uint8Array) => {
			const chain = verifyChain(owner.sync.doc, relayChain);
			if (!chain.ok) throw new Error(chain.why);
			const next = verifyEpochRecord(chain.value[chain.value.length - 1], record);
			if (!next.ok) return false;
			relayChain.push(record);
			return true;
		};

		const r1 = createRotationRecord(owner.ctx.author.device, owner.sync.head, owner.sync.secretOf(0)!, [
			leavesA.ctx.author.device.publicKey
		]);
		const r2 = createRotationRecord(second.ctx.author.device, second.sync.head, second.sync.secretOf(0)!, [
			leavesB.ctx.author.device.publicKey
		]);
		expect(casAppend(r1.record)).toBe(true);
		expect(casAppend(r2.record)).toBe(false);
		await owner.sync.extendChain([r1.record]);
		await owner.sync.adoptSecret(1, r1.secret);

		// The loser learns the winner's record and secret (its envelope), merges and rotates again.
		await second.sync.extendChain([r1.record]);
		expect(await second.sync.adoptSecret(1, r1.secret)).toBe(true);
		expect(isListed(second.sync.head.writers, leavesB.ctx.author.device.publicKey)).toBe(true);
		const again = createRotationRecord(second.ctx.author.device, second.sync.head, second.sync.secretOf(1)!, [
			leavesB.ctx.author.device.publicKey
		]);
		expect(casAppend(again.record)).toBe(true);

		const chain = verifyChain(owner.sync.doc, relayChain);
		expect(chain.ok).toBe(true);
		if (!chain.ok) return;
		const final = chain.value[chain.value.length - 1];
		expect(final.gen).toBe(2);
		expect(isListed(final.writers, leavesA.ctx.author.device.publicKey)).toBe(false);
		expect(isListed(final.writers, leavesB.ctx.author.device.publicKey)).toBe(false);
		expect(isListed(final.admins, owner.ctx.author.device.publicKey)).toBe(true);
		expect(isListed(final.admins, second.ctx.author.device.publicKey)).toBe(true);

		// The winner, given the final secret, unseals the loser's view of generation 1 too.
		await owner.sync.extendChain([again.record]);
		expect(await owner.sync.adoptSecret(2, again.secret)).toBe(true);
		expect(owner.sync.head.hash).toEqual(final.hash);
	});
});
