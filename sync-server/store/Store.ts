/**
 * What the relay keeps on disk, behind an interface so that a practice group that outgrows one
 * machine can swap SQLite for PostgreSQL (DESIGN.md, "Relay"). Everything stored is either
 * public (ids, public keys, signed records) or ciphertext the relay can't open.
 *
 * @remarks
 * The methods are synchronous on purpose. Two guarantees of the relay lean on it: a
 * subscription's last catch-up read and its switch to live delivery happen in one step with no
 * commit in between (`Subscription`), and a batch of pushes is committed and then fanned out
 * before any other frame is handled (`PushBatcher`). An asynchronous backend must keep both,
 * for example with a per-document queue, before it can implement this interface.
 */
export interface Store {
	/** The durability settings actually in force, read back from the database. */
	settings(): StoreSettings;

	/**
	 * Registers a document by its genesis record. `same` when the id is already registered
	 * with these exact bytes (a retried create), `different` when registered with other bytes.
	 */
	createDocument(doc: Uint8Array, genesis: Uint8Array): 'created' | 'same' | 'different';
	getDocument(doc: Uint8Array): StoredDocument | undefined;
	/**
	 * Registers period `n` of conversation `conv` under `id` (rule 19). `same` when it is already
	 * registered (two devices that rolled over offline both register it).
	 */
	createPeriod(id: Uint8Array, conv: Uint8Array, n: number): 'created' | 'same';
	/** The conversation and number of a registered period, if `id` is one. */
	getPeriod(id: Uint8Array): { conv: Uint8Array; n: number } | undefined;
	/** The highest period registered for the conversation; 0 when none. */
	highestPeriod(conv: Uint8Array): number;
	/**
	 * Records n ≥ `from` in order, record 0 being the genesis. Stops once `maxBytes` are read,
	 * but always returns at least one record when there is one.
	 */
	readChain(doc: Uint8Array, from: number, maxBytes: number): Uint8Array[];
	/**
	 * Appends epoch record `n` if, and only if, the stored head is still `n − 1` with hash
	 * `prevHash` (compare-and-swap, SECURITY-RULES.md rule 2). False when another record won.
	 */
	appendEpoch(append: EpochAppend): boolean;

	/**
	 * Stores a batch of entries in one durable transaction and numbers the new ones. An entry
	 * whose id is already stored for its document (also earlier in the same batch) is not
	 * stored again: its result is the existing seq with `dup: true`. Results are in batch order.
	 */
	appendEntries(entries: EntryToStore[]): StoredEntryResult[];
	/** Entries with seq > `after`, in order, stopping after `maxRows` rows or `maxBytes` bytes. */
	readEntries(doc: Uint8Array, after: number, maxRows: number, maxBytes: number): StoredEntry[];
	/** The highest seq stored for the document, 0 when it has none. */
	lastSeq(doc: Uint8Array): number;

	/** Stores a new invite; `same` for a retry of the identical invite, `different` otherwise. */
	createInvite(invite: NewInvite): 'created' | 'same' | 'different';
	getInvite(id: Uint8Array): StoredInvite | undefined;
	/** Invites of this inviter that have not expired by `now` (ms). */
	countLiveInvites(inviter: Uint8Array, now: number): number;
	/** Records the claim if the invite is still `open`; false otherwise (one claim per invite). */
	claimInvite(id: Uint8Array, claim: InviteClaimRecord): boolean;
	/** Moves the invite from one of `from` to `to`; false when it was in another state. */
	setInviteState(id: Uint8Array, from: InviteState[], to: InviteState): boolean;
	/** Claims waiting for this inviter's decision (invites in state `claimed`). */
	pendingClaims(inviter: Uint8Array): { invite: Uint8Array; claim: InviteClaimRecord }[];
	/** Deletes invites that expired before `before` (ms); returns how many. */
	deleteInvitesExpiredBefore(before: number): number;

	/** Stores an envelope for a device and returns its mailbox id (ascending). */
	putMail(recipient: Uint8Array, envelope: Uint8Array): number;
	countMail(recipient: Uint8Array): number;
	/** The oldest items for the device, stopping after `maxRows` rows or `maxBytes` bytes. */
	fetchMail(recipient: Uint8Array, maxRows: number, maxBytes: number): MailItem[];
	/** Deletes those of `ids` that belong to `recipient`; returns how many were deleted. */
	ackMail(recipient: Uint8Array, ids: number[]): number;

	/**
	 * Stores a snapshot entry covering the log up to `upTo`, replacing the stored one only if
	 * `upTo` is larger. False when a snapshot at least as recent is already stored. The log is
	 * never compacted: devices can always fall back to it (SECURITY-RULES.md, rule 14).
	 */
	putSnapshot(doc: Uint8Array, upTo: number, bytes: Uint8Array): boolean;
	/** The latest snapshot of the document, if any. */
	getSnapshot(doc: Uint8Array): StoredSnapshot | undefined;

	/** The blob's size and whether its upload is complete; undefined when unknown. */
	getBlob(doc: Uint8Array, id: Uint8Array): StoredBlob | undefined;
	/** Bytes the document's blobs take, complete or not (its quota counts both). */
	blobBytes(doc: Uint8Array): number;
	/**
	 * Records a new, incomplete blob of `size` bytes uploaded by device `uploader`; `now` starts
	 * its expiry clock.
	 */
	createBlob(doc: Uint8Array, id: Uint8Array, size: number, now: number, uploader: Uint8Array): void;
	/** The device that began the blob's upload; undefined for blobs stored before it was kept. */
	blobUploader(doc: Uint8Array, id: Uint8Array): Uint8Array | undefined;
	/** Indexes of the parts stored for an incomplete blob, ascending. */
	blobPartIndexes(doc: Uint8Array, id: Uint8Array): number[];
	/** Stores part `i` durably (a retried part keeps the first bytes) and touches the blob. */
	putBlobPart(doc: Uint8Array, id: Uint8Array, i: number, bytes: Uint8Array, now: number): void;
	/** The parts `from`…`to` (inclusive) in order. */
	readBlobParts(doc: Uint8Array, id: Uint8Array, from: number, to: number): Uint8Array[];
	/** Makes the blob visible to `blob.get`. */
	completeBlob(doc: Uint8Array, id: Uint8Array): void;
	/** Forgets a blob, its parts and its uploader. */
	deleteBlob(doc: Uint8Array, id: Uint8Array): void;
	/** Deletes incomplete blobs last touched before `before` (ms); returns how many. */
	deleteStaleBlobs(before: number): number;

	close(): void;
}

export interface StoredBlob {
	size: number;
	complete: boolean;
}

export interface StoredSnapshot {
	upTo: number;
	bytes: Uint8Array;
}

export interface StoreSettings {
	/** SQLite's `journal_mode`, e.g. 'wal'. */
	journalMode: string;
	/** SQLite's `synchronous`, e.g. 'full'. */
	synchronous: string;
}

export interface StoredDocument {
	genesis: Uint8Array;
	headN: number;
	headHash: Uint8Array;
}

export interface EpochAppend {
	doc: Uint8Array;
	n: number;
	prevHash: Uint8Array;
	hash: Uint8Array;
	record: Uint8Array;
}

export interface EntryToStore {
	doc: Uint8Array;
	/** `entryId(bytes)`: a hash of the sealed bytes (SECURITY-RULES.md, rule 9). */
	id: Uint8Array;
	bytes: Uint8Array;
}

export interface StoredEntryResult {
	seq: number;
	dup: boolean;
}

export interface StoredEntry {
	seq: number;
	bytes: Uint8Array;
}

/** `expired` is never stored: it is `open` past its expiry, computed when read. */
export type InviteState = 'open' | 'claimed' | 'closed' | 'revoked';

export interface NewInvite {
	id: Uint8Array;
	/** The creating device's signing key: only it may revoke or close, and it gets the claim. */
	inviter: Uint8Array;
	/** Public half of the key derived from the invite secret; checks claims (rule 1). */
	authPk: Uint8Array;
	/** The invite details, sealed under a key derived from the invite secret. */
	info: Uint8Array;
	/** Unix time in ms after which the invite can't be claimed. */
	expires: number;
}

export interface InviteClaimRecord {
	device: Uint8Array;
	boxPk: Uint8Array;
	/** The invitee's profile, sealed under the invite key. */
	profile: Uint8Array;
	deviceSig: Uint8Array;
}

export interface StoredInvite extends NewInvite {
	state: InviteState;
	claim?: InviteClaimRecord;
}

export interface MailItem {
	id: number;
	envelope: Uint8Array;
}
