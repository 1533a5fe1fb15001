import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { startAppServer } from './serveApp.js';

/**
 * `npm start`: the relay (its own process, data in ./data/relay unless TEND_DATA_DIR says
 * otherwise) and the built app on a separate static server, both on localhost. Stopping the
 * relay leaves the app loadable, as it is for a device that works offline.
 */
const appPort = Number(process.env.TEND_APP_PORT ?? 5173);
const relayPort = Number(process.env.TEND_PORT ?? 8787);
const host = process.env.TEND_HOST ?? '127.0.0.1';

const relay = spawn(
	process.execPath,
	['node_modules/tsx/dist/cli.mjs', 'sync-server/main.ts', '--port', String(relayPort), '--host', host],
	{ stdio: 'inherit', env: process.env }
);
relay.on('exit', (code) => {
	console.log(`relay stopped (${code ?? 'signal'}); the app keeps being served`);
});

// The relay creates its admission tokens file on first start; the local app gets the first
// token in /config.json so this machine may create conversations (docs/operations.md).
const dataDir = process.env.TEND_DATA_DIR ?? './data/relay';
const admissionFile =
	process.env.TEND_ADMISSION === 'open'
		? undefined
		: (process.env.TEND_ADMISSION_FILE ?? join(dataDir, 'admission-tokens'));
const app = await startAppServer({ host, port: appPort, relayPort, admissionFile });
const shown = host === '127.0.0.1' ? 'localhost' : host;
console.log(`\nTend is running. Open http://${shown}:${app.port} in a browser.`);
console.log(`Relay: ws://${shown}:${relayPort}. Stop both with Ctrl+C.\n`);

function stop() {
	relay.kill('SIGTERM');
	void app.close().then(() => process.exit(0));
}
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
