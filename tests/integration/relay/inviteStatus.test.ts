import { createServer, type Server, type Socket } from 'node:net';
import WebSocket from 'ws';
import { afterEach, describe, expect, it } from 'vitest';
import { randomBytes } from '../../../src/lib/crypto/primitives.js';
import { formatInviteFragment } from '../../../src/lib/protocol/invite.js';
import { checkInviteStatus } from '../../../src/lib/sync/inviteStatus.js';
import type { SocketFactory, SocketLike } from '../../../src/lib/sync/RelayConnection.js';
import { claimFields, connectAs, makeInvite, newDevice, useRelay } from './fixtures.js';

/**
 * The check a new device runs before its passphrase (src/lib/sync/inviteStatus.ts), against the
 * real relay: what it reports for each state of an invite, for links that were altered, and for
 * a relay it can't reach or that never answers. Every socket it opens is closed again.
 */

const env = useRelay();
const track = env.track;
const DAY = 24 * 60 * 60 * 1000;

/** Sockets the check opened, to see that it closed each one. */
const opened: WebSocket[] = [];
const factory: SocketFactory = (url) => {
	const socket = new WebSocket(url);
	opened.push(socket);
	return socket as unknown as SocketLike;
};

let silent: { server: Server; sockets: Set<Socket> } | undefined;

afterEach(async () => {
	for (const socket of opened.splice(0)) socket.terminate();
	if (silent) {
		for (const socket of silent.sockets) socket.destroy();
		await new Promise((resolve) => silent?.server.close(resolve));
		silent = undefined;
	}
});

/** An inviter with a new invite at the relay, and the link's fragment. */
async function inviteAt() {
	const inviter = newDevice();
	const client = track(await connectAs(env.relay.url, inviter));
	const invite = makeInvite(randomBytes(32), inviter);
	await client.request('invite.create', {
		invite: invite.id,
		authPk: invite.keys.auth.publicKey,
		info: invite.info,
		expires: Date.now() + 7 * DAY
	});
	return { client, invite, fragment: formatInviteFragment(invite.id, invite.secret) };
}

async function allClosed() {
	const deadline = Date.now() + 5000;
	while (opened.some((socket) => socket.readyState !== WebSocket.CLOSED)) {
		if (Date.now() > deadline) throw new Error('a socket the check opened is still open');
		await new Promise((resolve) => setTimeout(resolve, 20));
	}
}

describe('invite status before a passphrase', () => {
	it('reports open, used, closed and cancelled invites, naming the inviter from the sealed details', async () => {
		const open = await inviteAt();
		expect(await checkInviteStatus(env.relay.url, open.fragment, factory)).toEqual({
			state: 'open',
			inviterName: 'Dr. Rivera',
			title: 'Session notes'
		});

		// Claimed by someone else: the link was used.
		const sam = newDevice();
		const samClient = track(await connectAs(env.relay.url, sam));
		await samClient.request('invite.claim', claimFields(samClient, sam, open.invite));
		expect(await checkInviteStatus(env.relay.url, open.fragment, factory)).toEqual({
			state: 'claimed',
			inviterName: 'Dr. Rivera'
		});
		// Closed once Sam was let in: still a used link.
		await open.client.request('invite.close', { invite: open.invite.id });
		expect(await checkInviteStatus(env.relay.url, open.fragment, factory)).toEqual({
			state: 'claimed',
			inviterName: 'Dr. Rivera'
		});

		const cancelled = await inviteAt();
		await cancelled.client.request('invite.revoke', { invite: cancelled.invite.id });
		expect(await checkInviteStatus(env.relay.url, cancelled.fragment, factory)).toEqual({
			state: 'revoked',
			inviterName: 'Dr. Rivera'
		});
		await allClosed();
	});

	it('calls a link invalid when its id is unknown, its secret was changed, or it is malformed', async () => {
		const { invite } = await inviteAt();
		const unknownId = formatInviteFragment(randomBytes(16), invite.secret);
		const otherSecret = formatInviteFragment(invite.id, randomBytes(16));
		for (const fragment of [unknownId, otherSecret]) {
			expect(await checkInviteStatus(env.relay.url, fragment, factory)).toEqual({ state: 'invalid' });
		}
		const before = opened.length;
		expect(await checkInviteStatus(env.relay.url, 'not-a-link', factory)).toEqual({
			state: 'invalid'
		});
		expect(opened.length).toBe(before); // a malformed link needs no relay
		await allClosed();
	});

	it('says offline when nothing listens, or when the relay never answers', async () => {
		const { fragment } = await inviteAt();
		// A port that was just free: the connection is refused.
		const free = createServer();
		await new Promise<void>((resolve) => free.listen(0, '127.0.0.1', resolve));
		const { port } = free.address() as { port: number };
		await new Promise((resolve) => free.close(resolve));
		expect(await checkInviteStatus(`ws://127.0.0.1:${port}`, fragment, factory)).toEqual({
			state: 'offline'
		});

		// Something accepts the connection and then says nothing (a black hole).
		const sockets = new Set<Socket>();
		const server = createServer((socket) => void sockets.add(socket));
		silent = { server, sockets };
		await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
		const silentPort = (server.address() as { port: number }).port;
		expect(await checkInviteStatus(`ws://127.0.0.1:${silentPort}`, fragment, factory, 300)).toEqual({
			state: 'offline'
		});
		await allClosed();
	});
});
