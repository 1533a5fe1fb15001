import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DB_FILE, SqliteStore } from '../../../sync-server/store/SqliteStore.js';
import { SCHEMA_VERSION } from '../../../sync-server/store/schema.js';

/**
 * The relay stores a retried entry once (rule 9). Its duplicate check runs on an in-memory
 * index of entry ids (EntryIdIndex) instead of a unique index in SQLite, so these tests attack
 * what that could get wrong: an index rebuilt after a restart, a prefix collision that must not
 * pass for a duplicate, a rolled-back batch, and a database from before the change.
 */

let dir: string;
let store: SqliteStore;

beforeEach(() => {
	dir = mkdtempSync(join(tmpdir(), 'tend-store-'));
	store = SqliteStore.open(dir);
});

afterEach(() => {
	store.close();
	rmSync(dir, { recursive: true, force: true });
});

const doc = new Uint8Array(32).fill(1);
const otherDoc = new Uint8Array(32).fill(2);

/** An id with chosen first bytes (the index keys on the first 30 bits) and a distinct tail. */
function id(prefix: number[], tail: number): Uint8Array {
	const out = new Uint8Array(32);
	out.set(prefix);
	out[31] = tail;
	return out;
}

const bytes = (n: number) => new Uint8Array([n, n, n]);

describe('SqliteStore entries', () => {
	it('numbers new entries per document and answers a retry with the first seq', () => {
		const a = id([1, 2, 3, 4], 1);
		const b = id([5, 6, 7, 8], 2);

		const first = store.appendEntries([
			{ doc, id: a, bytes: bytes(1) },
			{ doc: otherDoc, id: a, bytes: bytes(1) },
			{ doc, id: b, bytes: bytes(2) },
			{ doc, id: a, bytes: bytes(1) }
		]);
		const retry = store.appendEntries([{ doc, id: b, bytes: bytes(2) }]);

		expect(first).toEqual([
			{ seq: 1, dup: false },
			{ seq: 1, dup: false },
			{ seq: 2, dup: false },
			{ seq: 1, dup: true }
		]);
		expect(retry).toEqual([{ seq: 2, dup: true }]);
		expect(store.readEntries(doc, 0, 10, 1e6).map((e) => e.seq)).toEqual([1, 2]);
	});

	it('does not take an entry whose id shares the indexed prefix for a duplicate', () => {
		const a = id([9, 9, 9, 9], 1);
		const collides = id([9, 9, 9, 9], 2);
		const collidesToo = id([9, 9, 9, 8], 3); // the last two bits of byte 3 aren't indexed

		const results = store.appendEntries([
			{ doc, id: a, bytes: bytes(1) },
			{ doc, id: collides, bytes: bytes(2) },
			{ doc, id: collidesToo, bytes: bytes(3) }
		]);
		const retries = store.appendEntries([
			{ doc, id: collidesToo, bytes: bytes(3) },
			{ doc, id: collides, bytes: bytes(2) },
			{ doc, id: a, bytes: bytes(1) }
		]);

		expect(results.map((r) => r.dup)).toEqual([false, false, false]);
		expect(retries).toEqual([
			{ seq: 3, dup: true },
			{ seq: 2, dup: true },
			{ seq: 1, dup: true }
		]);
	});

	it('still finds duplicates after a restart (the index is rebuilt from the database)', () => {
		const ids = Array.from({ length: 50 }, (_, i) => id([i, 0, 0, 0], i));
		store.appendEntries(ids.map((entryId, i) => ({ doc, id: entryId, bytes: bytes(i) })));
		store.close();

		store = SqliteStore.open(dir);
		const results = store.appendEntries([
			{ doc, id: ids[17], bytes: bytes(17) },
			{ doc, id: id([200, 0, 0, 0], 99), bytes: bytes(99) }
		]);

		expect(results).toEqual([
			{ seq: 18, dup: true },
			{ seq: 51, dup: false }
		]);
	});

	it('forgets what a rolled-back batch taught the index', () => {
		const a = id([3, 3, 3, 3], 1);
		store.appendEntries([{ doc, id: a, bytes: bytes(1) }]);
		const b = id([4, 4, 4, 4], 2);

		// A NULL blob violates NOT NULL, so the transaction throws after b was indexed.
		const broken = [
			{ doc, id: b, bytes: bytes(2) },
			{ doc, id: id([5, 5, 5, 5], 3), bytes: null as unknown as Uint8Array }
		];
		expect(() => store.appendEntries(broken)).toThrow();
		const after = store.appendEntries([{ doc, id: b, bytes: bytes(2) }]);

		expect(after).toEqual([{ seq: 2, dup: false }]);
		expect(store.lastSeq(doc)).toBe(2);
	});

	it('upgrades a version-3 database: entries, numbering and duplicate checks carry over', () => {
		store.close();
		rmSync(dir, { recursive: true, force: true });
		dir = mkdtempSync(join(tmpdir(), 'tend-store-'));
		const old = new Database(join(dir, DB_FILE));
		old.exec(`CREATE TABLE entries (doc BLOB NOT NULL, seq INTEGER NOT NULL CHECK (seq >= 1),
			id BLOB NOT NULL, bytes BLOB NOT NULL, PRIMARY KEY (doc, seq), UNIQUE (doc, id))`);
		const a = id([7, 7, 7, 7], 1);
		old.prepare('INSERT INTO entries VALUES (?, ?, ?, ?)').run(doc, 1, a, bytes(1));
		old.pragma('user_version = 3');
		old.close();

		store = SqliteStore.open(dir);
		const results = store.appendEntries([
			{ doc, id: a, bytes: bytes(1) },
			{ doc, id: id([8, 8, 8, 8], 2), bytes: bytes(2) }
		]);

		expect(results).toEqual([
			{ seq: 1, dup: true },
			{ seq: 2, dup: false }
		]);
		const check = new Database(join(dir, DB_FILE), { readonly: true });
		const indexes = check
			.prepare("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'entries'")
			.all() as { name: string; sql: string | null }[];
		const version = check.pragma('user_version', { simple: true });
		check.close();
		expect(version).toBe(SCHEMA_VERSION);
		expect(indexes.map((i) => i.name)).toContain('entry_ids');
		// Only the primary key's automatic index is left: the random-order unique index is gone.
		expect(indexes.filter((i) => i.name.startsWith('sqlite_autoindex'))).toHaveLength(1);
	});
});

describe('SqliteStore entry id memory', () => {
	it('drops the least recently pushed document past the limit and re-reads it when needed', () => {
		store.close();
		store = SqliteStore.open(dir, { maxIndexedIds: 3 });
		const a = id([1, 1, 1, 1], 1);
		const b = id([2, 2, 2, 2], 2);
		store.appendEntries([
			{ doc, id: a, bytes: bytes(1) },
			{ doc, id: b, bytes: bytes(2) }
		]);
		// Pushing to two more documents goes over the limit; `doc` is dropped first.
		store.appendEntries([{ doc: otherDoc, id: a, bytes: bytes(1) }]);
		store.appendEntries([{ doc: new Uint8Array(32).fill(3), id: a, bytes: bytes(1) }]);
		expect(store.indexedIds).toBe(2);

		const results = store.appendEntries([
			{ doc, id: b, bytes: bytes(2) },
			{ doc, id: id([3, 3, 3, 3], 3), bytes: bytes(3) }
		]);

		expect(results).toEqual([
			{ seq: 2, dup: true },
			{ seq: 3, dup: false }
		]);
	});
});
