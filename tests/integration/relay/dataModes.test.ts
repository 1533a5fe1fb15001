import Database from 'better-sqlite3';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DB_FILE } from '../../../sync-server/store/SqliteStore.js';
import { RelayProcess } from '../../helpers/relayProcess.js';

/**
 * The data folder is for the relay's user alone (docs/operations.md): the database shows who
 * talks to whom and when, the token files admit devices. The attack: another account on the
 * machine reads `relay.sqlite` (or its WAL) because it was created with the default 0644 under
 * the usual umask 022. The relay runs as `npm run relay` does, with that umask.
 */

const DB_FILES = [DB_FILE, `${DB_FILE}-wal`, `${DB_FILE}-shm`];

let root: string;
let relay: RelayProcess | undefined;
let savedUmask: number;

beforeAll(() => {
	// The relay inherits it: the common default, under which files are created 0644.
	savedUmask = process.umask(0o022);
});

afterAll(() => {
	process.umask(savedUmask);
});

afterEach(async () => {
	await relay?.dispose();
	relay = undefined;
	rmSync(root, { recursive: true, force: true });
});

const modeOf = (path: string) => statSync(path).mode & 0o777;

/** Every file in the folder by name, with its mode (octal text, so a failure reads well). */
function modes(dir: string): Record<string, string> {
	return Object.fromEntries(
		readdirSync(dir).map((name) => [name, modeOf(join(dir, name)).toString(8)])
	);
}

describe.skipIf(process.platform === 'win32')('relay: data folder modes', () => {
	it('creates the folder 0700 and the database, its WAL and shared memory, and token files 0600', async () => {
		root = mkdtempSync(join(tmpdir(), 'tend-modes-'));
		// A folder the relay creates itself (mkdtemp would already make it 0700).
		const dataDir = join(root, 'data', 'relay');
		relay = await RelayProcess.start({ dataDir, admission: true, admin: true });

		// Positive control: the umask in force does create files readable by others.
		writeFileSync(join(root, 'control'), 'x');
		expect(modeOf(join(root, 'control'))).toBe(0o644);

		expect(modeOf(dataDir).toString(8)).toBe('700');
		const found = modes(dataDir);
		// While the relay runs in WAL mode, all three database files exist.
		for (const name of [...DB_FILES, 'admission-tokens', 'admin-token']) {
			expect(found, name).toHaveProperty(name);
		}
		expect(found).toEqual(Object.fromEntries(Object.keys(found).map((name) => [name, '600'])));
	});

	it('takes other users’ access away from a folder and database files an older relay left open', async () => {
		root = mkdtempSync(join(tmpdir(), 'tend-modes-'));
		const dataDir = join(root, 'relay');
		mkdirSync(dataDir);
		chmodSync(dataDir, 0o755);
		const old = new Database(join(dataDir, DB_FILE));
		old.exec('CREATE TABLE kept (v TEXT); INSERT INTO kept VALUES (1)');
		old.close();
		// A crash leaves the WAL and shared memory behind (empty ones are valid for SQLite).
		writeFileSync(join(dataDir, `${DB_FILE}-wal`), '');
		writeFileSync(join(dataDir, `${DB_FILE}-shm`), '');
		for (const name of DB_FILES) chmodSync(join(dataDir, name), 0o644);

		relay = await RelayProcess.start({ dataDir });
		expect((await relay.healthz()).body).toMatchObject({ ok: true, journalMode: 'wal' });

		expect(modeOf(dataDir).toString(8)).toBe('700');
		const found = modes(dataDir);
		for (const name of DB_FILES) expect(found, name).toHaveProperty(name);
		expect(found).toEqual(Object.fromEntries(Object.keys(found).map((name) => [name, '600'])));
		// Nothing of the old data was lost on the way.
		await relay.stop();
		const reopened = new Database(join(dataDir, DB_FILE), { readonly: true });
		expect(reopened.prepare('SELECT v FROM kept').pluck().get()).toBe('1');
		reopened.close();
	});
});
