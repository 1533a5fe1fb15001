import { createServer, type Server } from 'node:http';
import { existsSync } from 'node:fs';
import { loadAdmissionFile } from '../sync-server/admission.js';
import { join } from 'node:path';
import sirv from 'sirv';

/**
 * Serves the built app (`build/`) on its own origin, separate from the relay, so the app still
 * loads when the relay is down and a relay compromise can't ship code (SECURITY-RULES.md,
 * rule 18). Unknown paths get the SPA fallback; `/config.json` tells the app where the relay is.
 */
export interface AppServerOptions {
	dir?: string;
	host?: string;
	port?: number;
	/** Fixed relay address; otherwise the relay is assumed on the same host as the app. */
	relayUrl?: string;
	relayPort?: number;
	/**
	 * The relay's admission tokens file (`npm start` only): `/config.json` then gives the app a
	 * relay address carrying the first token, so this device may create conversations. Only for
	 * an app served to this machine: anyone who loads the app gets the token.
	 */
	admissionFile?: string;
}

export async function startAppServer(options: AppServerOptions): Promise<{
	server: Server;
	port: number;
	close(): Promise<void>;
}> {
	const dir = options.dir ?? join(process.cwd(), 'build');
	if (!existsSync(join(dir, 'index.html'))) {
		throw new Error(`no built app in ${dir}: run "npm run build" first`);
	}
	const assets = sirv(dir, { single: 'index.html', etag: true, dev: false });
	const relayFor = (hostHeader: string | undefined) => {
		if (options.relayUrl) return options.relayUrl;
		const host = new URL(`http://${hostHeader ?? 'localhost'}`).hostname;
		const name = host.includes(':') ? `[${host}]` : host;
		return `ws://${name}:${options.relayPort ?? 8787}`;
	};

	const server = createServer((req, res) => {
		res.setHeader('X-Content-Type-Options', 'nosniff');
		res.setHeader('Referrer-Policy', 'no-referrer');
		res.setHeader('X-Frame-Options', 'DENY');
		res.setHeader('Permissions-Policy', 'camera=(self), microphone=(self), geolocation=()');
		if (req.url === '/config.json') {
			res.writeHead(200, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' });
			res.end(JSON.stringify({ relayUrl: withAdmission(relayFor(req.headers.host), options.admissionFile) }));
			return;
		}
		// Hashed file names never change content; everything else (index.html and the SPA
		// fallback, sw.js, build-info.json, manifest.webmanifest, icons) must be revalidated, or a
		// browser's heuristic caching can hide a new build from the service worker's update check.
		// sirv sends `.webmanifest` as application/manifest+json and `.wasm` as application/wasm.
		const immutable = req.url?.startsWith('/_app/immutable/');
		res.setHeader('Cache-Control', immutable ? 'public, max-age=31536000, immutable' : 'no-cache');
		assets(req, res, () => {
			res.writeHead(404, { 'Cache-Control': 'no-store' });
			res.end('not found');
		});
	});
	await new Promise<void>((resolve, reject) => {
		server.once('error', reject);
		server.listen(options.port ?? 5173, options.host ?? '127.0.0.1', () => resolve());
	});
	const address = server.address();
	const port = typeof address === 'object' && address ? address.port : (options.port ?? 5173);
	return {
		server,
		port,
		close: () => new Promise<void>((resolve) => server.close(() => resolve()))
	};
}

/** Adds `?admission=<first token>` when a tokens file exists (the relay creates it at start). */
function withAdmission(relayUrl: string, file: string | undefined): string {
	if (!file || !existsSync(file)) return relayUrl;
	const url = new URL(relayUrl);
	url.searchParams.set('admission', loadAdmissionFile(file).tokens[0]);
	return url.href;
}
