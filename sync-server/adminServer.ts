import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { PRIVATE_DIR_MODE } from './privateFiles.js';

/**
 * The relay's admin status page (issue 7): relay health, storage used and connected devices,
 * for the practice owner or operator. It listens on 127.0.0.1 only, on its own port, so it is
 * never reachable through the public listener or a reverse proxy in front of it, and it asks for
 * the admin token (HTTP Basic with the token as password, or `Authorization: Bearer`).
 *
 * It shows no names and no ids anyone could look up: the relay has no names, and devices appear
 * as salted 8-hex-digit log ids, as in the relay's logs.
 */

export const ADMIN_TOKEN_FILE = 'admin-token';

export interface AdminStatus {
	ok: boolean;
	version: string;
	uptimeSeconds: number;
	journalMode: string;
	synchronous: string;
	admission: 'required' | 'open';
	storage: { totalBytes: number; files: { name: string; bytes: number }[] };
	connections: number;
	devices: { id: string; connections: number; frames: number; connectedSeconds: number }[];
}

export interface AdminServerOptions {
	/** 0 picks a free port. */
	port: number;
	token: string;
	status: () => AdminStatus;
}

export interface RunningAdminServer {
	port: number;
	close(): Promise<void>;
}

/** Reads the admin token file, creating it with a new token (mode 0600) on first start. */
export function loadAdminToken(file: string): { token: string; created: boolean } {
	let created = false;
	if (!existsSync(file)) {
		mkdirSync(dirname(file), { recursive: true, mode: PRIVATE_DIR_MODE });
		writeFileSync(file, `tend-admin-${randomBytes(16).toString('base64url')}\n`, { mode: 0o600, flag: 'wx' });
		created = true;
	}
	const token = readFileSync(file, 'utf8').trim();
	if (token.length < 16) throw new Error(`the admin token in ${file} is shorter than 16 characters`);
	return { token, created };
}

/** Sizes of the files in the data folder (the database, its WAL and shared memory, tokens). */
export function storageOf(dataDir: string): AdminStatus['storage'] {
	const files = readdirSync(dataDir, { withFileTypes: true })
		.filter((entry) => entry.isFile())
		.map((entry) => ({ name: entry.name, bytes: statSync(join(dataDir, entry.name)).size }));
	return { totalBytes: files.reduce((sum, f) => sum + f.bytes, 0), files };
}

export async function startAdminServer(options: AdminServerOptions): Promise<RunningAdminServer> {
	const expected = digest(options.token);
	const server = createServer((req, res) => handle(req, res, expected, options.status));
	const port = await new Promise<number>((resolve, reject) => {
		server.once('error', reject);
		server.listen(options.port, '127.0.0.1', () => {
			server.off('error', reject);
			resolve((server.address() as AddressInfo).port);
		});
	});
	return {
		port,
		close: () =>
			new Promise<void>((resolve) => {
				server.closeAllConnections();
				server.close(() => resolve());
			})
	};
}

function handle(
	req: IncomingMessage,
	res: ServerResponse,
	expected: Buffer,
	status: () => AdminStatus
): void {
	const headers = {
		'cache-control': 'no-store',
		'x-content-type-options': 'nosniff',
		'x-frame-options': 'DENY',
		'referrer-policy': 'no-referrer'
	};
	const path = (req.url ?? '/').split('?')[0];
	if (req.method !== 'GET' || (path !== '/' && path !== '/status.json')) {
		res.writeHead(404, { ...headers, 'content-type': 'text/plain; charset=utf-8' }).end('not found\n');
		return;
	}
	if (!authorized(req.headers.authorization, expected)) {
		res
			.writeHead(401, {
				...headers,
				'content-type': 'text/plain; charset=utf-8',
				'www-authenticate': 'Basic realm="Tend relay admin", charset="UTF-8"'
			})
			.end('the admin token is required (any user name, the token as password)\n');
		return;
	}
	const current = status();
	if (path === '/status.json') {
		res.writeHead(200, { ...headers, 'content-type': 'application/json' }).end(JSON.stringify(current));
		return;
	}
	res
		.writeHead(200, {
			...headers,
			'content-type': 'text/html; charset=utf-8',
			'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'"
		})
		.end(renderPage(current));
}

/** Basic (any user, token as password) or Bearer; compared as digests in constant time. */
function authorized(header: string | undefined, expected: Buffer): boolean {
	if (!header) return false;
	let presented: string | undefined;
	if (header.startsWith('Bearer ')) presented = header.slice(7).trim();
	else if (header.startsWith('Basic ')) {
		const decoded = Buffer.from(header.slice(6).trim(), 'base64').toString('utf8');
		const colon = decoded.indexOf(':');
		presented = colon >= 0 ? decoded.slice(colon + 1) : undefined;
	}
	return presented !== undefined && timingSafeEqual(digest(presented), expected);
}

function digest(text: string): Buffer {
	return createHash('sha256').update(text, 'utf8').digest();
}

function escape(text: string | number): string {
	return String(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function bytes(n: number): string {
	if (n < 1024) return `${n} B`;
	if (n < 1024 ** 2) return `${(n / 1024).toFixed(1)} KiB`;
	if (n < 1024 ** 3) return `${(n / 1024 ** 2).toFixed(1)} MiB`;
	return `${(n / 1024 ** 3).toFixed(2)} GiB`;
}

function renderPage(s: AdminStatus): string {
	const rows = (cells: (string | number)[][]) =>
		cells.map((r) => `<tr>${r.map((c) => `<td>${escape(c)}</td>`).join('')}</tr>`).join('');
	const durable = s.journalMode === 'wal' && s.synchronous === 'full';
	return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="refresh" content="15"><title>Tend relay status</title>
<style>
body{font:16px/1.5 system-ui,sans-serif;margin:2rem auto;max-width:50rem;padding:0 1rem;color:#1c2321;background:#fbfaf7}
table{border-collapse:collapse;width:100%;margin-bottom:1.5rem}td,th{text-align:left;padding:.35rem .6rem;border-bottom:1px solid #d9d6cf}
.ok{color:#1d6b3a;font-weight:600}.bad{color:#a1261b;font-weight:600}p.note{color:#555}
</style></head><body>
<h1>Tend relay status</h1>
<p class="${s.ok && durable ? 'ok' : 'bad'}">${s.ok && durable ? 'Healthy' : 'Needs attention'}</p>
<h2>Health</h2>
<table>${rows([
		['Version', s.version],
		['Running for', `${Math.floor(s.uptimeSeconds / 3600)} h ${Math.floor((s.uptimeSeconds % 3600) / 60)} min`],
		['Database journal', s.journalMode],
		['Durable writes (synchronous)', s.synchronous],
		['Practice admission', s.admission === 'required' ? 'required (tokens file)' : 'open to any device']
	])}</table>
<h2>Storage used: ${escape(bytes(s.storage.totalBytes))}</h2>
<table><tr><th>File</th><th>Size</th></tr>${rows(s.storage.files.map((f) => [f.name, bytes(f.bytes)]))}</table>
<h2>Connected devices: ${escape(s.devices.length)} (${escape(s.connections)} connections)</h2>
<table><tr><th>Device (salted id)</th><th>Connections</th><th>Requests</th><th>Connected for</th></tr>${rows(
		s.devices.map((d) => [d.id, d.connections, d.frames, `${Math.floor(d.connectedSeconds / 60)} min`])
	)}</table>
<p class="note">The relay holds no names: devices show as salted ids, the same as in its logs.</p>
</body></html>`;
}
