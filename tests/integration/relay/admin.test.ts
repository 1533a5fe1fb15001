import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { readyCrypto } from '../../../src/lib/crypto/sodium.js';
import { toHex } from '../../../src/lib/protocol/bytes.js';
import { RelayClient } from '../../helpers/relayClient.js';
import { RelayProcess } from '../../helpers/relayProcess.js';
import { connectAs, newDevice } from './fixtures.js';

/** The relay's admin status page (issue 7): 127.0.0.1 only, behind the admin token, no names. */

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

function adminPort(r: RelayProcess): number {
	const line = r.logRecords().find((l) => l.msg === 'admin listening');
	if (!line || typeof line.port !== 'number') throw new Error('no admin listening line');
	expect(line.host).toBe('127.0.0.1');
	return line.port;
}

describe('relay: admin status page', () => {
	it('asks for the token, then shows health, storage and connected devices as salted ids only', async () => {
		relay = await RelayProcess.start({ admin: true });
		const port = adminPort(relay);
		const token = readFileSync(join(relay.dataDir, 'admin-token'), 'utf8').trim();
		const base = `http://127.0.0.1:${port}`;

		const device = newDevice();
		clients.push(await connectAs(relay.url, device), await connectAs(relay.url, device));
		clients.push(await connectAs(relay.url, newDevice()));

		expect((await fetch(`${base}/status.json`)).status).toBe(401);
		const wrong = await fetch(`${base}/status.json`, { headers: { authorization: `Bearer ${token}x` } });
		expect(wrong.status).toBe(401);
		expect((await fetch(base)).headers.get('www-authenticate')).toContain('Basic');

		const res = await fetch(`${base}/status.json`, { headers: { authorization: `Bearer ${token}` } });
		expect(res.status).toBe(200);
		const status = (await res.json()) as {
			ok: boolean;
			journalMode: string;
			synchronous: string;
			connections: number;
			storage: { totalBytes: number };
			devices: { id: string; connections: number }[];
		};
		expect(status).toMatchObject({ ok: true, journalMode: 'wal', synchronous: 'full', connections: 3 });
		expect(status.storage.totalBytes).toBeGreaterThan(0);
		expect(status.devices.map((d) => d.connections).sort()).toEqual([1, 2]);
		for (const d of status.devices) expect(d.id).toMatch(/^[0-9a-f]{8}$/);

		// The HTML page, with Basic auth (any user, the token as password), holds no device key.
		const basic = Buffer.from(`owner:${token}`).toString('base64');
		const page = await fetch(base, { headers: { authorization: `Basic ${basic}` } });
		expect(page.status).toBe(200);
		expect(page.headers.get('content-security-policy')).toContain("default-src 'none'");
		const html = await page.text();
		expect(html).toContain('Connected devices: 2');
		expect(html).not.toContain(toHex(device.publicKey));
		expect(html.toLowerCase()).not.toContain(toHex(device.publicKey).slice(0, 16));
		// The salted id shown is the one the relay's own logs use; the token is in no log line.
		expect(relay.logs.join('\n')).not.toContain(token);

		// The public listener doesn't serve it.
		expect((await fetch(`${relay.httpUrl}/status.json`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(404);
	});
});
