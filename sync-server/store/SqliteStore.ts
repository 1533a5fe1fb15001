import Database from 'better-sqlite3';
import { Buffer } from 'node:buffer';
import { join } from 'node:path';
import { equalBytes } from '../../src/lib/protocol/bytes.js';
import { ensurePrivateDir, ensurePrivateFile } from '../privateFiles.js';
import { EntryIdIndex } from './EntryIdIndex.js';
import { MIGRATE_ENTRIES_SQL, SCHEMA_SQL, SCHEMA_VERSION } from './schema.js';
import type {
	EntryToStore,
	EpochAppend,
	InviteClaimRecord,
	InviteState,
	MailItem,
	NewInvite,
	Store,
	StoredBlob,
	StoredDocument,
	StoredEntry,
	StoredEntryResult,
	StoredInvite,
	StoredSnapshot,
	StoreSettings
} from './Store.js';

/** The database file inside the data folder; `-wal` and `-shm` files sit beside it. */
export const DB_FILE = 'relay.sqlite';

const SYNCHRONOUS_NAMES = ['off', 'normal', 'full', 'extra'];

/**
 * Entry ids kept in memory across documents (~30 bytes each, so ~30 MiB). Past this, the
 * documents least recently pushed to are dropped from memory and re-read when next pushed to.
 */
export const MAX_INDEXED_IDS = 1_000_000;

function docKey(doc: Uint8Array): string {
	return Buffer.from(doc.buffer, doc.byteOffset, doc.byteLength).toString('latin1');
}

interface InviteRow {
	id: Uint8Array;
	inviter: Uint8Array;
	auth_pk: Uint8Array;
	info: Uint8Array;
	expires: number;
	state: InviteState;
	claim_device: Uint8Array | null;
	claim_box_pk: Uint8Array | null;
	claim_profile: Uint8Array | null;
	claim_sig: Uint8Array | null;
}

/**
 * The {@link Store} on one SQLite file (better-sqlite3).
 *
 * @remarks
 * WAL with `synchronous=FULL`: every commit is fsynced before the relay acknowledges it
 * (SECURITY-RULES.md, rule 15). WAL with NORMAL is faster but can lose the last commits on a
 * power loss, after devices were told their entries were delivered. The cost is paid once per
 * batch, not per entry, because pushes are committed in batches (`PushBatcher`).
 */
export class SqliteStore implements Store {
	readonly #db: Database.Database;
	readonly #stmt;
	/** Entry ids per document (key: latin1 of the id), least recently pushed to first. */
	readonly #ids = new Map<string, EntryIdIndex>();
	#indexed = 0;

	private constructor(
		db: Database.Database,
		readonly maxIndexedIds: number,
		/**
		 * The data folder or database files that other users can still read because this user
		 * may not change their mode (someone else owns them); empty as it should be.
		 */
		readonly sharedPaths: string[] = []
	) {
		this.#db = db;
		this.#stmt = prepareStatements(db);
	}

	/**
	 * Opens (creating if needed) the database in `dataDir`, which is created if missing.
	 * `maxIndexedIds` bounds the entry ids kept in memory (default {@link MAX_INDEXED_IDS}).
	 * The folder is made 0700 and the database files 0600 first (privateFiles.ts).
	 */
	static open(dataDir: string, options: { maxIndexedIds?: number } = {}): SqliteStore {
		const shared = ensurePrivateDir(dataDir) ? [] : [dataDir];
		// The database before SQLite creates it (0644 by default); the -wal and -shm files
		// SQLite then creates take its mode, and ones left by an older relay are fixed here.
		for (const name of [DB_FILE, `${DB_FILE}-wal`, `${DB_FILE}-shm`]) {
			const file = join(dataDir, name);
			if (!ensurePrivateFile(file, name === DB_FILE)) shared.push(file);
		}
		const db = new Database(join(dataDir, DB_FILE));
		db.pragma('journal_mode = WAL');
		db.pragma('synchronous = FULL');
		db.pragma('foreign_keys = ON');

		const version = db.pragma('user_version', { simple: true }) as number;
		if (version > SCHEMA_VERSION) {
			db.close();
			throw new Error(`database schema ${version} is newer than this relay (${SCHEMA_VERSION})`);
		}
		db.transaction(() => {
			// The entries table of versions 1–3 carries a UNIQUE constraint (index origin 'u').
			const indexes = db.pragma('index_list(entries)') as { origin: string }[];
			if (version < 4 && indexes.some((index) => index.origin === 'u')) {
				db.exec(MIGRATE_ENTRIES_SQL);
			}
			db.exec(SCHEMA_SQL);
			db.pragma(`user_version = ${SCHEMA_VERSION}`);
		})();
		return new SqliteStore(db, options.maxIndexedIds ?? MAX_INDEXED_IDS, shared);
	}

	settings(): StoreSettings {
		const journalMode = String(this.#db.pragma('journal_mode', { simple: true }));
		const level = Number(this.#db.pragma('synchronous', { simple: true }));
		return { journalMode, synchronous: SYNCHRONOUS_NAMES[level] ?? String(level) };
	}

	// Documents and their epoch chain

	createDocument(doc: Uint8Array, genesis: Uint8Array): 'created' | 'same' | 'different' {
		const inserted = this.#stmt.insertDocument.run(doc, genesis, 0, doc);
		if (inserted.changes === 1) return 'created';
		const existing = this.getDocument(doc);
		return existing && equalBytes(existing.genesis, genesis) ? 'same' : 'different';
	}

	getDocument(doc: Uint8Array): StoredDocument | undefined {
		const row = this.#stmt.getDocument.get(doc) as
			| { genesis: Uint8Array; head_n: number; head_hash: Uint8Array }
			| undefined;
		return row && { genesis: row.genesis, headN: row.head_n, headHash: row.head_hash };
	}

	createPeriod(id: Uint8Array, conv: Uint8Array, n: number): 'created' | 'same' {
		return this.#stmt.insertPeriod.run(id, conv, n).changes === 1 ? 'created' : 'same';
	}

	getPeriod(id: Uint8Array): { conv: Uint8Array; n: number } | undefined {
		return this.#stmt.getPeriod.get(id) as { conv: Uint8Array; n: number } | undefined;
	}

	highestPeriod(conv: Uint8Array): number {
		return (this.#stmt.highestPeriod.get(conv) as { n: number }).n;
	}

	readChain(doc: Uint8Array, from: number, maxBytes: number): Uint8Array[] {
		const records: Uint8Array[] = [];
		let bytes = 0;
		if (from === 0) {
			const stored = this.getDocument(doc);
			if (!stored) return records;
			records.push(stored.genesis);
			bytes += stored.genesis.length;
		}
		for (const row of this.#stmt.readEpochs.iterate(doc, Math.max(from, 1))) {
			if (records.length > 0 && bytes >= maxBytes) break;
			const record = (row as { record: Uint8Array }).record;
			records.push(record);
			bytes += record.length;
		}
		return records;
	}

	appendEpoch(append: EpochAppend): boolean {
		return this.#db.transaction(() => {
			const { doc, n, prevHash, hash, record } = append;
			const moved = this.#stmt.moveHead.run(n, hash, doc, n - 1, prevHash);
			if (moved.changes !== 1) return false;
			this.#stmt.insertEpoch.run(doc, n, record);
			return true;
		})();
	}

	// Entries

	appendEntries(entries: EntryToStore[]): StoredEntryResult[] {
		try {
			const results = this.#db.transaction(() =>
				entries.map(({ doc, id, bytes }): StoredEntryResult => {
					const ids = this.#idsOf(doc);
					const existing = ids.find(id, (seq) => this.#storedId(doc, seq));
					if (existing !== undefined) return { seq: existing, dup: true };
					const seq = ids.lastSeq + 1;
					this.#stmt.insertEntry.run(doc, seq, id, bytes);
					ids.add(id, seq);
					this.#indexed++;
					return { seq, dup: false };
				})
			)();
			this.#evictIds();
			return results;
		} catch (error) {
			// Rolled back: what the indexes learnt in the transaction is forgotten with them; they
			// are rebuilt from the database on the next push.
			for (const { doc } of entries) this.#forgetIds(docKey(doc));
			throw error;
		}
	}

	/** Entry ids held in memory for duplicate checks (for tests and operators' curiosity). */
	get indexedIds(): number {
		return this.#indexed;
	}

	#storedId(doc: Uint8Array, seq: number): Uint8Array | undefined {
		return (this.#stmt.entryIdAt.get(doc, seq) as { id: Uint8Array } | undefined)?.id;
	}

	/** The document's id index, built from the database when it isn't in memory. */
	#idsOf(doc: Uint8Array): EntryIdIndex {
		const key = docKey(doc);
		const cached = this.#ids.get(key);
		if (cached) {
			if (this.#ids.size > 1) {
				this.#ids.delete(key);
				this.#ids.set(key, cached);
			}
			return cached;
		}
		const ids = new EntryIdIndex();
		for (const row of this.#stmt.readIds.iterate(doc)) {
			const { seq, id } = row as { seq: number; id: Uint8Array };
			ids.add(id, seq);
		}
		this.#ids.set(key, ids);
		this.#indexed += ids.size;
		return ids;
	}

	/** Drops the least recently pushed documents' ids while over the limit (never the last). */
	#evictIds(): void {
		for (const [key, index] of this.#ids) {
			if (this.#indexed <= this.maxIndexedIds || this.#ids.size === 1) return;
			this.#ids.delete(key);
			this.#indexed -= index.size;
		}
	}

	#forgetIds(key: string): void {
		const ids = this.#ids.get(key);
		if (!ids) return;
		this.#ids.delete(key);
		this.#indexed -= ids.size;
	}

	readEntries(doc: Uint8Array, after: number, maxRows: number, maxBytes: number): StoredEntry[] {
		const out: StoredEntry[] = [];
		let bytes = 0;
		for (const row of this.#stmt.readEntries.iterate(doc, after)) {
			const entry = row as StoredEntry;
			out.push(entry);
			bytes += entry.bytes.length;
			if (out.length >= maxRows || bytes >= maxBytes) break;
		}
		return out;
	}

	lastSeq(doc: Uint8Array): number {
		return (this.#stmt.lastSeq.get(doc) as { seq: number }).seq;
	}

	// Invites

	createInvite(invite: NewInvite): 'created' | 'same' | 'different' {
		const { id, inviter, authPk, info, expires } = invite;
		const inserted = this.#stmt.insertInvite.run(id, inviter, authPk, info, expires);
		if (inserted.changes === 1) return 'created';
		const existing = this.getInvite(id);
		const same =
			existing !== undefined &&
			equalBytes(existing.inviter, inviter) &&
			equalBytes(existing.authPk, authPk) &&
			equalBytes(existing.info, info) &&
			existing.expires === expires;
		return same ? 'same' : 'different';
	}

	getInvite(id: Uint8Array): StoredInvite | undefined {
		const row = this.#stmt.getInvite.get(id) as InviteRow | undefined;
		if (!row) return undefined;
		const invite: StoredInvite = {
			id: row.id,
			inviter: row.inviter,
			authPk: row.auth_pk,
			info: row.info,
			expires: row.expires,
			state: row.state
		};
		if (row.claim_device && row.claim_box_pk && row.claim_profile && row.claim_sig) {
			invite.claim = {
				device: row.claim_device,
				boxPk: row.claim_box_pk,
				profile: row.claim_profile,
				deviceSig: row.claim_sig
			};
		}
		return invite;
	}

	countLiveInvites(inviter: Uint8Array, now: number): number {
		return (this.#stmt.countLiveInvites.get(inviter, now) as { n: number }).n;
	}

	claimInvite(id: Uint8Array, claim: InviteClaimRecord): boolean {
		const { device, boxPk, profile, deviceSig } = claim;
		return this.#stmt.claimInvite.run(device, boxPk, profile, deviceSig, id).changes === 1;
	}

	setInviteState(id: Uint8Array, from: InviteState[], to: InviteState): boolean {
		return this.#stmt.setInviteState.run(to, id, JSON.stringify(from)).changes === 1;
	}

	pendingClaims(inviter: Uint8Array): { invite: Uint8Array; claim: InviteClaimRecord }[] {
		const rows = this.#stmt.pendingClaims.all(inviter) as InviteRow[];
		return rows.map((row) => ({
			invite: row.id,
			claim: {
				device: row.claim_device as Uint8Array,
				boxPk: row.claim_box_pk as Uint8Array,
				profile: row.claim_profile as Uint8Array,
				deviceSig: row.claim_sig as Uint8Array
			}
		}));
	}

	deleteInvitesExpiredBefore(before: number): number {
		return this.#stmt.deleteExpiredInvites.run(before).changes;
	}

	// Mailbox

	putMail(recipient: Uint8Array, envelope: Uint8Array): number {
		return Number(this.#stmt.insertMail.run(recipient, envelope).lastInsertRowid);
	}

	countMail(recipient: Uint8Array): number {
		return (this.#stmt.countMail.get(recipient) as { n: number }).n;
	}

	fetchMail(recipient: Uint8Array, maxRows: number, maxBytes: number): MailItem[] {
		const out: MailItem[] = [];
		let bytes = 0;
		for (const row of this.#stmt.fetchMail.iterate(recipient)) {
			const item = row as MailItem;
			if (out.length > 0 && (out.length >= maxRows || bytes + item.envelope.length > maxBytes)) {
				break;
			}
			out.push(item);
			bytes += item.envelope.length;
		}
		return out;
	}

	ackMail(recipient: Uint8Array, ids: number[]): number {
		return this.#db.transaction(() => {
			let deleted = 0;
			for (const id of ids) deleted += this.#stmt.ackMail.run(id, recipient).changes;
			return deleted;
		})();
	}

	// Snapshots

	putSnapshot(doc: Uint8Array, upTo: number, bytes: Uint8Array): boolean {
		return this.#stmt.putSnapshot.run(doc, upTo, bytes).changes === 1;
	}

	getSnapshot(doc: Uint8Array): StoredSnapshot | undefined {
		const row = this.#stmt.getSnapshot.get(doc) as { up_to: number; bytes: Uint8Array } | undefined;
		return row && { upTo: row.up_to, bytes: row.bytes };
	}

	// Blobs

	getBlob(doc: Uint8Array, id: Uint8Array): StoredBlob | undefined {
		const row = this.#stmt.getBlob.get(doc, id) as { size: number; complete: number } | undefined;
		return row && { size: row.size, complete: row.complete === 1 };
	}

	blobBytes(doc: Uint8Array): number {
		return (this.#stmt.blobBytes.get(doc) as { n: number }).n;
	}

	createBlob(doc: Uint8Array, id: Uint8Array, size: number, now: number, uploader: Uint8Array): void {
		this.#db.transaction(() => {
			this.#stmt.insertBlob.run(doc, id, size, now);
			this.#stmt.insertBlobOwner.run(doc, id, uploader);
		})();
	}

	blobUploader(doc: Uint8Array, id: Uint8Array): Uint8Array | undefined {
		const row = this.#stmt.blobOwner.get(doc, id) as { device: Uint8Array } | undefined;
		return row?.device;
	}

	blobPartIndexes(doc: Uint8Array, id: Uint8Array): number[] {
		return (this.#stmt.blobPartIndexes.all(doc, id) as { i: number }[]).map((row) => row.i);
	}

	putBlobPart(doc: Uint8Array, id: Uint8Array, i: number, bytes: Uint8Array, now: number): void {
		this.#db.transaction(() => {
			this.#stmt.insertBlobPart.run(doc, id, i, bytes);
			this.#stmt.touchBlob.run(now, doc, id);
		})();
	}

	readBlobParts(doc: Uint8Array, id: Uint8Array, from: number, to: number): Uint8Array[] {
		const rows = this.#stmt.readBlobParts.all(doc, id, from, to) as { bytes: Uint8Array }[];
		return rows.map((row) => row.bytes);
	}

	completeBlob(doc: Uint8Array, id: Uint8Array): void {
		this.#stmt.completeBlob.run(doc, id);
	}

	deleteBlob(doc: Uint8Array, id: Uint8Array): void {
		this.#db.transaction(() => {
			this.#stmt.deleteBlobParts.run(doc, id);
			this.#stmt.deleteBlobOwner.run(doc, id);
			this.#stmt.deleteBlob.run(doc, id);
		})();
	}

	deleteStaleBlobs(before: number): number {
		return this.#db.transaction(() => {
			const stale = this.#stmt.staleBlobs.all(before) as { doc: Uint8Array; id: Uint8Array }[];
			for (const { doc, id } of stale) this.deleteBlob(doc, id);
			return stale.length;
		})();
	}

	close(): void {
		this.#db.close();
	}
}

function prepareStatements(db: Database.Database) {
	return {
		insertDocument: db.prepare(
			'INSERT OR IGNORE INTO documents (id, genesis, head_n, head_hash) VALUES (?, ?, ?, ?)'
		),
		getDocument: db.prepare('SELECT genesis, head_n, head_hash FROM documents WHERE id = ?'),
		insertPeriod: db.prepare('INSERT OR IGNORE INTO periods (id, conv, n) VALUES (?, ?, ?)'),
		getPeriod: db.prepare('SELECT conv, n FROM periods WHERE id = ?'),
		highestPeriod: db.prepare('SELECT coalesce(max(n), 0) AS n FROM periods WHERE conv = ?'),
		readEpochs: db.prepare('SELECT record FROM epochs WHERE doc = ? AND n >= ? ORDER BY n'),
		moveHead: db.prepare(
			'UPDATE documents SET head_n = ?, head_hash = ? WHERE id = ? AND head_n = ? AND head_hash = ?'
		),
		insertEpoch: db.prepare('INSERT INTO epochs (doc, n, record) VALUES (?, ?, ?)'),

		entryIdAt: db.prepare('SELECT id FROM entries WHERE doc = ? AND seq = ?'),
		readIds: db.prepare('SELECT seq, id FROM entries WHERE doc = ? ORDER BY seq'),
		insertEntry: db.prepare('INSERT INTO entries (doc, seq, id, bytes) VALUES (?, ?, ?, ?)'),
		readEntries: db.prepare(
			'SELECT seq, bytes FROM entries WHERE doc = ? AND seq > ? ORDER BY seq'
		),
		lastSeq: db.prepare('SELECT coalesce(max(seq), 0) AS seq FROM entries WHERE doc = ?'),

		insertInvite: db.prepare(
			`INSERT OR IGNORE INTO invites (id, inviter, auth_pk, info, expires, state)
			VALUES (?, ?, ?, ?, ?, 'open')`
		),
		getInvite: db.prepare('SELECT * FROM invites WHERE id = ?'),
		countLiveInvites: db.prepare(
			'SELECT count(*) AS n FROM invites WHERE inviter = ? AND expires > ?'
		),
		claimInvite: db.prepare(
			`UPDATE invites SET state = 'claimed', claim_device = ?, claim_box_pk = ?,
			claim_profile = ?, claim_sig = ? WHERE id = ? AND state = 'open'`
		),
		setInviteState: db.prepare(
			'UPDATE invites SET state = ? WHERE id = ? AND state IN (SELECT value FROM json_each(?))'
		),
		pendingClaims: db.prepare(
			"SELECT * FROM invites WHERE inviter = ? AND state = 'claimed' ORDER BY rowid"
		),
		deleteExpiredInvites: db.prepare('DELETE FROM invites WHERE expires < ?'),

		insertMail: db.prepare('INSERT INTO mailbox (recipient, envelope) VALUES (?, ?)'),
		countMail: db.prepare('SELECT count(*) AS n FROM mailbox WHERE recipient = ?'),
		fetchMail: db.prepare(
			'SELECT id, envelope FROM mailbox WHERE recipient = ? ORDER BY id'
		),
		ackMail: db.prepare('DELETE FROM mailbox WHERE id = ? AND recipient = ?'),

		putSnapshot: db.prepare(
			`INSERT INTO snapshots (doc, up_to, bytes) VALUES (?, ?, ?)
			ON CONFLICT (doc) DO UPDATE SET up_to = excluded.up_to, bytes = excluded.bytes
			WHERE excluded.up_to > snapshots.up_to`
		),
		getSnapshot: db.prepare('SELECT up_to, bytes FROM snapshots WHERE doc = ?'),

		getBlob: db.prepare('SELECT size, complete FROM blobs WHERE doc = ? AND id = ?'),
		blobBytes: db.prepare('SELECT coalesce(sum(size), 0) AS n FROM blobs WHERE doc = ?'),
		insertBlob: db.prepare(
			'INSERT OR IGNORE INTO blobs (doc, id, size, complete, touched) VALUES (?, ?, ?, 0, ?)'
		),
		blobPartIndexes: db.prepare('SELECT i FROM blob_parts WHERE doc = ? AND blob = ? ORDER BY i'),
		insertBlobPart: db.prepare(
			'INSERT OR IGNORE INTO blob_parts (doc, blob, i, bytes) VALUES (?, ?, ?, ?)'
		),
		touchBlob: db.prepare('UPDATE blobs SET touched = ? WHERE doc = ? AND id = ? AND complete = 0'),
		readBlobParts: db.prepare(
			'SELECT bytes FROM blob_parts WHERE doc = ? AND blob = ? AND i BETWEEN ? AND ? ORDER BY i'
		),
		completeBlob: db.prepare('UPDATE blobs SET complete = 1, touched = 0 WHERE doc = ? AND id = ?'),
		deleteBlobParts: db.prepare('DELETE FROM blob_parts WHERE doc = ? AND blob = ?'),
		deleteBlob: db.prepare('DELETE FROM blobs WHERE doc = ? AND id = ?'),
		insertBlobOwner: db.prepare(
			'INSERT OR IGNORE INTO blob_owners (doc, blob, device) VALUES (?, ?, ?)'
		),
		blobOwner: db.prepare('SELECT device FROM blob_owners WHERE doc = ? AND blob = ?'),
		deleteBlobOwner: db.prepare('DELETE FROM blob_owners WHERE doc = ? AND blob = ?'),
		staleBlobs: db.prepare('SELECT doc, id FROM blobs WHERE complete = 0 AND touched < ?')
	};
}
