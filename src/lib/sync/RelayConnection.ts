import { EventEmitter } from 'eventemitter3';
import type { SignKeyPair } from '../crypto/primitives.js';
import { signDeviceAuth, relayOriginOf } from '../protocol/auth.js';
import { RelayError } from '../protocol/errors.js';
import {
	decodeServerFrame,
	encodeFrame,
	type OkFrame,
	type Push,
	type Request,
	type RequestType
} from '../protocol/frames.js';

/**
 * One device's connection to the relay: says hello with the device key, matches answers to
 * requests, and reconnects with exponential backoff and jitter after any drop. Everything it
 * sends is either public (keys, proofs) or sealed; it never logs frame contents.
 */

export type ConnectionStatus = 'offline' | 'connecting' | 'online';

export interface RelayConnectionEvents {
	status: (status: ConnectionStatus) => void;
	/** Authenticated and ready for requests; fired after every (re)connect. */
	ready: () => void;
	push: (frame: Push) => void;
}

/** The subset of the WebSocket API used here; the browser's and `ws`'s both fit. */
export interface SocketLike {
	binaryType: string;
	readyState: number;
	onopen: ((ev: unknown) => void) | null;
	onclose: ((ev: unknown) => void) | null;
	onerror: ((ev: unknown) => void) | null;
	onmessage: ((ev: { data: unknown }) => void) | null;
	send(data: Uint8Array): void;
	close(code?: number): void;
}

export type SocketFactory = (url: string) => SocketLike;

type RequestBody<T extends RequestType> = Omit<Request<T>, 't' | 'rid'>;

const REQUEST_TIMEOUT_MS = 20_000;
/** A heartbeat every 15 s; no answer within 10 s closes the socket and starts reconnecting. */
const HEARTBEAT_INTERVAL_MS = 15_000;
const HEARTBEAT_TIMEOUT_MS = 10_000;
const BACKOFF_START_MS = 500;
const BACKOFF_MAX_MS = 30_000;

interface Pending {
	resolve: (frame: OkFrame) => void;
	reject: (error: Error) => void;
	timer: ReturnType<typeof setTimeout>;
}

export class RelayConnection extends EventEmitter<RelayConnectionEvents> {
	readonly url: string;
	readonly origin: string;
	#device: SignKeyPair;
	#factory: SocketFactory;
	#socket: SocketLike | undefined;
	#status: ConnectionStatus = 'offline';
	#challenge: Uint8Array | undefined;
	#pending = new Map<number, Pending>();
	#nextRid = 1;
	#attempt = 0;
	#retryTimer: ReturnType<typeof setTimeout> | undefined;
	#stopped = true;
	#heartbeat: ReturnType<typeof setInterval> | undefined;
	/** Gives up on a connection attempt that never opens; cleared by `stop()`. */
	#connectTimer: ReturnType<typeof setTimeout> | undefined;

	constructor(url: string, device: SignKeyPair, factory: SocketFactory) {
		super();
		this.url = url;
		this.origin = relayOriginOf(url);
		this.#device = device;
		this.#factory = factory;
	}

	get status(): ConnectionStatus {
		return this.#status;
	}

	/** The challenge of the current connection; proofs bind to it (rule 4). */
	get challenge(): Uint8Array {
		if (!this.#challenge || this.#status !== 'online') throw new RelayError('unauthenticated');
		return this.#challenge;
	}

	start(): void {
		if (!this.#stopped) return;
		this.#stopped = false;
		this.#open();
	}

	stop(): void {
		this.#stopped = true;
		clearTimeout(this.#retryTimer);
		// A pending timer would keep this connection, and through it the app's state, alive
		// after a lock (SECURITY-RULES.md rule 17).
		clearTimeout(this.#connectTimer);
		this.#socket?.close();
		this.#dropped();
	}

	/** Reconnects now instead of waiting for the backoff (e.g. when the browser goes online). */
	retryNow(): void {
		if (this.#stopped || this.#status !== 'offline') return;
		clearTimeout(this.#retryTimer);
		this.#attempt = 0;
		this.#open();
	}

	/**
	 * The browser says the network is gone: drop the socket now rather than wait for a
	 * heartbeat to time out (an open WebSocket can linger without carrying anything).
	 */
	networkLost(): void {
		if (this.#socket) this.#abandon(this.#socket);
	}

	/**
	 * Gives up on a socket at once: a dead connection's close handshake can take minutes, and
	 * until then nothing would be resent.
	 */
	#abandon(socket: SocketLike): void {
		if (this.#socket !== socket) return;
		this.#socket = undefined;
		socket.onmessage = null;
		socket.onclose = null;
		socket.onerror = null;
		try {
			socket.close();
		} catch {
			// Already closed.
		}
		this.#dropped();
		this.#scheduleRetry();
	}

	/** Sends a request and resolves with the relay's `ok` answer; rejects with RelayError. */
	request<T extends RequestType>(type: T, body: RequestBody<T>): Promise<OkFrame> {
		const socket = this.#socket;
		if (!socket || this.#status !== 'online') {
			return Promise.reject(new RelayError('unauthenticated', 'not connected'));
		}
		return this.#send(socket, type, body);
	}

	#send<T extends RequestType>(
		socket: SocketLike,
		type: T,
		body: RequestBody<T>,
		timeoutMs = REQUEST_TIMEOUT_MS
	) {
		const rid = this.#nextRid++;
		return new Promise<OkFrame>((resolve, reject) => {
			const timer = setTimeout(() => {
				this.#pending.delete(rid);
				reject(new RelayError('internal', 'request timed out'));
				this.#abandon(socket);
			}, timeoutMs);
			this.#pending.set(rid, { resolve, reject, timer });
			try {
				socket.send(encodeFrame({ t: type, rid, ...body } as Request));
			} catch {
				this.#abandon(socket);
			}
		});
	}

	#setStatus(status: ConnectionStatus) {
		if (this.#status === status) return;
		this.#status = status;
		this.emit('status', status);
	}

	#open() {
		this.#setStatus('connecting');
		let socket: SocketLike;
		try {
			socket = this.#factory(this.url);
		} catch {
			this.#scheduleRetry();
			return;
		}
		socket.binaryType = 'arraybuffer';
		this.#socket = socket;
		socket.onmessage = (event) => this.#onMessage(socket, event.data);
		socket.onclose = () => {
			if (this.#socket !== socket) return;
			this.#socket = undefined;
			this.#dropped();
			this.#scheduleRetry();
		};
		socket.onerror = () => this.#abandon(socket);
		// A relay that never answers (a black-holed address) counts as down after 10 s.
		clearTimeout(this.#connectTimer);
		this.#connectTimer = setTimeout(() => {
			if (this.#socket === socket && this.#status !== 'online') this.#abandon(socket);
		}, HEARTBEAT_TIMEOUT_MS);
	}

	#dropped() {
		this.#challenge = undefined;
		clearInterval(this.#heartbeat);
		this.#heartbeat = undefined;
		for (const pending of this.#pending.values()) {
			clearTimeout(pending.timer);
			pending.reject(new RelayError('internal', 'connection closed'));
		}
		this.#pending.clear();
		this.#setStatus('offline');
	}

	#scheduleRetry() {
		if (this.#stopped) return;
		const base = Math.min(BACKOFF_MAX_MS, BACKOFF_START_MS * 2 ** this.#attempt);
		this.#attempt++;
		// Full jitter: many devices reconnecting after a relay restart don't arrive together.
		const delay = base / 2 + Math.random() * (base / 2);
		this.#retryTimer = setTimeout(() => this.#open(), delay);
	}

	#onMessage(socket: SocketLike, data: unknown) {
		if (!(data instanceof ArrayBuffer) && !(data instanceof Uint8Array)) return;
		const bytes = data instanceof Uint8Array ? data : new Uint8Array(data);
		const decoded = decodeServerFrame(bytes);
		if (!decoded.ok) return;
		const frame = decoded.frame;

		if (frame.t === 'challenge') {
			this.#challenge = frame.nonce;
			const sig = signDeviceAuth(this.#device, this.origin, frame.nonce);
			this.#send(socket, 'hello', { device: this.#device.publicKey, sig }).then(
				() => {
					this.#attempt = 0;
					this.#setStatus('online');
					clearInterval(this.#heartbeat);
					this.#heartbeat = setInterval(() => {
						// A failed or late answer closes the socket; reconnecting follows.
						this.#send(socket, 'ping', {}, HEARTBEAT_TIMEOUT_MS).catch(() => this.#abandon(socket));
					}, HEARTBEAT_INTERVAL_MS);
					this.emit('ready');
				},
				() => this.#abandon(socket)
			);
			return;
		}
		if (frame.t === 'ok' || frame.t === 'err') {
			const pending = frame.rid === undefined ? undefined : this.#pending.get(frame.rid);
			if (!pending || frame.rid === undefined) return;
			this.#pending.delete(frame.rid);
			clearTimeout(pending.timer);
			if (frame.t === 'ok') pending.resolve(frame);
			else pending.reject(new RelayError(frame.code, frame.msg));
			return;
		}
		this.emit('push', frame);
	}
}
