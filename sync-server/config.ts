import { parseArgs } from 'node:util';
import { LOG_LEVELS, type LogLevel } from './log.js';
import type { RelayOptions } from './relay.js';
import { DEFAULT_BLOB_QUOTA_BYTES, DEFAULT_MAX_BLOB_BYTES } from '../src/lib/protocol/blob.js';
import { BLOB_UPLOAD_TTL_MS } from './limits.js';
import { join } from 'node:path';
import { defaultAdmissionFile } from './admission.js';
import { ADMIN_TOKEN_FILE } from './adminServer.js';

export interface RelayConfig extends Omit<RelayOptions, 'logger' | 'admission' | 'admin'> {
	logLevel: LogLevel;
	/** Admission tokens file; undefined when admission is open. */
	admissionFile?: string;
	/** Admin status page port (127.0.0.1) and token file; unset when turned off. */
	adminPort?: number;
	adminTokenFile?: string;
}

export const USAGE = `Usage: npm run relay -- [options]

  --data DIR         data folder (env TEND_DATA_DIR, default ./data/relay)
  --port N           TCP port, 0 for any free port (env TEND_PORT, default 8787)
  --host ADDR        interface to listen on (env TEND_HOST, default 127.0.0.1)
  --origin HOST      origin proofs are bound to, e.g. relay.example.org (env TEND_ORIGIN;
                     default: each connection's Host header)
  --log-level LEVEL  ${LOG_LEVELS.join('|')} (env TEND_LOG_LEVEL, default info)
  --max-blob-bytes N largest encrypted file accepted (env TEND_MAX_BLOB_BYTES,
                     default ${DEFAULT_MAX_BLOB_BYTES}, 25 MiB)
  --blob-quota-bytes N  file storage per document (env TEND_BLOB_QUOTA_BYTES,
                     default ${DEFAULT_BLOB_QUOTA_BYTES}, 1 GiB)
  --blob-upload-ttl SECONDS  an unfinished upload idle this long is deleted
                     (env TEND_BLOB_UPLOAD_TTL_SECONDS, default 86400)

  --admission-file FILE  admission tokens, one per line (env TEND_ADMISSION_FILE, default
                     DIR/admission-tokens; created with one new token on first start)
  --open-admission   let any device create documents and invites (env TEND_ADMISSION=open);
                     for a relay only you can reach

  --admin-port N|off  admin status page on 127.0.0.1 (env TEND_ADMIN_PORT, default 8788)
  --admin-token-file FILE  its token (env TEND_ADMIN_TOKEN_FILE, default DIR/admin-token;
                     created on first start)

  Rate limit per connection: env TEND_RATE_PER_SECOND (default 500), TEND_RATE_BURST (2000).
  Rate limit per device, over all its connections: env TEND_DEVICE_RATE_PER_SECOND (default
  1000), TEND_DEVICE_RATE_BURST (4000).
`;

/**
 * Reads the relay's settings from flags, then environment variables, then defaults. Throws
 * with a message fit for the terminal on anything it can't use.
 */
export function parseConfig(argv: string[], env: NodeJS.ProcessEnv): RelayConfig {
	const { values } = parseArgs({
		args: argv,
		strict: true,
		options: {
			data: { type: 'string' },
			port: { type: 'string' },
			host: { type: 'string' },
			origin: { type: 'string' },
			'log-level': { type: 'string' },
			'max-blob-bytes': { type: 'string' },
			'blob-quota-bytes': { type: 'string' },
			'blob-upload-ttl': { type: 'string' },
			'admission-file': { type: 'string' },
			'open-admission': { type: 'boolean' },
			'admin-port': { type: 'string' },
			'admin-token-file': { type: 'string' }
		}
	});

	const logLevel = values['log-level'] ?? env.TEND_LOG_LEVEL ?? 'info';
	if (!(LOG_LEVELS as readonly string[]).includes(logLevel)) {
		throw new Error(`unknown log level: ${logLevel}`);
	}
	const config: RelayConfig = {
		dataDir: values.data ?? env.TEND_DATA_DIR ?? './data/relay',
		port: integer(values.port ?? env.TEND_PORT ?? '8787', 'port', 0, 65535),
		host: values.host ?? env.TEND_HOST ?? '127.0.0.1',
		logLevel: logLevel as LogLevel
	};
	const maxBlob = values['max-blob-bytes'] ?? env.TEND_MAX_BLOB_BYTES;
	const quota = values['blob-quota-bytes'] ?? env.TEND_BLOB_QUOTA_BYTES;
	const ttl = values['blob-upload-ttl'] ?? env.TEND_BLOB_UPLOAD_TTL_SECONDS;
	config.blobs = {
		maxBytes: maxBlob ? integer(maxBlob, 'max-blob-bytes', 1, 2 ** 40) : DEFAULT_MAX_BLOB_BYTES,
		quotaBytes: quota ? integer(quota, 'blob-quota-bytes', 1, 2 ** 50) : DEFAULT_BLOB_QUOTA_BYTES,
		uploadTtlMs: ttl ? integer(ttl, 'blob-upload-ttl', 1, 365 * 86400) * 1000 : BLOB_UPLOAD_TTL_MS
	};
	const open = values['open-admission'] === true || env.TEND_ADMISSION === 'open';
	config.admissionFile = open
		? undefined
		: (values['admission-file'] ?? env.TEND_ADMISSION_FILE ?? defaultAdmissionFile(config.dataDir));
	const adminPort = values['admin-port'] ?? env.TEND_ADMIN_PORT ?? '8788';
	if (adminPort !== 'off') {
		config.adminPort = integer(adminPort, 'admin-port', 0, 65535);
		config.adminTokenFile =
			values['admin-token-file'] ?? env.TEND_ADMIN_TOKEN_FILE ?? join(config.dataDir, ADMIN_TOKEN_FILE);
	}
	const origin = values.origin ?? env.TEND_ORIGIN;
	if (origin) config.origin = origin;
	if (env.TEND_RATE_PER_SECOND || env.TEND_RATE_BURST) {
		config.rate = {
			perSecond: integer(env.TEND_RATE_PER_SECOND ?? '500', 'TEND_RATE_PER_SECOND', 1, 1e9),
			burst: integer(env.TEND_RATE_BURST ?? '2000', 'TEND_RATE_BURST', 1, 1e9)
		};
	}
	if (env.TEND_DEVICE_RATE_PER_SECOND || env.TEND_DEVICE_RATE_BURST) {
		config.deviceRate = {
			perSecond: integer(env.TEND_DEVICE_RATE_PER_SECOND ?? '1000', 'TEND_DEVICE_RATE_PER_SECOND', 1, 1e9),
			burst: integer(env.TEND_DEVICE_RATE_BURST ?? '4000', 'TEND_DEVICE_RATE_BURST', 1, 1e9)
		};
	}
	return config;
}

function integer(text: string, name: string, min: number, max: number): number {
	const n = Number(text);
	if (!/^\d+$/.test(text) || n < min || n > max) {
		throw new Error(`${name} must be an integer from ${min} to ${max}`);
	}
	return n;
}
