import { WebSocket } from 'ws';
import type { SignKeyPair } from '../../src/lib/crypto/primitives.js';
import { relayOriginOf, signAccessProof, signDeviceAuth } from '../../src/lib/protocol/auth.js';
import { decodeCbor } from '../../src/lib/protocol/cbor.js';
import {
	encodeFrame,
	type Item,
	type Request,
	type RequestType
} from '../../src/lib/protocol/frames.js';

/**
 * A lean relay client for load generation, speaking docs/protocol.md.
 *
 * @remarks
 * `tests/helpers/relayClient.ts` keeps every frame it receives and re-scans them on each one,
 * which is right for tests and quadratic under load. This one keeps nothing: answers settle a
 * promise or bump a counter, and `entries` items go to {@link LoadClient.onItems}. Frames are
 * decoded with plain CBOR, not the full schema check, so that the load generator spends as
 * little of the shared CPU as possible (both relays it drives are measured with the same
 * client, so its cost is the same on both sides of a ratio).
 */
export class LoadClient {
	/** Called with every `entries` push's items, as they arrive. */
	onItems: (doc: Uint8Array, items: Item[]) => void = () => {};
	/** Called for each answer to a request sent with {@link LoadClient.sendPush}. */
	onPushAnswer: (ok: boolean) => void = () => {};
	/** `err` answers seen, by code: a load that gets any is misconfigured (e.g. rate-limited). */
	readonly errors = new Map<string, number>();

	#rid = 1;
	/** Rids at or above this were sent by {@link LoadClient.sendPush}. */
	readonly #firstPushRid = 1_000_000;
	#pushRid = this.#firstPushRid;
	readonly #pending = new Map<number, (frame: Answer) => void>();

	private constructor(
		readonly ws: WebSocket,
		readonly challenge: Uint8Array,
		readonly origin: string
	) {
		ws.on('message', (data) => this.#receive(data as Buffer));
		ws.on('close', () => {
			for (const settle of this.#pending.values()) {
				settle({ t: 'err', code: 'closed', msg: 'socket closed' });
			}
			this.#pending.clear();
		});
	}

	/** Connects and waits for the relay's `challenge`. */
	static connect(url: string): Promise<LoadClient> {
		return new Promise((resolve, reject) => {
			const ws = new WebSocket(url, { maxPayload: 4 * 1024 * 1024 });
			const timer = setTimeout(() => reject(new Error(`no challenge from ${url}`)), 10_000);
			ws.once('error', reject);
			ws.once('message', (data) => {
				clearTimeout(timer);
				const frame = decodeCbor(data as Buffer) as { t?: string; nonce?: Uint8Array };
				if (frame.t !== 'challenge' || !frame.nonce) return reject(new Error('no challenge'));
				resolve(new LoadClient(ws, frame.nonce, relayOriginOf(url)));
			});
		});
	}

	/** Sends a request and waits for its `ok` fields; throws on `err`. */
	async request<T extends RequestType>(
		t: T,
		fields: Omit<Request<T>, 't' | 'rid'>
	): Promise<Record<string, unknown>> {
		const rid = this.#rid++;
		const answer = await new Promise<Answer>((resolve) => {
			this.#pending.set(rid, resolve);
			this.ws.send(encodeFrame({ ...fields, t, rid } as Request));
		});
		if (answer.t === 'err') throw new Error(`${t} refused: ${answer.code} (${answer.msg})`);
		return answer;
	}

	/** `hello` with the device key, bound to this connection's challenge. */
	async hello(device: SignKeyPair): Promise<void> {
		const sig = signDeviceAuth(device, this.origin, this.challenge);
		await this.request('hello', { device: device.publicKey, sig });
	}

	/** `doc.open`: proves the document's access key of epoch 0 on this connection. */
	open(doc: Uint8Array, access: SignKeyPair) {
		const sig = signAccessProof(access, this.origin, this.challenge, doc, 0);
		return this.request('doc.open', { doc, epoch: 0, accessPk: access.publicKey, sig });
	}

	/** `doc.open`, then `sub` from `after`. */
	async openAndSubscribe(doc: Uint8Array, access: SignKeyPair, after = 0) {
		await this.open(doc, access);
		return this.request('sub', { doc, after });
	}

	/** Sends a `push` without waiting; its answer goes to {@link LoadClient.onPushAnswer}. */
	sendPush(doc: Uint8Array, entry: Uint8Array): void {
		this.ws.send(encodeFrame({ t: 'push', rid: this.#pushRid++, doc, entry }));
	}

	close(): void {
		this.ws.terminate();
	}

	#receive(bytes: Uint8Array): void {
		const frame = decodeCbor(bytes) as Frame;
		if (frame.t === 'entries') {
			if (frame.doc && frame.items) this.onItems(frame.doc, frame.items);
			return;
		}
		if (frame.t !== 'ok' && frame.t !== 'err') return;
		if (frame.t === 'err') {
			const code = String(frame.code);
			this.errors.set(code, (this.errors.get(code) ?? 0) + 1);
		}
		const rid = frame.rid ?? 0;
		if (rid >= this.#firstPushRid) {
			this.onPushAnswer(frame.t === 'ok');
			return;
		}
		const settle = this.#pending.get(rid);
		this.#pending.delete(rid);
		settle?.(frame as Answer);
	}
}

/** Any frame from the relay, unchecked: only the fields the load generator reads. */
interface Frame {
	t?: string;
	rid?: number;
	code?: unknown;
	doc?: Uint8Array;
	items?: Item[];
}

type Answer =
	| ({ t: 'ok'; rid?: number } & Record<string, unknown>)
	| { t: 'err'; rid?: number; code: string; msg: string };
