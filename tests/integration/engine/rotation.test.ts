import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { deriveAccessKey, deriveContentKey } from '../../../src/lib/crypto/documentKeys.js';
import { openEntry, sealEntry } from '../../../src/lib/crypto/entry.js';
import { Tag } from '../../../src/lib/crypto/primitives.js';
import { readyCrypto } from '../../../src/lib/crypto/sodium.js';
import type { ConversationDoc } from '../../../src/lib/model/conversation.js';
import { signAccessProof } from '../../../src/lib/protocol/auth.js';
import { EntryKind, parseEntryHeader } from '../../../src/lib/protocol/entry.js';
import { RelayError } from '../../../src/lib/protocol/errors.js';
import { encodeSignedRecord } from '../../../src/lib/protocol/records.js';
import { createConversation } from '../../../src/lib/sync/createConversation.js';
import { DocSync } from '../../../src/lib/sync/DocSync.js';
import { appendText, inviteAndAdmit, texts } from '../../helpers/engineFlow.js';
import { nodeDevice, waitFor, type NodeDevice } from '../../helpers/nodeDevice.js';
import { RelayClient } from '../../helpers/relayClient.js';
import { RelayProcess } from '../../helpers/relayProcess.js';

/**
 * Removing a member through the real relay (SECURITY-RULES.md, rules 2, 3, 4, 7 and 9): the
 * administering device appends a rotation record, seals the new secret to the remaining
 * devices, and the relay cuts off the old access key.
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

async function send(device: NodeDevice, sync: DocSync, text: string) {
	await appendText(device, sync, text);
	await device.ctx.repo.flush([sync.localId]);
	device.engine.schedulePush(sync);
}

function startDevice(): NodeDevice {
	const device = nodeDevice(relay!.url);
	devices.push(device);
	device.engine.start();
	return device;
}

/** A therapist's conversation with `count` clients let in, each having read the title. */
async function groupOf(count: number) {
	relay = await RelayProcess.start();
	const therapist = startDevice();
	const conversation = await createConversation(therapist.ctx, {
		title: 'Thursday group',
		creatorName: 'Dr. Rivera'
	});
	therapist.engine.add(conversation);
	const members: { device: NodeDevice; sync: DocSync }[] = [];
	for (let i = 0; i < count; i++) {
		const device = startDevice();
		await waitFor(() => therapist.engine.status === 'online' && device.engine.status === 'online');
		const { joined } = await inviteAndAdmit(therapist, device, conversation, {
			inviter: 'Dr. Rivera',
			title: 'Thursday group',
			client: `Client ${i}`
		});
		await waitFor(() => (joined.handle.doc() as ConversationDoc).title === 'Thursday group');
		members.push({ device, sync: joined });
	}
	return { therapist, conversation, members };
}

async function rawClient(device?: NodeDevice): Promise<RelayClient> {
	const client = await RelayClient.connect(relay!.url);
	clients.push(client);
	if (device) await client.hello(device.ctx.author.device);
	return client;
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

describe('removing a member rotates the document key (rule 2)', () => {
	it('the removed device can neither read new entries nor write; the others carry on and keep history', async () => {
		const { therapist, conversation, members } = await groupOf(2);
		const [stays, leaves] = members;
		await send(therapist, conversation, 'before the removal');
		await waitFor(() => texts(stays.sync).length === 1 && texts(leaves.sync).length === 1);
		const oldSecret = leaves.sync.secretOf(0)!;
		const oldAccess = deriveAccessKey(oldSecret, 0);

		// An old-epoch proof the removed device could have made before: the same bytes, replayed
		// on a later connection, and a fresh one for the old key.
		const before = await rawClient(leaves.device);
		const oldEpoch = conversation.head.n;
		await before.openDoc(conversation.doc, oldAccess, oldEpoch);
		const recordedProof = signAccessProof(oldAccess, before.origin, before.challenge, conversation.doc, oldEpoch);

		const result = await therapist.engine.removeDevices(conversation, [
			leaves.device.ctx.author.device.publicKey
		]);
		expect(result).toEqual({ rotated: true, unsealed: [] });
		expect(conversation.head.gen).toBe(1);
		expect(conversation.head.writers.some((k) => k.every((b, i) => b === leaves.device.ctx.author.device.publicKey[i]))).toBe(false);

		// The remaining member picks the new secret up from its mailbox and reads on.
		await waitFor(() => stays.sync.head.gen === 1 && stays.sync.holdsHeadSecret, 15_000, 'new epoch');
		await send(therapist, conversation, 'after the removal');
		await waitFor(() => texts(stays.sync).includes('after the removal'), 15_000, 'member reads');
		await send(stays.device, stays.sync, 'member still writes');
		await waitFor(() => texts(conversation).includes('member still writes'), 15_000, 'therapist reads');

		// The removed device got nothing new, and its own engine holds no newer key.
		expect(texts(leaves.sync)).toEqual(['before the removal']);
		expect(leaves.sync.secretOf(1)).toBeUndefined();

		// At the relay: the connection that had the old key open was cut off.
		const subscribe = await refusal(before.request('sub', { doc: conversation.doc, after: 0 }));
		expect(subscribe).toBe('no-access');
		// A replayed old-epoch proof (bytes from an earlier connection) and a fresh proof for the
		// old key are both refused; so are reads and writes without a proof.
		const replay = await rawClient(leaves.device);
		const replayed = await refusal(
			replay.request('doc.open', {
				doc: conversation.doc,
				epoch: oldEpoch,
				accessPk: oldAccess.publicKey,
				sig: recordedProof
			})
		);
		expect(replayed).toBe('bad-signature');
		expect(await refusal(replay.openDoc(conversation.doc, oldAccess, oldEpoch))).toBe('no-access');
		expect(await refusal(replay.request('sub', { doc: conversation.doc, after: 0 }))).toBe('no-access');
		// It may read the chain (public keys and hashes), which is how it learns, from a record an
		// administrator signed, that it was removed; a device no epoch listed may not.
		const chainAnswer = await replay.request('doc.chain', { doc: conversation.doc, from: 0 });
		expect((chainAnswer.records as Uint8Array[]).length).toBe(conversation.head.n + 1);
		const stranger = await rawClient(startDevice());
		expect(await refusal(stranger.request('doc.chain', { doc: conversation.doc, from: 0 }))).toBe('no-access');
		await waitFor(() => leaves.sync.excludes(leaves.device.ctx.author.device.publicKey), 15_000, 'removal seen');
		expect(stays.sync.excludes(stays.device.ctx.author.device.publicKey)).toBe(false);
		expect(
			await refusal(replay.request('push', { doc: conversation.doc, entry: conversation.outbox[0]?.entry ?? new Uint8Array(100) }))
		).toBe('no-access');

		// Even with the new access key in hand (say a member leaked it), the removed device is
		// no longer a writer: the relay refuses its push.
		const newAccess = conversation.accessKey();
		const leaked = await rawClient(leaves.device);
		await leaked.openDoc(conversation.doc, newAccess, conversation.head.n);
		const forged = sealedByLeaver(leaves, oldSecret);
		expect(await refusal(leaked.request('push', { doc: conversation.doc, entry: forged }))).toBe('not-writer');

		// And what it could download with that leaked access key doesn't open with its secrets.
		await leaked.request('sub', { doc: conversation.doc, after: 0 });
		const all = await leaked.waitForEntries(conversation.doc, 3);
		const rotatedAt = conversation.epochs.findIndex((e) => e.gen === 1);
		const newer = all.filter((item) => parseEntryHeader(item.b)!.epoch >= rotatedAt);
		const older = all.filter((item) => parseEntryHeader(item.b)!.epoch < rotatedAt);
		expect(newer.length).toBeGreaterThan(0);
		const withOldSecret = (gen: number) => () => deriveContentKey(oldSecret, conversation.doc, gen);
		for (const item of newer) {
			expect(openEntry(item.b, conversation.doc, withOldSecret(0)).ok).toBe(false);
			expect(openEntry(item.b, conversation.doc, withOldSecret(1)).ok).toBe(false);
		}
		// Control: the same attempt opens the entries from before the rotation.
		expect(older.length).toBeGreaterThan(0);
		for (const item of older) expect(openEntry(item.b, conversation.doc, withOldSecret(0)).ok).toBe(true);

		// History from before the rotation stays readable to a device let in afterwards: the
		// rotation record carries the previous secret sealed under the new one.
		const newcomer = startDevice();
		await waitFor(() => newcomer.engine.status === 'online');
		const { joined } = await inviteAndAdmit(therapist, newcomer, conversation, {
			inviter: 'Dr. Rivera',
			title: 'Thursday group',
			client: 'Newcomer'
		});
		await waitFor(() => texts(joined).includes('member still writes'), 15_000, 'newcomer reads');
		expect(texts(joined)).toContain('before the removal');
		expect(joined.secretOf(0)).toEqual(oldSecret);
	});

	it('a member offline during the rotation picks the new epoch up on reconnect and re-seals its outbox', async () => {
		const { therapist, conversation, members } = await groupOf(2);
		const [offline, leaves] = members;

		// The member goes offline and writes: sealed under the old key, waiting in its outbox.
		offline.device.stop();
		await send(offline.device, offline.sync, 'written offline');
		await waitFor(() => offline.sync.outbox.length === 1);
		const staleEntry = offline.sync.outbox[0].entry;

		await therapist.engine.removeDevices(conversation, [leaves.device.ctx.author.device.publicKey]);
		await send(therapist, conversation, 'while you were away');

		// The relay refuses the stale entry outright (it would be readable by the removed device).
		const probe = await rawClient(offline.device);
		await probe.openDoc(conversation.doc, conversation.accessKey(), conversation.head.n);
		expect(await refusal(probe.request('push', { doc: conversation.doc, entry: staleEntry }))).toBe('bad-entry');

		// Back online with the same storage: the envelope waits in its mailbox.
		const back = offline.device.restart();
		devices.push(back);
		const reloaded = (await DocSync.load(back.ctx, conversation.doc))!;
		back.engine.add(reloaded);
		back.engine.start();
		await waitFor(() => reloaded.head.gen === 1 && reloaded.holdsHeadSecret, 15_000, 'new epoch after reconnect');
		await waitFor(() => texts(reloaded).includes('while you were away'), 15_000, 'reads after reconnect');
		await waitFor(() => texts(conversation).includes('written offline'), 15_000, 'outbox re-sealed and delivered');
		await waitFor(() => reloaded.outbox.length === 0);

		// The removed device never sees it: the delivered entry is under the new key.
		expect(texts(leaves.sync)).not.toContain('written offline');
	});

	it('two owners removing different members at once end in one chain that excludes both', async () => {
		relay = await RelayProcess.start();
		const owner1 = startDevice();
		const owner2 = startDevice();
		const conversation = await createConversation(owner1.ctx, { title: 'Team', creatorName: 'Owner One' });
		owner1.engine.add(conversation);
		await waitFor(() => owner1.engine.status === 'online' && owner2.engine.status === 'online');

		const { joined: second } = await inviteAndAdmit(owner1, owner2, conversation, {
			inviter: 'Owner One',
			title: 'Team',
			client: 'Owner Two'
		});
		// Make the second device an administrator too (an epoch record that changes only lists).
		const head = conversation.head;
		const promote = encodeSignedRecord(
			{
				t: 'epoch',
				v: 1,
				doc: head.doc,
				n: head.n + 1,
				prev: head.hash,
				gen: head.gen,
				accessPk: head.accessPk,
				admins: [...head.admins, owner2.ctx.author.device.publicKey],
				writers: head.writers
			},
			Tag.epoch,
			owner1.ctx.author.device
		);
		await owner1.engine.connection.request('epoch.append', { doc: conversation.doc, record: promote });
		await conversation.extendChain([promote]);
		await waitFor(() => second.head.n === conversation.head.n, 15_000, 'second owner sees promotion');

		const others: { device: NodeDevice; sync: DocSync }[] = [];
		for (const name of ['Stays', 'Leaves A', 'Leaves B']) {
			const device = startDevice();
			await waitFor(() => device.engine.status === 'online');
			const { joined, request } = await inviteAndAdmit(owner1, device, conversation, {
				inviter: 'Owner One',
				title: 'Team',
				client: name
			});
			await owner2.engine.rememberBoxKey(request.device, request.boxPk);
			others.push({ device, sync: joined });
		}
		await owner2.engine.rememberBoxKey(owner1.ctx.author.device.publicKey, owner1.box.publicKey);
		await owner1.engine.rememberBoxKey(owner2.ctx.author.device.publicKey, owner2.box.publicKey);
		await waitFor(() => second.head.n === conversation.head.n, 15_000, 'second owner has the writers');
		const [stays, leavesA, leavesB] = others;
		const keyA = leavesA.device.ctx.author.device.publicKey;
		const keyB = leavesB.device.ctx.author.device.publicKey;

		const [r1, r2] = await Promise.all([
			owner1.engine.removeDevices(conversation, [keyA]),
			owner2.engine.removeDevices(second, [keyB])
		]);
		expect(r1.rotated && r2.rotated).toBe(true);

		// One chain: both owners and the remaining member hold the same head and its secret.
		await waitFor(
			() =>
				second.head.n === conversation.head.n &&
				stays.sync.head.n === conversation.head.n &&
				stays.sync.holdsHeadSecret &&
				second.holdsHeadSecret,
			20_000,
			'one chain'
		);
		expect(conversation.head.gen).toBe(2);
		expect(second.head.hash).toEqual(conversation.head.hash);
		const listed = (k: Uint8Array) => conversation.head.writers.some((w) => w.every((b, i) => b === k[i]));
		expect(listed(keyA) || listed(keyB)).toBe(false);
		expect(listed(stays.device.ctx.author.device.publicKey)).toBe(true);

		await send(owner2, second, 'after both removals');
		await waitFor(() => texts(stays.sync).includes('after both removals'), 15_000);
		await waitFor(() => texts(conversation).includes('after both removals'), 15_000);
		expect(texts(leavesA.sync)).not.toContain('after both removals');
		expect(texts(leavesB.sync)).not.toContain('after both removals');
	});
});

/** An entry the removed device seals itself under the old key it still holds, to try pushing. */
function sealedByLeaver(leaves: { device: NodeDevice; sync: DocSync }, oldSecret: Uint8Array): Uint8Array {
	return sealEntry({
		contentKey: deriveContentKey(oldSecret, leaves.sync.doc, 0),
		kind: EntryKind.changes,
		doc: leaves.sync.doc,
		epoch: 0,
		author: leaves.device.ctx.author,
		counter: 1_000,
		payload: new Uint8Array(8)
	});
}
