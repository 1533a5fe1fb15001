import { equalBytes } from '../../src/lib/protocol/bytes.js';
import { RelayError } from '../../src/lib/protocol/errors.js';
import type { InviteClaim } from '../../src/lib/protocol/frames.js';
import { verifyClaimByDevice, verifyInviteProof } from '../../src/lib/protocol/invite.js';
import {
	FRAME_ITEMS_BUDGET,
	MAX_INVITE_INFO_BYTES,
	MAX_INVITE_LIFETIME_MS,
	MAX_INVITES_PER_DEVICE,
	MAX_PROFILE_BYTES
} from '../limits.js';
import type { InviteClaimRecord, StoredInvite } from '../store/Store.js';
import {
	requireAdmitted,
	requireDevice,
	requireSize,
	type Handler,
	type RelayContext
} from './context.js';

/**
 * Invites (SECURITY-RULES.md, rule 1). The relay holds the public half of a key derived from
 * the invite secret, sealed details it can't read, an expiry and a state. It admits one claim
 * per invite, from a device that proves both the invite secret and its own key, and passes the
 * claim to the inviting device, which decides whether to let the invitee in.
 */

/** `invite.create`: the connection's device becomes the inviter. */
export const create: Handler<'invite.create'> = (ctx, conn, req) => {
	const inviter = requireDevice(conn);
	requireAdmitted(ctx, conn);
	const now = ctx.now();
	if (req.expires <= now) throw new RelayError('bad-frame', 'expires is in the past');
	if (req.expires > now + MAX_INVITE_LIFETIME_MS) {
		throw new RelayError('bad-frame', 'expires is more than 30 days ahead');
	}
	requireSize(req.info, MAX_INVITE_INFO_BYTES, 'info');
	if (ctx.store.countLiveInvites(inviter, now) >= MAX_INVITES_PER_DEVICE) {
		throw new RelayError('rate-limited', 'too many open invites');
	}

	const { invite: id, authPk, info, expires } = req;
	const created = ctx.store.createInvite({ id, inviter, authPk, info, expires });
	if (created === 'different') throw new RelayError('exists', 'an invite with this id exists');
	return {};
};

/**
 * `invite.get`: anyone holding the link may read the sealed details and the state. The device
 * whose claim was on record when the inviter revoked the invite (declined it) is also told
 * `declined`, on a connection that proved its key: it knows it claimed, so that tells it
 * nothing new, and nobody else learns whether anyone had claimed a revoked invite.
 */
export const get: Handler<'invite.get'> = (ctx, conn, req) => {
	const invite = requireInvite(ctx, req.invite);
	const state = publicState(invite, ctx.now());
	const answer = { info: invite.info, expires: invite.expires, state };
	const claimant = invite.claim?.device;
	if (state === 'revoked' && claimant && conn.device && equalBytes(conn.device, claimant)) {
		return { ...answer, declined: true };
	}
	return answer;
};

/**
 * `invite.claim`: one claim per invite. The identical claim again (a retry after a lost
 * answer) succeeds; any other is refused once the invite is claimed.
 */
export const claim: Handler<'invite.claim'> = (ctx, conn, req) => {
	const device = requireDevice(conn);
	if (!equalBytes(req.device, device)) {
		throw new RelayError('bad-signature', 'the claim is for another device');
	}
	requireSize(req.profile, MAX_PROFILE_BYTES, 'profile');
	const invite = requireInvite(ctx, req.invite);
	const { boxPk, profile, deviceSig, inviteSig } = req;
	if (!verifyClaimByDevice(device, deviceSig, invite.id, boxPk, profile)) {
		throw new RelayError('bad-signature', 'device signature does not verify');
	}
	const proved = verifyInviteProof(
		invite.authPk,
		inviteSig,
		conn.origin,
		conn.challenge,
		invite.id,
		device,
		boxPk,
		profile
	);
	if (!proved) throw new RelayError('bad-signature', 'invite proof does not verify');

	const record: InviteClaimRecord = { device, boxPk, profile, deviceSig };
	refuseUnclaimable(invite, record, ctx.now());
	if (invite.claim) return {};
	if (!ctx.store.claimInvite(invite.id, record)) throw new RelayError('invite-claimed');

	const claims: InviteClaim[] = [{ invite: invite.id, ...record }];
	const reached = ctx.connections.sendToDevice(invite.inviter, { t: 'claim', claim: claims });
	ctx.log.info({ reached }, 'invite claimed');
	return {};
};

/** `invite.pending`: claims on this device's invites that wait for its decision. */
export const pending: Handler<'invite.pending'> = (ctx, conn) => {
	const inviter = requireDevice(conn);
	const claims: InviteClaim[] = [];
	let bytes = 0;
	for (const { invite, claim } of ctx.store.pendingClaims(inviter)) {
		if (claims.length > 0 && bytes + claim.profile.length > 2 * FRAME_ITEMS_BUDGET) break;
		claims.push({ invite, ...claim });
		bytes += claim.profile.length;
	}
	return { claims };
};

/** `invite.revoke`: the inviter withdraws the invite; later claims get `invite-revoked`. */
export const revoke: Handler<'invite.revoke'> = (ctx, conn, req) => {
	requireInviter(ctx, requireDevice(conn), req.invite);
	ctx.store.setInviteState(req.invite, ['open', 'claimed'], 'revoked');
	return {};
};

/** `invite.close`: the inviter is done with the invite (e.g. let the invitee in). */
export const close: Handler<'invite.close'> = (ctx, conn, req) => {
	requireInviter(ctx, requireDevice(conn), req.invite);
	ctx.store.setInviteState(req.invite, ['open', 'claimed'], 'closed');
	return {};
};

function requireInvite(ctx: RelayContext, id: Uint8Array): StoredInvite {
	const invite = ctx.store.getInvite(id);
	if (!invite) throw new RelayError('invite-unknown');
	return invite;
}

function requireInviter(ctx: RelayContext, device: Uint8Array, id: Uint8Array): void {
	const invite = requireInvite(ctx, id);
	if (!equalBytes(invite.inviter, device)) throw new RelayError('not-inviter');
}

/** `expired` is an open invite past its expiry; the stored state never says so. */
function publicState(invite: StoredInvite, now: number): string {
	return invite.state === 'open' && now >= invite.expires ? 'expired' : invite.state;
}

/** Throws unless the claim may be recorded now, or is the identical claim already recorded. */
function refuseUnclaimable(invite: StoredInvite, claim: InviteClaimRecord, now: number): void {
	if (invite.state === 'revoked') throw new RelayError('invite-revoked');
	if (invite.claim) {
		if (!sameClaim(invite.claim, claim)) throw new RelayError('invite-claimed');
		return;
	}
	if (invite.state === 'closed') throw new RelayError('invite-revoked', 'the invite was closed');
	if (now >= invite.expires) throw new RelayError('invite-expired');
}

function sameClaim(a: InviteClaimRecord, b: InviteClaimRecord): boolean {
	return (
		equalBytes(a.device, b.device) &&
		equalBytes(a.boxPk, b.boxPk) &&
		equalBytes(a.profile, b.profile) &&
		equalBytes(a.deviceSig, b.deviceSig)
	);
}
