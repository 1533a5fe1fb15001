import { chmodSync, closeSync, existsSync, mkdirSync, openSync, statSync } from 'node:fs';

/**
 * The relay's data folder and the files in it are for the relay's user alone: the database
 * shows who talks to whom and when (docs/operations.md), and the token files admit devices.
 * Folders are 0700 and files 0600; the token files are created that way where they are written
 * (admission.ts, adminServer.ts), the database here, before SQLite opens it.
 */

export const PRIVATE_DIR_MODE = 0o700;
export const PRIVATE_FILE_MODE = 0o600;

/** Bits that give the group or other users any access. */
const SHARED_BITS = 0o077;

/**
 * Creates `dir` (and missing parents) with mode 0700, or takes group and other access away
 * from an existing one (e.g. made by an older relay). Returns false when the folder is still
 * open to others because this user may not change its mode (it belongs to someone else).
 */
export function ensurePrivateDir(dir: string): boolean {
	mkdirSync(dir, { recursive: true, mode: PRIVATE_DIR_MODE });
	return restrict(dir, PRIVATE_DIR_MODE);
}

/**
 * Creates `file` empty with mode 0600 when `create` is set and it is missing, and takes group
 * and other access away from an existing one. SQLite gives the database's `-wal` and `-shm`
 * files the database file's mode, so a 0600 database keeps them private too. Returns false
 * as {@link ensurePrivateDir} does.
 */
export function ensurePrivateFile(file: string, create: boolean): boolean {
	if (!existsSync(file)) {
		if (!create) return true;
		// 'a' creates without truncating, should another process make it in between.
		closeSync(openSync(file, 'a', PRIVATE_FILE_MODE));
	}
	return restrict(file, PRIVATE_FILE_MODE);
}

function restrict(path: string, mode: number): boolean {
	// Windows has no POSIX modes: Node reports 0o666 or 0o444 whatever chmod was given.
	if (process.platform === 'win32') return true;
	const current = statSync(path).mode & 0o777;
	if ((current & SHARED_BITS) === 0) return true;
	try {
		chmodSync(path, current & mode);
		return true;
	} catch (error) {
		if ((error as NodeJS.ErrnoException).code === 'EPERM') return false;
		throw error;
	}
}
