import * as A from '@automerge/automerge';
import { appendMessage, readMessages, type ConversationDoc } from '../../src/lib/model/conversation.js';
import { toHex } from '../../src/lib/protocol/bytes.js';
import { deriveInviteKeys, openInviteInfo, type InviteInfo, type InviteKeys } from '../../src/lib/protocol/invite.js';
import type { DocSync } from '../../src/lib/sync/DocSync.js';
import type { JoinClaim, PendingJoin } from '../../src/lib/sync/SyncEngine.js';
import { expect } from 'vitest';
import { waitFor, type NodeDevice } from './nodeDevice.js';

/** Steps the engine-level integration tests share: reading, writing, inviting and admitting. */

export function texts(sync: DocSync): string[] {
	return readMessages(sync.handle.doc() as A.Doc<ConversationDoc>).map((m) => m.text);
}

export function heads(sync: DocSync): string[] {
	return [...A.getHeads(sync.handle.doc() as A.Doc<unknown>)].sort();
}

/** Appends a message as `device` would from its composer (the caller decides when it is pushed). */
export async function appendText(device: NodeDevice, sync: DocSync, text: string): Promise<void> {
	await sync.change<ConversationDoc>((doc) =>
		appendMessage(doc, {
			id: crypto.randomUUID(),
			author: toHex(device.ctx.author.device.publicKey),
			sentAt: Date.now(),
			text
		})
	);
}

export interface Admission {
	joined: DocSync;
	/** Announcements: the sibling document the invitee was let into as well. */
	joinedSibling?: DocSync;
	request: JoinClaim;
	info: InviteInfo;
	keys: InviteKeys;
}

/**
 * The invite round trip through the relay: the therapist invites, the client reads the sealed
 * invite and claims it, the therapist sees the request and lets the client in.
 */
export async function inviteAndAdmit(
	therapist: NodeDevice,
	client: NodeDevice,
	conversation: DocSync,
	names: { inviter: string; title: string; client: string },
	options: { as?: 'writer' | 'reader'; sibling?: DocSync } = {}
): Promise<Admission> {
	const invite = await therapist.engine.createInvite(conversation, {
		inviterName: names.inviter,
		title: names.title,
		...(options.sibling ? { docs: [options.sibling.doc] } : {})
	});
	const keys = deriveInviteKeys(invite.secret);
	const answer = await client.engine.connection.request('invite.get', { invite: invite.invite });
	const info = openInviteInfo(keys, invite.invite, answer.info as Uint8Array);
	if (!info) throw new Error('the invite details did not open');

	const admitted = new Promise<DocSync>((resolve) =>
		client.engine.once('admitted', (sync) => resolve(sync))
	);
	const sibling = options.sibling;
	const siblingAdmitted = sibling
		? new Promise<DocSync>((resolve) => {
				const onGranted = (sync: DocSync) => {
					if (sync.docKey !== sibling.docKey) return;
					client.engine.off('granted', onGranted);
					resolve(sync);
				};
				client.engine.on('granted', onGranted);
			})
		: undefined;
	const join: PendingJoin = { invite: invite.invite, secret: invite.secret, info, name: names.client };
	await client.engine.claimInvite(join, client.box.publicKey);

	const request = await waitFor(() => therapist.engine.claimsFor(conversation.docKey)[0]);
	await therapist.engine.admit(conversation, request.inviteId, {
		write: options.as !== 'reader',
		// Announcements: a writer of the sibling first, whose envelope goes first (rule 7).
		before: sibling
			? async (claim) => {
					await therapist.engine.grantAccess(sibling, claim.device, claim.boxPk, true);
				}
			: undefined
	});
	const joined = await admitted;
	return { joined, joinedSibling: await siblingAdmitted, request, info, keys };
}

/**
 * Links `tablet` (started and online) to the person of `existing`, the short code compared;
 * resolves with the tablet's copy of `docKey` once an administering device let it in.
 */
export async function linkDevice(
	existing: NodeDevice,
	tablet: NodeDevice,
	names: { label: string; name: string },
	docKey: string
): Promise<DocSync> {
	const linked = new Promise<DocSync>((resolve) =>
		tablet.engine.on('linked-doc', (sync) => {
			if (sync.docKey === docKey) resolve(sync);
		})
	);
	const { fragment, inviteId } = await existing.engine.links.startLink();
	const { safetyCode } = await tablet.engine.links.claimLink(fragment, names.label);
	const request = (await waitFor(() =>
		existing.engine.links.requests().find((r) => r.inviteId === inviteId)
	))!;
	// The person compares the two codes; a relay that swapped a key would make them differ.
	expect(request.safetyCode).toBe(safetyCode);
	expect(toHex(request.device)).toBe(toHex(tablet.ctx.author.device.publicKey));
	expect(request.label).toBe(names.label);
	await existing.engine.links.confirmLink(inviteId, names.name);
	return linked;
}
