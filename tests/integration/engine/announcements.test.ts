import * as A from '@automerge/automerge';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { deriveContentKey } from '../../../src/lib/crypto/documentKeys.js';
import { readyCrypto } from '../../../src/lib/crypto/sodium.js';
import { type ConversationDoc, type SiblingDoc } from '../../../src/lib/model/conversation.js';
import { markRead, setReaction } from '../../../src/lib/model/messageOps.js';
import { mayPost } from '../../../src/lib/model/posting.js';
import { readConversation, type ReadContext } from '../../../src/lib/model/readConversation.js';
import { toHex } from '../../../src/lib/protocol/bytes.js';
import { RelayError } from '../../../src/lib/protocol/errors.js';
import { isListed } from '../../../src/lib/protocol/records.js';
import { createAnnouncements } from '../../../src/lib/sync/createConversation.js';
import { DocSync } from '../../../src/lib/sync/DocSync.js';
import { appendText, inviteAndAdmit, texts } from '../../helpers/engineFlow.js';
import { forgeChange, newAuthor, sealChanges } from '../../helpers/forgeEntry.js';
import { nodeDevice, waitFor, type NodeDevice } from '../../helpers/nodeDevice.js';
import { RelayClient } from '../../helpers/relayClient.js';
import { RelayProcess } from '../../helpers/relayProcess.js';
import { encodings, filesUnder, findInFiles } from '../../helpers/scanFiles.js';

/**
 * Announcements through the real relay (SECURITY-RULES.md, rule 7): a member who may not post is
 * let in as a reader of the announcements document, so the relay refuses their writes and every
 * device drops their entries; what readers must still write (reactions, read markers) goes in the
 * sibling document, where every member is a writer.
 */

let relay: RelayProcess | undefined;
const devices: NodeDevice[] = [];
const clients: RelayClient[] = [];

beforeAll(async () => {
	await readyCrypto();
});

afterEach(async () => {
	for (const client of clients.splice(0)) client.terminate();
	for (const device of devices.splice(0)) device.stop();
	await relay?.dispose();
	relay = undefined;
});

function startDevice(): NodeDevice {
	const device = nodeDevice(relay!.url);
	devices.push(device);
	device.engine.start();
	return device;
}

async function write<T>(device: NodeDevice, sync: DocSync, fn: (doc: T) => void) {
	await sync.change<T>(fn);
	await device.ctx.repo.flush([sync.localId]);
	device.engine.schedulePush(sync);
}

function hex(device: NodeDevice): string {
	return toHex(device.ctx.author.device.publicKey);
}

/** How `device` reads the announcements, merged with the sibling (as the conversation screen does). */
function readAs(device: NodeDevice, conversation: DocSync, sibling: DocSync) {
	const deviceOf = (sync: DocSync) => (actor: string) => {
		const key = sync.deviceOfActor(actor);
		return key ? toHex(key) : undefined;
	};
	const ctx: ReadContext = {
		me: hex(device),
		deviceOf: deviceOf(conversation),
		isAdmin: (d) => conversation.head.admins.some((k) => toHex(k) === d),
		sibling: { doc: sibling.handle.doc() as A.Doc<SiblingDoc>, deviceOf: deviceOf(sibling) }
	};
	return readConversation(conversation.handle.doc() as A.Doc<ConversationDoc>, ctx);
}

async function refusal(promise: Promise<unknown>): Promise<string> {
	try {
		await promise;
	} catch (error) {
		if (error instanceof RelayError) return error.code;
		throw error;
	}
	return 'ok';
}

/** An owner's announcements with a reader (may not post) and a colleague marked "can post". */
async function announcementsWithReader() {
	relay = await RelayProcess.start();
	const owner = startDevice();
	const { conversation, sibling } = await createAnnouncements(owner.ctx, {
		title: 'Practice news',
		creatorName: 'Dr. Rivera'
	});
	owner.engine.add(sibling);
	owner.engine.add(conversation);
	const reader = startDevice();
	const poster = startDevice();
	await waitFor(() => [owner, reader, poster].every((d) => d.engine.status === 'online'));

	const as = (canPost: boolean) =>
		mayPost({ kind: 'announcements', admin: false, canPost }) ? 'writer' : 'reader';
	const names = { inviter: 'Dr. Rivera', title: 'Practice news' };
	const asReader = await inviteAndAdmit(owner, reader, conversation, { ...names, client: 'Samira Okafor' }, { as: as(false), sibling });
	const asPoster = await inviteAndAdmit(owner, poster, conversation, { ...names, client: 'Dr. Lee' }, { as: as(true), sibling });
	for (const joined of [asReader, asPoster]) {
		await waitFor(() => (joined.joined.handle.doc() as ConversationDoc).title === 'Practice news');
	}
	return {
		owner,
		reader,
		poster,
		conversation,
		sibling,
		readerSync: asReader.joined,
		readerSibling: asReader.joinedSibling!,
		posterSync: asPoster.joined,
		posterSibling: asPoster.joinedSibling!
	};
}

describe('announcements: readers may not post (rule 7)', () => {
	it('lists the reader as a reader and every member as a writer of the sibling', async () => {
		const a = await announcementsWithReader();
		const head = a.conversation.head;
		expect(isListed(head.readers, a.reader.ctx.author.device.publicKey)).toBe(true);
		expect(isListed(head.writers, a.reader.ctx.author.device.publicKey)).toBe(false);
		expect(isListed(head.writers, a.poster.ctx.author.device.publicKey)).toBe(true);
		for (const device of [a.owner, a.reader, a.poster]) {
			expect(isListed(a.sibling.head.writers, device.ctx.author.device.publicKey)).toBe(true);
		}
		// The reader's own copy of the chain agrees, and doesn't take the reader for removed.
		expect(a.readerSync.excludes(a.reader.ctx.author.device.publicKey)).toBe(false);
		expect((a.conversation.handle.doc() as ConversationDoc).sibling).toBe(a.sibling.docKey);
		expect((a.readerSync.handle.doc() as ConversationDoc).sibling).toBe(a.readerSibling.docKey);
	});

	it('refuses an entry a reader forged at the relay, and every other device drops it whole', async () => {
		const a = await announcementsWithReader();
		await appendText(a.owner, a.conversation, 'The office is closed on Friday');
		await a.owner.ctx.repo.flush([a.conversation.localId]);
		a.owner.engine.schedulePush(a.conversation);
		await waitFor(() => texts(a.readerSync).length === 1 && texts(a.posterSync).length === 1, 15_000, 'announcement arrives');

		// The reader holds the secret, so it can seal a well-formed, correctly signed entry.
		const readerAuthor = newAuthor(a.reader.ctx.author.device);
		const change = forgeChange(
			a.readerSync.handle.doc() as A.Doc<ConversationDoc>,
			'ee'.repeat(16),
			(d) => {
				d.messages.push({
					id: new A.ImmutableString('forged'),
					author: new A.ImmutableString(hex(a.reader)),
					sentAt: 1,
					text: new A.ImmutableString('Forged announcement from a reader'),
					edits: [],
					deletions: []
				});
			},
			{ claimer: a.reader.ctx.author.device, doc: a.conversation.doc }
		);
		const entry = sealChanges({
			contentKey: deriveContentKey(a.readerSync.secretOf(0)!, a.conversation.doc, 0),
			doc: a.conversation.doc,
			epoch: a.readerSync.head.n,
			author: readerAuthor,
			counter: 1,
			changes: [change]
		});

		// At the relay: the reader proves the access key (it may read) but is no writer.
		const raw = await RelayClient.connect(relay!.url);
		clients.push(raw);
		await raw.hello(a.reader.ctx.author.device);
		await raw.openDoc(a.conversation.doc, a.readerSync.accessKey(), a.readerSync.head.n);
		expect(await refusal(raw.request('push', { doc: a.conversation.doc, entry }))).toBe('not-writer');

		// Control: the same kind of entry from the colleague who may post is accepted.
		const posterRaw = await RelayClient.connect(relay!.url);
		clients.push(posterRaw);
		await posterRaw.hello(a.poster.ctx.author.device);
		await posterRaw.openDoc(a.conversation.doc, a.posterSync.accessKey(), a.posterSync.head.n);
		const posterEntry = sealChanges({
			contentKey: deriveContentKey(a.posterSync.secretOf(0)!, a.conversation.doc, 0),
			doc: a.conversation.doc,
			epoch: a.posterSync.head.n,
			author: newAuthor(a.poster.ctx.author.device),
			counter: 1,
			changes: [
				forgeChange(
					a.posterSync.handle.doc() as A.Doc<ConversationDoc>,
					'ff'.repeat(16),
					(d) => {
						d.messages.push({
							id: new A.ImmutableString('from-poster'),
							author: new A.ImmutableString(hex(a.poster)),
							sentAt: 2,
							text: new A.ImmutableString('Staff meeting moved to 3'),
							edits: [],
							deletions: []
						});
					},
					{ claimer: a.poster.ctx.author.device, doc: a.conversation.doc }
				)
			]
		});
		expect(await refusal(posterRaw.request('push', { doc: a.conversation.doc, entry: posterEntry }))).toBe('ok');
		await waitFor(() => texts(a.conversation).includes('Staff meeting moved to 3'), 15_000, 'poster entry applied');

		// Delivered another way (a relay that lets it through): every other device drops it whole.
		for (const sync of [a.conversation, a.posterSync]) {
			const before = sync.unverifiedCount;
			await sync.receive([{ seq: 1_000_000, b: entry }]);
			expect(sync.unverifiedCount).toBe(before + 1);
			expect(texts(sync)).not.toContain('Forged announcement from a reader');
			expect(sync.deviceOfActor('ee'.repeat(16))).toBeUndefined();
		}
	});

	it("carries the reader's reactions and read marker through the sibling, merged on every device", async () => {
		const a = await announcementsWithReader();
		await appendText(a.owner, a.conversation, 'Welcome to the practice news');
		await a.owner.ctx.repo.flush([a.conversation.localId]);
		a.owner.engine.schedulePush(a.conversation);
		await waitFor(() => texts(a.readerSync).length === 1, 15_000, 'announcement arrives');
		const messageId = readAs(a.reader, a.readerSync, a.readerSibling).messages[0].id;
		const me = hex(a.reader);

		await write<SiblingDoc>(a.reader, a.readerSibling, (d) => {
			setReaction(d, messageId, '🌻', true);
			markRead(d, me, me, messageId, Date.now());
		});

		for (const [device, conversation, sibling] of [
			[a.owner, a.conversation, a.sibling],
			[a.poster, a.posterSync, a.posterSibling]
		] as const) {
			await waitFor(() => readAs(device, conversation, sibling).messages[0].reactions.length === 1, 15_000, 'reaction arrives');
			const record = readAs(device, conversation, sibling);
			expect(record.messages[0].reactions).toEqual([{ emoji: '🌻', devices: [me] }]);
			expect(record.messages[0].readBy).toContain(me);
			expect(record.ignoredOps).toBe(0);
		}
		await waitFor(() => a.readerSibling.outbox.length === 0, 15_000, 'sibling outbox drained');

		// The relay's files hold neither the announcement nor the reaction, nor whose marker is
		// whose. Positive control: an invite's `info` is stored as sent, so a marker sent there in
		// clear must be found by the same scan.
		const marker = `clear-control-${Date.now()}`;
		await a.owner.engine.connection.request('invite.create', {
			invite: crypto.getRandomValues(new Uint8Array(16)),
			authPk: crypto.getRandomValues(new Uint8Array(32)),
			info: new TextEncoder().encode(marker),
			expires: Date.now() + 60_000
		});
		const secrets = ['Welcome to the practice news', '🌻', messageId, `${me}:${me}`, 'Practice news', 'Samira Okafor'];
		const hits = findInFiles(filesUnder(relay!.dataDir), [marker, ...secrets]);
		expect(hits.has(marker)).toBe(true);
		hits.delete(marker);
		expect(Object.fromEntries(hits)).toEqual({});

		// Nor does the reader's device storage (sealed values; hashed keys).
		const stored = await a.reader.backend.range('');
		const blobs = stored.flatMap(({ key, value }) => [Buffer.from(key, 'utf8'), Buffer.from(value)]);
		const inStore = (text: string) => blobs.some((b) => encodings(text).some((form) => b.includes(form)));
		expect(stored.length).toBeGreaterThan(0);
		for (const secret of secrets) expect(inStore(secret)).toBe(false);
		// Control: the same scan finds bytes the store does hold.
		expect(inStore(Buffer.from(stored[0].value.subarray(0, 24)).toString('latin1'))).toBe(true);
	});

	it('keeps readers through a rotation: the removed member is gone, the reader gets the new key', async () => {
		const a = await announcementsWithReader();
		const rotated = await a.owner.engine.removeDevices(a.conversation, [a.poster.ctx.author.device.publicKey]);
		expect(rotated.rotated).toBe(true);
		expect(rotated.unsealed).toEqual([]);
		expect(isListed(a.conversation.head.readers, a.reader.ctx.author.device.publicKey)).toBe(true);
		await waitFor(() => a.readerSync.holdsHeadSecret && a.readerSync.head.gen === 1, 15_000, 'reader has the new key');
		await waitFor(() => a.posterSync.excludes(a.poster.ctx.author.device.publicKey), 15_000, 'removal seen');

		await appendText(a.owner, a.conversation, 'After the rotation');
		await a.owner.ctx.repo.flush([a.conversation.localId]);
		a.owner.engine.schedulePush(a.conversation);
		await waitFor(() => texts(a.readerSync).includes('After the rotation'), 15_000, 'reader reads on');
	});
	it('"may post" changed after admission: the reader posts once allowed; once stopped, their new entries are refused', async () => {
		const a = await announcementsWithReader();
		const readerKey = a.reader.ctx.author.device.publicKey;
		const genBefore = a.conversation.head.gen;

		// Allowed: an epoch record with the reader among the writers, no new key.
		expect(await a.owner.engine.setPosting(a.conversation, [readerKey], true)).toBe(true);
		expect(a.conversation.head.gen).toBe(genBefore);
		await waitFor(() => isListed(a.readerSync.head.writers, readerKey), 15_000, 'the reader sees it may post');
		await appendText(a.reader, a.readerSync, 'Posted by the reader once allowed');
		await a.reader.ctx.repo.flush([a.readerSync.localId]);
		a.reader.engine.schedulePush(a.readerSync);
		await waitFor(() => texts(a.conversation).includes('Posted by the reader once allowed'), 15_000, 'owner gets it');
		await waitFor(() => texts(a.posterSync).includes('Posted by the reader once allowed'), 15_000, 'colleague gets it');

		// Stopped: listed as a reader again, still with the same key; the relay refuses what it
		// writes from then on, and every other device would drop it whole.
		expect(await a.owner.engine.setPosting(a.conversation, [readerKey], false)).toBe(true);
		expect(isListed(a.conversation.head.readers, readerKey)).toBe(true);
		expect(a.conversation.head.gen).toBe(genBefore);
		await waitFor(() => !isListed(a.readerSync.head.writers, readerKey), 15_000, 'the reader sees it may not');
		a.reader.stop();
		await appendText(a.reader, a.readerSync, 'Posted after being stopped');
		await a.readerSync.commitLocal();
		const late = a.readerSync.outbox[a.readerSync.outbox.length - 1].entry;
		const raw = await RelayClient.connect(relay!.url);
		clients.push(raw);
		await raw.hello(a.reader.ctx.author.device);
		await raw.openDoc(a.conversation.doc, a.readerSync.accessKey(), a.readerSync.head.n);
		expect(await refusal(raw.request('push', { doc: a.conversation.doc, entry: late }))).toBe('not-writer');
		const before = a.posterSync.unverifiedCount;
		await a.posterSync.receive([{ seq: 1_000_000, b: late }]);
		expect(a.posterSync.unverifiedCount).toBe(before + 1);
		expect(texts(a.posterSync)).not.toContain('Posted after being stopped');

		// They still read (the key didn't change).
		await appendText(a.owner, a.conversation, 'Still for everyone');
		await a.owner.ctx.repo.flush([a.conversation.localId]);
		a.owner.engine.schedulePush(a.conversation);
		const restarted = a.reader.restart();
		devices.push(restarted);
		const readerAgain = (await DocSync.load(restarted.ctx, a.conversation.doc))!;
		restarted.engine.add(readerAgain);
		restarted.engine.start();
		await waitFor(() => texts(readerAgain).includes('Still for everyone'), 15_000, 'the reader reads on');
	});
});
