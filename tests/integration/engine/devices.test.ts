import { describe, expect, it } from 'vitest';
import { deriveAccessKey } from '../../../src/lib/crypto/documentKeys.js';
import { randomBytes } from '../../../src/lib/crypto/primitives.js';
import { RelayError } from '../../../src/lib/protocol/errors.js';
import { addMember, type ConversationDoc } from '../../../src/lib/model/conversation.js';
import { toHex } from '../../../src/lib/protocol/bytes.js';
import { isListed } from '../../../src/lib/protocol/records.js';
import { createConversation } from '../../../src/lib/sync/createConversation.js';
import { DocSync } from '../../../src/lib/sync/DocSync.js';
import { appendText, inviteAndAdmit, linkDevice, texts } from '../../helpers/engineFlow.js';
import { engineStack } from '../../helpers/engineStack.js';
import { waitFor, type NodeDevice } from '../../helpers/nodeDevice.js';
import { RelayClient } from '../../helpers/relayClient.js';
import { filesUnder, findInFiles } from '../../helpers/scanFiles.js';

/**
 * A person's devices through the real relay (SECURITY-RULES.md, rules 2, 3 and 7): a client
 * links a tablet from their phone, the therapist's device adds it to the conversation without
 * anyone pressing anything, and revoking it rotates the key so it reads and writes nothing new.
 */

const stack = engineStack();

function startDevice(): NodeDevice {
	const device = stack.device();
	device.engine.start();
	return device;
}

async function send(device: NodeDevice, sync: DocSync, text: string) {
	await appendText(device, sync, text);
	await device.ctx.repo.flush([sync.localId]);
	device.engine.schedulePush(sync);
}

/** A therapist's conversation with one client (their phone) let in, and a message in it. */
async function therapistAndClient() {
	await stack.startRelay();
	const therapist = startDevice();
	const phone = startDevice();
	const conversation = await createConversation(therapist.ctx, {
		title: 'Weekly check-in',
		creatorName: 'Dr. Rivera'
	});
	therapist.engine.add(conversation);
	await waitFor(() => therapist.engine.status === 'online' && phone.engine.status === 'online');
	const { joined } = await inviteAndAdmit(therapist, phone, conversation, {
		inviter: 'Dr. Rivera',
		title: 'Weekly check-in',
		client: 'Sam'
	});
	// The therapist's app records the member as it lets them in (ConversationController.admit).
	const phoneHex = toHex(phone.ctx.author.device.publicKey);
	await conversation.change<ConversationDoc>((doc) =>
		addMember(doc, phoneHex, { name: 'Sam', role: 'member', addedAt: Date.now() })
	);
	await send(therapist, conversation, 'History before the tablet');
	await waitFor(() => texts(joined).includes('History before the tablet'), 15_000, 'phone reads');
	return { therapist, phone, conversation, clientSync: joined };
}

/** Links a new device from `existing` with the short code compared; returns its copy of `doc`. */
async function link(existing: NodeDevice, label: string, name: string, docKey: string) {
	const tablet = startDevice();
	await waitFor(() => tablet.engine.status === 'online', 15_000, 'tablet online');
	return { tablet, sync: await linkDevice(existing, tablet, { label, name }, docKey) };
}

describe('people and devices through the relay', { timeout: 90_000 }, () => {
	it('a client’s second device gets the conversation with the client’s rights, without the therapist doing anything', async () => {
		const { therapist, phone, conversation, clientSync } = await therapistAndClient();
		const { tablet, sync } = await link(phone, 'Tablet', 'Sam', conversation.docKey);

		// The therapist's device listed the tablet as a writer, not an administrator (the client
		// isn't one), and the tablet reads the history and the title.
		const tabletKey = tablet.ctx.author.device.publicKey;
		expect(isListed(conversation.head.writers, tabletKey)).toBe(true);
		expect(isListed(conversation.head.admins, tabletKey)).toBe(false);
		await waitFor(() => texts(sync).includes('History before the tablet'), 15_000, 'tablet reads');
		expect((sync.handle.doc() as ConversationDoc).title).toBe('Weekly check-in');

		// It writes, and both the therapist and the phone receive it.
		await send(tablet, sync, 'Written on the tablet');
		await waitFor(() => texts(conversation).includes('Written on the tablet'), 15_000, 'therapist');
		await waitFor(() => texts(clientSync).includes('Written on the tablet'), 15_000, 'phone');

		// Both of the client's devices know the person and its two devices.
		const phoneDevices = await phone.engine.links.devices();
		const tabletBook = await tablet.engine.links.book();
		expect(toHex(tabletBook.person)).toBe(toHex(phone.ctx.author.device.publicKey));
		expect(phoneDevices.devices.map((d) => toHex(d.device)).sort()).toEqual(
			[phone.ctx.author.device.publicKey, tabletKey].map(toHex).sort()
		);
	});

	it('a link whose handover comes from another device than the one that registered it is ignored', async () => {
		const { phone, therapist, conversation } = await therapistAndClient();
		const tablet = startDevice();
		await waitFor(() => tablet.engine.status === 'online');
		const { fragment } = await phone.engine.links.startLink();
		await tablet.engine.links.claimLink(fragment, 'Tablet');
		// The therapist can't send a handover for the phone's link: the relay refuses it.
		const { createHandover } = await import('../../../src/lib/protocol/deviceLink.js');
		const pending = await tablet.engine.links.pendingLink();
		const forged = createHandover(
			therapist.ctx.author.device,
			pending!.invite,
			{ device: tablet.ctx.author.device.publicKey, boxPk: tablet.box.publicKey },
			{ person: phone.ctx.author.device.publicKey, name: 'Sam', records: [], labels: {}, docs: [] }
		);
		await expect(
			therapist.engine.connection.request('mail.send', {
				to: tablet.ctx.author.device.publicKey,
				envelope: forged
			})
		).rejects.toMatchObject({ code: 'not-inviter' });
		expect(tablet.engine.docs().map((d) => d.docKey)).not.toContain(conversation.docKey);
		expect(await tablet.engine.links.pendingLink()).toBeDefined();
	});

	it('a revoked device reads nothing new and its writes are refused; the others keep working', async () => {
		const { therapist, phone, conversation, clientSync } = await therapistAndClient();
		const { tablet, sync } = await link(phone, 'Tablet', 'Sam', conversation.docKey);
		await waitFor(() => texts(sync).includes('History before the tablet'), 15_000, 'tablet reads');
		const genBefore = conversation.head.gen;

		await phone.engine.links.revoke(tablet.ctx.author.device.publicKey);

		// The therapist's device acts on the signed revocation: a new epoch with a new secret.
		const tabletKey = tablet.ctx.author.device.publicKey;
		await waitFor(() => conversation.head.gen === genBefore + 1, 20_000, 'rotation');
		expect(conversation.excludes(tabletKey)).toBe(true);
		await waitFor(() => clientSync.head.gen === genBefore + 1 && clientSync.holdsHeadSecret, 20_000, 'phone keeps the key');

		await send(therapist, conversation, 'After the tablet was revoked');
		await waitFor(() => texts(clientSync).includes('After the tablet was revoked'), 15_000, 'phone reads');
		await send(tablet, sync, 'Written on a revoked tablet');
		// The phone still writes, and what it writes arrives; the tablet's message never does.
		await send(phone, clientSync, 'Phone still writes');
		await waitFor(() => texts(conversation).includes('Phone still writes'), 15_000, 'phone writes');
		await new Promise((resolve) => setTimeout(resolve, 1500));
		expect(texts(sync)).not.toContain('After the tablet was revoked');
		expect(texts(conversation)).not.toContain('Written on a revoked tablet');
		// Whatever the tablet still holds gets it nowhere: the relay refuses the old access key,
		// and the tablet's key alone is no longer a writer of the head.
		const probe = await RelayClient.connect(stack.relay.url);
		try {
			await probe.hello(tablet.ctx.author.device);
			const oldAccess = deriveAccessKey(sync.secretOf(genBefore)!, genBefore);
			const opened = await probe.openDoc(conversation.doc, oldAccess, sync.head.n).then(
				() => 'ok',
				(error: unknown) => (error instanceof RelayError ? error.code : 'other')
			);
			expect(opened).toBe('no-access');
		} finally {
			probe.terminate();
		}
		expect(sync.secretOf(genBefore + 1)).toBeUndefined();
		// The tablet learns from the chain that it was removed.
		await waitFor(() => sync.excludes(tabletKey), 15_000, 'tablet sees it was removed');
	});

	it('an offline device picks up the new epoch from its mailbox when it comes back', async () => {
		const { therapist, phone, conversation } = await therapistAndClient();
		const first = await link(phone, 'Tablet', 'Sam', conversation.docKey);
		const second = await link(phone, 'Laptop', 'Sam', conversation.docKey);
		await waitFor(() => texts(first.sync).includes('History before the tablet'));
		const genBefore = conversation.head.gen;

		// The laptop goes offline; the tablet is revoked meanwhile.
		second.tablet.stop();
		await phone.engine.links.revoke(first.tablet.ctx.author.device.publicKey);
		await waitFor(() => conversation.head.gen === genBefore + 1, 20_000, 'rotation');
		await send(therapist, conversation, 'While the laptop was away');

		const laptop = second.tablet.restart();
		stack.track(laptop);
		const sync = (await DocSync.load(laptop.ctx, conversation.doc))!;
		expect(sync.secretOf(genBefore + 1)).toBeUndefined();
		laptop.engine.add(sync);
		laptop.engine.start();
		await waitFor(() => texts(sync).includes('While the laptop was away'), 20_000, 'laptop reads');
		expect(sync.secretOf(genBefore + 1)).toBeDefined();
	});

	it('the relay holds no device label, name or plaintext of a handover (scan with a positive control)', async () => {
		const { phone, conversation } = await therapistAndClient();
		const label = `Kitchen-tablet-${toHex(randomBytes(4))}`;
		const name = `Samantha-${toHex(randomBytes(4))}`;
		const { tablet } = await link(phone, label, name, conversation.docKey);
		expect((await tablet.engine.links.book()).labels[toHex(tablet.ctx.author.device.publicKey)]).toBe(label);

		const marker = `clear-control-${toHex(randomBytes(4))}`;
		await phone.engine.connection.request('invite.create', {
			invite: randomBytes(16),
			authPk: randomBytes(32),
			info: new TextEncoder().encode(marker),
			expires: Date.now() + 60_000
		});
		const hits = findInFiles(filesUnder(stack.relay.dataDir), [marker, label, name]);
		expect(hits.has(marker)).toBe(true);
		hits.delete(marker);
		expect(Object.fromEntries(hits)).toEqual({});

		// Nor does either device's storage (sealed values, hashed keys).
		for (const device of [phone, tablet]) {
			const stored = await device.backend.range('');
			const bytes = Buffer.concat(stored.flatMap((e) => [Buffer.from(e.key), Buffer.from(e.value)]));
			for (const needle of [label, name]) expect(bytes.includes(Buffer.from(needle))).toBe(false);
		}
	});
});
