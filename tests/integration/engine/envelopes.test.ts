import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { WebSocketServer } from 'ws';
import { generateBoxKeyPair, generateSignKeyPair, randomBytes } from '../../../src/lib/crypto/primitives.js';
import { readyCrypto } from '../../../src/lib/crypto/sodium.js';
import { decodeRequest, encodeFrame } from '../../../src/lib/protocol/frames.js';
import { verifyGenesis } from '../../../src/lib/protocol/records.js';
import { createEnvelope, createGenesis } from '../../../src/lib/sync/documentRecords.js';
import type { PendingJoin } from '../../../src/lib/sync/SyncEngine.js';
import { MemoryBackend } from '../../../src/lib/storage/MemoryBackend.js';
import { nodeDevice, waitFor, type NodeDevice } from '../../helpers/nodeDevice.js';

/**
 * Rule 3: a key envelope is accepted only when the device that invited us signed it. Here the
 * relay itself is hostile: it hands the waiting client an envelope for the right document,
 * signed by someone else (who administers a look-alike document and chose the secret).
 */
let server: WebSocketServer | undefined;
let device: NodeDevice | undefined;

beforeAll(async () => {
	await readyCrypto();
});

afterEach(async () => {
	device?.stop();
	await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
});

describe('key envelopes', () => {
	async function deliver(signedByInviter: boolean) {
		const inviter = generateSignKeyPair();
		const mallory = generateSignKeyPair();
		const real = createGenesis(inviter, 'conversation');
		const fake = createGenesis(mallory, 'conversation');
		const fakeHead = verifyGenesis(fake.genesis);
		if (!fakeHead.ok) throw new Error('genesis');

		const requests: string[] = [];
		let acked: number[] = [];
		server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
		const port = await new Promise<number>((resolve) =>
			server!.on('listening', () => resolve((server!.address() as { port: number }).port))
		);
		const clientDevice = generateSignKeyPair();
		const clientBox = generateBoxKeyPair();
		// Mallory's envelope names the real document and the client, sealed to the client's box key.
		const signer = signedByInviter ? inviter : mallory;
		const forged = createEnvelope(signer, { ...fakeHead.value, doc: real.doc }, fake.secret, {
			device: clientDevice.publicKey,
			boxPk: clientBox.publicKey
		});
		server.on('connection', (socket) => {
			socket.send(encodeFrame({ t: 'challenge', nonce: randomBytes(32), v: 1 }));
			socket.on('message', (data) => {
				const decoded = decodeRequest(new Uint8Array(data as Buffer));
				if (!decoded.ok) return;
				const frame = decoded.frame;
				requests.push(frame.t);
				if (frame.t === 'mail.fetch') {
					socket.send(encodeFrame({ t: 'ok', rid: frame.rid, items: [{ seq: 1, b: forged }] }));
				} else if (frame.t === 'mail.ack') {
					acked = frame.ids;
					socket.send(encodeFrame({ t: 'ok', rid: frame.rid }));
				} else if (frame.t === 'invite.pending') {
					socket.send(encodeFrame({ t: 'ok', rid: frame.rid, claims: [] }));
				} else if (frame.t === 'invite.get') {
					socket.send(encodeFrame({ t: 'ok', rid: frame.rid, state: 'claimed' }));
				} else {
					socket.send(encodeFrame({ t: 'ok', rid: frame.rid }));
				}
			});
		});

		device = nodeDevice(`ws://127.0.0.1:${port}`, {
			backend: new MemoryBackend(),
			storageKey: randomBytes(32),
			box: clientBox,
			ctx: { author: { device: clientDevice, incarnation: randomBytes(16) } }
		});
		const join: PendingJoin = {
			invite: randomBytes(16),
			secret: randomBytes(16),
			info: { doc: real.doc, inviter: inviter.publicKey, inviterName: 'Dr. R', title: 'T', kind: 'conversation' },
			name: 'Sam'
		};
		await device.engine.rememberJoin(join);
		let admitted = false;
		device.engine.on('admitted', () => (admitted = true));
		device.engine.start();

		await waitFor(() => acked.length > 0, 10_000, 'the envelope to be handled');
		return { acked, admitted, requests, joins: await device.engine.pendingJoins() };
	}

	it('refuses an envelope not signed by the inviter, even when the relay delivers it', async () => {
		const result = await deliver(false);

		expect(result.acked).toEqual([1]);
		expect(result.admitted).toBe(false);
		expect(result.requests).not.toContain('doc.open');
		expect(result.joins).toHaveLength(1);
	});

	it('goes on to open the document when the inviter signed it (control)', async () => {
		const result = await deliver(true);

		// The hostile relay then serves no valid chain, so nobody is let in either way.
		expect(result.requests).toContain('doc.open');
		expect(result.admitted).toBe(false);
	});
});
