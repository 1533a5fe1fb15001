/**
 * The relay's SQLite schema, version 2 (kept in `PRAGMA user_version`). Version 2 added the
 * `snapshots` table; every statement is `IF NOT EXISTS`, so a version-1 database upgrades in place.
 *
 * Only what the relay needs is stored: public keys, signed records and ciphertext. Entries carry
 * no timestamp (timing is visible to the relay as it happens, but need not be kept), and
 * document ids are the random-looking hashes of their genesis records.
 */
export const SCHEMA_VERSION = 2;

export const SCHEMA_SQL = `
CREATE TABLE IF NOT EXISTS documents (
	id BLOB PRIMARY KEY,
	genesis BLOB NOT NULL,
	head_n INTEGER NOT NULL,
	head_hash BLOB NOT NULL
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
	PRIMARY KEY (doc, seq),
	UNIQUE (doc, id)
);

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
`;
