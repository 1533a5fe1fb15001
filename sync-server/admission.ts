import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { PRIVATE_DIR_MODE } from './privateFiles.js';

/**
 * Per-practice admission (issue 7): a relay stores documents and invites only for devices that
 * present an admission token its operator issued to a practice, so a public relay is not an open
 * storage service. A device presents the token in the relay address it connects to
 * (`wss://relay.example.org/?admission=TOKEN`), so the app needs no other setting: the practice
 * address carries it, and `npm start` serves it to the local app in `/config.json`.
 *
 * @remarks
 * Only what creates storage needs admission: `doc.create` and `invite.create`. Everything else
 * is already bound to a document an admitted device created (its chain lists the writers), so an
 * invited client connects without any token. Tokens are compared as SHA-256 digests in constant
 * time; the relay never logs them.
 */

/** One token per line in the tokens file; `#` starts a comment. Names help the operator only. */
export const ADMISSION_FILE = 'admission-tokens';

export interface Admission {
	/** False when the operator turned admission off (`--open-admission`): everyone is admitted. */
	required: boolean;
	/** Whether a presented token is one of the configured ones. */
	admits(token: string | null | undefined): boolean;
}

/** Admission that admits everyone (tests that embed the relay, `--open-admission`). */
export const OPEN_ADMISSION: Admission = { required: false, admits: () => true };

export function admissionFromTokens(tokens: string[]): Admission {
	const digests = tokens.map(digest);
	return {
		required: true,
		admits(token) {
			if (!token || token.length > 200) return false;
			const presented = digest(token);
			let found = false;
			for (const d of digests) found = timingSafeEqual(d, presented) || found;
			return found;
		}
	};
}

/** A new random token: 128 bits, base64url, with a prefix that says what it is. */
export function newAdmissionToken(): string {
	return `tend-practice-${randomBytes(16).toString('base64url')}`;
}

/**
 * Reads the tokens file, creating it with one new token when it doesn't exist (first start of a
 * relay on a new data folder), readable by the relay's user only.
 */
export function loadAdmissionFile(file: string): { tokens: string[]; created: boolean } {
	let created = false;
	if (!existsSync(file)) {
		mkdirSync(dirname(file), { recursive: true, mode: PRIVATE_DIR_MODE });
		const text = `# Tend admission tokens, one per line: give each practice its own.\n${newAdmissionToken()}\n`;
		writeFileSync(file, text, { mode: 0o600, flag: 'wx' });
		created = true;
	}
	const tokens = readFileSync(file, 'utf8')
		.split('\n')
		.map((line) => line.replace(/#.*/, '').trim())
		.filter((line) => line.length > 0);
	if (tokens.length === 0) throw new Error(`no admission token in ${file}`);
	return { tokens, created };
}

export function defaultAdmissionFile(dataDir: string): string {
	return join(dataDir, ADMISSION_FILE);
}

/** The `admission` query parameter of the upgrade request's path, if any. */
export function admissionTokenOf(url: string | undefined): string | null {
	try {
		return new URL(url ?? '/', 'http://relay').searchParams.get('admission');
	} catch {
		return null;
	}
}

function digest(token: string): Buffer {
	return createHash('sha256').update(token, 'utf8').digest();
}
