import { WebSocket } from 'ws';
import { randomBytes } from '../src/lib/crypto/primitives.js';
import { ErrorCodes, type ErrorCode } from '../src/lib/protocol/errors.js';
import { encodeFrame, type ServerFrame } from '../src/lib/protocol/frames.js';
import type { DocState } from './DocRegistry.js';
import { DEAD_SOCKET_BYTES, PRESENCE_BURST, PRESENCE_RATE_PER_SECOND } from './limits.js';
import type { Logger } from './log.js';
import type { Subscription } from './Subscription.js';
import { TokenBucket } from './TokenBucket.js';

let nextConnectionId = 1;

/**
 * One device's WebSocket and what it has proved on it.
 *
 * @remarks
 * Proofs are bound to {@link Connection.challenge} and {@link Connection.origin}
 * (SECURITY-RULES.md, rule 4), so what a connection proved is kept here and dies with it: a
 * device that reconnects proves its device key and each document's access key again.
 */
export class Connection {
	/** A number for log lines that tell connections apart; says nothing about the device. */
	readonly id = nextConnectionId++;
	/** 32 random bytes sent in the `challenge` frame; every proof on this connection signs it. */
	readonly challenge = randomBytes(32);
	/** The device key proved by `hello`; undefined until then. */
	device: Uint8Array | undefined;
	/** Hex of {@link Connection.device}, for Map lookups. */
	deviceKey: string | undefined;
	/** The device's rate limit, shared by all its connections; set by `hello`. */
	deviceBucket: TokenBucket | undefined;
	/** The connection presented a valid practice admission token (sync-server/admission.ts). */
	admitted = false;
	/** Documents opened with a valid access proof. */
	readonly opened = new Set<DocState>();
	readonly subs = new Map<DocState, Subscription>();
	/** Presence frames have their own, tighter limit (limits.ts, PRESENCE_RATE_PER_SECOND). */
	readonly presenceBucket = new TokenBucket(PRESENCE_RATE_PER_SECOND, PRESENCE_BURST);
	/** Cleared by each heartbeat ping and set by the pong; see `HEARTBEAT_MS`. */
	alive = true;
	frames = 0;
	readonly started = performance.now();

	constructor(
		readonly ws: WebSocket,
		/** The origin proofs are checked against: the relay's host as the device addressed it. */
		readonly origin: string,
		readonly bucket: TokenBucket,
		readonly log: Logger
	) {}

	get isOpen(): boolean {
		return this.ws.readyState === WebSocket.OPEN;
	}

	/** Bytes queued on the socket and not yet handed to the kernel. */
	get buffered(): number {
		return this.ws.bufferedAmount;
	}

	send(frame: ServerFrame): void {
		this.sendBytes(encodeFrame(frame));
	}

	/**
	 * Sends an encoded frame. A device that doesn't read what it is sent would make the relay
	 * buffer without end, so past DEAD_SOCKET_BYTES the socket is dropped; the device reconnects
	 * and resumes from its cursor.
	 */
	sendBytes(bytes: Uint8Array): void {
		if (!this.isOpen) return;
		this.ws.send(bytes);
		if (this.ws.bufferedAmount > DEAD_SOCKET_BYTES) {
			this.log.warn({ conn: this.id, buffered: this.ws.bufferedAmount }, 'dropping slow socket');
			this.ws.terminate();
		}
	}

	/**
	 * Holds back this connection's writes until {@link uncork}, so that the answers and entries
	 * frames of one commit leave in one system call instead of one each (tests/bench, section 1).
	 * `ws` has no public way to do this: it reaches the `net.Socket` that ws 8 keeps in
	 * `_socket` (ws pinned in package.json); without one it does nothing and frames go one by one.
	 */
	cork(): void {
		socketOf(this.ws)?.cork();
	}

	uncork(): void {
		socketOf(this.ws)?.uncork();
	}

	ok(rid: number, fields: Record<string, unknown>): void {
		this.send({ ...fields, t: 'ok', rid });
	}

	err(rid: number | undefined, code: ErrorCode, msg: string = ErrorCodes[code]): void {
		this.send(rid === undefined ? { t: 'err', code, msg } : { t: 'err', rid, code, msg });
	}

	/** Records that this connection proved `accessPk` for the document. */
	open(doc: DocState, accessPk: Uint8Array): void {
		this.opened.add(doc);
		doc.readers.set(this, accessPk);
	}

	/** Forgets the document's access proof and stops its subscription. */
	leave(doc: DocState): void {
		this.unsubscribe(doc);
		this.opened.delete(doc);
		doc.readers.delete(this);
	}

	/** Starts a subscription, replacing any earlier one for the same document. */
	subscribe(sub: Subscription): void {
		this.unsubscribe(sub.doc);
		this.subs.set(sub.doc, sub);
		sub.doc.subs.add(sub);
		sub.start();
	}

	unsubscribe(doc: DocState): void {
		const sub = this.subs.get(doc);
		if (!sub) return;
		sub.stop();
		this.subs.delete(doc);
		doc.subs.delete(sub);
	}

	/** Drops every document and subscription; called once the socket closed. */
	leaveAll(): void {
		for (const doc of [...this.opened]) this.leave(doc);
	}
}

/** The TCP socket under a `ws` WebSocket (a private field of ws 8), if it is there. */
function socketOf(ws: WebSocket): { cork(): void; uncork(): void } | undefined {
	const socket = (ws as unknown as { _socket?: { cork?: unknown; uncork?: unknown } })._socket;
	return typeof socket?.cork === 'function' && typeof socket.uncork === 'function'
		? (socket as { cork(): void; uncork(): void })
		: undefined;
}
