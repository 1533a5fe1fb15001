import { beforeAll, describe, expect, it } from 'vitest';
import { AuditRecorder, type QueuedEvent, type TrailInfo } from '../../../src/lib/audit/AuditRecorder.js';
import { openAuditEntry } from '../../../src/lib/audit/auditEntry.js';
import { openAuditRecord } from '../../../src/lib/audit/auditRecord.js';
import { AuditKind } from '../../../src/lib/audit/kinds.js';
import { readyCrypto } from '../../../src/lib/crypto/sodium.js';
import { toBase64Url, toHex } from '../../../src/lib/protocol/bytes.js';
import { testDevice, testTrail, type TestDevice } from '../../helpers/auditFixtures.js';
import { MemorySealedStore } from '../../helpers/memoryStore.js';

/**
 * The recorder: queues before unlock, signs at attach, routes by document, seals to owners,
 * and on an owner's device receives, verifies and countersigns.
 */

let owner: TestDevice;
let client: TestDevice;

beforeAll(async () => {
	await readyCrypto();
	owner = testDevice();
	client = testDevice();
});

function env(d: TestDevice, store = new MemorySealedStore()) {
	return { store, device: d.sign, box: d.box, incarnation: d.incarnation };
}

function trailInfo(docs: string[] = []): TrailInfo {
	const t = testTrail(owner, [client]);
	return { ...t, owners: [{ device: owner.sign.publicKey, box: owner.box.publicKey }], docs };
}

/** Opens every outbox entry as the owner and returns the records' bodies. */
async function delivered(rec: AuditRecorder, info: TrailInfo) {
	const out = await rec.outbox(toBase64Url(info.trail));
	return out.map(({ entry }) => {
		const opened = openAuditEntry(info, entry, { device: owner.sign.publicKey, box: owner.box });
		if (!opened.ok) throw new Error(opened.why);
		return openAuditRecord(opened.record)!;
	});
}

class ArrayQueue {
	events: QueuedEvent[] = [];
	load() {
		return [...this.events];
	}
	save(events: QueuedEvent[]) {
		this.events = [...events];
	}
}

describe('AuditRecorder', () => {
	it('queues events before attach and signs them, in order, at attach', async () => {
		let now = 1000;
		const locked = new ArrayQueue();
		const rec = new AuditRecorder({ now: () => now++, locked, checkpointEvery: Infinity });
		rec.record(AuditKind.unlockFailed, { attempt: 1, note: 'dropped while locked' });
		rec.record(AuditKind.signIn, { method: 'passphrase' });
		// Only the kind, time and numbers of a locked-time event are kept in the clear queue.
		expect(locked.events).toEqual([{ kind: 'unlock-failed', at: 1000, details: { attempt: 1 } }]);

		const info = trailInfo();
		const e = env(client);
		await rec.attach(e);
		await rec.addTrail(info);
		await rec.flush();
		const bodies = await delivered(rec, info);
		expect(bodies.map((r) => [r.body.n, r.body.kind])).toEqual([[1, 'unlock-failed'], [2, 'sign-in']]);
		expect(bodies.every((r) => r.signed)).toBe(true);
		expect(locked.events).toEqual([]);
	});

	it('survives a restart: the chain continues and the outbox is kept', async () => {
		const info = trailInfo();
		const store = new MemorySealedStore();
		const first = new AuditRecorder({ checkpointEvery: Infinity });
		await first.attach(env(client, store));
		await first.addTrail(info);
		first.record(AuditKind.signIn);
		await first.flush();

		const second = new AuditRecorder({ checkpointEvery: Infinity });
		await second.attach(env(client, store));
		second.record(AuditKind.memberInvited, { doc: 'd1', invite: 'i1' });
		await second.flush();
		const bodies = await delivered(second, info);
		expect(bodies.map((r) => r.body.n)).toEqual([1, 2]);
		expect(bodies[1].body.prev).toEqual(bodies[0].hash);
		await second.acknowledge(toBase64Url(info.trail), (await second.outbox(toBase64Url(info.trail)))[0].n);
		expect((await second.outbox(toBase64Url(info.trail))).length).toBe(1);
	});

	it('sends a document event only to the trail of that document', async () => {
		const a = trailInfo(['docA']);
		const b = trailInfo(['docB']);
		const rec = new AuditRecorder({ checkpointEvery: Infinity });
		await rec.attach(env(client));
		await rec.addTrail(a);
		await rec.addTrail(b);
		rec.record(AuditKind.memberAdded, { doc: 'docB' });
		rec.record(AuditKind.signIn);
		await rec.flush();
		expect((await delivered(rec, a)).map((r) => r.body.kind)).toEqual(['sign-in']);
		expect((await delivered(rec, b)).map((r) => r.body.kind)).toEqual(['member-added', 'sign-in']);
	});

	it('keeps events until the device joins a trail', async () => {
		const rec = new AuditRecorder({ checkpointEvery: Infinity });
		await rec.attach(env(client));
		rec.record(AuditKind.signIn);
		await rec.flush();
		const info = trailInfo();
		await rec.addTrail(info);
		expect((await delivered(rec, info)).map((r) => r.body.kind)).toEqual(['sign-in']);
	});

	it('refuses a trail whose owners do not administer it', async () => {
		const rec = new AuditRecorder({ checkpointEvery: Infinity });
		await rec.attach(env(client));
		const info = { ...trailInfo(), owners: [{ device: client.sign.publicKey, box: client.box.publicKey }] };
		await expect(rec.addTrail(info)).rejects.toThrow(/owners must administer/);
	});

	it("on the owner's device: receives, verifies and countersigns other devices' heads", async () => {
		const info = trailInfo(['doc1']);
		const trail = toBase64Url(info.trail);
		const clientRec = new AuditRecorder({ checkpointEvery: Infinity });
		await clientRec.attach(env(client));
		await clientRec.addTrail(info);
		for (let i = 0; i < 3; i++) clientRec.record(AuditKind.signIn);
		await clientRec.flush();
		const entries = (await clientRec.outbox(trail)).map((o) => o.entry);

		const ownerRec = new AuditRecorder({ countersignDelay: 60_000, checkpointEvery: Infinity });
		await ownerRec.attach(env(owner));
		await ownerRec.addTrail(info);
		ownerRec.record(AuditKind.conversationCreated, { doc: 'doc1' });
		await ownerRec.flush();
		expect(await ownerRec.receive(trail, entries)).toBe(3);
		expect(await ownerRec.receive(trail, entries)).toBe(0); // a replay adds nothing

		await ownerRec.countersign(trail);
		const verified = await ownerRec.verify(trail);
		expect(verified.problems).toEqual([]);
		const seen = verified.records.find((r) => r.body.kind === AuditKind.headsSeen)!;
		expect(seen.body.details.heads).toEqual([
			expect.objectContaining({ device: toHex(client.sign.publicKey), n: 3 })
		]);

		// The client can't read what it sent, nor the owner's own records.
		const own = await ownerRec.outbox(trail);
		for (const { entry } of [...own, ...(await clientRec.outbox(trail))]) {
			expect(openAuditEntry(info, entry, { device: client.sign.publicKey, box: client.box }).ok).toBe(false);
		}
	});

	it('writes a checkpoint with its counter at most once per interval (rule 21)', async () => {
		let now = 1_000_000;
		const info = trailInfo();
		const store = new MemorySealedStore();
		const make = () => new AuditRecorder({ now: () => now, checkpointEvery: 1000 });
		const first = make();
		await first.attach(env(client, store));
		await first.addTrail(info);
		first.record(AuditKind.signIn);
		await first.flush();

		now += 500; // a restart within the interval: no new checkpoint
		const second = make();
		await second.attach(env(client, store));
		now += 1000; // after it: one more, naming the records written so far
		const third = make();
		await third.attach(env(client, store));
		await third.flush();
		const bodies = await delivered(third, info);
		expect(bodies.map((r) => [r.body.n, r.body.kind, r.body.details.written])).toEqual([
			[1, 'checkpoint', 0],
			[2, 'sign-in', undefined],
			[3, 'checkpoint', 2]
		]);
	});
});
