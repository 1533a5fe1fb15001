import { describe, expect, it } from 'vitest';
import {
	ACCESS,
	ACTIONS,
	AREAS,
	ROLES,
	accessTo,
	epochChangeFor,
	grantableRoles,
	may,
	mayAdminister,
	mayAsMember,
	mayGrant,
	mayPost,
	mayRead,
	type Action,
	type Area,
	type Role
} from '../../../src/lib/practice/permissions.js';

/*
 * The expected tables are written out here by hand, from issue 7's wording, so a change to the
 * module's table fails one named row. Every role × action and role × area pair is listed.
 */

const ACTIONS_EXPECTED: Record<Role, Record<Action, boolean>> = {
	owner: {
		manageMembers: true,
		changeRoles: true,
		relaySettings: true,
		readAudit: true,
		practiceSettings: true,
		inviteColleague: true,
		inviteClient: true,
		createClientConversation: true,
		createTeamChannel: true
	},
	clinician: {
		manageMembers: false,
		changeRoles: false,
		relaySettings: false,
		readAudit: false,
		practiceSettings: false,
		inviteColleague: false,
		inviteClient: true,
		createClientConversation: true,
		createTeamChannel: false
	},
	staff: {
		manageMembers: false,
		changeRoles: false,
		relaySettings: false,
		readAudit: false,
		practiceSettings: false,
		inviteColleague: false,
		inviteClient: false,
		createClientConversation: false,
		createTeamChannel: false
	},
	client: {
		manageMembers: false,
		changeRoles: false,
		relaySettings: false,
		readAudit: false,
		practiceSettings: false,
		inviteColleague: false,
		inviteClient: false,
		createClientConversation: false,
		createTeamChannel: false
	}
};

// [read, post] for a document the person takes part in, then for one they don't.
type Row = { involved: [boolean, boolean]; other: [boolean, boolean] };
const r = (read: boolean, post: boolean): [boolean, boolean] => [read, post];
const same = (read: boolean, post: boolean): Row => ({ involved: r(read, post), other: r(read, post) });
const own: Row = { involved: r(true, true), other: r(false, false) };
const none = same(false, false);

const AREAS_EXPECTED: Record<Role, Record<Area, Row>> = {
	owner: {
		directory: same(true, true),
		announcements: same(true, true),
		'announcement-reactions': same(true, true),
		team: same(true, true),
		scheduling: same(true, true),
		billing: same(true, true),
		client: own,
		'clinical-board': own
	},
	clinician: {
		directory: same(true, false),
		announcements: same(true, true),
		'announcement-reactions': same(true, true),
		team: same(true, true),
		scheduling: same(true, true),
		billing: none,
		client: own,
		'clinical-board': own
	},
	staff: {
		directory: same(true, false),
		announcements: same(true, false),
		'announcement-reactions': same(true, true),
		team: none,
		scheduling: same(true, true),
		billing: same(true, true),
		client: none,
		'clinical-board': none
	},
	client: {
		directory: none,
		announcements: none,
		'announcement-reactions': none,
		team: none,
		scheduling: none,
		billing: none,
		client: own,
		'clinical-board': own
	}
};

describe('practice permissions: actions', () => {
	const cases = ROLES.flatMap((role) =>
		ACTIONS.map((action) => [role, action, ACTIONS_EXPECTED[role][action]] as const)
	);
	it.each(cases)('%s may %s: %s', (role, action, expected) => {
		expect(may(role, action)).toBe(expected);
	});

	it('covers every role and action (the table above is complete)', () => {
		expect(cases).toHaveLength(ROLES.length * ACTIONS.length);
		expect(Object.keys(ACTIONS_EXPECTED).sort()).toEqual([...ROLES].sort());
	});
});

describe('practice permissions: documents', () => {
	const cases = ROLES.flatMap((role) =>
		AREAS.flatMap((area) => [
			[role, area, true, ...AREAS_EXPECTED[role][area].involved] as const,
			[role, area, false, ...AREAS_EXPECTED[role][area].other] as const
		])
	);
	it.each(cases)('%s in %s (involved: %s): read %s, post %s', (role, area, involved, read, post) => {
		expect(mayRead(role, area, involved)).toBe(read);
		expect(mayPost(role, area, involved)).toBe(post);
	});

	it('only owners administer, and only practice-wide documents', () => {
		for (const role of ROLES) {
			for (const area of AREAS) {
				const expected = role === 'owner' && area !== 'client' && area !== 'clinical-board';
				expect(mayAdminister(role, area), `${role} ${area}`).toBe(expected);
			}
		}
	});

	it('staff never read a clinical document, involved or not', () => {
		for (const area of ['client', 'clinical-board', 'team'] as const) {
			expect(accessTo('staff', area, true)).toBe('none');
			expect(accessTo('staff', area, false)).toBe('none');
		}
	});

	it('whoever reads the announcements writes their reactions and read markers (rule 7)', () => {
		for (const role of ROLES) {
			const announcements = accessTo(role, 'announcements');
			const reactions = accessTo(role, 'announcement-reactions');
			if (announcements === 'none') expect(reactions, role).toBe('none');
			else if (announcements === 'admin') expect(reactions, role).toBe('admin');
			else expect(reactions, role).toBe('write');
		}
		// A reader of the announcements is still let into the sibling as a writer.
		expect(epochChangeFor('client', 'staff', 'announcement-reactions')).toBe('admit');
		expect(mayPost('staff', 'announcement-reactions')).toBe(true);
		expect(epochChangeFor('staff', 'client', 'announcement-reactions')).toBe('rotate');
		expect(epochChangeFor('clinician', 'staff', 'announcement-reactions')).toBe('none');
	});

	it('a client reads nothing practice-wide', () => {
		const practiceWide = AREAS.filter((a) => ACCESS.client[a] !== 'own');
		expect(practiceWide.length).toBeGreaterThan(0);
		for (const area of practiceWide) expect(mayRead('client', area, true)).toBe(false);
	});
});

describe('practice permissions: who may grant which role', () => {
	const expected: Record<Role, Role[]> = {
		owner: ['clinician', 'staff', 'client', 'owner'],
		clinician: ['client'],
		staff: [],
		client: []
	};
	const cases = ROLES.flatMap((inviter) =>
		ROLES.map((role) => [inviter, role, expected[inviter].includes(role)] as const)
	);
	it.each(cases)('%s may grant %s: %s', (inviter, role, allowed) => {
		expect(mayGrant(inviter, role)).toBe(allowed);
		expect(grantableRoles(inviter).includes(role)).toBe(allowed);
	});
});

describe('practice permissions: a role change and the epoch chain', () => {
	it.each([
		// Read access lost: a new secret (rotation).
		['clinician', 'staff', 'team', false, 'rotate'],
		['clinician', 'client', 'announcements', false, 'rotate'],
		['staff', 'client', 'directory', false, 'rotate'],
		['staff', 'clinician', 'billing', false, 'rotate'],
		// Still reads, write rights change: new lists, same secret.
		['clinician', 'staff', 'announcements', false, 'writers'],
		['staff', 'clinician', 'announcements', false, 'writers'],
		['clinician', 'owner', 'team', false, 'writers'],
		['owner', 'clinician', 'directory', false, 'writers'],
		// Newly readable: let in.
		['staff', 'clinician', 'team', false, 'admit'],
		['client', 'staff', 'scheduling', false, 'admit'],
		// Unchanged.
		['clinician', 'owner', 'client', true, 'none'],
		['clinician', 'staff', 'scheduling', false, 'none'],
		['staff', 'client', 'team', false, 'none']
	] as const)('%s → %s in %s (involved %s): %s', (from, to, area, involved, expected) => {
		expect(epochChangeFor(from, to, area, involved)).toBe(expected);
	});

	it('is "none" for every area when the role stays the same', () => {
		for (const role of ROLES) {
			for (const area of AREAS) {
				expect(epochChangeFor(role, role, area, true)).toBe('none');
				expect(epochChangeFor(role, role, area, false)).toBe('none');
			}
		}
	});

	it('never keeps read access where the new role has none', () => {
		for (const from of ROLES) {
			for (const to of ROLES) {
				for (const area of AREAS) {
					for (const involved of [true, false]) {
						const change = epochChangeFor(from, to, area, involved);
						if (mayRead(from, area, involved) && !mayRead(to, area, involved)) {
							expect(change, `${from}→${to} ${area}`).toBe('rotate');
						} else {
							expect(change).not.toBe('rotate');
						}
					}
				}
			}
		}
	});
});

describe('mayAsMember', () => {
	it.each([
		['owner', true],
		['clinician', true],
		['staff', false],
		['client', false],
		[undefined, true]
	] as const)('%s starts client conversations and invites clients: %s', (role, expected) => {
		expect(mayAsMember(role, 'createClientConversation')).toBe(expected);
		expect(mayAsMember(role, 'inviteClient')).toBe(expected);
	});

	it('binds a member by the table and leaves someone in no practice unbound', () => {
		for (const action of ACTIONS) {
			for (const role of ROLES) expect(mayAsMember(role, action)).toBe(may(role, action));
			expect(mayAsMember(undefined, action)).toBe(true);
		}
	});
});
