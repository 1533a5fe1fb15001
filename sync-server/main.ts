import { readyCrypto } from '../src/lib/crypto/sodium.js';
import { parseConfig, USAGE } from './config.js';
import { createLogger } from './log.js';
import { startRelay } from './relay.js';
import { admissionFromTokens, loadAdmissionFile, OPEN_ADMISSION } from './admission.js';
import { loadAdminToken } from './adminServer.js';

/**
 * The relay's command line: `npm run relay -- --data DIR --port N`. Logs JSON lines on stdout;
 * the `listening` line carries the actual port (tests start it with `--port 0` and read it).
 * SIGTERM and SIGINT commit pending pushes and close cleanly.
 */
async function main(): Promise<void> {
	let config;
	try {
		config = parseConfig(process.argv.slice(2), process.env);
	} catch (error) {
		process.stderr.write(`${(error as Error).message}\n\n${USAGE}`);
		process.exit(2);
	}
	const { logLevel, admissionFile, adminPort, adminTokenFile, ...options } = config;
	const log = createLogger(logLevel);

	await readyCrypto();
	let relay;
	try {
		let admission = OPEN_ADMISSION;
		if (admissionFile) {
			const { tokens, created } = loadAdmissionFile(admissionFile);
			admission = admissionFromTokens(tokens);
			// The file's path, never a token: the operator reads it there (docs/operations.md).
			log.info({ file: admissionFile, created, tokens: tokens.length }, 'admission tokens');
		} else {
			log.warn('admission is open: any device may create documents here');
		}
		let admin;
		if (adminPort !== undefined && adminTokenFile) {
			const { token, created } = loadAdminToken(adminTokenFile);
			log.info({ file: adminTokenFile, created }, 'admin token');
			admin = { port: adminPort, token };
		}
		relay = await startRelay({ ...options, admission, admin, logger: log });
	} catch (error) {
		log.fatal({ err: error }, 'relay did not start');
		process.exit(1);
	}

	let stopping = false;
	const stop = async (signal: string) => {
		if (stopping) return;
		stopping = true;
		log.info({ signal }, 'stopping');
		await relay.close();
		log.flush();
		process.exit(0);
	};
	process.on('SIGTERM', () => void stop('SIGTERM'));
	process.on('SIGINT', () => void stop('SIGINT'));
	process.on('uncaughtException', (error) => {
		log.fatal({ err: error }, 'uncaught exception');
		log.flush();
		process.exit(1);
	});
}

await main();
