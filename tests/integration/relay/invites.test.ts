import { describe, expect, it } from 'vitest';
import { generateBoxKeyPair, randomBytes } from '../../../src/lib/crypto/primitives.js';
import { equalBytes } from '../../../src/lib/protocol/bytes.js';
import { deriveInviteKeys, signInviteProof } from '../../../src/lib/protocol/invite.js';
import { RelayClient } from '../../helpers/relayClient.js';
import { claimFields, connectAs, makeInvite, newDevice, type TestInvite, useRelay } from './fixtures.js';

const env = useRelay();
const track = env.track;
const DAY = 24 * 60 * 60 * 1000;

/** The therapist's device, connected, with a new invite registered at the env.relay. */
async function inviterWithInvite(expires = Date.now() + 7 * DAY) {
	const device = newDevice();
	const client = track(await connectAs(env.relay.url, device));
	const invite = makeInvite(randomBytes(32), device);
	await client.request('invite.create', {
		invite: invite.id,
		authPk: invite.keys.auth.publicKey,
		info: invite.info,
		expires
	});
	return { device, client, invite };
}

async function invitee() {
	const device = newDevice();
	return { device, client: track(await connectAs(env.relay.url, device)) };
}

function stateOf(client: RelayClient, invite: TestInvite) {
	return client.request('invite.get', { invite: invite.id }).then((ok) => ok.state);
}

describe('relay: invites (rule 1)', () => {
	it('the inviter receives the claim live and as pending until it closes the invite', async () => {
		const { client: inviter, invite } = await inviterWithInvite();
		const sam = await invitee();
		const reader = track(await RelayClient.connect(env.relay.url)); // no hello needed for get
		const got = await reader.request('invite.get', { invite: invite.id });
		expect(got.state).toBe('open');
		expect(equalBytes(got.info as Uint8Array, invite.info)).toBe(true);

		const fields = claimFields(sam.client, sam.device, invite);
		await sam.client.request('invite.claim', fields);

		const push = await inviter.waitForPush('claim');
		expect(push.claim).toHaveLength(1);
		const [claim] = push.claim;
		for (const key of ['invite', 'device', 'boxPk', 'profile', 'deviceSig'] as const) {
			expect(equalBytes(claim[key], fields[key]), key).toBe(true);
		}
		expect(await stateOf(reader, invite)).toBe('claimed');
		expect((await inviter.request('invite.pending', {})).claims).toHaveLength(1);

		await inviter.request('invite.close', { invite: invite.id });
		expect(await stateOf(reader, invite)).toBe('closed');
		expect((await inviter.request('invite.pending', {})).claims).toHaveLength(0);
	});

	it('admits one claim per invite: a second device gets invite-claimed, the same claim again is ok', async () => {
		const { client: inviter, invite } = await inviterWithInvite();
		const sam = await invitee();
		const fields = claimFields(sam.client, sam.device, invite);
		await sam.client.request('invite.claim', fields);
		await sam.client.request('invite.claim', fields); // a retry after a lost answer

		const eve = await invitee(); // got the link too (forwarded, screenshot)
		const second = claimFields(eve.client, eve.device, invite);
		const answer = await eve.client.requestRaw('invite.claim', second);
		expect(answer).toMatchObject({ t: 'err', code: 'invite-claimed' });
		const other = claimFields(sam.client, sam.device, invite, 'Sam again'); // another profile
		expect(await sam.client.requestRaw('invite.claim', other)).toMatchObject({
			code: 'invite-claimed'
		});

		const { claims } = await inviter.request('invite.pending', {});
		expect(claims).toHaveLength(1);
		expect(equalBytes((claims as { device: Uint8Array }[])[0].device, sam.device.publicKey)).toBe(
			true
		);
	});

	it('refuses a claim after expiry (invite-expired)', async () => {
		const { invite } = await inviterWithInvite(Date.now() + 1500);
		const sam = await invitee();
		const deadline = Date.now() + 10_000;
		while ((await stateOf(sam.client, invite)) !== 'expired') {
			if (Date.now() > deadline) throw new Error('the invite never expired');
			await new Promise((resolve) => setTimeout(resolve, 100));
		}

		const fields = claimFields(sam.client, sam.device, invite);
		const answer = await sam.client.requestRaw('invite.claim', fields);
		expect(answer).toMatchObject({ t: 'err', code: 'invite-expired' });
	});

	it('refuses a revoked invite (invite-revoked); only the inviter may revoke or close', async () => {
		const { client: inviter, invite } = await inviterWithInvite();
		const sam = await invitee();
		for (const t of ['invite.revoke', 'invite.close'] as const) {
			const answer = await sam.client.requestRaw(t, { invite: invite.id });
			expect(answer).toMatchObject({ t: 'err', code: 'not-inviter' });
		}
		expect(await stateOf(inviter, invite)).toBe('open');

		await inviter.request('invite.revoke', { invite: invite.id });
		expect(await stateOf(inviter, invite)).toBe('revoked');
		const fields = claimFields(sam.client, sam.device, invite);
		const answer = await sam.client.requestRaw('invite.claim', fields);
		expect(answer).toMatchObject({ t: 'err', code: 'invite-revoked' });
	});

	it('tells only the declined device, on a proved connection, that its claim was declined', async () => {
		const { client: inviter, invite } = await inviterWithInvite();
		const sam = await invitee();
		await sam.client.request('invite.claim', claimFields(sam.client, sam.device, invite));
		const before = await sam.client.request('invite.get', { invite: invite.id });
		expect(before.state).toBe('claimed');
		expect(before).not.toHaveProperty('declined');

		// The inviter declines: a revoke of the claimed invite.
		await inviter.request('invite.revoke', { invite: invite.id });
		const declined = await sam.client.request('invite.get', { invite: invite.id });
		expect(declined).toMatchObject({ state: 'revoked', declined: true });

		// Anyone else with the link (another device, a connection that proved no key) and the
		// inviter see a plain revoked invite: whether someone had claimed it isn't theirs to learn.
		const eve = await invitee();
		const anonymous = track(await RelayClient.connect(env.relay.url));
		for (const client of [eve.client, anonymous, inviter]) {
			const answer = await client.request('invite.get', { invite: invite.id });
			expect(answer.state).toBe('revoked');
			expect(answer).not.toHaveProperty('declined');
		}

		// An invite revoked before anyone claimed it was cancelled, not declined, for everyone.
		const second = await inviterWithInvite();
		await second.client.request('invite.revoke', { invite: second.invite.id });
		const late = await sam.client.requestRaw(
			'invite.claim',
			claimFields(sam.client, sam.device, second.invite)
		);
		expect(late).toMatchObject({ t: 'err', code: 'invite-revoked' });
		const cancelled = await sam.client.request('invite.get', { invite: second.invite.id });
		expect(cancelled.state).toBe('revoked');
		expect(cancelled).not.toHaveProperty('declined');
	});

	it('refuses a claim whose invite proof is bad: wrong secret, other challenge, other keys', async () => {
		const { invite } = await inviterWithInvite();
		const sam = await invitee();
		const good = claimFields(sam.client, sam.device, invite);
		const { origin, challenge } = sam.client;
		const { device, profile } = good;
		const proof = (keys = invite.keys, nonce = challenge, boxPk = good.boxPk) =>
			signInviteProof(keys, origin, nonce, invite.id, device, boxPk, profile);

		const wrongSecret = { ...good, inviteSig: proof(deriveInviteKeys(randomBytes(16))) };
		const otherChallenge = { ...good, inviteSig: proof(invite.keys, randomBytes(32)) };
		// The relay (or a thief) swaps the box key the secret will be sealed to.
		const swappedBox = { ...good, boxPk: generateBoxKeyPair().publicKey };
		// A thief with the link re-proves the swapped key, but can't re-sign as the device.
		const reproved = proof(invite.keys, challenge, swappedBox.boxPk);
		const swappedBoth = { ...swappedBox, inviteSig: reproved };
		for (const fields of [wrongSecret, otherChallenge, swappedBox, swappedBoth]) {
			const answer = await sam.client.requestRaw('invite.claim', fields);
			expect(answer).toMatchObject({ t: 'err', code: 'bad-signature' });
		}
		expect(await stateOf(sam.client, invite)).toBe('open');

		// A claim naming a device other than the one proved on this connection.
		const eve = await invitee();
		const forSam = claimFields(eve.client, sam.device, invite);
		expect(await eve.client.requestRaw('invite.claim', forSam)).toMatchObject({
			code: 'bad-signature'
		});
		await sam.client.request('invite.claim', good);
	});

	it('checks invite.create: hello, expiry in the future and at most 30 days ahead, unknown ids', async () => {
		const device = newDevice();
		const invite = makeInvite(randomBytes(32), device);
		const fields = {
			invite: invite.id,
			authPk: invite.keys.auth.publicKey,
			info: invite.info,
			expires: Date.now() + DAY
		};
		const anonymous = track(await RelayClient.connect(env.relay.url));
		expect(await anonymous.requestRaw('invite.create', fields)).toMatchObject({
			code: 'unauthenticated'
		});

		const client = track(await connectAs(env.relay.url, device));
		for (const expires of [Date.now() - 1000, Date.now() + 31 * DAY]) {
			const answer = await client.requestRaw('invite.create', { ...fields, expires });
			expect(answer).toMatchObject({ t: 'err', code: 'bad-frame' });
		}
		expect(await client.requestRaw('invite.get', { invite: invite.id })).toMatchObject({
			code: 'invite-unknown'
		});
		await client.request('invite.create', fields);
		await client.request('invite.create', fields); // a retry
		const other = track(await connectAs(env.relay.url, newDevice()));
		expect(await other.requestRaw('invite.create', fields)).toMatchObject({ code: 'exists' });
	});
});
