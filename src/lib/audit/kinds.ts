/**
 * What an audit record can say (issue 8, SECURITY-RULES.md rule 21). A kind is a short string
 * so that later versions can add kinds: a verifier shows an unknown kind as it is and still
 * checks its signature and chain.
 *
 * Details carry ids only (a conversation's relay id in base64url, an invite id, a member's
 * device key in hex, counts), never message text, titles or names: the owner's device resolves
 * ids to names from the documents it holds.
 */
export const AuditKind = {
	/** The app was opened with the device's keys available (today: opened; with the vault: unlocked). */
	signIn: 'sign-in',
	/** A wrong passphrase or passkey at the unlock screen (recorded while locked, signed at the next unlock). */
	unlockFailed: 'unlock-failed',
	/** The app locked (on demand, after inactivity or in the background). */
	locked: 'locked',
	deviceAdded: 'device-added',
	deviceRevoked: 'device-revoked',
	memberInvited: 'member-invited',
	/** An invite was withdrawn before anyone used it. */
	inviteRevoked: 'invite-revoked',
	memberAdded: 'member-added',
	memberDeclined: 'member-declined',
	memberRemoved: 'member-removed',
	/** This device was let into a document (the invitee's side of `member-added`). */
	joined: 'joined',
	roleChanged: 'role-changed',
	/** An administrator let a member of announcements post, or stopped them (`post`: true/false). */
	postingChanged: 'posting-changed',
	conversationCreated: 'conversation-created',
	boardCreated: 'board-created',
	archived: 'archived',
	/** A conversation or board was exported for the record (see `src/lib/audit/archive.ts`). */
	exported: 'exported',
	messageDeleted: 'message-deleted',
	attachmentDownloaded: 'attachment-downloaded',
	/** An owner exported the audit trail itself. */
	auditExported: 'audit-exported',
	/** A device's periodic statement of how many audit records it has written (rule 21). */
	checkpoint: 'checkpoint',
	/** An owner countersigns the chain heads of other devices it has received (rule 21). */
	headsSeen: 'heads-seen'
} as const;
export type AuditKind = (typeof AuditKind)[keyof typeof AuditKind];

export const AUDIT_KINDS: readonly AuditKind[] = Object.values(AuditKind);

export function isAuditKind(value: unknown): value is AuditKind {
	return typeof value === 'string' && (AUDIT_KINDS as readonly string[]).includes(value);
}

/**
 * Kinds that may be queued while the app is locked. Such an event is kept outside the sealed
 * storage (the storage key is not available), so only its kind, time and numbers are kept.
 */
export const LOCKED_KINDS: readonly AuditKind[] = [AuditKind.unlockFailed, AuditKind.locked];

/** A chain head another device has seen: what `heads-seen` records and export manifests list. */
export interface AuditHead {
	/** Device signing key, hex. */
	device: string;
	/** Incarnation, hex. */
	inc: string;
	n: number;
	/** Hash of record n, hex. */
	hash: string;
}

/** A value in a record's details: ids, counts and flags, and lists of heads. */
export type AuditValue = string | number | boolean | AuditHead[];

/** Ids only; see the module comment. */
export type AuditDetails = Record<string, AuditValue>;
