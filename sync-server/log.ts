import { createHmac, randomBytes } from 'node:crypto';
import { pino, type Logger } from 'pino';

/**
 * The relay's logs: pino JSON lines on stdout, one child logger per area (STYLE.md §7).
 *
 * What a line may hold: frame types, byte sizes, sequence numbers, durations, counts and
 * document ids salted by {@link logId}. What it must never hold: payloads, keys, signatures,
 * device keys, invite ids or anything a person typed (DESIGN.md, "What must always hold" 1).
 * Pass bytes to a logger only through {@link logId}; pino would print a `Buffer` in full.
 */
export type { Logger };

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export function createLogger(level: LogLevel = 'info'): Logger {
	return pino({ level, base: { svc: 'tend-relay' } });
}

/**
 * Per-process salt for {@link logId}. It lives only in memory, so the ids in one run's logs
 * can be correlated with each other but not with the database, another run or another relay
 * (SECURITY-RULES.md, rule 20: relay logs salt document ids).
 */
const salt = randomBytes(32);

/** 8 hex characters of a keyed hash of `bytes`: enough to follow one document through a log. */
export function logId(bytes: Uint8Array): string {
	return createHmac('sha256', salt).update(bytes).digest('hex').slice(0, 8);
}
