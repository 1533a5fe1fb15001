import { afterEach, describe, expect, it } from 'vitest';
import { sealPresence, type VectorEntry } from '../../../src/lib/crypto/presence.js';
import { randomBytes } from '../../../src/lib/crypto/primitives.js';
import { toHex } from '../../../src/lib/protocol/bytes.js';
import type { DocSync } from '../../../src/lib/sync/DocSync.js';
import { appendText, inviteAndAdmit, texts } from '../../helpers/engineFlow.js';
import { engineStack } from '../../helpers/engineStack.js';
import { waitFor, type NodeDevice } from '../../helpers/nodeDevice.js';
import { RelayClient } from '../../helpers/relayClient.js';

/**
 * Presence between two real engines through the real relay: online and typing arrive and
 * clear; counter vectors let a device notice entries the relay holds and never sent it
 * (rule 14); frames that don't verify are dropped and counted.
 */

const stack = engineStack();
const clients: RelayClient[] = [];

afterEach(async () => {
	await Promise.all(clients.splice(0).map((c) => c.close()));
});

async function pair() {
	// A short grace: a claimed entry that hasn't arrived 300 ms after the claim counts as withheld.
	const { therapist, client, conversation } = await stack.therapistAndClient({
		client: { presence: { graceMs: 300 } }
	});
	const { joined } = await inviteAndAdmit(therapist, client, conversation, {
		inviter: 'Dr. Rivera',
		title: 'Tuesday check-ins',
		client: 'Sam'
	});
	await appendText(therapist, conversation, 'See you on Tuesday.');
	await therapist.ctx.repo.flush([conversation.localId]);
	therapist.engine.schedulePush(conversation);
	await waitFor(() => conversation.outbox.length === 0 && texts(joined).includes('See you on Tuesday.'));
	return { therapist, client, conversation, joined };
}

/** A connection of the therapist's own device, to send frames the engine wouldn't. */
async function asDevice(device: NodeDevice, sync: DocSync): Promise<RelayClient> {
	const client = await RelayClient.connect(stack.relay.url);
	clients.push(client);
	await client.hello(device.ctx.author.device);
	await client.openDoc(sync.doc, sync.accessKey(), sync.head.n);
	return client;
}

function frameFrom(device: NodeDevice, sync: DocSync, vector: VectorEntry[], key: Uint8Array) {
	return sealPresence({
		key,
		doc: sync.doc,
		epoch: sync.head.n,
		device: device.ctx.author.device,
		online: true,
		typing: false,
		sentAt: Date.now(),
		vector
	});
}

/** The document's presence key for its head epoch, as the therapist's device derives it. */
function presenceKeyOf(sync: DocSync): Uint8Array {
	const key = sync.presenceKey(sync.head.n);
	if (!key) throw new Error('no key');
	return key;
}

describe('presence between engines', () => {
	it('shows the other device online and typing, and clears typing when told', async () => {
		const { therapist, client, conversation, joined } = await pair();
		const therapistHex = toHex(therapist.ctx.author.device.publicKey);
		therapist.engine.setActive(conversation.docKey);

		therapist.engine.setTyping(conversation.docKey, true);
		const typing = await waitFor(() =>
			client.engine.presenceOf(joined.docKey).find((p) => p.device === therapistHex && p.typing)
		);
		therapist.engine.setTyping(conversation.docKey, false);
		const stopped = await waitFor(() =>
			client.engine.presenceOf(joined.docKey).find((p) => p.device === therapistHex && !p.typing)
		);

		expect(typing).toMatchObject({ online: true, typing: true });
		expect(stopped).toMatchObject({ online: true, typing: false });
		// Honest vectors name only entries the client has: nothing is reported.
		expect(client.engine.withheldByPresence(joined.docKey)).toEqual([]);
		expect(client.engine.presence.dropped(joined.docKey)).toBe(0);
	});

	it('reports entries a member says the relay holds that never arrived (withheld)', async () => {
		const { therapist, client, conversation, joined } = await pair();
		const me = toHex(therapist.ctx.author.device.publicKey);
		const own = conversation.counterVector(30).find((v) => toHex(v.author) === me);
		if (!own) throw new Error('the therapist has acknowledged entries');
		const sender = await asDevice(therapist, conversation);
		const key = presenceKeyOf(conversation);

		// As if the relay had kept the next five entries from the client.
		const claim = { ...own, counter: own.counter + 5 };
		const frame = frameFrom(therapist, conversation, [claim], key);
		await sender.request('presence', { doc: conversation.doc, frame });
		const withheld = await waitFor(
			() => client.engine.withheldByPresence(joined.docKey)[0],
			15_000,
			'a withheld report'
		);

		expect(withheld).toBe(me);
	});

	it('seals two frames of the same millisecond with increasing times, so neither reads as a replay', async () => {
		const { therapist, client, conversation, joined } = await pair();
		const before = client.engine.presence.dropped(joined.docKey);
		const now = Date.now() + 60_000;
		const first = therapist.engine.presence.seal(conversation, false, now);
		const second = therapist.engine.presence.seal(conversation, true, now);
		if (!first || !second) throw new Error('the therapist holds the presence key');

		client.engine.presence.receive(joined, first, now);
		client.engine.presence.receive(joined, second, now);
		// A true replay of the second frame is still dropped.
		client.engine.presence.receive(joined, second, now);

		expect(client.engine.presence.dropped(joined.docKey) - before).toBe(1);
		const therapistHex = toHex(therapist.ctx.author.device.publicKey);
		expect(client.engine.presenceOf(joined.docKey).find((p) => p.device === therapistHex)).toMatchObject({
			typing: true
		});
	});

	it('drops frames that do not verify, silently but countably', async () => {
		const { therapist, client, conversation, joined } = await pair();
		const sender = await asDevice(therapist, conversation);

		await sender.request('presence', {
			doc: conversation.doc,
			frame: frameFrom(therapist, conversation, [], randomBytes(32))
		});
		await waitFor(() => client.engine.presence.dropped(joined.docKey) === 1, 15_000, 'a dropped frame');

		expect(client.engine.presenceOf(joined.docKey)).toEqual([]);
	});
});
