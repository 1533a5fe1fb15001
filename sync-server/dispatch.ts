import type { RawData } from 'ws';
import { Buffer } from 'node:buffer';
import { decodeCbor } from '../src/lib/protocol/cbor.js';
import { ErrorCodes, RelayError, type ErrorCode } from '../src/lib/protocol/errors.js';
import { decodeRequest, type Request, type RequestType } from '../src/lib/protocol/frames.js';
import type { Connection } from './Connection.js';
import { DEFERRED, type Handler, type OkFields, type RelayContext } from './handlers/context.js';
import * as blobs from './handlers/blobs.js';
import * as docs from './handlers/docs.js';
import * as entries from './handlers/entries.js';
import * as invites from './handlers/invites.js';
import * as mail from './handlers/mail.js';
import { presence } from './handlers/presence.js';
import * as snapshots from './handlers/snapshots.js';
import { hello, ping } from './handlers/session.js';
import { logId } from './log.js';

/** One handler per request type; the mapped type makes a missing one a compile error. */
const HANDLERS: { [T in RequestType]: Handler<T> } = {
	hello,
	ping,
	'doc.create': docs.create,
	'doc.open': docs.open,
	'doc.chain': docs.chain,
	'epoch.append': docs.appendEpoch,
	'period.create': docs.createPeriod,
	sub: entries.sub,
	unsub: entries.unsub,
	push: entries.push,
	'invite.create': invites.create,
	'invite.get': invites.get,
	'invite.claim': invites.claim,
	'invite.pending': invites.pending,
	'invite.revoke': invites.revoke,
	'invite.close': invites.close,
	'mail.send': mail.send,
	'mail.fetch': mail.fetch,
	'mail.ack': mail.ack,
	'snap.put': snapshots.put,
	'snap.get': snapshots.get,
	presence,
	'blob.begin': blobs.begin,
	'blob.part': blobs.part,
	'blob.end': blobs.end,
	'blob.get': blobs.get,
	'blob.delete': blobs.del
};

/** Set by the relay while it shuts down: frames still arriving are refused, not half-handled. */
export interface DispatchState {
	closing: boolean;
}

/**
 * Handles one WebSocket message: decode and check it, charge the rate limit, run the handler,
 * answer. Every outcome is an `ok` or an `err` on this connection; nothing a device sends can
 * throw out of here (DESIGN.md, "What must always hold" 6).
 */
export function handleMessage(
	ctx: RelayContext,
	state: DispatchState,
	conn: Connection,
	data: RawData,
	isBinary: boolean
): void {
	try {
		dispatch(ctx, state, conn, toBytes(data), isBinary);
	} catch (error) {
		ctx.log.error({ err: error, conn: conn.id }, 'frame handling failed');
		conn.err(undefined, 'internal');
	}
}

function dispatch(
	ctx: RelayContext,
	state: DispatchState,
	conn: Connection,
	bytes: Uint8Array,
	isBinary: boolean
): void {
	const started = performance.now();
	conn.frames++;
	const limited = rateLimit(conn);
	if (!isBinary) {
		conn.err(undefined, 'bad-frame', 'frames are binary CBOR');
		return;
	}
	const decoded = decodeRequest(bytes);
	if (!decoded.ok) {
		const rid = decoded.code === 'bad-frame' ? recoverRid(bytes) : undefined;
		conn.err(rid, decoded.code, decoded.why);
		ctx.log.debug({ conn: conn.id, bytes: bytes.length, code: decoded.code }, 'bad frame');
		return;
	}

	const req = decoded.frame;
	const outcome: Outcome = limited
		? { code: 'rate-limited', msg: limited }
		: state.closing
			? { code: 'internal', msg: 'the relay is shutting down' }
			: run(ctx, conn, req);
	if ('code' in outcome) conn.err(req.rid, outcome.code, outcome.msg);
	else if (outcome.answer !== DEFERRED) conn.ok(req.rid, outcome.answer);

	if (!ctx.log.isLevelEnabled('debug')) return;
	const ms = Math.round((performance.now() - started) * 100) / 100;
	const doc = 'doc' in req && req.doc instanceof Uint8Array ? logId(req.doc) : undefined;
	const code = 'code' in outcome ? outcome.code : undefined;
	const answer = 'answer' in outcome && outcome.answer !== DEFERRED ? outcome.answer : undefined;
	const seq = typeof answer?.seq === 'number' ? answer.seq : undefined;
	ctx.log.debug({ conn: conn.id, t: req.t, bytes: bytes.length, doc, seq, code, ms }, 'frame');
}

/**
 * Charges the connection's bucket and, once `hello` proved a device, the device's bucket shared
 * by all of its connections (a device can't multiply its allowance by opening sockets). Returns
 * the refusal's message, naming which limit was hit, or undefined.
 */
function rateLimit(conn: Connection): string | undefined {
	if (!conn.bucket.take()) {
		return `too many requests on this connection: at most ${conn.bucket.perSecond}/s (bursts of ${conn.bucket.burst}); slow down`;
	}
	const device = conn.deviceBucket;
	if (device && !device.take()) {
		return `too many requests from this device: at most ${device.perSecond}/s over all its connections (bursts of ${device.burst}); slow down`;
	}
	return undefined;
}

type Outcome = { answer: OkFields | typeof DEFERRED } | { code: ErrorCode; msg: string };

/** Runs the handler; a refusal becomes its code, anything else is logged and `internal`. */
function run(ctx: RelayContext, conn: Connection, req: Request): Outcome {
	try {
		const handler = HANDLERS[req.t] as Handler<RequestType>;
		return { answer: handler(ctx, conn, req) };
	} catch (error) {
		if (error instanceof RelayError) return { code: error.code, msg: error.message };
		ctx.log.error({ err: error, t: req.t }, 'handler failed');
		return { code: 'internal', msg: ErrorCodes.internal };
	}
}

/**
 * The `rid` of a frame that failed its schema check, so the device's pending request fails
 * at once instead of timing out. decodeRequest doesn't return it (see docs/protocol.md).
 */
function recoverRid(bytes: Uint8Array): number | undefined {
	try {
		const value = decodeCbor(bytes) as { rid?: unknown } | null;
		const rid = typeof value === 'object' && value !== null ? value.rid : undefined;
		return typeof rid === 'number' && Number.isSafeInteger(rid) && rid >= 0 ? rid : undefined;
	} catch {
		return undefined;
	}
}

/** `ws` hands over a Buffer by default; fragments and ArrayBuffers are handled for safety. */
function toBytes(data: RawData): Uint8Array {
	if (Array.isArray(data)) return Buffer.concat(data);
	if (data instanceof ArrayBuffer) return new Uint8Array(data);
	return data;
}
