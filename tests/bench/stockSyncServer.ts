import { Repo, type PeerId } from '@automerge/automerge-repo';
import { WebSocketServerAdapter } from '@automerge/automerge-repo-network-websocket';
import type { AddressInfo } from 'node:net';
import { parseArgs } from 'node:util';
import { WebSocketServer } from 'ws';
import { FsStorageAdapter } from './FsStorageAdapter.js';

/**
 * Baseline B: the stock automerge-repo sync server, set up as
 * `automerge/automerge-repo-sync-server` (src/server.js) sets it up: a Repo with a
 * WebSocketServerAdapter, file storage, and `sharePolicy: async () => false` (it syncs only the
 * documents peers ask for by id). {@link FsStorageAdapter} replaces the nodefs adapter, which
 * isn't installed.
 *
 * Run as its own process: `tsx tests/bench/stockSyncServer.ts --data DIR --port 0`; prints
 * `{"msg":"listening","port":N}` once ready and exits on SIGTERM.
 */
type ServerSocket = ConstructorParameters<typeof WebSocketServerAdapter>[0];

async function main(): Promise<void> {
	const { values } = parseArgs({ options: { data: { type: 'string' }, port: { type: 'string' } } });
	if (!values.data) throw new Error('usage: stockSyncServer.ts --data DIR [--port N]');

	const wss = new WebSocketServer({ port: Number(values.port ?? 0), host: '127.0.0.1' });
	await new Promise<void>((resolve) => wss.once('listening', () => resolve()));
	const repo = new Repo({
		// `ws`'s server, typed through isomorphic-ws by the adapter: the same class.
		network: [new WebSocketServerAdapter(wss as unknown as ServerSocket)],
		storage: new FsStorageAdapter(values.data),
		peerId: 'bench-sync-server' as PeerId,
		sharePolicy: async () => false
	});
	console.log(JSON.stringify({ msg: 'listening', port: (wss.address() as AddressInfo).port }));

	process.on('SIGTERM', () => {
		void repo.shutdown().finally(() => {
			wss.close();
			process.exit(0);
		});
	});
}

await main();
