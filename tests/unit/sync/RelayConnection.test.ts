import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { generateSignKeyPair } from '../../../src/lib/crypto/primitives.js';
import { readyCrypto } from '../../../src/lib/crypto/sodium.js';
import { encodeFrame, decodeRequest } from '../../../src/lib/protocol/frames.js';
import { RelayConnection, type SocketLike } from '../../../src/lib/sync/RelayConnection.js';

beforeAll(async () => {
	await readyCrypto();
});

afterEach(() => {
	vi.useRealTimers();
});

/** A relay stand-in: sends a challenge, answers hello, and answers pings only while `alive`. */
class FakeSocket implements SocketLike {
	binaryType = 'arraybuffer';
	readyState = 1;
	onopen: ((ev: unknown) => void) | null = null;
	onclose: ((ev: unknown) => void) | null = null;
	onerror: ((ev: unknown) => void) | null = null;
	onmessage: ((ev: { data: unknown }) => void) | null = null;
	alive = true;
	closed = false;
	sent: string[] = [];

	constructor() {
		queueMicrotask(() =>
			this.#deliver(encodeFrame({ t: 'challenge', nonce: new Uint8Array(32), v: 1 }))
		);
	}

	send(data: Uint8Array) {
		const decoded = decodeRequest(data);
		if (!decoded.ok) return;
		this.sent.push(decoded.frame.t);
		if (decoded.frame.t === 'ping' && !this.alive) return;
		this.#deliver(encodeFrame({ t: 'ok', rid: decoded.frame.rid }));
	}

	close() {
		this.closed = true;
	}

	#deliver(bytes: Uint8Array) {
		queueMicrotask(() => this.onmessage?.({ data: bytes.buffer.slice(0) }));
	}
}

/** A connection whose every socket is a FakeSocket, collected in order. */
function connectToFake() {
	const sockets: FakeSocket[] = [];
	const connection = new RelayConnection('ws://localhost:1', generateSignKeyPair(), () => {
		const socket = new FakeSocket();
		sockets.push(socket);
		return socket;
	});
	return { sockets, connection };
}

describe('RelayConnection', () => {
	it('notices a connection that silently stopped answering, and reconnects', async () => {
		vi.useFakeTimers();
		const { sockets, connection } = connectToFake();
		connection.start();
		await vi.advanceTimersByTimeAsync(10);
		expect(connection.status).toBe('online');

		sockets[0].alive = false; // the network is gone but no close event comes
		await vi.advanceTimersByTimeAsync(15_000 + 10_000 + 10);

		expect(sockets[0].sent).toContain('ping');
		expect(sockets[0].closed).toBe(true);
		await vi.advanceTimersByTimeAsync(2_000);
		expect(sockets.length).toBe(2);
		expect(connection.status).toBe('online');
		connection.stop();
	});

	it('stays online while pings are answered (control)', async () => {
		vi.useFakeTimers();
		const { sockets, connection } = connectToFake();
		connection.start();
		await vi.advanceTimersByTimeAsync(60_000);
		expect(connection.status).toBe('online');
		expect(sockets.length).toBe(1);
		connection.stop();
	});

	it('drops the socket at once when the browser reports the network lost', async () => {
		vi.useFakeTimers();
		const { sockets, connection } = connectToFake();
		connection.start();
		await vi.advanceTimersByTimeAsync(10);
		connection.networkLost();
		expect(connection.status).toBe('offline');
		expect(sockets[0].closed).toBe(true);
		connection.stop();
	});
});
