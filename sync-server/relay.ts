import { Buffer } from 'node:buffer';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFileSync } from 'node:fs';
import { WebSocketServer, type WebSocket } from 'ws';
import { readyCrypto } from '../src/lib/crypto/sodium.js';
import { PROTOCOL_VERSION } from '../src/lib/protocol/frames.js';
import { Connection } from './Connection.js';
import { ConnectionRegistry } from './ConnectionRegistry.js';
import { handleMessage, type DispatchState } from './dispatch.js';
import { DocRegistry } from './DocRegistry.js';
import type { RelayContext } from './handlers/context.js';
import { createHttpHandler } from './http.js';
import type { BlobLimits } from './handlers/blobs.js';
import { DEFAULT_BLOB_QUOTA_BYTES, DEFAULT_MAX_BLOB_BYTES } from '../src/lib/protocol/blob.js';
import {
	DEFAULT_RATE_BURST,
	DEFAULT_RATE_PER_SECOND,
	HEARTBEAT_MS,
	BLOB_UPLOAD_TTL_MS,
	INVITE_RETENTION_MS,
	MAX_PAYLOAD_BYTES
} from './limits.js';
import { createLogger, type Logger } from './log.js';
import { PushBatcher } from './PushBatcher.js';
import { admissionTokenOf, OPEN_ADMISSION, type Admission } from './admission.js';
import { startAdminServer, storageOf, type AdminStatus } from './adminServer.js';
import { logId } from './log.js';
import { SqliteStore } from './store/SqliteStore.js';
import { TokenBucket } from './TokenBucket.js';

export interface RelayOptions {
	/** Folder for the database; created if missing. */
	dataDir: string;
	/** TCP port; 0 picks a free one (see {@link RunningRelay.port}). Default 8787. */
	port?: number;
	/** Interface to listen on. Default 127.0.0.1: put a TLS proxy in front to serve others. */
	host?: string;
	/**
	 * The origin (`host[:port]`, as in `new URL(wsUrl).host`) that proofs must be bound to.
	 * Unset, it is each upgrade request's `Host` header; see docs/operations.md for why a
	 * public relay should set it.
	 */
	origin?: string;
	logger?: Logger;
	/** Per-connection frame rate limit; defaults in limits.ts. */
	rate?: { perSecond: number; burst: number };
	/** Per-device limit over all of a device's connections; default `DEFAULT_DEVICE_RATE`. */
	deviceRate?: { perSecond: number; burst: number };
	/** Blob size limit, per-document quota and upload expiry; defaults in protocol/blob.ts. */
	blobs?: Partial<BlobLimits>;
	/**
	 * Who may create documents and invites (sync-server/admission.ts). Embedded relays default
	 * to open; the command line defaults to a tokens file in the data folder.
	 */
	admission?: Admission;
	/** The admin status page on 127.0.0.1 (sync-server/adminServer.ts); none when unset. */
	admin?: { port: number; token: string };
}

export interface RunningRelay {
	/** The port actually listened on. */
	port: number;
	/** The admin status page's port, when it runs. */
	adminPort?: number;
	/** Stops accepting, commits pending pushes, closes every socket and the database. */
	close(): Promise<void>;
}

/** How long shutdown waits for sockets to finish their close handshake (ms). */
const CLOSE_GRACE_MS = 1000;
/** How often expired invites are swept (ms). */
const SWEEP_MS = 60 * 60 * 1000;

const VERSION = readVersion();

/**
 * Starts a relay: SQLite store, HTTP server with `/healthz`, and the WebSocket protocol of
 * docs/protocol.md on every other path. `sync-server/main.ts` runs it from the command line;
 * tests and `npm start` can embed it.
 */
export async function startRelay(options: RelayOptions): Promise<RunningRelay> {
	await readyCrypto();
	const log = options.logger ?? createLogger();
	const store = SqliteStore.open(options.dataDir);
	if (store.sharedPaths.length > 0) {
		log.warn(
			{ paths: store.sharedPaths },
			'other users can read these data files, and the relay may not change that: chmod 700 the folder, 600 the files'
		);
	}
	const ctx: RelayContext = {
		store,
		docs: new DocRegistry(store),
		batcher: new PushBatcher(store, log.child({ area: 'push' })),
		connections: new ConnectionRegistry(options.deviceRate),
		log: log.child({ area: 'frames' }),
		blobs: {
			maxBytes: options.blobs?.maxBytes ?? DEFAULT_MAX_BLOB_BYTES,
			quotaBytes: options.blobs?.quotaBytes ?? DEFAULT_BLOB_QUOTA_BYTES,
			uploadTtlMs: options.blobs?.uploadTtlMs ?? BLOB_UPLOAD_TTL_MS
		},
		now: () => Date.now(),
		admission: options.admission ?? OPEN_ADMISSION
	};
	const state: DispatchState = { closing: false };
	const rate = options.rate ?? { perSecond: DEFAULT_RATE_PER_SECOND, burst: DEFAULT_RATE_BURST };
	const connLog = log.child({ area: 'conn' });

	const server = createServer(createHttpHandler(store, VERSION));
	const wss = new WebSocketServer({ server, maxPayload: MAX_PAYLOAD_BYTES });
	wss.on('connection', (ws: WebSocket, req: IncomingMessage) => {
		const origin = options.origin?.toLowerCase() ?? req.headers.host?.toLowerCase();
		if (!origin) {
			ws.close(1008, 'a Host header is required');
			return;
		}
		const conn = new Connection(ws, origin, new TokenBucket(rate.perSecond, rate.burst), connLog);
		conn.admitted = ctx.admission.admits(admissionTokenOf(req.url));
		ctx.connections.add(conn);
		connLog.info({ conn: conn.id }, 'connected');
		conn.send({ t: 'challenge', nonce: conn.challenge, v: PROTOCOL_VERSION });

		ws.on('message', (data, isBinary) => handleMessage(ctx, state, conn, data, isBinary));
		ws.on('pong', () => (conn.alive = true));
		ws.on('error', (error) => connLog.warn({ conn: conn.id, error: error.message }, 'socket error'));
		ws.on('close', (code) => {
			conn.leaveAll();
			ctx.connections.remove(conn);
			const ms = Math.round(performance.now() - conn.started);
			connLog.info({ conn: conn.id, code, frames: conn.frames, ms }, 'closed');
		});
	});
	wss.on('error', (error) => log.error({ err: error }, 'websocket server error'));

	const port = await listen(server, options.port ?? 8787, options.host ?? '127.0.0.1');
	const timers = startTimers(ctx);
	const startedAt = Date.now();
	const admin = options.admin
		? await startAdminServer({
				port: options.admin.port,
				token: options.admin.token,
				status: () => adminStatus(ctx, store, options.dataDir, startedAt)
			})
		: undefined;
	if (admin) log.info({ port: admin.port, host: '127.0.0.1' }, 'admin listening');
	log.info({ port, host: options.host ?? '127.0.0.1', version: VERSION }, 'listening');

	return {
		port,
		adminPort: admin?.port,
		async close() {
			if (state.closing) return;
			state.closing = true;
			await admin?.close();
			for (const timer of timers) clearInterval(timer);
			ctx.batcher.flush();
			await closeSockets(ctx.connections);
			await new Promise<void>((resolve) => {
				wss.close(() => resolve());
			});
			server.closeAllConnections();
			await new Promise<void>((resolve) => server.close(() => resolve()));
			store.close();
			log.info('closed');
		}
	};
}

/** What the admin page shows: health, storage, and devices as salted ids (no names exist). */
function adminStatus(
	ctx: RelayContext,
	store: SqliteStore,
	dataDir: string,
	startedAt: number
): AdminStatus {
	const now = performance.now();
	let settings = { journalMode: 'unknown', synchronous: 'unknown' };
	let ok = true;
	try {
		settings = store.settings();
	} catch {
		ok = false;
	}
	return {
		ok,
		version: VERSION,
		uptimeSeconds: Math.round((Date.now() - startedAt) / 1000),
		...settings,
		admission: ctx.admission.required ? 'required' : 'open',
		storage: storageOf(dataDir),
		connections: ctx.connections.all.size,
		devices: ctx.connections.devices().map(([key, conns]) => ({
			id: logId(Buffer.from(key, 'hex')),
			connections: conns.size,
			frames: [...conns].reduce((sum, c) => sum + c.frames, 0),
			connectedSeconds: Math.round(Math.max(...[...conns].map((c) => now - c.started)) / 1000)
		}))
	};
}

function listen(server: ReturnType<typeof createServer>, port: number, host: string) {
	return new Promise<number>((resolve, reject) => {
		server.once('error', reject);
		server.listen(port, host, () => {
			server.off('error', reject);
			resolve((server.address() as AddressInfo).port);
		});
	});
}

/**
 * Heartbeat pings (dead sockets would otherwise hold subscriptions), the invite sweep and the
 * sweep of abandoned blob uploads.
 */
function startTimers(ctx: RelayContext) {
	const heartbeat = setInterval(() => {
		for (const conn of ctx.connections.all) {
			if (!conn.alive) {
				conn.ws.terminate();
				continue;
			}
			conn.alive = false;
			conn.ws.ping();
		}
	}, HEARTBEAT_MS);
	const sweepInvites = () => {
		try {
			const deleted = ctx.store.deleteInvitesExpiredBefore(ctx.now() - INVITE_RETENTION_MS);
			if (deleted > 0) ctx.log.info({ deleted }, 'expired invites deleted');
		} catch (error) {
			ctx.log.error({ err: error }, 'invite sweep failed');
		}
	};
	sweepInvites();
	const sweep = setInterval(sweepInvites, SWEEP_MS);

	const ttl = ctx.blobs.uploadTtlMs;
	const sweepBlobs = () => {
		try {
			const deleted = ctx.store.deleteStaleBlobs(ctx.now() - ttl);
			if (deleted > 0) ctx.log.info({ deleted }, 'abandoned blob uploads deleted');
		} catch (error) {
			ctx.log.error({ err: error }, 'blob sweep failed');
		}
	};
	sweepBlobs();
	// Often enough that an upload is gone within about 1.1 × the TTL, at most every 10 minutes.
	const blobSweep = setInterval(sweepBlobs, Math.min(Math.max(ttl / 10, 200), 10 * 60 * 1000));
	heartbeat.unref();
	sweep.unref();
	blobSweep.unref();
	return [heartbeat, sweep, blobSweep];
}

/** Sends every device a close frame (1001, going away) and terminates those that don't answer. */
async function closeSockets(connections: ConnectionRegistry): Promise<void> {
	const pending = [...connections.all].map(
		(conn) =>
			new Promise<void>((resolve) => {
				if (conn.ws.readyState === conn.ws.CLOSED) return resolve();
				conn.ws.once('close', () => resolve());
				conn.ws.close(1001, 'relay shutting down');
			})
	);
	const grace = new Promise<void>((resolve) => setTimeout(resolve, CLOSE_GRACE_MS).unref());
	await Promise.race([Promise.all(pending), grace]);
	for (const conn of connections.all) conn.ws.terminate();
}

function readVersion(): string {
	const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
	return typeof pkg.version === 'string' ? pkg.version : 'unknown';
}
