import { appendFileSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { readyCrypto } from '../../../src/lib/crypto/sodium.js';
import { RelayClient } from '../../helpers/relayClient.js';
import { RelayProcess } from '../../helpers/relayProcess.js';
import { connectAs, fakeEntry, makeDoc, makeInvite, newDevice } from './fixtures.js';

/**
 * Per-practice admission and per-device rate limits (issue 7), through the relay as
 * `npm run relay` starts it: a tokens file created in the data folder on first start.
 */

let relay: RelayProcess | undefined;
const clients: RelayClient[] = [];

beforeAll(async () => {
	await readyCrypto();
});

afterEach(async () => {
	for (const client of clients.splice(0)) client.terminate();
	await relay?.dispose();
	relay = undefined;
});

function track(client: RelayClient): RelayClient {
	clients.push(client);
	return client;
}

function tokenOf(dataDir: string): string {
	const lines = readFileSync(join(dataDir, 'admission-tokens'), 'utf8').split('\n');
	const token = lines.map((l) => l.trim()).find((l) => l && !l.startsWith('#'));
	if (!token) throw new Error('no token in the file');
	return token;
}

describe('relay: per-practice admission', () => {
	it('creates a token file on first start and stores documents and invites only for devices that present it', async () => {
		relay = await RelayProcess.start({ admission: true });
		const token = tokenOf(relay.dataDir);
		expect(token).toMatch(/^tend-practice-[A-Za-z0-9_-]{22}$/);
		expect(statSync(join(relay.dataDir, 'admission-tokens')).mode & 0o077).toBe(0);

		const alice = newDevice();
		const doc = makeDoc(alice);
		const refuse = async (url: string) => {
			const client = track(await connectAs(url, alice));
			expect(await client.requestRaw('doc.create', { genesis: doc.genesis })).toMatchObject({
				t: 'err',
				code: 'not-admitted'
			});
			const invite = makeInvite(doc.id, alice);
			const answer = await client.requestRaw('invite.create', {
				invite: invite.id,
				authPk: invite.keys.auth.publicKey,
				info: invite.info,
				expires: Date.now() + 60_000
			});
			expect(answer).toMatchObject({ t: 'err', code: 'not-admitted' });
		};
		await refuse(relay.url);
		await refuse(`${relay.url}/?admission=tend-practice-not-a-real-token-000000`);
		await refuse(`${relay.url}/?admission=${token}x`);

		// The practice's token admits the same device.
		const admitted = track(await connectAs(`${relay.url}/?admission=${encodeURIComponent(token)}`, alice));
		await admitted.request('doc.create', { genesis: doc.genesis });

		// A device invited into that document needs no token: the chain lets it write.
		const bob = newDevice();
		const withBob = makeDoc(alice, { writers: [alice, bob] });
		await admitted.request('doc.create', { genesis: withBob.genesis });
		const client = track(await connectAs(relay.url, bob));
		await client.openDoc(withBob.id, withBob.access, 0);
		await client.request('push', { doc: withBob.id, entry: fakeEntry(withBob.id) });

		// The token never appears in the relay's logs.
		expect(relay.logs.join('\n')).not.toContain(token);
		expect(relay.logs.join('\n')).toContain('admission tokens');
	});

	it('keeps the token over a restart and reads a file with several practices', async () => {
		relay = await RelayProcess.start({ admission: true });
		const first = tokenOf(relay.dataDir);
		await relay.restart();
		expect(tokenOf(relay.dataDir)).toBe(first);

		// The operator adds a second practice's token (any line; comments ignored).
		const second = 'tend-practice-second-practice-token-01';
		appendFileSync(join(relay.dataDir, 'admission-tokens'), `# second practice\n${second}\n`);
		await relay.restart();
		for (const token of [first, second]) {
			const client = track(await connectAs(`${relay.url}/?admission=${token}`, newDevice()));
			const doc = makeDoc(client.device!);
			await client.request('doc.create', { genesis: doc.genesis });
		}
	});
});

describe('relay: per-device rate limit', () => {
	it('counts every connection of one device together, with a message that says so; other devices go on', async () => {
		relay = await RelayProcess.start({
			env: { TEND_DEVICE_RATE_PER_SECOND: '1', TEND_DEVICE_RATE_BURST: '6' }
		});
		const noisy = newDevice();
		const a = track(await connectAs(relay.url, noisy));
		const b = track(await connectAs(relay.url, noisy));
		const answers = [];
		for (let i = 0; i < 10; i++) answers.push(await (i % 2 ? a : b).requestRaw('ping', {}));
		const refused = answers.filter((x) => x.t === 'err');
		expect(refused.length).toBeGreaterThan(0);
		expect(refused[0]).toMatchObject({ code: 'rate-limited' });
		expect((refused[0] as { msg: string }).msg).toContain('from this device');

		const calm = track(await connectAs(relay.url, newDevice()));
		expect(await calm.requestRaw('ping', {})).toMatchObject({ t: 'ok' });
	});
});
