import * as A from '@automerge/automerge';
import type { SignKeyPair } from '../crypto/primitives.js';
import {
	addMember,
	assignRole,
	removeMember,
	listDocument,
	readPractice,
	type PracticeDoc,
	type PracticeView
} from '../model/practice.js';
import { fromBase64Url, fromHex, toHex } from '../protocol/bytes.js';
import type { InviteInfo } from '../protocol/invite.js';
import { isListed } from '../protocol/records.js';
import { createAnnouncements, createConversation } from '../sync/createConversation.js';
import { createPractice } from '../sync/createPractice.js';
import type { DocSync, DocSyncContext } from '../sync/DocSync.js';
import type { JoinClaim, StoredInvite, SyncEngine } from '../sync/SyncEngine.js';
import {
	markMemberRemoved,
	showMember,
	type ConversationDoc,
	type ConversationKind
} from '../model/conversation.js';
import { deviceRecordsOf } from '../model/deviceRecords.js';
import { devicesOfPerson } from './devicesOfPerson.js';
import {
	accessTo,
	isRole,
	mayGrant,
	mayPost,
	mayRead,
	type Area,
	type Role
} from './permissions.js';
import { roleChangeStep } from './roleChange.js';

/**
 * What an owner's device does for a practice (issue 7): start it, invite colleagues with a
 * role, let them into the documents their role allows, and change roles. Every step here
 * changes keys and epoch records through the sync engine, and then the directory (for display).
 */

export interface PracticeDeps {
	ctx: DocSyncContext;
	engine: SyncEngine;
	/** Writes a change to a document and schedules its push (the app: `writeDoc`). */
	write: <T>(sync: DocSync, fn: (doc: T) => void) => Promise<void>;
	/** A document this device holds, by relay id. */
	sync: (docKey: string) => DocSync | undefined;
}

/** The channels a new practice starts with; titles come from the UI's language. */
export interface StarterChannel {
	title: string;
	area: Area;
	kind: ConversationKind;
}

export interface StartedPractice {
	directory: DocSync;
	channels: DocSync[];
	/** The sibling documents of the announcements channels (rule 7), never shown as channels. */
	siblings: DocSync[];
}

/**
 * Creates the practice directory and its starter channels, all administered by this device
 * (the owner's), and lists the channels in the directory. An announcements channel is created
 * with its sibling document (`createAnnouncements`), listed as `announcement-reactions`: the
 * permissions table makes everyone who reads the announcements a writer there, so readers can
 * react and mark as read (rule 7).
 */
export async function startPractice(
	deps: PracticeDeps,
	params: { name: string; ownerName: string; relay: string; channels: StarterChannel[] }
): Promise<StartedPractice> {
	const directory = await createPractice(deps.ctx, params);
	deps.engine.add(directory);
	deps.engine.practiceDoc = directory.docKey;
	const channels: DocSync[] = [];
	const siblings: DocSync[] = [];
	const list = (sync: DocSync, title: string, area: Area) =>
		deps.write<PracticeDoc>(directory, (doc) =>
			listDocument(doc, sync.docKey, { title, area, type: 'conversation', now: Date.now() })
		);
	for (const channel of params.channels) {
		const named = { title: channel.title, creatorName: params.ownerName };
		if (channel.kind === 'announcements') {
			if (channel.area !== 'announcements') throw new Error('announcements belong to the announcements area');
			// The sibling first: the conversation's genesis names it, and it is granted with it.
			const { conversation, sibling } = await createAnnouncements(deps.ctx, named);
			deps.engine.add(sibling);
			deps.engine.add(conversation);
			siblings.push(sibling);
			channels.push(conversation);
			await list(sibling, channel.title, 'announcement-reactions');
			await list(conversation, channel.title, channel.area);
			continue;
		}
		const sync = await createConversation(deps.ctx, { ...named, kind: channel.kind });
		deps.engine.add(sync);
		channels.push(sync);
		await list(sync, channel.title, channel.area);
	}
	return { directory, channels, siblings };
}

/** The directory as it reads on this device, with only administrators' role assignments. */
export function viewOf(directory: DocSync): PracticeView | undefined {
	const doc = directory.handle.doc() as A.Doc<PracticeDoc> | undefined;
	if (!doc || doc.type !== 'practice') return undefined;
	const admins = new Set(directory.head.admins.map(toHex));
	return readPractice(
		doc,
		(actor) => {
			const device = directory.deviceOfActor(actor);
			return device ? toHex(device) : undefined;
		},
		(device) => admins.has(device)
	);
}

export function roleOf(view: PracticeView | undefined, person: string): Role | undefined {
	return view?.members.find((m) => m.person === person && !m.removed)?.role;
}

/** The practice documents (relay ids) a person of `role` may read, the directory not included. */
export function documentsFor(view: PracticeView, role: Role): string[] {
	return view.documents.filter((d) => mayRead(role, d.area)).map((d) => d.docKey);
}

/**
 * An invite to the practice for a colleague (or client) with `role`: an invite of the directory
 * whose sealed details name the role and the channels the role may read. The relay sees an
 * invite like any other.
 */
export async function inviteToPractice(
	deps: PracticeDeps,
	directory: DocSync,
	params: { inviterName: string; role: Role }
): Promise<StoredInvite> {
	const view = viewOf(directory);
	if (!view) throw new Error('the practice directory has not loaded');
	const me = toHex(deps.ctx.author.device.publicKey);
	const mine = roleOf(view, me);
	if (!mine || !mayGrant(mine, params.role)) throw new Error('this role may not be granted here');
	// Clients are invited to their own conversation: the practice invite lets into the directory.
	if (!mayRead(params.role, 'directory')) throw new Error('this role is invited from a conversation');
	const docs = documentsFor(view, params.role).map(fromBase64Url);
	return deps.engine.createInvite(directory, {
		inviterName: params.inviterName,
		title: view.name,
		kind: 'practice',
		role: params.role,
		docs
	});
}

/** Why a request can't be let in yet. */
export type AdmitRefusal = 'compare-codes' | 'no-role' | 'not-allowed';

export class AdmitError extends Error {
	constructor(readonly code: AdmitRefusal) {
		super(code);
		this.name = 'AdmitError';
	}
}

/**
 * Lets a practice invitee in (the admitting device's side): enforces the practice's safety-code
 * setting for the invite's role, lets the device into every practice document the role may
 * read (as a writer where the role posts), then into the directory, and lists the member with
 * their role. The role comes from this device's own record of the invite, never from the
 * invitee.
 */
export async function admitToPractice(
	deps: PracticeDeps,
	directory: DocSync,
	inviteId: string,
	options: { codesCompared: boolean }
): Promise<{ claim: JoinClaim; role: Role }> {
	const view = viewOf(directory);
	const invite = await deps.engine.inviteOf(inviteId);
	const role = invite?.role;
	if (!view || !isRole(role)) throw new AdmitError('no-role');
	const mine = roleOf(view, toHex(deps.ctx.author.device.publicKey));
	if (!mine || !mayGrant(mine, role) || !mayRead(role, 'directory')) {
		throw new AdmitError('not-allowed');
	}
	if (view.safetyCode[role] && !options.codesCompared) throw new AdmitError('compare-codes');

	const granted: DocSync[] = [];
	const claim = await deps.engine.admit(directory, inviteId, {
		write: mayPost(role, 'directory'),
		before: async (c) => {
			for (const entry of view.documents) {
				const sync = deps.sync(entry.docKey);
				if (!sync || !mayRead(role, entry.area)) continue;
				if (!sync.isAdmin(deps.ctx.author.device.publicKey)) continue;
				await deps.engine.grantAccess(sync, c.device, c.boxPk, mayPost(role, entry.area));
				granted.push(sync);
			}
		}
	});
	const person = toHex(claim.device);
	const now = Date.now();
	// Each channel names its members (display: who wrote, reacted, read; and the device links
	// that add a member's new devices go through a document's members).
	for (const sync of granted) await showInChannel(deps, sync, person, claim.name);
	await deps.write<PracticeDoc>(directory, (doc) =>
		addMember(doc, { person, name: claim.name, devices: [person], role, now })
	);
	return { claim, role };
}

/**
 * Names a member in a practice channel's member list, or marks them removed (`name`
 * undefined). For display only (rule 7): the chain decides. Documents that aren't conversations
 * (the directory, announcements' siblings, boards) are left alone.
 */
async function showInChannel(
	deps: PracticeDeps,
	sync: DocSync,
	person: string,
	name: string | undefined
): Promise<void> {
	// A conversation has a message list and no `type` (boards, the directory and siblings do).
	const doc = sync.handle.doc() as (Partial<ConversationDoc> & { type?: unknown }) | undefined;
	if (!doc || doc.type !== undefined || !Array.isArray(doc.messages) || typeof doc.members !== 'object') return;
	const now = Date.now();
	await deps.write<ConversationDoc>(sync, (d) =>
		name === undefined
			? markMemberRemoved(d, person, now)
			: showMember(d, person, { name, role: 'member', addedAt: now })
	);
}

export interface RoleChangeOutcome {
	/** Documents whose epoch changed, by relay id, with what happened. */
	changed: { docKey: string; kind: 'rotate' | 'writers' | 'admit' }[];
	/** Documents this device couldn't change (it doesn't hold or administer them). */
	skipped: string[];
	/** Devices the new secret couldn't be sealed to (their box key isn't known here). */
	unsealed: string[];
}

/**
 * Changes a member's role (owner only): every practice document whose access differs for the
 * new role gets its epoch record first (rotation, new lists, or admission), and only then the
 * directory says the new role. Members who read a document without being listed get the new
 * secret of a rotation too.
 */
export async function changeRole(
	deps: PracticeDeps,
	directory: DocSync,
	person: string,
	to: Role
): Promise<RoleChangeOutcome> {
	const view = viewOf(directory);
	if (!view) throw new Error('the practice directory has not loaded');
	const me = deps.ctx.author.device;
	if (roleOf(view, toHex(me.publicKey)) !== 'owner') throw new Error('only an owner changes roles');
	const from = roleOf(view, person);
	if (!from) throw new Error('no such member');
	const name = view.members.find((m) => m.person === person)?.name ?? '';
	const outcome: RoleChangeOutcome = { changed: [], skipped: [], unsealed: [] };
	if (from === to) return outcome;
	// The person's device records, as published in the directory and the documents they're in.
	const records = [directory, ...view.documents.map((d) => deps.sync(d.docKey))].flatMap(
		(sync) => (sync ? (deviceRecordsOf(sync.handle.doc()).get(person) ?? []) : [])
	);
	const devices = devicesOfPerson(fromHex(person), records);

	const targets: { sync: DocSync | undefined; docKey: string; area: Area }[] = [
		...view.documents.map((d) => ({ sync: deps.sync(d.docKey), docKey: d.docKey, area: d.area })),
		{ sync: directory, docKey: directory.docKey, area: 'directory' as const }
	];
	for (const { sync, docKey, area } of targets) {
		if (!sync || !sync.isAdmin(me.publicKey)) {
			if (accessTo(from, area) !== accessTo(to, area)) outcome.skipped.push(docKey);
			continue;
		}
		const kind = await applyStep(deps, sync, { me, devices, from, to, area, view, person });
		if (kind.step !== 'none') outcome.changed.push({ docKey, kind: kind.step });
		outcome.unsealed.push(...kind.unsealed);
		if (kind.step === 'rotate') await showInChannel(deps, sync, person, undefined);
		if (kind.step === 'admit') await showInChannel(deps, sync, person, name);
	}
	const now = Date.now();
	await deps.write<PracticeDoc>(directory, (doc) => assignRole(doc, person, to, now));
	return outcome;
}

/**
 * Removes a member from the practice (owner only): every practice document they could read gets
 * a rotation without their devices (rule 2), with the new secret sealed to everyone else who
 * reads it; then the directory marks them removed.
 */
export async function removeFromPractice(
	deps: PracticeDeps,
	directory: DocSync,
	person: string
): Promise<RoleChangeOutcome> {
	const view = viewOf(directory);
	if (!view) throw new Error('the practice directory has not loaded');
	const me = deps.ctx.author.device;
	if (roleOf(view, toHex(me.publicKey)) !== 'owner') throw new Error('only an owner removes members');
	if (person === toHex(me.publicKey)) throw new Error('an owner can not remove themselves');
	const role = roleOf(view, person);
	if (!role) throw new Error('no such member');
	const devices = devicesOfPerson(fromHex(person));
	const outcome: RoleChangeOutcome = { changed: [], skipped: [], unsealed: [] };

	const targets = [
		...view.documents.map((d) => ({ sync: deps.sync(d.docKey), docKey: d.docKey, area: d.area })),
		{ sync: directory as DocSync | undefined, docKey: directory.docKey, area: 'directory' as Area }
	];
	for (const { sync, docKey, area } of targets) {
		if (!mayRead(role, area)) continue;
		if (!sync || !sync.isAdmin(me.publicKey)) {
			outcome.skipped.push(docKey);
			continue;
		}
		const readers = readersOf(view, area, person);
		const result = await deps.engine.removeDevices(sync, devices, { readers });
		if (result.rotated) outcome.changed.push({ docKey, kind: 'rotate' });
		outcome.unsealed.push(...result.unsealed.map(toHex));
		if (sync !== directory) await showInChannel(deps, sync, person, undefined);
	}
	const now = Date.now();
	await deps.write<PracticeDoc>(directory, (doc) => removeMember(doc, person, now));
	return outcome;
}

async function applyStep(
	deps: PracticeDeps,
	sync: DocSync,
	p: {
		me: SignKeyPair;
		devices: Uint8Array[];
		from: Role;
		to: Role;
		area: Area;
		view: PracticeView;
		person: string;
	}
): Promise<{ step: 'rotate' | 'writers' | 'admit' | 'none'; unsealed: string[] }> {
	const stepOn = (head: DocSync['head']) =>
		roleChangeStep({
			admin: p.me,
			head,
			secret: sync.secretOf(head.gen) ?? new Uint8Array(32),
			devices: p.devices,
			from: p.from,
			to: p.to,
			area: p.area,
			involved: false
		});
	const first = stepOn(sync.head);
	if (first.kind === 'none') return { step: 'none', unsealed: [] };
	if (first.kind === 'rotate') {
		// The engine makes its own rotation record (it handles races and seals to the others).
		const readers = readersOf(p.view, p.area, p.person);
		const result = await deps.engine.removeDevices(sync, p.devices, { readers });
		return { step: 'rotate', unsealed: result.unsealed.map(toHex) };
	}
	if (first.kind === 'writers') {
		await deps.engine.changeWriters(sync, (head) => {
			const next = stepOn(head);
			return next.kind === 'writers' ? next.record : undefined;
		});
		return { step: 'writers', unsealed: [] };
	}
	const unsealed: string[] = [];
	for (const device of p.devices) {
		const listedAlready = isListed(sync.head.writers, device);
		if (listedAlready && first.write) continue;
		const sealed = await deps.engine.grantAccess(sync, device, undefined, first.write);
		if (!sealed) unsealed.push(toHex(device));
	}
	return { step: 'admit', unsealed };
}

/** Devices of members (other than `except`) who read documents of `area` without writing. */
function readersOf(view: PracticeView, area: Area, except: string): Uint8Array[] {
	return view.members
		.filter((m) => !m.removed && m.person !== except && accessTo(m.role, area) === 'read')
		.flatMap((m) => m.devices.map(fromHex));
}

/** The role an invite names, for the invitee's screen; undefined when it names none. */
export function invitedRole(info: InviteInfo): Role | undefined {
	return isRole(info.role) ? info.role : undefined;
}
