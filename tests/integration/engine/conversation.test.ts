import * as A from '@automerge/automerge';
import { describe, expect, it } from 'vitest';
import type { ConversationDoc } from '../../../src/lib/model/conversation.js';
import { safetyCode } from '../../../src/lib/protocol/invite.js';
import { DocSync } from '../../../src/lib/sync/DocSync.js';
import { appendText, inviteAndAdmit, texts } from '../../helpers/engineFlow.js';
import { engineStack } from '../../helpers/engineStack.js';
import { waitFor, type NodeDevice } from '../../helpers/nodeDevice.js';

const stack = engineStack();

async function send(device: NodeDevice, sync: DocSync, text: string) {
	await appendText(device, sync, text);
	await device.ctx.repo.flush([sync.localId]);
	device.engine.schedulePush(sync);
}

/** A therapist creates a conversation, invites a client, and lets them in. */
async function invitedPair() {
	const { therapist, client, conversation } = await stack.therapistAndClient();

	const { joined, request, info, keys } = await inviteAndAdmit(therapist, client, conversation, {
		inviter: 'Dr. Rivera',
		title: 'Tuesday check-ins',
		client: 'Sam'
	});
	const clientCode = safetyCode(
		keys,
		info.doc,
		info.inviter,
		client.ctx.author.device.publicKey,
		client.box.publicKey
	);
	expect(info.inviterName).toBe('Dr. Rivera');
	expect(request.name).toBe('Sam');
	expect(request.safetyCode).toBe(clientCode);

	await waitFor(() => (joined.handle.doc() as ConversationDoc).title === 'Tuesday check-ins');
	return { therapist, client, conversation, joined };
}

describe('two devices through the real relay', () => {
	it('invites, admits and exchanges messages in both directions', async () => {
		const { therapist, client, conversation, joined } = await invitedPair();

		await send(therapist, conversation, 'See you Tuesday at 4?');
		await waitFor(() => texts(joined).length === 1, 15_000, 'client receives');
		await send(client, joined, 'Yes, see you then.');
		await waitFor(() => texts(conversation).length === 2, 15_000, 'therapist receives');

		expect(texts(conversation)).toEqual(['See you Tuesday at 4?', 'Yes, see you then.']);
		expect(texts(joined)).toEqual(texts(conversation));
		await waitFor(() => conversation.outbox.length === 0 && joined.outbox.length === 0);
	});

	it('converges after both sides write while the relay is down, with nothing lost or doubled', async () => {
		const { therapist, client, conversation, joined } = await invitedPair();
		await stack.relay.stop();
		await waitFor(() => therapist.engine.status !== 'online' && client.engine.status !== 'online');

		for (let i = 0; i < 5; i++) {
			await send(therapist, conversation, `therapist offline ${i}`);
			await send(client, joined, `client offline ${i}`);
		}
		await waitFor(() => conversation.outbox.length > 0 && joined.outbox.length > 0);
		expect(texts(conversation)).toHaveLength(5);
		expect(texts(joined)).toHaveLength(5);

		await stack.relay.restart();
		await waitFor(() => texts(conversation).length === 10 && texts(joined).length === 10, 30_000);
		await waitFor(() => conversation.outbox.length === 0 && joined.outbox.length === 0, 30_000);

		expect(texts(joined)).toEqual(texts(conversation));
		expect(new Set(texts(conversation)).size).toBe(10);
		expect(A.getHeads(joined.handle.doc() as A.Doc<unknown>).sort()).toEqual(
			A.getHeads(conversation.handle.doc() as A.Doc<unknown>).sort()
		);
	});

	it('resends the outbox after a restart of the device and the relay stores each entry once', async () => {
		const { therapist, client, conversation, joined } = await invitedPair();
		await stack.relay.stop();
		await send(therapist, conversation, 'written before the crash');
		await waitFor(() => conversation.outbox.length > 0);

		// The therapist's app restarts from what is on its disk, then the relay comes back.
		const restarted = therapist.restart();
		stack.track(restarted);
		const reloaded = await DocSync.load(restarted.ctx, conversation.doc);
		expect(reloaded?.outbox.length).toBe(conversation.outbox.length);
		restarted.engine.add(reloaded!);
		await stack.relay.restart();
		restarted.engine.start();

		await waitFor(() => texts(joined).includes('written before the crash'), 30_000);
		await waitFor(() => reloaded!.outbox.length === 0, 30_000);
		expect(texts(joined).filter((t) => t === 'written before the crash')).toHaveLength(1);
		void client;
	});
});
