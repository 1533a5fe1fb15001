import * as A from '@automerge/automerge';
import { isArea, isRole, ROLES, type Area, type Role } from '../practice/permissions.js';

/**
 * The practice directory document (issue 7): the practice's name and relay, its members with
 * their roles and devices, the practice-wide documents, and per-role settings. It is encrypted
 * and synced like any document. It is for display (SECURITY-RULES.md rule 7): the epoch chains
 * decide who reads and writes; a member who edits this document gains nothing.
 *
 * Every container is made by the genesis change (rule 19). A role is a new object each time it
 * is assigned, so its object id names the actor, and the actor's claim the device, that assigned
 * it; {@link readPractice} counts only assignments by an administering device of the directory.
 */
export interface PracticeDoc {
	type: 'practice';
	v: 1;
	name: string;
	/** The relay address the practice uses (shown to members; each device keeps its own setting). */
	relay: string;
	createdAt: number;
	/** Keyed by the person key in hex (today: their first device's signing key). */
	members: Record<string, PracticeMember>;
	/** Role assignments in list order; per member, the last one by an administrator counts. */
	roles: RoleAssignment[];
	/** Practice-wide documents (client conversations stay off the directory), by relay id. */
	documents: Record<string, PracticeDocument>;
	/** Per role: whether the safety codes must be compared before letting someone in. */
	safetyCode: Record<Role, boolean>;
	/** Per role: whether members must add a passkey to unlock (src/lib/vault). */
	passkey: Record<Role, boolean>;
}

export interface PracticeMember {
	name: string;
	/** Device signing keys in hex; today one. */
	devices: string[];
	since: number;
	/** Set when the member was removed from the practice. */
	removedAt?: number;
}

export interface RoleAssignment {
	member: string;
	role: string;
	at: number;
}

export interface PracticeDocument {
	title: string;
	area: string;
	type: 'conversation' | 'board';
	addedAt: number;
}

/** Roles of the people who must compare safety codes by default: colleagues get in by link. */
const SAFETY_CODE_DEFAULT: Record<Role, boolean> = {
	owner: true,
	clinician: true,
	staff: true,
	client: false
};

export function isPracticeDoc(doc: unknown): doc is PracticeDoc {
	return (
		typeof doc === 'object' &&
		doc !== null &&
		(doc as { type?: unknown }).type === 'practice' &&
		typeof (doc as { name?: unknown }).name === 'string'
	);
}

/** The genesis change of a practice directory: every container, and the owner as first member. */
export function initialPractice(params: {
	name: string;
	relay: string;
	ownerHex: string;
	ownerName: string;
	now: number;
}): (doc: PracticeDoc) => void {
	return (doc) => {
		doc.type = 'practice';
		doc.v = 1;
		doc.name = params.name.trim().slice(0, 120);
		doc.relay = params.relay;
		doc.createdAt = params.now;
		doc.members = {
			[params.ownerHex]: { name: params.ownerName, devices: [params.ownerHex], since: params.now }
		};
		doc.roles = [{ member: params.ownerHex, role: 'owner', at: params.now }];
		doc.documents = {};
		doc.safetyCode = { ...SAFETY_CODE_DEFAULT };
		doc.passkey = Object.fromEntries(ROLES.map((r) => [r, false])) as Record<Role, boolean>;
	};
}

export function addMember(
	doc: PracticeDoc,
	params: { person: string; name: string; devices: string[]; role: Role; now: number }
): void {
	doc.members[params.person] = {
		name: params.name.slice(0, 80),
		devices: params.devices,
		since: params.now
	};
	doc.roles.push({ member: params.person, role: params.role, at: params.now });
}

export function assignRole(doc: PracticeDoc, person: string, role: Role, now: number): void {
	doc.roles.push({ member: person, role, at: now });
}

export function removeMember(doc: PracticeDoc, person: string, now: number): void {
	const member = doc.members[person];
	if (member) member.removedAt = now;
}

export function listDocument(
	doc: PracticeDoc,
	docKey: string,
	entry: { title: string; area: Area; type: 'conversation' | 'board'; now: number }
): void {
	doc.documents[docKey] = {
		title: entry.title.slice(0, 200),
		area: entry.area,
		type: entry.type,
		addedAt: entry.now
	};
}

/** Who is who, for display. */
export interface PracticeMemberView {
	person: string;
	name: string;
	role: Role;
	devices: string[];
	since: number;
	removed: boolean;
}

export interface PracticeView {
	name: string;
	relay: string;
	members: PracticeMemberView[];
	documents: { docKey: string; title: string; area: Area; type: 'conversation' | 'board' }[];
	safetyCode: Record<Role, boolean>;
	passkey: Record<Role, boolean>;
	/** Role assignments not made by an administering device: ignored, and counted here. */
	ignored: number;
}

/**
 * Reads the directory for display. `deviceOf` maps an actor to its claimed device (hex);
 * `isAdmin` says whether a device administers the directory in its newest epoch. A role
 * assignment counts only when an administrator made it; others are ignored and counted.
 */
export function readPractice(
	doc: A.Doc<PracticeDoc>,
	deviceOf: (actor: string) => string | undefined,
	isAdmin: (device: string) => boolean
): PracticeView {
	const roles = new Map<string, Role>();
	let ignored = 0;
	for (const assignment of doc.roles ?? []) {
		const id = A.getObjectId(assignment);
		const actor = id ? id.slice(id.indexOf('@') + 1) : undefined;
		const device = actor ? deviceOf(actor) : undefined;
		if (!device || !isAdmin(device) || !isRole(assignment.role)) {
			ignored++;
			continue;
		}
		roles.set(assignment.member, assignment.role);
	}
	const members: PracticeMemberView[] = [];
	for (const [person, member] of Object.entries(doc.members ?? {})) {
		const role = roles.get(person);
		if (!role) continue;
		members.push({
			person,
			name: member.name,
			role,
			devices: [...(member.devices ?? [])],
			since: member.since,
			removed: member.removedAt !== undefined
		});
	}
	members.sort((a, b) => ROLES.indexOf(a.role) - ROLES.indexOf(b.role) || a.since - b.since);
	const documents = Object.entries(doc.documents ?? {}).flatMap(([docKey, d]) =>
		isArea(d.area) ? [{ docKey, title: d.title, area: d.area, type: d.type }] : []
	);
	const flags = (source: Record<string, boolean> | undefined) =>
		Object.fromEntries(ROLES.map((r) => [r, source?.[r] === true])) as Record<Role, boolean>;
	return {
		name: doc.name,
		relay: doc.relay,
		members,
		documents,
		safetyCode: flags(doc.safetyCode),
		passkey: flags(doc.passkey),
		ignored
	};
}
