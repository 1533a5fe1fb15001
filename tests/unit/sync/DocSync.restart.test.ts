import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { deriveContentKey } from '../../../src/lib/crypto/documentKeys.js';
import { openEntry } from '../../../src/lib/crypto/entry.js';
import { readyCrypto } from '../../../src/lib/crypto/sodium.js';
import { toBase64Url, toHex } from '../../../src/lib/protocol/bytes.js';
import { entryId } from '../../../src/lib/protocol/entry.js';
import { appendMessage, type ConversationDoc } from '../../../src/lib/model/conversation.js';
import type { DocProblem } from '../../../src/lib/sync/DocSync.js';
import {
	persistentConversationWith,
	type PersistentDevice
} from '../../helpers/persistentDevices.js';
import { FakeLog, pushAll } from '../../helpers/syncFixtures.js';
import { headsOf, inboxOf, messageIds } from '../../helpers/syncInspect.js';

/**
 * DocSync over an encrypted store that survives a crash (SECURITY-RULES.md rules 9, 10, 13 and
 * 15): the inbox, the outbox, the cursor and the counters are on disk, and a restart is a new
 * Repo over the same disk followed by DocSync.load.
 */

const running: PersistentDevice[] = [];

beforeAll(async () => {
	await readyCrypto();
});

afterEach(async () => {
	while (running.length) await running.pop()!.stop();
});

async function conversation(members: number) {
	const c = await persistentConversationWith(members);
	running.push(c.owner.device, ...c.members.map((m) => m.device));
	const log = new FakeLog();
	await pushAll(c.owner.sync, log);
	return { ...c, log };
}

/**
 * A conversation in which the owner already wrote once, and every member holds that entry: the
 * owner's actor is claimed, so a later entry waits only for its Automerge dependencies.
 */
async function ownerClaimed(members: number) {
	const c = await conversation(members);
	await c.owner.sync.change(message('m0'));
	await pushAll(c.owner.sync, c.log);
	for (const member of c.members) await member.sync.receive(c.log.after(0));
	return c;
}

function message(id: string) {
	return (d: ConversationDoc) => appendMessage(d, { id, author: 'x', sentAt: 1, text: id });
}

describe('DocSync inbox (rule 13: the cursor never outruns what is safe on disk)', () => {
	it('parks an entry whose dependencies are missing, keeps it across a restart, and applies it when they arrive', async () => {
		const { owner, members, created, log } = await ownerClaimed(1);
		const member = members[0];
		await owner.sync.change(message('m1'));
		await owner.sync.commitLocal();
		await owner.sync.change(message('m2')); // depends on m1
		await owner.sync.commitLocal();
		const [e1, e2] = owner.sync.outbox;
		log.append(e2.entry); // seq 3: pipelined pushes landed out of order
		log.append(e1.entry); // seq 4

		// The member gets e2 only: e2 waits for e1, yet the cursor passes it.
		await member.sync.receive(log.after(member.sync.cursor).slice(0, 1));
		const parked = await inboxOf(member.device.ctx.store, created.doc);
		expect(member.sync.cursor).toBe(3);
		expect(parked).toHaveLength(1);
		expect(parked[0].key.slice(0, 3)).toEqual(['tend', 'inbox', toBase64Url(created.doc)]);
		expect(toHex(parked[0].data!)).toBe(toHex(e2.entry));
		expect(messageIds(member.sync)).toEqual(['m0']);

		// Crash. The log past the cursor no longer holds e2: only the inbox does.
		let sync = await member.device.crashAndRestart(created.doc);
		expect(sync.cursor).toBe(3);
		expect(log.after(sync.cursor).map((i) => toHex(i.b))).not.toContain(toHex(e2.entry));
		expect(await inboxOf(member.device.ctx.store, created.doc)).toHaveLength(1);
		expect(messageIds(sync)).toEqual(['m0']);

		// e1 arrives, and e2 (taken from the inbox at start-up) applies with it.
		await sync.receive(log.after(sync.cursor));
		expect(messageIds(sync)).toEqual(['m0', 'm1', 'm2']);
		await sync.retryInbox();
		expect(await inboxOf(member.device.ctx.store, created.doc)).toEqual([]);

		// And both are on disk.
		sync = await member.device.crashAndRestart(created.doc);
		expect(messageIds(sync)).toEqual(['m0', 'm1', 'm2']);
		expect(headsOf(sync)).toEqual(headsOf(owner.sync));
		expect(sync.unverifiedCount).toBe(0);
	});

	it('keeps the inbox entry when the restart happens before anything else arrives', async () => {
		const { owner, members, created, log } = await ownerClaimed(1);
		await owner.sync.change(message('m1'));
		await owner.sync.commitLocal();
		await owner.sync.change(message('m2'));
		await owner.sync.commitLocal();
		const [e1, e2] = owner.sync.outbox;
		log.append(e2.entry);
		log.append(e1.entry);
		await members[0].sync.receive(log.after(members[0].sync.cursor).slice(0, 1));

		// Restart twice: load retries the inbox each time and must not drop what still waits.
		await members[0].device.crashAndRestart(created.doc);
		const sync = await members[0].device.crashAndRestart(created.doc);

		expect(await inboxOf(members[0].device.ctx.store, created.doc)).toHaveLength(1);
		await sync.receive(log.after(sync.cursor));
		await sync.retryInbox();
		expect(messageIds(sync)).toEqual(['m0', 'm1', 'm2']);
	});

	it('retries the inbox at start-up: an entry whose dependencies arrived before a crash applies on load', async () => {
		const { owner, members, created, log } = await ownerClaimed(1);
		const member = members[0];
		await owner.sync.change(message('m1'));
		await owner.sync.commitLocal();
		await owner.sync.change(message('m2'));
		await owner.sync.commitLocal();
		const [e1, e2] = owner.sync.outbox;
		log.append(e1.entry);
		await member.sync.receive(log.after(member.sync.cursor));
		// The state a crash leaves when it strikes after e1 was applied but before the parked e2
		// was retried: e2 sits in the inbox (rule 13 names the key), its dependency is on disk.
		await member.device.ctx.store.write(
			[{ key: ['tend', 'inbox', toBase64Url(created.doc), toBase64Url(entryId(e2.entry))], data: e2.entry }],
			[]
		);
		expect(messageIds(member.sync)).toEqual(['m0', 'm1']);

		const sync = await member.device.crashAndRestart(created.doc);

		expect(messageIds(sync)).toEqual(['m0', 'm1', 'm2']);
		expect(await inboxOf(member.device.ctx.store, created.doc)).toEqual([]);
	});

	it('does not advance the cursor over a gap in sequence numbers', async () => {
		const { owner, members, log } = await ownerClaimed(1);
		for (const id of ['a', 'b', 'c']) {
			await owner.sync.change(message(id));
			await owner.sync.commitLocal();
		}
		await pushAll(owner.sync, log);
		const sync = members[0].sync;

		// seq 3, 4, 5 hold a, b, c; the member is at 2.
		await sync.receive([log.items[1], log.items[3], log.items[4]]);
		expect(sync.cursor).toBe(2);
		await sync.receive([log.items[4], log.items[2]]);
		expect(sync.cursor).toBe(5);
		await sync.retryInbox();
		expect(messageIds(sync)).toEqual(['m0', 'a', 'b', 'c']);
	});
});

describe('DocSync outbox across a crash (rules 9 and 10)', () => {
	it('reloads unacknowledged entries and retries the same bytes, which the log stores once', async () => {
		const { members, created, log } = await conversation(1);
		const member = members[0];
		await member.sync.receive(log.after(0));
		await member.sync.change(message('hello'));
		await member.sync.commitLocal();
		const [sent] = member.sync.outbox;
		const first = log.append(sent.entry); // the relay stored it, but the ack was lost

		const sync = await member.device.crashAndRestart(created.doc);
		expect(sync.outbox.map((i) => toHex(i.id))).toEqual([toHex(sent.id)]);
		const retry = log.append(sync.outbox[0].entry);
		await sync.acknowledge(sync.outbox[0].id);

		expect(retry).toEqual({ seq: first.seq, dup: true });
		expect(log.items).toHaveLength(2);
		const again = await member.device.crashAndRestart(created.doc);
		expect(again.outbox).toEqual([]);
	});

	it('continues its counters after a restart instead of reusing them', async () => {
		const { owner, members, created, log } = await conversation(1);
		const member = members[0];
		await member.sync.receive(log.after(0));
		await member.sync.change(message('one'));
		await pushAll(member.sync, log);

		const sync = await member.device.crashAndRestart(created.doc);
		await sync.change(message('two'));
		await pushAll(sync, log);
		const problems: DocProblem[] = [];
		owner.sync.on('problem', (p) => problems.push(p));
		await owner.sync.receive(log.after(owner.sync.cursor));

		const key = deriveContentKey(created.secret, created.doc, 0);
		const counters = log.items.slice(1).map((item) => {
			const opened = openEntry(item.b, created.doc, () => key);
			return opened.ok ? [toHex(opened.entry.author), opened.entry.counter] : undefined;
		});
		const author = toHex(member.device.author.device.publicKey);
		expect(counters).toEqual([[author, 1], [author, 2]]);
		expect(problems).toEqual([]);
		expect(messageIds(owner.sync)).toEqual(['one', 'two']);
	});

	it('never reports its own device as withholding when echoes of its entries arrive after a restart', async () => {
		const { members, created, log } = await conversation(1);
		const member = members[0];
		await member.sync.receive(log.after(0));
		// Three entries pushed; the echoes of the first two came back before the restart (skipped
		// as its own), the third's after it: its counter is 3, and 1 and 2 were never noted.
		for (const id of ['one', 'two', 'three']) {
			await member.sync.change(message(id));
			await pushAll(member.sync, log);
		}
		const echoes = log.after(member.sync.cursor);
		await member.sync.receive(echoes.slice(0, 2));

		const sync = await member.device.crashAndRestart(created.doc);
		const problems: DocProblem[] = [];
		sync.on('problem', (p) => problems.push(p));
		await sync.receive(log.after(sync.cursor));

		expect(sync.withheldFrom()).toEqual([]);
		expect(problems.filter((p) => p.kind === 'withheld')).toEqual([]);
		expect(messageIds(sync)).toEqual(['one', 'two', 'three']);
	});

	it('seals on load own changes that were flushed but not committed before the crash', async () => {
		const { owner, members, created, log } = await conversation(1);
		const member = members[0];
		await member.sync.receive(log.after(0));
		await member.sync.change(message('saved-not-sent'));
		await member.device.ctx.repo.flush([member.sync.localId]); // "saved on this device"

		const sync = await member.device.crashAndRestart(created.doc);
		expect(sync.outbox).toHaveLength(1);
		await pushAll(sync, log);
		await owner.sync.receive(log.after(owner.sync.cursor));

		expect(messageIds(owner.sync)).toEqual(['saved-not-sent']);
		expect(owner.sync.unverifiedCount).toBe(0);
	});
});
