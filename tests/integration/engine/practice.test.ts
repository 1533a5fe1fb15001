import { Buffer } from 'node:buffer';
import { randomBytes as nodeRandomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as A from '@automerge/automerge';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { deriveAccessKey } from '../../../src/lib/crypto/documentKeys.js';
import { readyCrypto } from '../../../src/lib/crypto/sodium.js';
import { signAccessProof } from '../../../src/lib/protocol/auth.js';
import { toBase64Url, toHex } from '../../../src/lib/protocol/bytes.js';
import { RelayError } from '../../../src/lib/protocol/errors.js';
import { deriveInviteKeys, openInviteInfo } from '../../../src/lib/protocol/invite.js';
import { isListed } from '../../../src/lib/protocol/records.js';
import type { ConversationDoc, SiblingDoc } from '../../../src/lib/model/conversation.js';
import { markRead, setReaction } from '../../../src/lib/model/messageOps.js';
import { readConversation, type ReadContext } from '../../../src/lib/model/readConversation.js';
import { encodings, filesUnder, findInFiles } from '../../helpers/scanFiles.js';
import {
	AdmitError,
	admitToPractice,
	changeRole,
	inviteToPractice,
	removeFromPractice,
	roleOf,
	startPractice,
	viewOf,
	type PracticeDeps,
	type StartedPractice
} from '../../../src/lib/practice/practiceOps.js';
import type { Role } from '../../../src/lib/practice/permissions.js';
import type { DocSync } from '../../../src/lib/sync/DocSync.js';
import type { PendingJoin } from '../../../src/lib/sync/SyncEngine.js';
import { appendText, linkDevice, texts } from '../../helpers/engineFlow.js';
import { nodeDevice, waitFor, type NodeDevice } from '../../helpers/nodeDevice.js';
import { RelayClient } from '../../helpers/relayClient.js';
import { RelayProcess } from '../../helpers/relayProcess.js';

/**
 * A practice through the real relay (issue 7, SECURITY-RULES.md rules 1, 2, 4 and 7): colleagues
 * are let into the documents their role allows, a write from someone the epoch doesn't list is
 * refused by the relay and dropped by every device, and a role change that takes read access
 * away rotates the key, so the demoted member can't read what is written afterwards.
 */

let relay: RelayProcess | undefined;
const devices: NodeDevice[] = [];
const clients: RelayClient[] = [];

beforeAll(async () => {
	await readyCrypto();
});

afterEach(async () => {
	for (const client of clients.splice(0)) client.terminate();
	for (const device of devices.splice(0)) device.stop();
	await relay?.dispose();
	relay = undefined;
});

function startDevice(): NodeDevice {
	const device = nodeDevice(relay!.url);
	devices.push(device);
	device.engine.start();
	return device;
}

function depsOf(device: NodeDevice): PracticeDeps {
	return {
		ctx: device.ctx,
		engine: device.engine,
		sync: (docKey) => device.engine.get(docKey),
		write: async (sync, fn) => {
			await sync.change(fn);
			await device.ctx.repo.flush([sync.localId]);
			device.engine.schedulePush(sync);
		}
	};
}

async function send(device: NodeDevice, sync: DocSync, text: string) {
	await appendText(device, sync, text);
	await device.ctx.repo.flush([sync.localId]);
	device.engine.schedulePush(sync);
}

async function refusal(promise: Promise<unknown>): Promise<string> {
	try {
		await promise;
	} catch (error) {
		if (error instanceof RelayError) return error.code;
		throw error;
	}
	return 'ok';
}

const NAMES = {
	practice: `Riverside-${nodeRandomBytes(4).toString('hex')} Practice`,
	owner: `Dr-Owner-${nodeRandomBytes(4).toString('hex')}`,
	staff: `Front-Desk-${nodeRandomBytes(4).toString('hex')}`,
	announcement: `Staff meeting moved to Thursday ${nodeRandomBytes(4).toString('hex')}`
};

/** An owner's practice with announcements, a team channel and a scheduling channel. */
async function practice(): Promise<{ owner: NodeDevice; started: StartedPractice }> {
	relay = await RelayProcess.start();
	const owner = startDevice();
	await waitFor(() => owner.engine.status === 'online');
	const started = await startPractice(depsOf(owner), {
		name: NAMES.practice,
		ownerName: NAMES.owner,
		relay: relay.url,
		channels: [
			{ title: 'Announcements', area: 'announcements', kind: 'announcements' },
			{ title: 'Team', area: 'team', kind: 'group' },
			{ title: 'Front desk', area: 'scheduling', kind: 'group' }
		]
	});
	await waitFor(() => started.channels.every((c) => owner.engine.isLive(c.docKey)), 15_000, 'live');
	return { owner, started };
}

interface Joined {
	device: NodeDevice;
	docs: Map<string, DocSync>;
	info: PendingJoin['info'];
}

/** The colleague's side and the owner's side of a practice invite, through the relay. */
async function joinPractice(
	owner: NodeDevice,
	started: StartedPractice,
	role: Role,
	name: string
): Promise<Joined> {
	const device = startDevice();
	await waitFor(() => device.engine.status === 'online');
	const invite = await inviteToPractice(depsOf(owner), started.directory, { inviterName: NAMES.owner, role });
	const keys = deriveInviteKeys(invite.secret);
	const answer = await device.engine.connection.request('invite.get', { invite: invite.invite });
	const info = openInviteInfo(keys, invite.invite, answer.info as Uint8Array);
	if (!info) throw new Error('the invite details did not open');

	const docs = new Map<string, DocSync>();
	device.engine.on('granted', (sync) => docs.set(sync.docKey, sync));
	const admitted = new Promise<DocSync>((resolve) =>
		device.engine.once('admitted', (sync) => resolve(sync))
	);
	await device.engine.claimInvite({ invite: invite.invite, secret: invite.secret, info, name }, device.box.publicKey);
	const request = await waitFor(() => owner.engine.claimsFor(started.directory.docKey)[0]);
	// Colleagues must compare safety codes (the practice's default): without it, no admission.
	await expect(
		admitToPractice(depsOf(owner), started.directory, request.inviteId, { codesCompared: false })
	).rejects.toBeInstanceOf(AdmitError);
	await admitToPractice(depsOf(owner), started.directory, request.inviteId, { codesCompared: true });
	const directory = await admitted;
	docs.set(directory.docKey, directory);
	device.engine.practiceDoc = directory.docKey;
	return { device, docs, info };
}

const pk = (device: NodeDevice) => device.ctx.author.device.publicKey;

describe('a practice: roles decide who is let in and who may write (issue 7)', () => {
	it('lets each colleague into what their role allows; the role travels sealed', async () => {
		const { owner, started } = await practice();
		const [announcements, team, scheduling] = started.channels;
		const clinician = await joinPractice(owner, started, 'clinician', 'Dr-Clin');
		const staff = await joinPractice(owner, started, 'staff', 'Front-Desk');

		// The role and channel list are in the sealed invite details, not in clear.
		expect(clinician.info.role).toBe('clinician');
		expect(staff.info.role).toBe('staff');

		// The announcements' sibling comes with them (rule 7): clinicians and staff write it.
		await waitFor(() => clinician.docs.size === 5, 15_000, 'clinician holds five documents');
		await waitFor(() => staff.docs.size === 4, 15_000, 'staff hold four documents');
		expect(staff.docs.has(team.docKey)).toBe(false);
		expect(clinician.docs.has(team.docKey)).toBe(true);

		// Writers per the table: clinicians post in announcements and the team; staff read
		// announcements and post in scheduling; nobody but the owner writes the directory.
		expect(isListed(announcements.head.writers, pk(clinician.device))).toBe(true);
		expect(isListed(announcements.head.writers, pk(staff.device))).toBe(false);
		expect(isListed(scheduling.head.writers, pk(staff.device))).toBe(true);
		expect(isListed(started.directory.head.writers, pk(clinician.device))).toBe(false);

		// Everyone reads the directory with the roles an owner gave.
		const staffDirectory = staff.docs.get(started.directory.docKey)!;
		await waitFor(() => viewOf(staffDirectory)?.members.length === 3, 15_000, 'directory synced');
		const view = viewOf(staffDirectory)!;
		expect(view.name).toBe(NAMES.practice);
		expect(roleOf(view, toHex(pk(clinician.device)))).toBe('clinician');
		expect(roleOf(view, toHex(pk(staff.device)))).toBe('staff');
		expect(roleOf(view, toHex(pk(owner)))).toBe('owner');

		// Staff read announcements (positive control for the refusal below).
		await send(owner, announcements, 'welcome');
		const staffAnnouncements = staff.docs.get(announcements.docKey)!;
		await waitFor(() => texts(staffAnnouncements).includes('welcome'), 15_000, 'staff read');
	});

	it('an entry forged by staff into announcements is refused by the relay and dropped by every device', async () => {
		const { owner, started } = await practice();
		const [announcements] = started.channels;
		const clinician = await joinPractice(owner, started, 'clinician', 'Dr-Clin');
		const staff = await joinPractice(owner, started, 'staff', 'Front-Desk');
		await waitFor(() => staff.docs.has(announcements.docKey) && clinician.docs.has(announcements.docKey));
		const staffSync = staff.docs.get(announcements.docKey)!;
		const clinicianSync = clinician.docs.get(announcements.docKey)!;
		await send(owner, announcements, 'from the owner');
		await waitFor(() => texts(staffSync).includes('from the owner') && texts(clinicianSync).length === 1);

		// Staff hold the secret (they read), so they can seal a well-formed entry…
		staff.device.stop();
		await appendText(staff.device, staffSync, 'forged by staff');
		await staffSync.commitLocal();
		const forged = staffSync.outbox[staffSync.outbox.length - 1].entry;

		// …but the relay refuses it: the epoch doesn't list their device as a writer.
		const raw = await RelayClient.connect(relay!.url);
		clients.push(raw);
		await raw.hello(staff.device.ctx.author.device);
		await raw.openDoc(announcements.doc, announcements.accessKey(), announcements.head.n);
		expect(await refusal(raw.request('push', { doc: announcements.doc, entry: forged }))).toBe('not-writer');

		// And a relay that stored it anyway gets it dropped, whole, by every other device.
		for (const sync of [announcements, clinicianSync]) {
			const before = sync.unverifiedCount;
			await sync.receive([{ seq: sync.cursor + 1, b: forged }]);
			expect(sync.unverifiedCount).toBe(before + 1);
			expect(texts(sync)).toEqual(['from the owner']);
		}
	});

	it('a clinician made staff: the team channel rotates away from them, announcements stop taking their writes', async () => {
		const { owner, started } = await practice();
		const [announcements, team] = started.channels;
		const stays = await joinPractice(owner, started, 'clinician', 'Dr-Stays');
		const demoted = await joinPractice(owner, started, 'clinician', 'Dr-Demoted');
		const staff = await joinPractice(owner, started, 'staff', 'Front-Desk');
		await waitFor(() => demoted.docs.size === 5 && stays.docs.size === 5 && staff.docs.size === 4);
		const demotedTeam = demoted.docs.get(team.docKey)!;
		const staysTeam = stays.docs.get(team.docKey)!;
		await send(owner, team, 'case review at 3');
		await waitFor(() => texts(demotedTeam).length === 1 && texts(staysTeam).length === 1);

		// The proof the demoted device could make for the team channel before the change.
		const oldAccess = deriveAccessKey(demotedTeam.secretOf(0)!, 0);
		const before = await RelayClient.connect(relay!.url);
		clients.push(before);
		await before.hello(demoted.device.ctx.author.device);
		const oldEpoch = team.head.n;
		await before.openDoc(team.doc, oldAccess, oldEpoch);
		const recordedProof = signAccessProof(oldAccess, before.origin, before.challenge, team.doc, oldEpoch);

		const outcome = await changeRole(depsOf(owner), started.directory, toHex(pk(demoted.device)), 'staff');
		expect(outcome.changed).toEqual(
			expect.arrayContaining([
				{ docKey: team.docKey, kind: 'rotate' },
				{ docKey: announcements.docKey, kind: 'writers' }
			])
		);
		expect(outcome.unsealed).toEqual([]);

		// Team: a new secret; the remaining clinician reads on, the demoted one gets nothing new.
		expect(team.head.gen).toBe(1);
		await waitFor(() => staysTeam.head.gen === 1 && staysTeam.holdsHeadSecret, 15_000, 'new epoch');
		await send(owner, team, 'after the change');
		await waitFor(() => texts(staysTeam).includes('after the change'), 15_000, 'member reads');
		expect(texts(demotedTeam)).toEqual(['case review at 3']);
		expect(demotedTeam.secretOf(1)).toBeUndefined();

		// A replayed old-epoch proof, on a new connection, is refused; so is a fresh one.
		const replay = await RelayClient.connect(relay!.url);
		clients.push(replay);
		await replay.hello(demoted.device.ctx.author.device);
		const replayed = await refusal(
			replay.request('doc.open', { doc: team.doc, epoch: oldEpoch, accessPk: oldAccess.publicKey, sig: recordedProof })
		);
		expect(replayed).toBe('bad-signature');
		expect(await refusal(replay.openDoc(team.doc, oldAccess, oldEpoch))).toBe('no-access');

		// Announcements: same secret, new lists. The demoted device still reads, but the relay
		// refuses its writes; its screen learns it may no longer post from the chain.
		const demotedAnn = demoted.docs.get(announcements.docKey)!;
		await waitFor(() => !isListed(demotedAnn.head.writers, pk(demoted.device)), 15_000, 'lists seen');
		expect(announcements.head.gen).toBe(0);
		const raw = await RelayClient.connect(relay!.url);
		clients.push(raw);
		await raw.hello(demoted.device.ctx.author.device);
		await raw.openDoc(announcements.doc, announcements.accessKey(), announcements.head.n);
		await appendText(demoted.device, demotedAnn, 'still posting?');
		await demotedAnn.commitLocal();
		const late = demotedAnn.outbox[demotedAnn.outbox.length - 1].entry;
		expect(await refusal(raw.request('push', { doc: announcements.doc, entry: late }))).toBe('not-writer');
		await send(owner, announcements, 'news');
		await waitFor(() => texts(demotedAnn).includes('news'), 15_000, 'still reads announcements');

		// Staff never read the team channel; every member's directory shows the new role.
		expect(staff.docs.has(team.docKey)).toBe(false);
		for (const member of [stays, demoted, staff]) {
			const directory = member.docs.get(started.directory.docKey)!;
			await waitFor(
				() => roleOf(viewOf(directory), toHex(pk(demoted.device))) === 'staff',
				15_000,
				'role shown'
			);
		}
	});

	it('a staff member made client loses announcements they only read: the rotation still happens', async () => {
		const { owner, started } = await practice();
		const [announcements] = started.channels;
		const clinician = await joinPractice(owner, started, 'clinician', 'Dr-Clin');
		const staff = await joinPractice(owner, started, 'staff', 'Front-Desk');
		await waitFor(() => staff.docs.size === 4 && clinician.docs.size === 5);
		const staffAnn = staff.docs.get(announcements.docKey)!;
		const clinicianAnn = clinician.docs.get(announcements.docKey)!;
		const otherStaff = await joinPractice(owner, started, 'staff', 'Billing');
		await waitFor(() => otherStaff.docs.size === 4);
		const otherAnn = otherStaff.docs.get(announcements.docKey)!;

		await changeRole(depsOf(owner), started.directory, toHex(pk(staff.device)), 'client');
		expect(announcements.head.gen).toBe(1);
		await send(owner, announcements, 'after the change');
		await waitFor(() => texts(clinicianAnn).includes('after the change'), 15_000, 'clinician reads');
		// A reader who stays (other staff) got the new secret too.
		await waitFor(() => texts(otherAnn).includes('after the change'), 15_000, 'other staff read');
		expect(texts(staffAnn)).not.toContain('after the change');
	});

	it('an owner removes a member from the practice: every document they read rotates away from them', async () => {
		const { owner, started } = await practice();
		const [announcements, team] = started.channels;
		const stays = await joinPractice(owner, started, 'clinician', 'Dr-Stays');
		const leaves = await joinPractice(owner, started, 'clinician', 'Dr-Leaves');
		const staff = await joinPractice(owner, started, 'staff', 'Front-Desk');
		await waitFor(() => leaves.docs.size === 5 && stays.docs.size === 5 && staff.docs.size === 4);

		const outcome = await removeFromPractice(depsOf(owner), started.directory, toHex(pk(leaves.device)));
		expect(outcome.changed.map((c) => c.docKey).sort()).toEqual(
			[started.directory.docKey, ...started.channels.map((c) => c.docKey), ...started.siblings.map((c) => c.docKey)].sort()
		);
		expect(outcome.unsealed).toEqual([]);

		await send(owner, announcements, 'after the removal');
		await send(owner, team, 'team after the removal');
		const staffAnn = staff.docs.get(announcements.docKey)!;
		await waitFor(() => texts(staffAnn).includes('after the removal'), 15_000, 'staff (a reader) keep reading');
		await waitFor(() => texts(stays.docs.get(team.docKey)!).includes('team after the removal'), 15_000, 'team');
		expect(texts(leaves.docs.get(announcements.docKey)!)).not.toContain('after the removal');
		expect(texts(leaves.docs.get(team.docKey)!)).not.toContain('team after the removal');
		const staffDirectory = staff.docs.get(started.directory.docKey)!;
		await waitFor(() => viewOf(staffDirectory)?.members.find((m) => m.name === 'Dr-Leaves')?.removed, 15_000, 'shown');
		expect(roleOf(viewOf(staffDirectory), toHex(pk(leaves.device)))).toBeUndefined();
	});

	it('a pending practice invite can be revoked: the relay refuses its claim, nothing changes in any chain', async () => {
		const { owner, started } = await practice();
		const device = startDevice();
		await waitFor(() => device.engine.status === 'online');
		const invite = await inviteToPractice(depsOf(owner), started.directory, { inviterName: NAMES.owner, role: 'staff' });
		const keys = deriveInviteKeys(invite.secret);
		const answer = await device.engine.connection.request('invite.get', { invite: invite.invite });
		const info = openInviteInfo(keys, invite.invite, answer.info as Uint8Array)!;
		const heads = [started.directory, ...started.channels].map((s) => s.head.n);

		await owner.engine.revokeInvite(toBase64Url(invite.invite));
		const claim = device.engine.claimInvite({ invite: invite.invite, secret: invite.secret, info, name: 'Late' }, device.box.publicKey);
		expect(await refusal(claim)).toBe('invite-revoked');
		expect([started.directory, ...started.channels].map((s) => s.head.n)).toEqual(heads);
		expect(await owner.engine.inviteOf(toBase64Url(invite.invite))).toBeUndefined();
	});

	it('a practice invite carries only a role its inviter may grant, and never the client role', async () => {
		const { owner, started } = await practice();
		const clinician = await joinPractice(owner, started, 'clinician', 'Dr-Clin');
		const clinicianDirectory = clinician.docs.get(started.directory.docKey)!;
		await waitFor(() => roleOf(viewOf(clinicianDirectory), toHex(pk(clinician.device))) === 'clinician');
		// A clinician's device may not invite colleagues (it doesn't administer the directory either).
		await expect(
			inviteToPractice(depsOf(clinician.device), clinicianDirectory, { inviterName: 'Dr-Clin', role: 'staff' })
		).rejects.toThrow('may not be granted');
		// Clients are invited to their own conversation, never into the directory.
		await expect(
			inviteToPractice(depsOf(owner), started.directory, { inviterName: NAMES.owner, role: 'client' })
		).rejects.toThrow('invited from a conversation');
	});

	it('the relay stores no practice name, member name or role in clear (with a positive control)', async () => {
		const { owner, started } = await practice();
		const marker = `Tënd-staff-${nodeRandomBytes(4).toString('hex')}-çà`;
		const staff = await joinPractice(owner, started, 'staff', marker);
		await waitFor(() => staff.docs.size === 4);
		const staffDirectory = staff.docs.get(started.directory.docKey)!;
		await waitFor(() => viewOf(staffDirectory)?.members.some((m) => m.name === marker), 15_000, 'synced');

		// Positive control: invite details are stored as sent, so a marker sent in clear is found.
		const control = `Tënd-control-${nodeRandomBytes(4).toString('hex')}-çà`;
		await owner.engine.connection.request('invite.create', {
			invite: nodeRandomBytes(16),
			authPk: nodeRandomBytes(32),
			info: Buffer.from(control, 'latin1'),
			expires: Date.now() + 60_000
		});
		await relay!.stop();
		const files = readdirSync(relay!.dataDir).map((name) => readFileSync(join(relay!.dataDir, name)));
		const found = (text: string) =>
			(['utf8', 'utf16le', 'latin1'] as const).filter((enc) =>
				files.some((bytes) => bytes.includes(Buffer.from(text, enc)))
			);
		expect(found(control)).toContain('latin1');
		for (const text of [NAMES.practice, NAMES.owner, marker, 'clinician', 'Front desk', 'scheduling']) {
			expect(found(text), text).toEqual([]);
		}
		await relay!.restart();
	});
});

/** How `device` reads the announcements, merged with the sibling (as the conversation screen does). */
function readAs(device: NodeDevice, conversation: DocSync, sibling: DocSync) {
	const deviceOf = (sync: DocSync) => (actor: string) => {
		const key = sync.deviceOfActor(actor);
		return key ? toHex(key) : undefined;
	};
	const ctx: ReadContext = {
		me: toHex(pk(device)),
		deviceOf: deviceOf(conversation),
		isAdmin: (d) => conversation.head.admins.some((k) => toHex(k) === d),
		sibling: { doc: sibling.handle.doc() as A.Doc<SiblingDoc>, deviceOf: deviceOf(sibling) }
	};
	return readConversation(conversation.handle.doc() as A.Doc<ConversationDoc>, ctx);
}

describe("the practice's announcements: readers react and mark as read in the sibling (rule 7)", { timeout: 90_000 }, () => {
	it('staff react and mark as read, the owner sees it; a message entry of theirs is still refused', async () => {
		const { owner, started } = await practice();
		const [announcements] = started.channels;
		const [sibling] = started.siblings;
		const staff = await joinPractice(owner, started, 'staff', NAMES.staff);
		await waitFor(() => staff.docs.size === 4, 15_000, 'staff hold four documents');
		const staffAnn = staff.docs.get(announcements.docKey)!;
		const staffSibling = staff.docs.get(sibling.docKey)!;
		const staffHex = toHex(pk(staff.device));

		// The chain says it: a reader of the announcements, a writer of its sibling. The owner's
		// device names the sibling in the announcements, and the member in its member list.
		expect(isListed(announcements.head.readers, pk(staff.device))).toBe(true);
		expect(isListed(announcements.head.writers, pk(staff.device))).toBe(false);
		expect(isListed(sibling.head.writers, pk(staff.device))).toBe(true);
		expect((announcements.handle.doc() as ConversationDoc).sibling).toBe(sibling.docKey);
		expect((announcements.handle.doc() as ConversationDoc).members[staffHex]?.name).toBe(NAMES.staff);

		await send(owner, announcements, NAMES.announcement);
		await waitFor(() => texts(staffAnn).includes(NAMES.announcement), 15_000, 'staff read it');
		await waitFor(() => staffSibling.handle.isReady() && (staffSibling.handle.doc() as SiblingDoc).type === 'sibling', 15_000, 'sibling content');
		const messageId = readAs(staff.device, staffAnn, staffSibling).messages[0].id;

		await depsOf(staff.device).write<SiblingDoc>(staffSibling, (d) => {
			setReaction(d, messageId, '🌻', true);
			markRead(d, staffHex, staffHex, messageId, Date.now());
		});
		await waitFor(() => readAs(owner, announcements, sibling).messages[0].reactions.length === 1, 15_000, 'reaction');
		const seen = readAs(owner, announcements, sibling);
		expect(seen.messages[0].reactions).toEqual([{ emoji: '🌻', devices: [staffHex] }]);
		expect(seen.messages[0].readBy).toContain(staffHex);
		expect(seen.ignoredOps).toBe(0);
		await waitFor(() => staffSibling.outbox.length === 0, 15_000, 'the relay took the sibling entry');

		// A message entry of theirs into the announcements themselves is refused by the relay.
		staff.device.stop();
		await appendText(staff.device, staffAnn, 'staff posting anyway');
		await staffAnn.commitLocal();
		const entry = staffAnn.outbox[staffAnn.outbox.length - 1].entry;
		const raw = await RelayClient.connect(relay!.url);
		clients.push(raw);
		await raw.hello(staff.device.ctx.author.device);
		await raw.openDoc(announcements.doc, announcements.accessKey(), announcements.head.n);
		expect(await refusal(raw.request('push', { doc: announcements.doc, entry }))).toBe('not-writer');

		// Neither the relay's files nor the staff device's storage hold the announcement, the
		// reaction or whose read marker is whose. Positive control: a marker sent in clear as an
		// invite's details is stored as sent, and must be found by the same scan.
		const control = `clear-control-${nodeRandomBytes(4).toString('hex')}`;
		await owner.engine.connection.request('invite.create', {
			invite: nodeRandomBytes(16),
			authPk: nodeRandomBytes(32),
			info: Buffer.from(control, 'latin1'),
			expires: Date.now() + 60_000
		});
		const secrets = [NAMES.announcement, '🌻', messageId, `${staffHex}:${staffHex}`, NAMES.staff];
		const hits = findInFiles(filesUnder(relay!.dataDir), [control, ...secrets]);
		expect(hits.has(control)).toBe(true);
		hits.delete(control);
		expect(Object.fromEntries(hits)).toEqual({});
		const stored = await staff.device.backend.range('');
		const blobs = stored.flatMap(({ key, value }) => [Buffer.from(key, 'utf8'), Buffer.from(value)]);
		const inStore = (text: string) => blobs.some((b) => encodings(text).some((form) => b.includes(form)));
		for (const secret of secrets) expect(inStore(secret), secret).toBe(false);
		expect(inStore(Buffer.from(stored[0].value.subarray(0, 24)).toString('latin1'))).toBe(true);
	});

	it('a role change carries the sibling: losing the announcements rotates it, regaining them lets back in as a writer', async () => {
		const { owner, started } = await practice();
		const [announcements] = started.channels;
		const [sibling] = started.siblings;
		const staff = await joinPractice(owner, started, 'staff', NAMES.staff);
		const other = await joinPractice(owner, started, 'staff', 'Billing');
		await waitFor(() => staff.docs.size === 4 && other.docs.size === 4, 15_000, 'both hold four documents');
		const staffHex = toHex(pk(staff.device));

		const outcome = await changeRole(depsOf(owner), started.directory, staffHex, 'client');
		expect(outcome.changed).toEqual(expect.arrayContaining([{ docKey: sibling.docKey, kind: 'rotate' }]));
		expect(sibling.head.gen).toBe(1);
		expect(sibling.excludes(pk(staff.device))).toBe(true);
		// The staff member who stays writes on under the new key; the one who left gets nothing.
		const otherSibling = other.docs.get(sibling.docKey)!;
		await waitFor(() => otherSibling.head.gen === 1 && otherSibling.holdsHeadSecret, 15_000, 'new key');
		expect(staff.docs.get(sibling.docKey)!.secretOf(1)).toBeUndefined();
		expect((announcements.handle.doc() as ConversationDoc).members[staffHex]?.removedAt).toBeDefined();

		const back = await changeRole(depsOf(owner), started.directory, staffHex, 'staff');
		expect(back.changed).toEqual(expect.arrayContaining([{ docKey: sibling.docKey, kind: 'admit' }]));
		expect(back.unsealed).toEqual([]);
		expect(isListed(sibling.head.writers, pk(staff.device))).toBe(true);
		expect(isListed(announcements.head.readers, pk(staff.device))).toBe(true);
		expect((announcements.handle.doc() as ConversationDoc).members[staffHex]?.removedAt).toBeUndefined();
		const staffSibling = staff.docs.get(sibling.docKey)!;
		await waitFor(() => staffSibling.secretOf(1) !== undefined, 15_000, 'the new key reaches them again');
	});
	it("a staff member's linked tablet reads the announcements and writes the sibling, without the owner doing anything", async () => {
		const { owner, started } = await practice();
		const [announcements] = started.channels;
		const [sibling] = started.siblings;
		const staff = await joinPractice(owner, started, 'staff', NAMES.staff);
		await waitFor(() => staff.docs.size === 4, 15_000, 'staff hold four documents');
		await send(owner, announcements, NAMES.announcement);

		// The staff member publishes the tablet's certificate where they write (scheduling); the
		// owner's device acts on it in every document the person reads, the sibling included.
		const tablet = startDevice();
		await waitFor(() => tablet.engine.status === 'online', 15_000, 'tablet online');
		const tabletSibling = await linkDevice(staff.device, tablet, { label: 'Tablet', name: NAMES.staff }, sibling.docKey);
		const tabletKey = pk(tablet);
		expect(isListed(sibling.head.writers, tabletKey)).toBe(true);
		await waitFor(() => isListed(announcements.head.readers, tabletKey), 15_000, 'listed as a reader of the announcements');
		expect(isListed(announcements.head.writers, tabletKey)).toBe(false);
		const tabletAnn = (await waitFor(() => tablet.engine.get(announcements.docKey), 15_000, 'announcements on the tablet'))!;
		await waitFor(() => texts(tabletAnn).includes(NAMES.announcement), 15_000, 'the tablet reads');

		await waitFor(() => tabletSibling.handle.isReady() && (tabletSibling.handle.doc() as SiblingDoc).type === 'sibling', 15_000, 'sibling content');
		const messageId = readAs(tablet, tabletAnn, tabletSibling).messages[0].id;
		await depsOf(tablet).write<SiblingDoc>(tabletSibling, (d) => setReaction(d, messageId, '👍', true));
		await waitFor(() => readAs(owner, announcements, sibling).messages[0].reactions.length === 1, 15_000, 'reaction');
		expect(readAs(owner, announcements, sibling).messages[0].reactions).toEqual([
			{ emoji: '👍', devices: [toHex(tabletKey)] }
		]);
	});
});
