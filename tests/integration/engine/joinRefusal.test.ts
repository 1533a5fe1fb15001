import { describe, expect, it } from 'vitest';
import { toBase64Url } from '../../../src/lib/protocol/bytes.js';
import { deriveInviteKeys, openInviteInfo, type JoinRefusal } from '../../../src/lib/protocol/invite.js';
import type { DocSync } from '../../../src/lib/sync/DocSync.js';
import type { PendingJoin } from '../../../src/lib/sync/SyncEngine.js';
import { engineStack } from '../../helpers/engineStack.js';
import { waitFor, type NodeDevice } from '../../helpers/nodeDevice.js';

/**
 * Someone waiting to be let in learns why they weren't, through the real relay: the therapist
 * declined their request (revoked the invite after their claim), or cancelled the invite before
 * their claim arrived. The relay tells the claiming device alone that its claim was declined
 * (tests/integration/relay/invites.test.ts shows nobody else learns it).
 */

const stack = engineStack();

/** The therapist invites; the client reads the invite and has a join it waits on. */
async function pendingJoin(therapist: NodeDevice, client: NodeDevice, conversation: DocSync) {
	const invite = await therapist.engine.createInvite(conversation, {
		inviterName: 'Dr. Rivera',
		title: 'Tuesday check-ins'
	});
	const answer = await client.engine.connection.request('invite.get', { invite: invite.invite });
	const info = openInviteInfo(deriveInviteKeys(invite.secret), invite.invite, answer.info as Uint8Array);
	if (!info) throw new Error('the invite details did not open');
	const join: PendingJoin = { invite: invite.invite, secret: invite.secret, info, name: 'Sam' };
	return { invite, join };
}

/** What the client's engine reports for `invite` at its next check of the joins it waits on. */
async function refusalAtNextCheck(client: NodeDevice, invite: Uint8Array): Promise<JoinRefusal> {
	const id = toBase64Url(invite);
	const refused = new Promise<JoinRefusal>((resolve) => {
		const listener = (which: string, reason: JoinRefusal) => {
			if (which !== id) return;
			client.engine.off('join-refused', listener);
			resolve(reason);
		};
		client.engine.on('join-refused', listener);
	});
	await client.engine.checkJoins();
	return refused;
}

describe('joins that end without being let in', () => {
	it('a declined request is reported as declined, and the wait is forgotten', async () => {
		const { therapist, client, conversation } = await stack.therapistAndClient();
		const { invite, join } = await pendingJoin(therapist, client, conversation);
		await client.engine.claimInvite(join, client.box.publicKey);
		const request = await waitFor(() => therapist.engine.claimsFor(conversation.docKey)[0]);

		await therapist.engine.decline(conversation, request.inviteId);

		expect(await refusalAtNextCheck(client, invite.invite)).toBe('declined');
		expect(await client.engine.pendingJoins()).toEqual([]);
	});

	it('an invite cancelled before the claim reached the relay is reported as revoked', async () => {
		const { therapist, client, conversation } = await stack.therapistAndClient();
		const { invite, join } = await pendingJoin(therapist, client, conversation);
		// The device remembers the join first; its claim is lost on the way (connection dropped).
		await client.engine.rememberJoin(join);

		await therapist.engine.revokeInvite(toBase64Url(invite.invite));

		expect(await refusalAtNextCheck(client, invite.invite)).toBe('revoked');
		expect(await client.engine.pendingJoins()).toEqual([]);
	});
});
