import { equalBytes } from '../../src/lib/protocol/bytes.js';
import { RelayError } from '../../src/lib/protocol/errors.js';
import { openHandoverRecord, type HandoverBody } from '../../src/lib/protocol/deviceLink.js';
import { openEnvelopeRecord } from '../../src/lib/protocol/records.js';
import { keyOf } from '../keys.js';
import { FRAME_ITEMS_BUDGET, MAX_ENVELOPE_BYTES, MAX_MAILBOX_ITEMS } from '../limits.js';
import {
	recordRefusal,
	requireDevice,
	requireDoc,
	requireSize,
	type Handler
} from './context.js';

/**
 * Per-device mailboxes for key envelopes (SECURITY-RULES.md, rule 3). A device reads its own
 * mailbox after `hello`, without any document key, so a device that was offline picks up the
 * secret of a new epoch. The relay accepts only envelopes signed by an administrator of the
 * document's head, sent by that administrator's own device, so nobody else can fill a
 * device's mailbox with fake secrets.
 *
 * The one other kind of mail is a device link's **handover** (src/lib/protocol/deviceLink.ts):
 * accepted only from the device that registered the link (invite), to the device that claimed
 * it, so it can't be used to fill anyone else's mailbox either.
 */

/** Mailbox items per `mail.fetch` answer; a device fetches again after acknowledging. */
const FETCH_ROWS = 256;

export const send: Handler<'mail.send'> = (ctx, conn, req) => {
	const device = requireDevice(conn);
	requireSize(req.envelope, MAX_ENVELOPE_BYTES, 'envelope');
	const handover = openHandoverRecord(req.envelope);
	if (handover.ok) return sendHandover(ctx, device, req.to, req.envelope, handover.value);
	const opened = openEnvelopeRecord(req.envelope);
	if (!opened.ok) throw recordRefusal(opened.why);
	const { body, signer } = opened.value;
	if (!equalBytes(body.to, req.to)) {
		throw new RelayError('bad-record', 'the envelope is for another device');
	}
	if (!equalBytes(signer, device)) {
		throw new RelayError('bad-signature', 'the envelope is not signed by this device');
	}
	const doc = requireDoc(ctx, body.doc);
	// Envelopes carry a conversation's secrets; its periods share them and get none of their own.
	if (doc.parent) throw new RelayError('unknown-doc', 'a period has no key envelopes');
	if (!doc.admins.has(keyOf(signer))) throw new RelayError('not-admin');
	if (ctx.store.countMail(req.to) >= MAX_MAILBOX_ITEMS) {
		throw new RelayError('rate-limited', 'the recipient mailbox is full');
	}

	const id = ctx.store.putMail(req.to, req.envelope);
	ctx.connections.sendToDevice(req.to, { t: 'mail', items: [{ seq: id, b: req.envelope }] });
	return { id };
};

function sendHandover(
	ctx: Parameters<Handler<'mail.send'>>[0],
	device: Uint8Array,
	to: Uint8Array,
	bytes: Uint8Array,
	{ body, signer }: { body: HandoverBody; signer: Uint8Array }
) {
	if (!equalBytes(body.to, to)) throw new RelayError('bad-record', 'the handover is for another device');
	if (!equalBytes(signer, device)) {
		throw new RelayError('bad-signature', 'the handover is not signed by this device');
	}
	const invite = ctx.store.getInvite(body.invite);
	if (!invite) throw new RelayError('invite-unknown');
	if (!equalBytes(invite.inviter, device)) throw new RelayError('not-inviter');
	if (invite.state === 'revoked') throw new RelayError('invite-revoked');
	if (!invite.claim || !equalBytes(invite.claim.device, to)) {
		throw new RelayError('bad-record', 'the link was not claimed by that device');
	}
	if (ctx.store.countMail(to) >= MAX_MAILBOX_ITEMS) {
		throw new RelayError('rate-limited', 'the recipient mailbox is full');
	}
	const id = ctx.store.putMail(to, bytes);
	ctx.connections.sendToDevice(to, { t: 'mail', items: [{ seq: id, b: bytes }] });
	return { id };
}

/** `mail.fetch`: the oldest waiting items, as `{ seq: mailbox id, b: envelope }`. */
export const fetch: Handler<'mail.fetch'> = (ctx, conn) => {
	const device = requireDevice(conn);
	const items = ctx.store.fetchMail(device, FETCH_ROWS, 2 * FRAME_ITEMS_BUDGET);
	return { items: items.map((item) => ({ seq: item.id, b: item.envelope })) };
};

/** `mail.ack`: deletes the listed items that belong to this device; others are ignored. */
export const ack: Handler<'mail.ack'> = (ctx, conn, req) => {
	const device = requireDevice(conn);
	return { acked: ctx.store.ackMail(device, req.ids) };
};
