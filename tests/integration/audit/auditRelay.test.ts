import Database from 'better-sqlite3';
import { randomBytes as nodeRandomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AuditRecorder } from '../../../src/lib/audit/AuditRecorder.js';
import { openAuditEntry } from '../../../src/lib/audit/auditEntry.js';
import { openAuditRecord } from '../../../src/lib/audit/auditRecord.js';
import { AuditKind } from '../../../src/lib/audit/kinds.js';
import { toBase64Url, toHex } from '../../../src/lib/protocol/bytes.js';
import { createConversation } from '../../../src/lib/sync/createConversation.js';
import { filesUnder, findInFiles } from '../../helpers/scanFiles.js';
import { inviteAndAdmit } from '../../helpers/engineFlow.js';
import { engineStack } from '../../helpers/engineStack.js';
import { waitFor } from '../../helpers/nodeDevice.js';

/**
 * Audit trails through the real relay (rule 21, docs/protocol.md "Audit trails"): a client's
 * device appends records that only the therapist's (owner's) device can read; the owner's
 * device receives, verifies and countersigns them; the relay stores nothing readable.
 */

const stack = engineStack();

async function auditedDevice() {
	const recorder = new AuditRecorder({ countersignDelay: 100, checkpointEvery: Infinity });
	const device = stack.device({ audit: recorder });
	await recorder.attach({
		store: device.ctx.store,
		device: device.ctx.author.device,
		box: device.box,
		incarnation: device.ctx.author.incarnation
	});
	return { device, recorder };
}

describe('audit trail through the relay', () => {
	it("carries a client's records to the owner only, verified, countersigned and unreadable to the relay", async () => {
		const relay = await stack.startRelay();
		const therapist = await auditedDevice();
		const client = await auditedDevice();

		// The therapist creates a conversation; its events go to the therapist's own trail.
		const conversation = await createConversation(therapist.device.ctx, { title: 'Check-ins', creatorName: 'Dr. R' });
		therapist.device.engine.add(conversation);
		await therapist.device.engine.audit!.linkToOwnTrail(conversation.docKey);
		therapist.recorder.record(AuditKind.conversationCreated, { doc: conversation.docKey });
		const trail = toBase64Url(therapist.recorder.trails()[0].trail);
		therapist.device.engine.start();
		client.device.engine.start();
		await waitFor(() => therapist.device.engine.status === 'online' && client.device.engine.status === 'online');

		// Invite and admit: the client's device becomes a writer of the trail and gets its secret.
		client.recorder.record(AuditKind.signIn, { method: 'device' }); // before it knows any trail
		const { joined } = await inviteAndAdmit(therapist.device, client.device, conversation, {
			inviter: 'Dr. R',
			title: 'Check-ins',
			client: 'Sam'
		});
		await waitFor(() => client.recorder.trail(trail), 15_000, 'the client to join the trail');
		const marker = `AUDITMARK${nodeRandomBytes(6).toString('hex')}`;
		client.recorder.record(AuditKind.exported, { doc: joined.docKey, format: marker });
		client.recorder.record(AuditKind.signIn, { method: 'device' });

		// The owner's device receives, reads and verifies the client's chain.
		const clientHex = toHex(client.device.ctx.author.device.publicKey);
		const fromClient = async () =>
			(await therapist.recorder.records(trail))
				.map((bytes) => openAuditRecord(bytes)!)
				.filter((r) => toHex(r.body.device) === clientHex);
		await waitFor(async () => (await fromClient()).length === 3, 20_000, "the client's three records");
		expect((await fromClient()).map((r) => [r.body.n, r.body.kind])).toEqual([
			[1, 'sign-in'],
			[2, 'exported'],
			[3, 'sign-in']
		]);
		// The owner countersigns the client's head.
		await waitFor(async () => {
			const verified = await therapist.recorder.verify(trail);
			return verified.records.some((r) => r.body.kind === AuditKind.headsSeen);
		}, 10_000, 'a countersignature');
		const verified = await therapist.recorder.verify(trail);
		expect(verified.problems).toEqual([]);

		// The client's presence frames state how many records it wrote to the trail (rule 21), so
		// the owner would notice records the relay held back.
		expect(await client.recorder.written(trail)).toBe(3);
		client.device.engine.setActive(joined.docKey);
		const stated = await waitFor(
			() =>
				therapist.device.engine.presence
					.auditClaims(conversation.docKey)
					.find((c) => c.device === clientHex && c.n >= 3),
			15_000,
			"the client's stated count"
		);
		expect(stated?.n).toBe(3);
		expect(therapist.recorder.documentsOf(trail)).toContain(conversation.docKey);

		// The client keeps no readable copy, and the entries at the relay don't open for it.
		expect(await client.recorder.records(trail)).toEqual([]);
		await waitFor(async () => (await client.recorder.outbox(trail)).length === 0, 10_000, 'the client outbox to drain');
		await waitFor(async () => (await therapist.recorder.outbox(trail)).length === 0, 10_000, 'the owner outbox to drain');
		const db = new Database(join(relay.dataDir, 'relay.sqlite'), { readonly: true, fileMustExist: true });
		const entries = db
			.prepare('SELECT bytes FROM entries WHERE doc = ?')
			.all(Buffer.from(therapist.recorder.trails()[0].trail)) as { bytes: Buffer }[];
		db.close();
		expect(entries.length).toBeGreaterThanOrEqual(5);
		const info = client.recorder.trail(trail)!;
		for (const { bytes } of entries) {
			const entry = new Uint8Array(bytes);
			const asClient = openAuditEntry(info, entry, { device: client.device.ctx.author.device.publicKey, box: client.device.box });
			expect(asClient.ok).toBe(false);
			const asOwner = openAuditEntry(info, entry, { device: therapist.device.ctx.author.device.publicKey, box: therapist.device.box });
			expect(asOwner.ok).toBe(true);
		}

		// The relay's files hold no detail of any record; the same scan finds the trail's genesis,
		// which is stored in clear (positive control).
		const files = filesUnder(relay.dataDir);
		expect(findInFiles(files, [marker, clientHex, joined.docKey]).size).toBe(0);
		const genesis = Buffer.from(info.chain[0]);
		expect(files.some((file) => readFileSync(file).includes(genesis))).toBe(true);
	});
});
