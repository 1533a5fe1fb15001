import * as A from '@automerge/automerge';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { readyCrypto } from '../../../src/lib/crypto/sodium.js';
import { appendMessage, readMessages, type ConversationDoc } from '../../../src/lib/model/conversation.js';
import { toHex } from '../../../src/lib/protocol/bytes.js';
import { deriveInviteKeys, openInviteInfo } from '../../../src/lib/protocol/invite.js';
import { createConversation } from '../../../src/lib/sync/createConversation.js';
import type { DocSync } from '../../../src/lib/sync/DocSync.js';
import { SNAPSHOT_EVERY } from '../../../src/lib/sync/snapshot.js';
import type { PendingJoin } from '../../../src/lib/sync/SyncEngine.js';
import { nodeDevice, waitFor, type NodeDevice } from '../../helpers/nodeDevice.js';
import { RelayProcess } from '../../helpers/relayProcess.js';

/**
 * Snapshots through the real relay and engines (SECURITY-RULES.md rule 14): the therapist's
 * device (an admin) uploads a snapshot after SNAPSHOT_EVERY log entries; a client admitted
 * later loads it, reads only the tail of the log, and ends with the same document.
 */

let relay: RelayProcess | undefined;
const devices: NodeDevice[] = [];

beforeAll(async () => {
	await readyCrypto();
});

afterEach(async () => {
	for (const device of devices.splice(0)) device.stop();
	await relay?.dispose();
	relay = undefined;
});

function texts(sync: DocSync): string[] {
	return readMessages(sync.handle.doc() as A.Doc<ConversationDoc>).map((m) => m.text);
}

function heads(sync: DocSync): string[] {
	return [...A.getHeads(sync.handle.doc() as A.Doc<unknown>)].sort();
}

async function send(device: NodeDevice, sync: DocSync, text: string) {
	await sync.change<ConversationDoc>((doc) =>
		appendMessage(doc, {
			id: crypto.randomUUID(),
			author: toHex(device.ctx.author.device.publicKey),
			sentAt: Date.now(),
			text
		})
	);
	// One entry per message, as when someone types them one by one.
	await sync.commitLocal();
}

describe('snapshots through the real relay', () => {
	it('a device admitted after 600 messages loads the snapshot and the tail, and converges', async () => {
		relay = await RelayProcess.start();
		const therapist = nodeDevice(relay.url);
		const client = nodeDevice(relay.url);
		devices.push(therapist, client);
		const conversation = await createConversation(therapist.ctx, {
			title: 'Tuesday check-ins',
			creatorName: 'Dr. Rivera'
		});
		therapist.engine.add(conversation);
		therapist.engine.start();
		client.engine.start();
		await waitFor(() => therapist.engine.status === 'online' && client.engine.status === 'online');

		for (let i = 0; i < 600; i++) await send(therapist, conversation, `message ${i}`);
		await waitFor(() => conversation.outbox.length === 0 && conversation.cursor >= 600, 60_000, 'log');
		const found = await waitFor(
			async () => {
				const answer = await therapist.engine.connection.request('snap.get', {
					doc: conversation.doc
				});
				return typeof answer.upTo === 'number' ? answer : undefined;
			},
			30_000,
			'snapshot on the relay'
		);
		const stored = found!;
		expect(stored.upTo).toBeGreaterThanOrEqual(SNAPSHOT_EVERY);
		const logLength = conversation.cursor;

		// The client is invited and admitted, as in conversation.test.ts.
		const invite = await therapist.engine.createInvite(conversation, {
			inviterName: 'Dr. Rivera',
			title: 'Tuesday check-ins'
		});
		const keys = deriveInviteKeys(invite.secret);
		const answer = await client.engine.connection.request('invite.get', { invite: invite.invite });
		const info = openInviteInfo(keys, invite.invite, answer.info as Uint8Array)!;
		const admitted = new Promise<DocSync>((resolve) =>
			client.engine.once('admitted', (sync) => resolve(sync))
		);
		const join: PendingJoin = { invite: invite.invite, secret: invite.secret, info, name: 'Sam' };
		await client.engine.claimInvite(join, client.box.publicKey);
		const request = await waitFor(() => therapist.engine.claimsFor(conversation.docKey)[0]);
		await therapist.engine.admit(conversation, request.inviteId);
		const joined = await admitted;

		await waitFor(
			() => texts(joined).length === 600 && joined.cursor === logLength,
			30_000,
			'client catches up'
		);
		expect(texts(joined)).toEqual(texts(conversation));
		expect(heads(joined)).toEqual(heads(conversation));
		// Only the tail after the snapshot was read from the log.
		expect(joined.processedCount).toBe(logLength - (stored.upTo as number));
		expect(joined.processedCount).toBeLessThan(logLength - SNAPSHOT_EVERY + 1);
		expect(joined.withheldFrom()).toEqual([]);

		// Both directions still work after starting from a snapshot.
		await send(client, joined, 'Thanks, see you Tuesday.');
		client.engine.schedulePush(joined);
		await waitFor(() => texts(conversation).includes('Thanks, see you Tuesday.'), 15_000);
		await send(therapist, conversation, 'See you!');
		await waitFor(() => texts(joined).includes('See you!'), 15_000);
		expect(heads(joined)).toEqual(heads(conversation));
	}, 120_000);
});
