/**
 * The relay's SQLite schema, version 3 (kept in `PRAGMA user_version`). Version 2 added the
 * `snapshots` table, version 3 the `blobs` and `blob_parts` tables; version 4 replaced the unique
 * index on entry ids by an ordered covering index (`EntryIdIndex` explains why), which
 * {@link MIGRATE_ENTRIES_SQL} does by copying the table. Every other statement is
 * `IF NOT EXISTS`, so an older database upgrades in place.
 *
 * Only what the relay needs is stored: public keys, signed records and ciphertext. Entries carry
 * no timestamp (timing is visible to the relay as it happens, but need not be kept), and
 * document ids are the random-looking hashes of their genesis records.
 */
export const SCHEMA_VERSION = 5;

export const SCHEMA_SQL = `
CREATE TABLE IF NOT EXISTS documents (
	id BLOB PRIMARY KEY,
	genesis BLOB NOT NULL,
	head_n INTEGER NOT NULL,
	head_hash BLOB NOT NULL
);

-- Period documents (version 5, SECURITY-RULES.md rule 19): id = BLAKE2b('tend/period-id/v1',
-- conv, n). A period shares its conversation's chain, so it has no row in documents; its
-- entries, snapshots and blobs are keyed by its own id like any document's.
CREATE TABLE IF NOT EXISTS periods (
	id BLOB PRIMARY KEY,
	conv BLOB NOT NULL REFERENCES documents (id),
	n INTEGER NOT NULL CHECK (n >= 1),
	UNIQUE (conv, n)
);

CREATE TABLE IF NOT EXISTS epochs (
	doc BLOB NOT NULL REFERENCES documents (id),
	n INTEGER NOT NULL CHECK (n >= 1),
	record BLOB NOT NULL,
	PRIMARY KEY (doc, n)
);

CREATE TABLE IF NOT EXISTS entries (
	doc BLOB NOT NULL,
	seq INTEGER NOT NULL CHECK (seq >= 1),
	id BLOB NOT NULL,
	bytes BLOB NOT NULL,
	PRIMARY KEY (doc, seq)
);
CREATE INDEX IF NOT EXISTS entry_ids ON entries (doc, seq, id);

CREATE TABLE IF NOT EXISTS invites (
	id BLOB PRIMARY KEY,
	inviter BLOB NOT NULL,
	auth_pk BLOB NOT NULL,
	info BLOB NOT NULL,
	expires INTEGER NOT NULL,
	state TEXT NOT NULL CHECK (state IN ('open', 'claimed', 'closed', 'revoked')),
	claim_device BLOB,
	claim_box_pk BLOB,
	claim_profile BLOB,
	claim_sig BLOB
);
CREATE INDEX IF NOT EXISTS invites_by_inviter ON invites (inviter, state);

CREATE TABLE IF NOT EXISTS mailbox (
	id INTEGER PRIMARY KEY AUTOINCREMENT,
	recipient BLOB NOT NULL,
	envelope BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS mailbox_by_recipient ON mailbox (recipient, id);

CREATE TABLE IF NOT EXISTS snapshots (
	doc BLOB PRIMARY KEY,
	up_to INTEGER NOT NULL CHECK (up_to >= 1),
	bytes BLOB NOT NULL
);

-- Encrypted files (src/lib/protocol/blob.ts). A blob is visible only once complete = 1, which
-- blob.end sets after checking that its parts hash to its id. touched is the time in ms of the
-- last part of an incomplete upload, so abandoned uploads expire; 0 once complete.
CREATE TABLE IF NOT EXISTS blobs (
	doc BLOB NOT NULL,
	id BLOB NOT NULL,
	size INTEGER NOT NULL CHECK (size >= 1),
	complete INTEGER NOT NULL DEFAULT 0 CHECK (complete IN (0, 1)),
	touched INTEGER NOT NULL,
	PRIMARY KEY (doc, id)
);
CREATE INDEX IF NOT EXISTS blobs_incomplete ON blobs (complete, touched);

CREATE TABLE IF NOT EXISTS blob_parts (
	doc BLOB NOT NULL,
	blob BLOB NOT NULL,
	i INTEGER NOT NULL CHECK (i >= 0),
	bytes BLOB NOT NULL,
	PRIMARY KEY (doc, blob, i)
);

-- The device (signing public key) that began each blob's upload: it may delete the blob
-- (blob.delete), as may the document's administering devices. A table of its own, created on
-- old databases too, so blobs stored before it existed simply have no uploader.
CREATE TABLE IF NOT EXISTS blob_owners (
	doc BLOB NOT NULL,
	blob BLOB NOT NULL,
	device BLOB NOT NULL,
	PRIMARY KEY (doc, blob)
);
`;

/**
 * Versions 1 to 3 declared `UNIQUE (doc, id)` on the entries table; SQLite can drop such an
 * index only by rebuilding the table. Runs in one transaction before {@link SCHEMA_SQL}.
 */
export const MIGRATE_ENTRIES_SQL = `
CREATE TABLE entries_v4 (
	doc BLOB NOT NULL,
	seq INTEGER NOT NULL CHECK (seq >= 1),
	id BLOB NOT NULL,
	bytes BLOB NOT NULL,
	PRIMARY KEY (doc, seq)
);
INSERT INTO entries_v4 (doc, seq, id, bytes) SELECT doc, seq, id, bytes FROM entries ORDER BY doc, seq;
DROP TABLE entries;
ALTER TABLE entries_v4 RENAME TO entries;
`;
