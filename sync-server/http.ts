import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Store } from './store/Store.js';

/**
 * The relay's only HTTP resource besides the WebSocket upgrade: `GET /healthz`.
 *
 * It reports the durability settings read back from SQLite, not the ones the code asked for,
 * so that a test or a monitor can see that acknowledged entries are fsynced (TESTING.md: a
 * SIGKILL test alone passes with `synchronous=NORMAL` too).
 */
export function createHttpHandler(store: Store, version: string) {
	return (req: IncomingMessage, res: ServerResponse): void => {
		const path = (req.url ?? '').split('?')[0];
		if (req.method !== 'GET' || path !== '/healthz') {
			res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('not found\n');
			return;
		}
		const headers = { 'content-type': 'application/json', 'cache-control': 'no-store' };
		try {
			const { journalMode, synchronous } = store.settings();
			const body = JSON.stringify({ ok: true, journalMode, synchronous, version });
			res.writeHead(200, headers).end(body);
		} catch {
			res.writeHead(503, headers).end(JSON.stringify({ ok: false, version }));
		}
	};
}
