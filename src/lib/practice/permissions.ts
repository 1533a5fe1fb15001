/**
 * Roles in a practice and what each may do (issue 7, SECURITY-RULES.md rule 7).
 *
 * This table is the one place that decides: the admission code asks it whom to list as a writer
 * of a document's epoch, the role change asks it which documents need a new epoch, and the
 * settings page and docs/security.md show it. It grants nothing by itself. A device gets to read
 * a document only when an administering device seals the document secret to it, and to write only
 * when a signed epoch record lists its key; the relay and every device check those, never this
 * table and never the practice directory document.
 */

export const ROLES = ['owner', 'clinician', 'staff', 'client'] as const;
export type Role = (typeof ROLES)[number];

export function isRole(value: unknown): value is Role {
	return typeof value === 'string' && (ROLES as readonly string[]).includes(value);
}

/**
 * What a document is for, as the practice directory records it. The relay never sees it: the
 * genesis record's kind is the same for every shared document (src/lib/sync/createDocument.ts).
 */
export const AREAS = [
	/** The practice directory itself: names, roles, devices, the list of documents. */
	'directory',
	/** Practice-wide news: owners and clinicians post, everyone on the team reads. */
	'announcements',
	/**
	 * The sibling of the announcements (rule 7): reactions and read markers, which everyone who
	 * reads the announcements writes, readers included. Listed in the directory next to its
	 * announcements, so letting in, role changes and removals treat it like any document.
	 */
	'announcement-reactions',
	/** Clinical team channels (case consultation). */
	'team',
	/** Scheduling channels and boards. */
	'scheduling',
	/** Billing channels and boards. */
	'billing',
	/** A client's conversation with their therapist. */
	'client',
	/** A clinician's board, possibly shared with one of their clients. */
	'clinical-board'
] as const;
export type Area = (typeof AREAS)[number];

export function isArea(value: unknown): value is Area {
	return typeof value === 'string' && (AREAS as readonly string[]).includes(value);
}

/**
 * A role's access to an area:
 * - `admin`: reads, writes, and administers (lets people in, changes writers, rotates);
 * - `write`: reads and writes (listed as a writer in the epoch record);
 * - `read`: reads only (holds the secret, is no writer);
 * - `own`: reads and writes only the documents of that area the person takes part in (their
 *   own client conversations, boards shared with them); others stay closed;
 * - `none`: is never let in.
 */
export type Access = 'admin' | 'write' | 'read' | 'own' | 'none';

/**
 * The practice's access table. Owners administer everything practice-wide; a clinical
 * conversation is between a clinician and their client, so an owner takes part only in their own
 * (they see in the directory that the others exist). Front desk and billing staff never get
 * clinical documents. Clients get nothing practice-wide.
 */
export const ACCESS: Readonly<Record<Role, Readonly<Record<Area, Access>>>> = {
	owner: {
		directory: 'admin',
		announcements: 'admin',
		'announcement-reactions': 'admin',
		team: 'admin',
		scheduling: 'admin',
		billing: 'admin',
		client: 'own',
		'clinical-board': 'own'
	},
	clinician: {
		directory: 'read',
		announcements: 'write',
		'announcement-reactions': 'write',
		team: 'write',
		scheduling: 'write',
		billing: 'none',
		client: 'own',
		'clinical-board': 'own'
	},
	staff: {
		directory: 'read',
		announcements: 'read',
		'announcement-reactions': 'write',
		team: 'none',
		scheduling: 'write',
		billing: 'write',
		client: 'none',
		'clinical-board': 'none'
	},
	client: {
		directory: 'none',
		announcements: 'none',
		'announcement-reactions': 'none',
		team: 'none',
		scheduling: 'none',
		billing: 'none',
		client: 'own',
		'clinical-board': 'own'
	}
};

/** Practice-level actions that aren't about one document. */
export const ACTIONS = [
	'manageMembers',
	'changeRoles',
	'relaySettings',
	'readAudit',
	'practiceSettings',
	'inviteColleague',
	'inviteClient',
	'createClientConversation',
	'createTeamChannel'
] as const;
export type Action = (typeof ACTIONS)[number];

const ACTION_ROLES: Readonly<Record<Action, readonly Role[]>> = {
	manageMembers: ['owner'],
	changeRoles: ['owner'],
	relaySettings: ['owner'],
	readAudit: ['owner'],
	practiceSettings: ['owner'],
	inviteColleague: ['owner'],
	inviteClient: ['owner', 'clinician'],
	createClientConversation: ['owner', 'clinician'],
	createTeamChannel: ['owner']
};

/** Whether `role` may take a practice-level action (checked by the UI and the admitting device). */
export function may(role: Role, action: Action): boolean {
	return ACTION_ROLES[action].includes(role);
}

/**
 * Whether this person may take `action` on their own device: `role` is their role in their
 * practice, undefined when they are in no practice (a solo therapist), whom the table doesn't
 * bind. The app's screens and controllers ask this before starting a conversation or inviting
 * into one; a device can always make its own documents, so this binds the app, not the keys.
 */
export function mayAsMember(role: Role | undefined, action: Action): boolean {
	return role === undefined || may(role, action);
}

/**
 * The access `role` has to one document of `area`; `involved` says whether the person takes
 * part in it (is its creator or the client it was made for), which only `own` areas look at.
 */
export function accessTo(role: Role, area: Area, involved = false): Exclude<Access, 'own'> {
	const access = ACCESS[role][area];
	if (access === 'own') return involved ? 'write' : 'none';
	return access;
}

export function mayRead(role: Role, area: Area, involved = false): boolean {
	return accessTo(role, area, involved) !== 'none';
}

/**
 * Whether a person of `role` is listed as a writer of a document of `area` (rule 7): the
 * admission code calls this, so an announcement's readers are let in without being writers.
 */
export function mayPost(role: Role, area: Area, involved = false): boolean {
	const access = accessTo(role, area, involved);
	return access === 'write' || access === 'admin';
}

export function mayAdminister(role: Role, area: Area): boolean {
	return ACCESS[role][area] === 'admin';
}

/**
 * Roles an inviter may hand out. Owners invite anyone (another owner too); clinicians invite
 * their clients; staff and clients invite nobody.
 */
export function grantableRoles(inviter: Role): Role[] {
	if (inviter === 'owner') return ['clinician', 'staff', 'client', 'owner'];
	if (inviter === 'clinician') return ['client'];
	return [];
}

export function mayGrant(inviter: Role, role: Role): boolean {
	return grantableRoles(inviter).includes(role);
}

/**
 * What a role change means for one document (rule 2 and rule 7):
 * - `rotate`: the person may no longer read it: a new epoch with a new secret that leaves out
 *   their devices (`createRotationRecord`);
 * - `writers`: they keep reading but their write rights change: an epoch record with new lists
 *   and the same secret (`createWritersRecord`);
 * - `admit`: they may read it now and don't yet: seal the secret to them (and list them as a
 *   writer when they may post);
 * - `none`: nothing changes.
 */
export type EpochChange = 'rotate' | 'writers' | 'admit' | 'none';

export function epochChangeFor(from: Role, to: Role, area: Area, involved = false): EpochChange {
	const before = accessTo(from, area, involved);
	const after = accessTo(to, area, involved);
	if (before === after) return 'none';
	if (after === 'none') return 'rotate';
	if (before === 'none') return 'admit';
	const wrote = before !== 'read';
	const writes = after !== 'read';
	const administered = before === 'admin';
	const administers = after === 'admin';
	return wrote !== writes || administered !== administers ? 'writers' : 'none';
}
