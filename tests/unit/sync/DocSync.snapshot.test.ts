import * as A from '@automerge/automerge';
import { beforeAll, describe, expect, it } from 'vitest';
import { deriveContentKey } from '../../../src/lib/crypto/documentKeys.js';
import { openEntry, sealEntry } from '../../../src/lib/crypto/entry.js';
import { readyCrypto } from '../../../src/lib/crypto/sodium.js';
import { toHex } from '../../../src/lib/protocol/bytes.js';
import { decodeCbor } from '../../../src/lib/protocol/cbor.js';
import { EntryKind } from '../../../src/lib/protocol/entry.js';
import { appendMessage, type ConversationDoc } from '../../../src/lib/model/conversation.js';
import type { DocProblem, DocSync } from '../../../src/lib/sync/DocSync.js';
import {
	decodeSnapshotPayload,
	encodeSnapshotPayload,
	SNAPSHOT_EVERY,
	SNAPSHOT_EVERY_KNOB,
	snapshotEvery,
	type SnapshotPayload
} from '../../../src/lib/sync/snapshot.js';
import { conversationWith, FakeLog, pushAll } from '../../helpers/syncFixtures.js';
import { headsOf, messageIds } from '../../helpers/syncInspect.js';

/**
 * Snapshots (SECURITY-RULES.md rule 14): a new device may start from an administering device's
 * snapshot and read only the tail of the log, but a snapshot that leaves changes out must be
 * caught by the tail check and the device must fall back to the full log and end identical to
 * the others. Forged snapshots are sealed with the real content key and a real admin signature,
 * so only the check named by each test stands in the way.
 */

beforeAll(async () => {
	await readyCrypto();
});

type Conversation = Awaited<ReturnType<typeof conversationWith>>;

function message(id: string) {
	return (d: ConversationDoc) => appendMessage(d, { id, author: 'x', sentAt: 1, text: id });
}

/** Owner plus writers a and b exchange `rounds` messages each; `fresh` has read nothing. */
async function started(rounds: number) {
	const c = await conversationWith(3);
	const log = new FakeLog();
	const [a, b, fresh] = c.members;
	const active = [c.owner.sync, a.sync, b.sync];
	const catchUp = async () => {
		for (const sync of active) await sync.receive(log.after(sync.cursor));
	};
	const write = async (n: number, tag: string) => {
		for (let i = 0; i < n; i++) {
			for (const [name, sync] of [['a', a.sync], ['b', b.sync]] as const) {
				await sync.change(message(`${tag}-${name}-${i}`));
				await pushAll(sync, log);
				await catchUp();
			}
		}
	};
	await pushAll(c.owner.sync, log);
	await catchUp();
	await write(rounds, 'before');
	return { c, log, a: a.sync, b: b.sync, fresh: fresh.sync, write, catchUp };
}

function problemsOf(sync: DocSync): DocProblem[] {
	const problems: DocProblem[] = [];
	sync.on('problem', (p) => problems.push(p));
	return problems;
}

/** Reads the log as the engine does: again from the cursor when the device asks for it. */
async function readLog(sync: DocSync, log: FakeLog): Promise<void> {
	let again = false;
	const off = () => (again = true);
	sync.on('resubscribe', off);
	await sync.receive(log.after(sync.cursor));
	sync.off('resubscribe', off);
	if (again) await sync.receive(log.after(sync.cursor));
}

function openSnapshot(c: Conversation, entry: Uint8Array): SnapshotPayload {
	const key = deriveContentKey(c.created.secret, c.created.doc, 0);
	const opened = openEntry(entry, c.created.doc, () => key);
	if (!opened.ok) throw new Error('snapshot does not open');
	return decodeSnapshotPayload(opened.entry.payload)!;
}

/** Seals a snapshot payload as the owner (an admin) would, with a real signature. */
function sealAsOwner(c: Conversation, payload: SnapshotPayload, counter = 1000): Uint8Array {
	return sealEntry({
		contentKey: deriveContentKey(c.created.secret, c.created.doc, 0),
		kind: EntryKind.snapshot,
		doc: c.created.doc,
		epoch: c.owner.sync.head.n,
		author: c.owner.ctx.author,
		counter,
		payload: encodeSnapshotPayload(payload)
	});
}

/** The document built from every logged entry except those at the given indexes. */
function docWithout(c: Conversation, log: FakeLog, skip: Set<number>): A.Doc<unknown> {
	const key = deriveContentKey(c.created.secret, c.created.doc, 0);
	let doc = A.init<unknown>();
	log.items.forEach((item, index) => {
		if (skip.has(index)) return;
		const opened = openEntry(item.b, c.created.doc, () => key);
		if (!opened.ok) throw new Error('entry does not open');
		doc = A.applyChanges(doc, (decodeCbor(opened.entry.payload) as { c: Uint8Array[] }).c)[0];
	});
	return doc;
}

describe('a correct snapshot', () => {
	it('lets a new device catch up by reading only the tail of the log', async () => {
		const s = await started(10);
		const snapshot = await s.c.owner.sync.makeSnapshot();
		expect(snapshot?.upTo).toBe(s.log.items.length);
		await s.write(3, 'after');

		const problems = problemsOf(s.fresh);
		expect(await s.fresh.loadSnapshot(snapshot!.upTo, snapshot!.entry)).toBe(true);
		await readLog(s.fresh, s.log);

		expect(s.fresh.processedCount).toBe(6); // the tail only, of 27 entries
		expect(s.log.items.length).toBe(27);
		expect(messageIds(s.fresh)).toEqual(messageIds(s.c.owner.sync));
		expect(headsOf(s.fresh)).toEqual(headsOf(s.c.owner.sync));
		expect(problems).toEqual([]);
		expect(s.fresh.withheldFrom()).toEqual([]);
	});

	it('keeps the snapshot when the tail continues every counter, and the new device writes', async () => {
		const s = await started(2);
		const snapshot = await s.c.owner.sync.makeSnapshot();
		await s.fresh.loadSnapshot(snapshot!.upTo, snapshot!.entry);
		await s.write(1, 'after');
		await readLog(s.fresh, s.log);
		// The fresh device writes too, and everyone converges.
		await s.fresh.change(message('fresh'));
		await pushAll(s.fresh, s.log);
		await s.catchUp();
		await readLog(s.fresh, s.log);
		expect(messageIds(s.c.owner.sync)).toContain('fresh');
		expect(headsOf(s.fresh)).toEqual(headsOf(s.c.owner.sync));
		expect(s.fresh.cursor).toBe(s.log.items.length);
	});
});

describe('a snapshot is trusted only from an administering device', () => {
	it('ignores a snapshot signed by a writer who does not administer the document', async () => {
		const s = await started(4);
		// Attack: writer a makes and signs a perfectly formed snapshot.
		const forged = await s.a.makeSnapshot();
		expect(forged).toBeDefined();
		expect(await s.fresh.loadSnapshot(forged!.upTo, forged!.entry)).toBe(false);
		expect(s.fresh.cursor).toBe(0);

		// (The owner's snapshot of the same log is taken: "a correct snapshot" above.)
		await readLog(s.fresh, s.log);
		expect(s.fresh.processedCount).toBe(s.log.items.length);
		expect(headsOf(s.fresh)).toEqual(headsOf(s.c.owner.sync));
	});

	it('ignores a snapshot whose upTo differs from the one the relay named', async () => {
		const s = await started(2);
		const snapshot = await s.c.owner.sync.makeSnapshot();
		expect(await s.fresh.loadSnapshot(snapshot!.upTo - 1, snapshot!.entry)).toBe(false);
		expect(await s.fresh.loadSnapshot(snapshot!.upTo, snapshot!.entry)).toBe(true);
	});

	it('ignores a snapshot whose heads are not all in its document', async () => {
		const s = await started(3);
		const honest = await s.c.owner.sync.makeSnapshot();
		const payload = openSnapshot(s.c, honest!.entry);
		// Attack: the document leaves b's last entry out while the heads claim the full doc.
		const stale = docWithout(s.c, s.log, new Set([s.log.items.length - 1]));
		const forged = sealAsOwner(s.c, { ...payload, doc: A.save(stale) });
		expect(await s.fresh.loadSnapshot(payload.upTo, forged)).toBe(false);
		expect(s.fresh.cursor).toBe(0);
	});

	it('ignores a snapshot with a change whose actor has no claim', async () => {
		const s = await started(2);
		const payload = openSnapshot(s.c, (await s.c.owner.sync.makeSnapshot())!.entry);
		const actors = { ...payload.actors };
		delete actors[Object.keys(actors).find((actor) => actor !== Object.keys(actors)[0])!];
		const forged = sealAsOwner(s.c, { ...payload, actors });
		expect(await s.fresh.loadSnapshot(payload.upTo, forged)).toBe(false);
	});
});

describe('a snapshot that leaves changes out is caught by the tail check', () => {
	it("falls back to the full log when the doc lacks an author's last entry but claims its counter", async () => {
		const s = await started(5);
		const honest = await s.c.owner.sync.makeSnapshot();
		const payload = openSnapshot(s.c, honest!.entry);
		// Attack: b's last entry is left out of the document; counters and upTo claim it.
		const stale = docWithout(s.c, s.log, new Set([s.log.items.length - 1]));
		const forged = sealAsOwner(s.c, { ...payload, doc: A.save(stale), heads: A.getHeads(stale) });
		await s.write(1, 'after');

		const problems = problemsOf(s.fresh);
		expect(await s.fresh.loadSnapshot(payload.upTo, forged)).toBe(true);
		const handleBefore = s.fresh.handle;
		await readLog(s.fresh, s.log);

		expect(problems).toContainEqual({ kind: 'bad-snapshot' });
		expect(s.fresh.handle).not.toBe(handleBefore);
		expect(s.fresh.cursor).toBe(s.log.items.length);
		expect(messageIds(s.fresh)).toEqual(messageIds(s.c.owner.sync));
		expect(headsOf(s.fresh)).toEqual(headsOf(s.c.owner.sync));
		expect(s.fresh.wantsSnapshot).toBe(false);
	});

	it('falls back to the full log when the snapshot claims a higher upTo than it covers', async () => {
		const s = await started(3);
		const honest = await s.c.owner.sync.makeSnapshot();
		const payload = openSnapshot(s.c, honest!.entry);
		await s.write(4, 'after');
		// Attack: the same content claims to cover four more entries, so they are never read.
		const upTo = payload.upTo + 4;
		const forged = sealAsOwner(s.c, { ...payload, upTo });

		const problems = problemsOf(s.fresh);
		expect(await s.fresh.loadSnapshot(upTo, forged)).toBe(true);
		await readLog(s.fresh, s.log);

		expect(problems).toContainEqual({ kind: 'bad-snapshot' });
		expect(s.fresh.processedCount).toBe(s.log.items.length - upTo + s.log.items.length);
		expect(headsOf(s.fresh)).toEqual(headsOf(s.c.owner.sync));
		expect(messageIds(s.fresh)).toEqual(messageIds(s.c.owner.sync));
	});

	it("falls back when the snapshot honestly lists b's counter one lower: the tail skips one", async () => {
		const s = await started(3);
		const payload = openSnapshot(s.c, (await s.c.owner.sync.makeSnapshot())!.entry);
		// Attack: b's last entry is left out, and b's counter says so; upTo still covers it.
		const stale = docWithout(s.c, s.log, new Set([s.log.items.length - 1]));
		const b = s.c.members[1].ctx.author;
		const bKey = `${toHex(b.device.publicKey)}:${toHex(b.incarnation)}:${s.b.head.n}`;
		expect(payload.counters[bKey]).toBe(3);
		const counters = { ...payload.counters, [bKey]: 2 };
		const forged = sealAsOwner(s.c, {
			...payload,
			doc: A.save(stale),
			heads: A.getHeads(stale),
			counters
		});
		// Only b writes next, after the snapshot: its counter 4 doesn't continue 2.
		await s.b.change(message('after-b'));
		await pushAll(s.b, s.log);

		const problems = problemsOf(s.fresh);
		expect(await s.fresh.loadSnapshot(payload.upTo, forged)).toBe(true);
		await readLog(s.fresh, s.log);
		await s.catchUp();

		expect(problems).toContainEqual({ kind: 'bad-snapshot' });
		expect(headsOf(s.fresh)).toEqual(headsOf(s.c.owner.sync));
		expect(messageIds(s.fresh)).toContain('before-b-2');
	});

	it('property: leaving out any one entry is caught, and the device ends identical', async () => {
		const s = await started(4);
		const payload = openSnapshot(s.c, (await s.c.owner.sync.makeSnapshot())!.entry);
		await s.write(1, 'after');
		const covered = payload.upTo;
		// Every entry but the owner's genesis entry (leaving it out fails the claim check at load).
		for (let skip = 1; skip < covered; skip++) {
			const fresh = (await conversationWithSameDoc(s.c)).sync;
			const stale = docWithout(s.c, s.log, new Set([skip]));
			const forged = sealAsOwner(s.c, { ...payload, doc: A.save(stale), heads: A.getHeads(stale) });
			const problems = problemsOf(fresh);
			expect(await fresh.loadSnapshot(covered, forged), `skip ${skip}`).toBe(true);
			await readLog(fresh, s.log);
			expect(problems, `skip ${skip}`).toContainEqual({ kind: 'bad-snapshot' });
			expect(headsOf(fresh), `skip ${skip}`).toEqual(headsOf(s.c.owner.sync));
			expect(fresh.cursor).toBe(s.log.items.length);
		}
	});
});

/** Another new device of the same document (a writer already listed in the chain). */
async function conversationWithSameDoc(c: Conversation): Promise<{ sync: DocSync }> {
	const { DocSync } = await import('../../../src/lib/sync/DocSync.js');
	const { makeDevice } = await import('../../helpers/syncFixtures.js');
	const ctx = makeDevice();
	// Reading needs only the secret; rule 7 concerns writing.
	const sync = await DocSync.create(ctx, {
		chain: c.owner.sync.chainRecords(),
		secrets: { 0: c.created.secret },
		initial: A.init(),
		myActors: [],
		registered: true
	});
	return { sync };
}

describe('the snapshot test knob', () => {
	it('makes snapshots more frequent, never less', () => {
		const storage = (value: string | null) => ({
			getItem: (key: string) => (key === SNAPSHOT_EVERY_KNOB ? value : null)
		});
		expect(snapshotEvery(storage(null))).toBe(SNAPSHOT_EVERY);
		expect(snapshotEvery(storage('4'))).toBe(4);
		expect(snapshotEvery(storage(String(SNAPSHOT_EVERY * 4)))).toBe(SNAPSHOT_EVERY);
		expect(snapshotEvery(storage('1'))).toBe(SNAPSHOT_EVERY);
		expect(snapshotEvery(storage('-3'))).toBe(SNAPSHOT_EVERY);
		expect(snapshotEvery(storage('4.5'))).toBe(SNAPSHOT_EVERY);
	});
});
