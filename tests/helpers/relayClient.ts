import { WebSocket } from 'ws';
import { relayOriginOf, signAccessProof, signDeviceAuth } from '../../src/lib/protocol/auth.js';
import { encodeCbor } from '../../src/lib/protocol/cbor.js';
import { equalBytes } from '../../src/lib/protocol/bytes.js';
import { RelayError } from '../../src/lib/protocol/errors.js';
import {
	decodeServerFrame,
	encodeFrame,
	type ErrFrame,
	type Item,
	type OkFrame,
	type Push,
	type PushType,
	type Request,
	type RequestType
} from '../../src/lib/protocol/frames.js';
import type { SignKeyPair } from '../../src/lib/crypto/primitives.js';

interface Pending {
	settle(frame: OkFrame | ErrFrame): void;
	fail(error: Error): void;
}

/** The fields of a request, without `t` and `rid` (the client adds those). */
export type RequestFields<T extends RequestType> = Omit<Request<T>, 't' | 'rid'>;

const DEFAULT_TIMEOUT_MS = 10_000;

/**
 * A Node test client for the relay: connects, keeps the challenge, numbers requests and
 * matches answers, and collects everything the relay pushes. Requires `await readyCrypto()`
 * before {@link RelayClient.hello} or {@link RelayClient.openDoc}.
 *
 * @example
 * ```ts
 * const alice = await RelayClient.connect(relay.url);
 * await alice.hello(aliceDevice);
 * await alice.request('doc.create', { genesis });
 * await alice.openDoc(doc, access, 0);
 * await alice.request('sub', { doc, after: 0 });
 * const items = await alice.waitForEntries(doc, 3);
 * ```
 */
export class RelayClient {
	/** Pushes (`entries`, `head`, `claim`, `mail`) in arrival order. */
	readonly pushes: Push[] = [];
	/** `err` frames without a `rid` (answers to frames the relay could not read). */
	readonly errors: ErrFrame[] = [];
	/** Type and size of every frame received, for checks on frame sizes. */
	readonly received: { t: string; bytes: number }[] = [];
	/** Frames from the relay that failed `decodeServerFrame`: should stay empty. */
	readonly invalid: Uint8Array[] = [];
	device: SignKeyPair | undefined;
	/** Resolves when the socket closes, with the close code. */
	readonly closed: Promise<number>;

	#rid = 1;
	readonly #pending = new Map<number, Pending>();
	readonly #waiters = new Set<() => void>();

	private constructor(
		readonly ws: WebSocket,
		readonly challenge: Uint8Array,
		/** The origin proofs are bound to: the URL's host, as the app computes it. */
		readonly origin: string
	) {
		this.closed = new Promise((resolve) => ws.once('close', (code) => resolve(code)));
		ws.on('message', (data, isBinary) => {
			if (isBinary) this.#receive(new Uint8Array(data as Buffer));
		});
		ws.on('close', () => {
			for (const pending of this.#pending.values()) pending.fail(new Error('socket closed'));
			this.#pending.clear();
			this.#wake();
		});
	}

	/** Opens a socket and waits for the relay's `challenge`. */
	static connect(url: string, timeoutMs = DEFAULT_TIMEOUT_MS): Promise<RelayClient> {
		return new Promise((resolve, reject) => {
			const ws = new WebSocket(url, { maxPayload: 4 * 1024 * 1024 });
			const timer = setTimeout(() => {
				ws.terminate();
				reject(new Error('no challenge from the relay'));
			}, timeoutMs);
			ws.once('error', (error) => {
				clearTimeout(timer);
				reject(error);
			});
			ws.once('message', (data) => {
				clearTimeout(timer);
				const decoded = decodeServerFrame(new Uint8Array(data as Buffer));
				if (!decoded.ok || decoded.frame.t !== 'challenge') {
					ws.terminate();
					reject(new Error('the first frame is not a challenge'));
					return;
				}
				resolve(new RelayClient(ws, decoded.frame.nonce, relayOriginOf(url)));
			});
		});
	}

	/** Sends a request and resolves with its `ok`; rejects with a {@link RelayError} on `err`. */
	async request<T extends RequestType>(
		t: T,
		fields: RequestFields<T>,
		timeoutMs = DEFAULT_TIMEOUT_MS
	): Promise<OkFrame> {
		const answer = await this.requestRaw(t, fields, timeoutMs);
		if (answer.t === 'err') throw new RelayError(answer.code, answer.msg);
		return answer;
	}

	/** Sends a request and resolves with its answer, `ok` or `err`. */
	requestRaw<T extends RequestType>(
		t: T,
		fields: RequestFields<T>,
		timeoutMs = DEFAULT_TIMEOUT_MS
	): Promise<OkFrame | ErrFrame> {
		const rid = this.#rid++;
		const frame = { ...fields, t, rid } as Request;
		return this.#await(rid, encodeFrame(frame), timeoutMs);
	}

	/**
	 * Sends any map as a request (a `rid` is added), without type checks: for malformed and
	 * hostile frames. Resolves with the relay's answer to that rid.
	 */
	requestUnchecked(frame: Record<string, unknown>, timeoutMs = DEFAULT_TIMEOUT_MS) {
		const rid = this.#rid++;
		return this.#await(rid, encodeCbor({ ...frame, rid }), timeoutMs);
	}

	/** Sends raw bytes (binary frame) or a string (text frame). */
	sendRaw(data: Uint8Array | string): void {
		this.ws.send(data, { binary: typeof data !== 'string' });
	}

	/** Proves the device key on this connection (`hello`). */
	async hello(device: SignKeyPair): Promise<void> {
		const sig = signDeviceAuth(device, this.origin, this.challenge);
		await this.request('hello', { device: device.publicKey, sig });
		this.device = device;
	}

	/** Proves the document's access key for `epoch` on this connection (`doc.open`). */
	openDoc(doc: Uint8Array, access: SignKeyPair, epoch = 0): Promise<OkFrame> {
		const sig = signAccessProof(access, this.origin, this.challenge, doc, epoch);
		return this.request('doc.open', { doc, epoch, accessPk: access.publicKey, sig });
	}

	/** Every entry item pushed for the document so far, in arrival order. */
	entries(doc: Uint8Array): Item[] {
		return this.pushes.flatMap((push) =>
			push.t === 'entries' && equalBytes(push.doc, doc) ? push.items : []
		);
	}

	/** Waits until at least `count` entry items arrived for the document. */
	async waitForEntries(doc: Uint8Array, count: number, timeoutMs = DEFAULT_TIMEOUT_MS) {
		await this.waitUntil(() => this.entries(doc).length >= count, timeoutMs, `${count} entries`);
		return this.entries(doc);
	}

	/** Waits for a push of type `t` that matches `match` (pushes already received count). */
	async waitForPush<T extends PushType>(
		t: T,
		match: (push: Push<T>) => boolean = () => true,
		timeoutMs = DEFAULT_TIMEOUT_MS
	): Promise<Push<T>> {
		const find = (): Push<T> | undefined => {
			for (const push of this.pushes) {
				if (push.t === t && match(push as unknown as Push<T>)) return push as unknown as Push<T>;
			}
			return undefined;
		};
		await this.waitUntil(() => find() !== undefined, timeoutMs, `a ${t} push`);
		return find() as Push<T>;
	}

	/** Resolves once `condition()` holds, re-checked after every frame; rejects on timeout. */
	waitUntil(condition: () => boolean, timeoutMs = DEFAULT_TIMEOUT_MS, what = 'condition') {
		return new Promise<void>((resolve, reject) => {
			if (condition()) return resolve();
			const check = () => {
				if (!condition()) return;
				cleanup();
				resolve();
			};
			const timer = setTimeout(() => {
				cleanup();
				reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`));
			}, timeoutMs);
			const cleanup = () => {
				clearTimeout(timer);
				this.#waiters.delete(check);
			};
			this.#waiters.add(check);
		});
	}

	/** Closes the socket and waits until it is closed. */
	async close(): Promise<void> {
		if (this.ws.readyState === WebSocket.CLOSED) return;
		this.ws.close();
		await this.closed;
	}

	/** Drops the TCP connection without a close handshake. */
	terminate(): void {
		this.ws.terminate();
	}

	#await(rid: number, bytes: Uint8Array, timeoutMs: number): Promise<OkFrame | ErrFrame> {
		return new Promise((resolve, reject) => {
			const timer = setTimeout(() => {
				this.#pending.delete(rid);
				reject(new Error(`no answer to request ${rid} within ${timeoutMs} ms`));
			}, timeoutMs);
			this.#pending.set(rid, {
				settle: (frame) => {
					clearTimeout(timer);
					resolve(frame);
				},
				fail: (error) => {
					clearTimeout(timer);
					reject(error);
				}
			});
			this.ws.send(bytes, (error) => {
				if (!error) return;
				clearTimeout(timer);
				this.#pending.delete(rid);
				reject(error);
			});
		});
	}

	#receive(bytes: Uint8Array): void {
		const decoded = decodeServerFrame(bytes);
		if (!decoded.ok) {
			this.invalid.push(bytes);
			return;
		}
		const frame = decoded.frame;
		this.received.push({ t: frame.t, bytes: bytes.length });
		if (frame.t === 'ok' || frame.t === 'err') {
			const pending = frame.rid === undefined ? undefined : this.#pending.get(frame.rid);
			if (pending && frame.rid !== undefined) {
				this.#pending.delete(frame.rid);
				pending.settle(frame);
			} else if (frame.t === 'err') {
				this.errors.push(frame);
			}
		} else {
			this.pushes.push(frame);
		}
		this.#wake();
	}

	#wake(): void {
		for (const check of [...this.#waiters]) check();
	}
}
