import * as A from '@automerge/automerge';
import { beforeAll, describe, expect, it } from 'vitest';
import { makeActorClaimMessage } from '../../../src/lib/crypto/actorClaim.js';
import { deriveContentKey } from '../../../src/lib/crypto/documentKeys.js';
import { sealEntry } from '../../../src/lib/crypto/entry.js';
import { readyCrypto } from '../../../src/lib/crypto/sodium.js';
import { appendMessage } from '../../../src/lib/model/conversation.js';
import {
	checkPeriodDoc,
	PERIOD_GENESIS_ACTOR,
	PERIOD_SIZE,
	PERIOD_SIZE_KNOB,
	periodGenesis,
	periodLocalId,
	periodSize,
	writePeriod,
	type PeriodDoc
} from '../../../src/lib/model/period.js';
import { toHex } from '../../../src/lib/protocol/bytes.js';
import { encodeCbor } from '../../../src/lib/protocol/cbor.js';
import { EntryKind } from '../../../src/lib/protocol/entry.js';
import { periodDocId } from '../../../src/lib/protocol/period.js';
import { ConversationPeriods } from '../../../src/lib/sync/ConversationPeriods.js';
import { conversationWith, FakeLog, pushAll } from '../../helpers/syncFixtures.js';

beforeAll(async () => {
	await readyCrypto();
});

const conv = new Uint8Array(32).fill(7);

describe('period ids and genesis (rule 19)', () => {
	it('derives the id from (conversation, number): distinct per period and per conversation', () => {
		const ids = [1, 2, 3].map((n) => toHex(periodDocId(conv, n)));
		expect(new Set(ids).size).toBe(3);
		expect(toHex(periodDocId(conv, 1))).toBe(ids[0]);
		expect(toHex(periodDocId(new Uint8Array(32).fill(8), 1))).not.toBe(ids[0]);
		expect(() => periodDocId(conv, 0)).toThrow(RangeError);
		expect(() => periodDocId(conv, 1.5)).toThrow(RangeError);
	});

	it('builds the same genesis bytes every time, with every container and no wall clock', () => {
		const id = periodDocId(conv, 4);
		const a = periodGenesis(id, 4);
		const b = periodGenesis(id, 4);
		expect(toHex(a.change)).toBe(toHex(b.change));
		expect(a.hash).toBe(b.hash);
		const decoded = A.decodeChange(a.change);
		expect(decoded.actor).toBe(PERIOD_GENESIS_ACTOR);
		expect(decoded.time).toBe(0);
		const doc = A.load<PeriodDoc>(a.saved);
		expect(doc.messages).toEqual([]);
		expect(doc.reactions).toEqual([]);
		expect(doc.n).toBe(4);
		expect(doc.p.val).toBe(toHex(id));
		// Another period, another genesis: changes of one can never apply to another.
		expect(periodGenesis(periodDocId(conv, 5), 5).hash).not.toBe(a.hash);
	});

	it('accepts a document grown from the genesis and refuses a forged or missing one', () => {
		const id = periodDocId(conv, 2);
		let doc = A.load<PeriodDoc>(periodGenesis(id, 2).saved);
		doc = A.change(doc, (d) => appendMessage(d, { id: 'm1', author: 'aa', sentAt: 1, text: 'hi' }));
		expect(checkPeriodDoc(doc, id, 2)).toEqual({ ok: true });
		// The genesis of another period (or number) is not this period's.
		expect(checkPeriodDoc(doc, id, 3)).toEqual({ ok: false, why: 'forged-genesis' });

		// Same actor, but a wall-clock time: a device that made its own genesis.
		const forged = A.change(A.init<PeriodDoc>({ actor: PERIOD_GENESIS_ACTOR }), { time: 5 }, (d) => {
			d.v = 1;
			d.p = new A.ImmutableString(toHex(id));
			d.n = 2;
			d.messages = [];
			d.reactions = [];
		});
		expect(checkPeriodDoc(forged, id, 2)).toEqual({ ok: false, why: 'forged-genesis' });

		// Containers made by an ordinary actor: no genesis at all.
		const lazy = A.change(A.init<PeriodDoc>(), (d) => {
			d.messages = [];
		});
		expect(checkPeriodDoc(lazy, id, 2)).toEqual({ ok: false, why: 'no-genesis' });
	});

	it('rolls over when the highest period is full, starting after period 0', () => {
		expect(writePeriod(undefined, 0, 3)).toBe(0);
		expect(writePeriod(undefined, 2, 3)).toBe(0);
		expect(writePeriod(undefined, 3, 3)).toBe(1);
		// A v3 conversation keeps no messages in its own document.
		expect(writePeriod(undefined, Infinity, 3)).toBe(1);
		expect(writePeriod({ n: 4, count: 2 }, 3, 3)).toBe(4);
		expect(writePeriod({ n: 4, count: 5 }, 3, 3)).toBe(5);
	});

	it('takes a smaller period size from the test knob, never a larger one', () => {
		const storage = (value: string | null) => ({ getItem: (key: string) => (key === PERIOD_SIZE_KNOB ? value : null) });
		expect(periodSize(storage(null))).toBe(PERIOD_SIZE);
		expect(periodSize(storage('5'))).toBe(5);
		expect(periodSize(storage(String(PERIOD_SIZE * 10)))).toBe(PERIOD_SIZE);
		expect(periodSize(storage('1'))).toBe(PERIOD_SIZE);
		expect(periodSize(storage('abc'))).toBe(PERIOD_SIZE);
	});

	it('gives a period a local id that is stable per device and is not its relay id', () => {
		expect(periodLocalId('abc', 1)).toBe(periodLocalId('abc', 1));
		expect(periodLocalId('abc', 1)).not.toBe(periodLocalId('abc', 2));
		expect(periodLocalId('abc', 1)).not.toBe(periodLocalId('abd', 1));
	});
});

describe('period documents through DocSync', () => {
	it('syncs a period between two devices and refuses an entry carrying a forged genesis', async () => {
		const { owner, members, created } = await conversationWith(1);
		const member = members[0];
		const log0 = new FakeLog();
		await pushAll(owner.sync, log0);
		await member.sync.receive(log0.after(0));

		const size = () => 2;
		const ownerPeriods = new ConversationPeriods(owner.ctx, owner.sync, size);
		const memberPeriods = new ConversationPeriods(member.ctx, member.sync, size);
		const me = toHex(owner.ctx.author.device.publicKey);
		for (let i = 0; i < 4; i++) {
			const target = await ownerPeriods.writeTarget();
			await target.change<PeriodDoc>((d) => appendMessage(d, { id: `m${i}`, author: me, sentAt: i, text: `t${i}` }));
		}
		// Two in period 0 (the conversation document), two in period 1.
		expect(ownerPeriods.held()).toEqual([1]);
		expect(ownerPeriods.count(0)).toBe(2);
		expect(ownerPeriods.count(1)).toBe(2);

		const log1 = new FakeLog();
		await pushAll(ownerPeriods.get(1)!, log1);
		const period = await memberPeriods.hold(1);
		await period.receive(log1.after(0));
		expect(period.unverifiedCount).toBe(0);
		const ids = (period.handle.doc() as A.Doc<PeriodDoc>).messages.map((m) => m.id.val);
		expect(ids).toEqual(['m2', 'm3']);
		// The member's own copy was made from the genesis, not received: the same document.
		expect(A.getHeads(period.handle.doc() as A.Doc<unknown>).sort()).toEqual(
			A.getHeads(ownerPeriods.get(1)!.handle.doc() as A.Doc<unknown>).sort()
		);

		// The attack: the genesis actor is nobody's, so a writer tries to write as it (claiming it
		// for itself) a change on top of the genesis that replaces the message list, wiping the
		// period. The entry is refused whole; the period is untouched.
		const pid = periodDocId(created.doc, 1);
		const claim = makeActorClaimMessage(owner.ctx.author.device, pid, PERIOD_GENESIS_ACTOR);
		const asGenesis = A.load<PeriodDoc>(periodGenesis(pid, 1).saved, { actor: PERIOD_GENESIS_ACTOR });
		const wiped = A.change(asGenesis, { message: claim }, (d) => {
			d.messages = [];
		});
		const entry = sealEntry({
			contentKey: deriveContentKey(created.secret, created.doc, 0, 1),
			kind: EntryKind.changes,
			doc: pid,
			epoch: 0,
			author: owner.ctx.author,
			counter: 999,
			payload: encodeCbor({ c: [A.getLastLocalChange(wiped)!] })
		});
		await period.receive([{ seq: 3, b: entry }]);
		expect(period.unverifiedCount).toBe(1);
		expect((period.handle.doc() as A.Doc<PeriodDoc>).messages.map((m) => m.id.val)).toEqual(['m2', 'm3']);
		expect(checkPeriodDoc(period.handle.doc() as A.Doc<unknown>, pid, 1)).toEqual({ ok: true });

		// Positive control: the recomputed genesis itself, sealed the same way, is accepted.
		const genuine = sealEntry({
			contentKey: deriveContentKey(created.secret, created.doc, 0, 1),
			kind: EntryKind.changes,
			doc: pid,
			epoch: 0,
			author: owner.ctx.author,
			counter: 1000,
			payload: encodeCbor({ c: [periodGenesis(pid, 1).change] })
		});
		await period.receive([{ seq: 4, b: genuine }]);
		expect(period.unverifiedCount).toBe(1);
	});

	it('seals period entries under a key derived with the period number', async () => {
		const { owner, created } = await conversationWith(0);
		const periods = new ConversationPeriods(owner.ctx, owner.sync, () => 1);
		await (await periods.hold(1)).change<PeriodDoc>((d) =>
			appendMessage(d, { id: 'x', author: 'aa', sentAt: 1, text: 'x' })
		);
		const log = new FakeLog();
		await pushAll(periods.get(1)!, log);
		const { openEntry } = await import('../../../src/lib/crypto/entry.js');
		const pid = periodDocId(created.doc, 1);
		const right = openEntry(log.items[0].b, pid, () => deriveContentKey(created.secret, created.doc, 0, 1));
		const period0Key = openEntry(log.items[0].b, pid, () => deriveContentKey(created.secret, created.doc, 0, 0));
		expect(right.ok).toBe(true);
		expect(period0Key.ok).toBe(false);
	});
});
