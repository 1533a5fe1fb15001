import * as A from '@automerge/automerge';
import { describe, expect, it } from 'vitest';
import {
	addMember,
	assignRole,
	initialPractice,
	isPracticeDoc,
	listDocument,
	readPractice,
	type PracticeDoc
} from '../../../src/lib/model/practice.js';

/**
 * The practice directory is for display (rule 7): a role counts only when an administering
 * device of the directory assigned it, so a member who edits their own role gains nothing,
 * not even on screen.
 */

const OWNER_ACTOR = 'aa'.repeat(16);
const MEMBER_ACTOR = 'bb'.repeat(16);
const OWNER = '01'.repeat(32);
const MEMBER = '02'.repeat(32);

function directory(): A.Doc<PracticeDoc> {
	let doc = A.init<PracticeDoc>({ actor: OWNER_ACTOR });
	doc = A.change(doc, initialPractice({ name: 'Riverside', relay: 'wss://relay', ownerHex: OWNER, ownerName: 'Ada', now: 1 }));
	doc = A.change(doc, (d) => {
		addMember(d, { person: MEMBER, name: 'Sam', devices: [MEMBER], role: 'staff', now: 2 });
		listDocument(d, 'doc-1', { title: 'Front desk', area: 'scheduling', type: 'conversation', now: 2 });
	});
	return doc;
}

const deviceOf = (actor: string) => (actor === OWNER_ACTOR ? OWNER : actor === MEMBER_ACTOR ? MEMBER : undefined);
const isAdmin = (device: string) => device === OWNER;

describe('practice directory', () => {
	it('reads members with the roles the owner gave, and the listed documents', () => {
		const doc = directory();
		expect(isPracticeDoc(doc)).toBe(true);
		const view = readPractice(doc, deviceOf, isAdmin);
		expect(view.name).toBe('Riverside');
		expect(view.members.map((m) => [m.name, m.role])).toEqual([
			['Ada', 'owner'],
			['Sam', 'staff']
		]);
		expect(view.documents).toEqual([{ docKey: 'doc-1', title: 'Front desk', area: 'scheduling', type: 'conversation' }]);
		expect(view.ignored).toBe(0);
	});

	it('ignores a role a member gave themselves (their device does not administer the directory)', () => {
		const base = directory();
		let forked = A.clone(base, { actor: MEMBER_ACTOR });
		forked = A.change(forked, (d) => assignRole(d, MEMBER, 'owner', 3));
		const merged = A.merge(A.clone(base), forked);

		const view = readPractice(merged, deviceOf, isAdmin);
		expect(view.members.find((m) => m.person === MEMBER)?.role).toBe('staff');
		expect(view.ignored).toBe(1);
	});

	it('takes the owner’s later role change (positive control for the test above)', () => {
		const doc = A.change(directory(), (d) => assignRole(d, MEMBER, 'clinician', 3));
		const view = readPractice(doc, deviceOf, isAdmin);
		expect(view.members.find((m) => m.person === MEMBER)?.role).toBe('clinician');
	});

	it('ignores an assignment whose actor has no claim, and an unknown role', () => {
		let doc = A.clone(directory(), { actor: 'cc'.repeat(16) });
		doc = A.change(doc, (d) => assignRole(d, MEMBER, 'owner', 3));
		doc = A.change(A.clone(doc, { actor: OWNER_ACTOR }), (d) => {
			d.roles.push({ member: MEMBER, role: 'superuser', at: 4 });
		});
		const view = readPractice(doc, deviceOf, isAdmin);
		expect(view.members.find((m) => m.person === MEMBER)?.role).toBe('staff');
		expect(view.ignored).toBe(2);
	});
});
