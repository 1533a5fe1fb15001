import * as A from '@automerge/automerge';
import { beforeAll, describe, expect, it } from 'vitest';
import { makeActorClaimMessage } from '../../../src/lib/crypto/actorClaim.js';
import { deriveContentKey } from '../../../src/lib/crypto/documentKeys.js';
import { sealEntry } from '../../../src/lib/crypto/entry.js';
import { readyCrypto } from '../../../src/lib/crypto/sodium.js';
import { toHex } from '../../../src/lib/protocol/bytes.js';
import { encodeCbor } from '../../../src/lib/protocol/cbor.js';
import { ENTRY_HEADER_BYTES, EntryKind } from '../../../src/lib/protocol/entry.js';
import { appendMessage, type ConversationDoc } from '../../../src/lib/model/conversation.js';
import type { DocProblem, DocSync } from '../../../src/lib/sync/DocSync.js';
import { forgeChange, newAuthor, openInner, sealChanges, sealInner } from '../../helpers/forgeEntry.js';
import { conversationWith, FakeLog, pushAll } from '../../helpers/syncFixtures.js';
import { docOf, headsOf, messageIds } from '../../helpers/syncInspect.js';

/**
 * How DocSync judges entries from the log (SECURITY-RULES.md rules 7, 12 and 14). Each attack is
 * built the way an attacker would: a real content key, a valid AEAD and a valid entry signature,
 * so only the check named by the test stands in the way. Each has a positive control built the
 * same way by someone entitled to it.
 */

beforeAll(async () => {
	await readyCrypto();
});

type Conversation = Awaited<ReturnType<typeof conversationWith>>;

function problemsOf(sync: DocSync): DocProblem[] {
	const problems: DocProblem[] = [];
	sync.on('problem', (p) => problems.push(p));
	return problems;
}

/** A conversation whose genesis every member holds. */
async function started(members: number): Promise<Conversation & { log: FakeLog }> {
	const conversation = await conversationWith(members);
	const log = new FakeLog();
	await pushAll(conversation.owner.sync, log);
	for (const { sync } of [conversation.owner, ...conversation.members]) await sync.receive(log.after(0));
	return { ...conversation, log };
}

function message(id: string) {
	return (d: ConversationDoc) => appendMessage(d, { id, author: 'x', sentAt: 1, text: id });
}

function contentKeyOf(c: Conversation): Uint8Array {
	return deriveContentKey(c.created.secret, c.created.doc, 0);
}

const randomActor = () => toHex(crypto.getRandomValues(new Uint8Array(16)));

describe('DocSync rejects entries by authors who may not write (rule 7)', () => {
	it('rejects a whole entry sealed with the right content key by a device that is not a writer', async () => {
		const c = await started(1);
		const outsider = newAuthor(); // learnt the secret, but is in no writers list
		const actor = randomActor();
		const base = docOf(c.members[0].sync);
		const first = forgeChange(base, actor, message('outsider-1'), { claimer: outsider.device, doc: c.created.doc });
		const second = forgeChange(A.applyChanges(A.clone(base), [first])[0], actor, message('outsider-2'));
		const entry = sealChanges({ contentKey: contentKeyOf(c), doc: c.created.doc, epoch: c.owner.sync.head.n, author: outsider, counter: 1, changes: [first, second] });
		const before = headsOf(c.owner.sync);

		await c.owner.sync.receive([{ seq: c.log.append(entry).seq, b: entry }]);

		expect(c.owner.sync.unverifiedCount).toBe(1);
		expect(headsOf(c.owner.sync)).toEqual(before);
		expect(messageIds(c.owner.sync)).toEqual([]);
		expect(c.owner.sync.cursor).toBe(2); // skipped, never blocking what follows
	});

	it('accepts the same kind of entry from an admitted writer (positive control)', async () => {
		const c = await started(1);
		const member = c.members[0].ctx.author;
		const actor = randomActor();
		const change = forgeChange(docOf(c.members[0].sync), actor, message('member-1'), { claimer: member.device, doc: c.created.doc });
		const entry = sealChanges({ contentKey: contentKeyOf(c), doc: c.created.doc, epoch: c.owner.sync.head.n, author: member, counter: 1, changes: [change] });

		await c.owner.sync.receive([{ seq: c.log.append(entry).seq, b: entry }]);

		expect(c.owner.sync.unverifiedCount).toBe(0);
		expect(messageIds(c.owner.sync)).toEqual(['member-1']);
		expect(toHex(c.owner.sync.deviceOfActor(actor)!)).toBe(toHex(member.device.publicKey));
	});

	it('rejects an entry a member sealed under an epoch before it was admitted', async () => {
		const c = await started(1);
		const member = c.members[0].ctx.author;
		const change = forgeChange(docOf(c.members[0].sync), randomActor(), message('backdated'), { claimer: member.device, doc: c.created.doc });
		// Epoch 0 lists only the owner; epochs 0 and 1 share the content key (same generation).
		const entry = sealChanges({ contentKey: contentKeyOf(c), doc: c.created.doc, epoch: 0, author: member, counter: 1, changes: [change] });

		await c.owner.sync.receive([{ seq: c.log.append(entry).seq, b: entry }]);

		expect(c.owner.sync.unverifiedCount).toBe(1);
		expect(messageIds(c.owner.sync)).toEqual([]);
	});

	it('rejects a writer entry re-signed by a key holder who swapped in its own payload', async () => {
		const c = await started(2);
		await c.members[0].sync.change(message('genuine'));
		await c.members[0].sync.commitLocal();
		const genuine = c.members[0].sync.outbox[0].entry;
		const header = genuine.subarray(0, ENTRY_HEADER_BYTES);
		const inner = openInner(contentKeyOf(c), genuine);
		inner[inner.length - 70] ^= 1; // inside the payload: the author's signature no longer covers it

		await c.members[1].sync.receive([{ seq: 2, b: sealInner(contentKeyOf(c), header, inner) }]);

		expect(c.members[1].sync.unverifiedCount).toBe(1);
		expect(messageIds(c.members[1].sync)).toEqual([]);
	});
});

describe('DocSync accepts an actor only from the device that claimed it (rule 12)', () => {
	/** The owner writes once (claiming its handle's actor) and both members receive it. */
	async function ownerHasWritten() {
		const c = await started(2);
		await c.owner.sync.change(message('owner-1'));
		await pushAll(c.owner.sync, c.log);
		for (const member of c.members) await member.sync.receive(c.log.after(member.sync.cursor));
		const ownerActor = A.getActorId(docOf(c.owner.sync));
		expect(toHex(c.members[1].sync.deviceOfActor(ownerActor)!)).toBe(toHex(c.owner.ctx.author.device.publicKey));
		return { ...c, ownerActor };
	}

	it('rejects an entry in which device Y writes under an actor device X claimed (impersonation)', async () => {
		const c = await ownerHasWritten();
		const [mallory, victimReader] = c.members;
		// Mallory continues the owner's actor and signs a fresh claim for it with her own key.
		const forged = forgeChange(docOf(mallory.sync), c.ownerActor, message('fake-owner'), { claimer: mallory.ctx.author.device, doc: c.created.doc });
		const entry = sealChanges({ contentKey: contentKeyOf(c), doc: c.created.doc, epoch: c.owner.sync.head.n, author: mallory.ctx.author, counter: 1, changes: [forged] });

		await victimReader.sync.receive([{ seq: c.log.append(entry).seq, b: entry }]);

		expect(victimReader.sync.unverifiedCount).toBe(1);
		expect(messageIds(victimReader.sync)).toEqual(['owner-1']);
		expect(toHex(victimReader.sync.deviceOfActor(c.ownerActor)!)).toBe(toHex(c.owner.ctx.author.device.publicKey));
	});

	it('rejects an entry that replays another device\'s claim for a fresh actor', async () => {
		const c = await ownerHasWritten();
		const [mallory, reader] = c.members;
		const actor = randomActor();
		// A claim genuinely signed by the owner, copied into Mallory's entry.
		const ownerClaim = makeActorClaimMessage(c.owner.ctx.author.device, c.created.doc, actor);
		const forged = forgeChange(docOf(mallory.sync), actor, message('fake-owner'), { message: ownerClaim });
		const entry = sealChanges({ contentKey: contentKeyOf(c), doc: c.created.doc, epoch: c.owner.sync.head.n, author: mallory.ctx.author, counter: 1, changes: [forged] });

		await reader.sync.receive([{ seq: c.log.append(entry).seq, b: entry }]);

		expect(reader.sync.unverifiedCount).toBe(1);
		expect(reader.sync.deviceOfActor(actor)).toBeUndefined();
	});

	it('rejects a claim made for another document', async () => {
		const c = await ownerHasWritten();
		const [mallory, reader] = c.members;
		const forged = forgeChange(docOf(mallory.sync), randomActor(), message('moved'), { claimer: mallory.ctx.author.device, doc: new Uint8Array(32) });
		const entry = sealChanges({ contentKey: contentKeyOf(c), doc: c.created.doc, epoch: c.owner.sync.head.n, author: mallory.ctx.author, counter: 1, changes: [forged] });

		await reader.sync.receive([{ seq: c.log.append(entry).seq, b: entry }]);

		expect(reader.sync.unverifiedCount).toBe(1);
	});

	it('rejects the first change of an actor that carries no claim', async () => {
		const c = await ownerHasWritten();
		const [mallory, reader] = c.members;
		const unclaimed = forgeChange(docOf(mallory.sync), randomActor(), message('unclaimed'));
		const entry = sealChanges({ contentKey: contentKeyOf(c), doc: c.created.doc, epoch: c.owner.sync.head.n, author: mallory.ctx.author, counter: 1, changes: [unclaimed] });

		await reader.sync.receive([{ seq: c.log.append(entry).seq, b: entry }]);

		expect(reader.sync.unverifiedCount).toBe(1);
		expect(messageIds(reader.sync)).toEqual(['owner-1']);
	});
});

describe('DocSync accepts snapshots only from administering devices (rule 14)', () => {
	it('rejects a snapshot entry sealed by a writer who does not administer the document', async () => {
		const c = await started(1);
		const member = c.members[0].ctx.author; // a writer, not an admin
		const change = forgeChange(docOf(c.members[0].sync), randomActor(), message('compacted'), { claimer: member.device, doc: c.created.doc });
		const entry = sealEntry({
			contentKey: contentKeyOf(c),
			kind: EntryKind.snapshot,
			doc: c.created.doc,
			epoch: c.owner.sync.head.n,
			author: member,
			counter: 1,
			payload: encodeCbor({ c: [change] })
		});

		await c.owner.sync.receive([{ seq: c.log.append(entry).seq, b: entry }]);

		expect(c.owner.sync.unverifiedCount).toBe(1);
		expect(messageIds(c.owner.sync)).toEqual([]);
	});
});

describe('DocSync notices withheld entries (rule 14)', () => {
	it('emits a withheld problem when an author\'s counter skips', async () => {
		const c = await started(1);
		for (const id of ['a', 'b', 'c']) {
			await c.owner.sync.change(message(id));
			await c.owner.sync.commitLocal();
		}
		await pushAll(c.owner.sync, c.log); // counters 2, 3 and 4 at seq 2, 3 and 4
		const member = c.members[0].sync;
		const problems = problemsOf(member);

		await member.receive([c.log.items[1]]);
		expect(problems).toEqual([]);
		await member.receive([c.log.items[3]]); // the relay withholds counter 3

		expect(problems).toEqual([{ kind: 'withheld', author: toHex(c.owner.ctx.author.device.publicKey) }]);
	});

	it('keeps naming the author while a skipped counter is missing, and heals when it arrives', async () => {
		const c = await started(1);
		for (const id of ['a', 'b', 'c']) {
			await c.owner.sync.change(message(id));
			await c.owner.sync.commitLocal();
		}
		await pushAll(c.owner.sync, c.log);
		const member = c.members[0].sync;
		const owner = toHex(c.owner.ctx.author.device.publicKey);

		await member.receive([c.log.items[0], c.log.items[1], c.log.items[3]]);
		expect(member.withheldFrom()).toEqual([owner]);
		expect(member.waitingCount).toBe(1); // counter 4 depends on the missing counter 3

		await member.receive([c.log.items[2]]);
		expect(member.withheldFrom()).toEqual([]);
		expect(member.waitingCount).toBe(0);
		expect(messageIds(member)).toEqual(['a', 'b', 'c']);
	});

	it('emits nothing when every counter arrives in order (control)', async () => {
		const c = await started(1);
		for (const id of ['a', 'b', 'c']) {
			await c.owner.sync.change(message(id));
			await c.owner.sync.commitLocal();
		}
		await pushAll(c.owner.sync, c.log);
		const problems = problemsOf(c.members[0].sync);

		await c.members[0].sync.receive(c.log.after(1));

		expect(problems).toEqual([]);
		expect(messageIds(c.members[0].sync)).toEqual(['a', 'b', 'c']);
	});
});

describe('DocSync and its own entries', () => {
	it('applies its own entries echoed back from the log harmlessly', async () => {
		const c = await started(1);
		await c.owner.sync.change(message('mine'));
		await pushAll(c.owner.sync, c.log);
		const heads = headsOf(c.owner.sync);
		const problems = problemsOf(c.owner.sync);

		await c.owner.sync.receive(c.log.after(c.owner.sync.cursor));
		await c.owner.sync.receive(c.log.after(0)); // and again: duplicates below the cursor

		expect(headsOf(c.owner.sync)).toEqual(heads);
		expect(messageIds(c.owner.sync)).toEqual(['mine']);
		expect(c.owner.sync.cursor).toBe(c.log.items.length);
		expect(c.owner.sync.outbox).toEqual([]);
		expect(await c.owner.sync.commitLocal()).toBe(0); // nothing re-sealed
		expect(problems).toEqual([]);
	});
});

describe('DocSync keeps syncing past entries that arrive early or break Automerge (rule 13)', () => {
	// Regression: a change of an actor whose claim (in the actor's first change) hasn't arrived
	// used to be rejected for good. A device's pipelined pushes can land in the log out of order
	// (the first failed and was retried); the later entry must wait like a missing dependency.
	it('parks, rather than rejects, an entry whose actor claim is in an entry that arrives later', async () => {
		const c = await started(2);
		const [writer, reader] = c.members;
		await writer.sync.change(message('first')); // carries the claim
		await writer.sync.commitLocal();
		await writer.sync.change(message('second'));
		await writer.sync.commitLocal();
		const [e1, e2] = writer.sync.outbox;
		c.log.append(e2.entry); // seq 2: the retry of e1 landed after it
		c.log.append(e1.entry); // seq 3

		await reader.sync.receive(c.log.after(reader.sync.cursor));
		await reader.sync.retryInbox();

		expect(reader.sync.unverifiedCount).toBe(0);
		expect(messageIds(reader.sync)).toEqual(['first', 'second']);
	});

	// Regression: two changes with the same (actor, seq) make Automerge's applyChanges throw
	// ("duplicate seq"). Unless that entry is rejected alone, receive fails on it forever and one
	// admitted writer stops the document syncing for everyone.
	it('rejects an entry that reuses an actor\'s sequence number without blocking later entries', async () => {
		const c = await started(2);
		const [mallory, reader] = c.members;
		const actor = randomActor();
		const claim = { claimer: mallory.ctx.author.device, doc: c.created.doc };
		const base = docOf(mallory.sync);
		const one = forgeChange(base, actor, message('one'), claim);
		const twin = forgeChange(base, actor, message('twin'), claim); // same actor, same seq
		const key = contentKeyOf(c);
		const epoch = c.owner.sync.head.n;
		for (const [counter, change] of [[1, one], [2, twin]] as const) {
			c.log.append(sealChanges({ contentKey: key, doc: c.created.doc, epoch, author: mallory.ctx.author, counter, changes: [change] }));
		}
		await c.owner.sync.change(message('later'));
		await pushAll(c.owner.sync, c.log);

		await reader.sync.receive(c.log.after(reader.sync.cursor));

		expect(reader.sync.cursor).toBe(c.log.items.length);
		expect(messageIds(reader.sync)).toContain('later');
	});

	// Regression: openEntry threw for a counter ≥ 2^53 (see tests/unit/crypto/entry.test.ts), so
	// receive failed and the cursor stuck behind that entry.
	it('skips an entry whose counter is out of range without blocking later entries', async () => {
		const c = await started(2);
		const [mallory, reader] = c.members;
		await mallory.sync.change(message('huge-counter'));
		await mallory.sync.commitLocal();
		const genuine = mallory.sync.outbox[0].entry;
		const inner = openInner(contentKeyOf(c), genuine);
		inner.fill(0xff, 48, 56);
		c.log.append(sealInner(contentKeyOf(c), genuine.subarray(0, ENTRY_HEADER_BYTES), inner));
		await c.owner.sync.change(message('later'));
		await pushAll(c.owner.sync, c.log);

		await reader.sync.receive(c.log.after(reader.sync.cursor));

		expect(reader.sync.cursor).toBe(c.log.items.length);
		expect(messageIds(reader.sync)).toEqual(['later']);
	});
});
