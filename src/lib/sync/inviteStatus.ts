import { decodeServerFrame, encodeFrame, type ServerFrame } from '../protocol/frames.js';
import { deriveInviteKeys, openInviteInfo, parseInviteFragment } from '../protocol/invite.js';
import type { SocketFactory, SocketLike } from './RelayConnection.js';

/**
 * What the relay says about an invite link, for a device that isn't set up yet: `open` links go
 * on to the passphrase and the join; the others end there. `offline`: the relay couldn't be
 * reached (try again); `unknown`: it answered, but not about the invite (e.g. rate-limited),
 * so nothing is known and the join page checks again once the device is set up.
 */
export type InviteStatus =
	| { state: 'open'; inviterName: string; title: string }
	| { state: 'expired' | 'claimed' | 'revoked'; inviterName: string }
	| { state: 'invalid' | 'offline' | 'unknown' };

/** A relay that says nothing within this time counts as unreachable. */
export const INVITE_STATUS_TIMEOUT_MS = 10_000;

/** The one request on the connection. */
const RID = 1;

/**
 * Asks the relay about the invite in `fragment` (the link after `#`) before this device has a
 * passphrase or keys, so someone holding a used, cancelled or expired link learns it at once
 * rather than after choosing a passphrase.
 *
 * @remarks
 * `invite.get` needs no device proof, so this uses a connection of its own that proves none and
 * closes after the answer. It sends only the invite id, which the join sends anyway, and keeps
 * nothing; the secret stays on the device, where it opens the sealed details to name the inviter
 * (and a link whose details don't open is `invalid`, as on the join page).
 */
export async function checkInviteStatus(
	relayUrl: string,
	fragment: string,
	factory: SocketFactory,
	timeoutMs = INVITE_STATUS_TIMEOUT_MS
): Promise<InviteStatus> {
	const parsed = parseInviteFragment(fragment);
	if (!parsed) return { state: 'invalid' };
	const frame = await askRelay(relayUrl, parsed.invite, factory, timeoutMs);
	if (!frame) return { state: 'offline' };
	if (frame.t === 'err') return { state: frame.code === 'invite-unknown' ? 'invalid' : 'unknown' };
	if (frame.t !== 'ok') return { state: 'unknown' };

	const info =
		frame.info instanceof Uint8Array
			? openInviteInfo(deriveInviteKeys(parsed.secret), parsed.invite, frame.info)
			: undefined;
	if (!info) return { state: 'invalid' };
	const inviterName = info.inviterName;
	switch (frame.state) {
		case 'open':
			return { state: 'open', inviterName, title: info.title };
		case 'expired':
		case 'revoked':
			return { state: frame.state, inviterName };
		// `closed`: the inviter is done with it, after letting someone in.
		case 'claimed':
		case 'closed':
			return { state: 'claimed', inviterName };
		default:
			return { state: 'unknown' };
	}
}

/**
 * Opens a connection, sends `invite.get` once the relay's challenge shows it speaks the
 * protocol, and resolves with the answer; undefined when the relay can't be reached, closes
 * first, or doesn't answer within `timeoutMs`. The connection is closed in every case.
 */
function askRelay(
	relayUrl: string,
	invite: Uint8Array,
	factory: SocketFactory,
	timeoutMs: number
): Promise<ServerFrame | undefined> {
	return new Promise((resolve) => {
		let socket: SocketLike | undefined;
		let settled = false;
		const finish = (frame?: ServerFrame) => {
			if (settled) return;
			settled = true;
			clearTimeout(timer);
			if (socket) {
				socket.onmessage = null;
				socket.onclose = null;
				// Closing a socket that is still connecting reports an error; it is expected here
				// (and an error event with no listener would throw under Node's `ws`).
				socket.onerror = () => {};
				try {
					socket.close();
				} catch {
					// Already closed.
				}
			}
			resolve(frame);
		};
		const timer = setTimeout(() => finish(), timeoutMs);
		try {
			socket = factory(relayUrl);
		} catch {
			finish();
			return;
		}
		const open = socket;
		open.binaryType = 'arraybuffer';
		open.onerror = () => finish();
		open.onclose = () => finish();
		open.onmessage = (event) => {
			const data = event.data;
			if (!(data instanceof ArrayBuffer) && !(data instanceof Uint8Array)) return;
			const decoded = decodeServerFrame(data instanceof Uint8Array ? data : new Uint8Array(data));
			if (!decoded.ok) return;
			const frame = decoded.frame;
			if (frame.t === 'challenge') {
				try {
					open.send(encodeFrame({ t: 'invite.get', rid: RID, invite }));
				} catch {
					finish();
				}
			} else if ((frame.t === 'ok' || frame.t === 'err') && frame.rid === RID) {
				finish(frame);
			}
		};
	});
}
