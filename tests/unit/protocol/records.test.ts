import { beforeAll, describe, expect, it } from 'vitest';
import { deriveAccessKey } from '../../../src/lib/crypto/documentKeys.js';
import {
	generateBoxKeyPair,
	generateSignKeyPair,
	openFromSealedBox,
	seal,
	signKeyPairFromSeed,
	Tag,
	type SignKeyPair
} from '../../../src/lib/crypto/primitives.js';
import { readyCrypto } from '../../../src/lib/crypto/sodium.js';
import { fromHex, toHex } from '../../../src/lib/protocol/bytes.js';
import { decodeCbor, encodeCbor } from '../../../src/lib/protocol/cbor.js';
import {
	docIdOfGenesis,
	encodeSignedRecord,
	openEnvelopeRecord,
	verifyChain,
	verifyEpochRecord,
	verifyGenesis,
	type EpochState
} from '../../../src/lib/protocol/records.js';
import {
	createAddMemberRecord,
	createPostingRecord,
	createAddWriterRecord,
	createEnvelope,
	createRotationRecord,
	createWritersRecord,
	createGenesis,
	secretMatchesEpoch
} from '../../../src/lib/sync/documentRecords.js';

const SECRET = fromHex('000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f');
const NEW_SECRET = fromHex('ff'.repeat(32));

/**
 * A genesis record signed by the RFC 8032 test-1 key over fixed fields (salt 0x5a…, access key
 * from SECRET), and its document id, computed once and pinned.
 */
const GOLDEN_GENESIS =
	'b9000364626f647958e2b9000861746767656e65736973617601646b696e646c636f6e766572736174696f6e6473616c74505a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a6763726561746f725820d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a6661646d696e73815820d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a6777726974657273815820d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a68616363657373506b58207d316bb00a763dc3da571ce82e55a4e209ae50922e4a9c4f383a0f7aca275475667369676e65725820d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a63736967584065510979727556daecdfc4203b69bf66b79775f5513a4bb2fe17bdd6b2a19a26e02eb99989225a5393c4ea77b5d5601ac577fa1037df6adf49525cca1921b202';
const GOLDEN_DOC = '534e63dae8d0346c35599e4fd4670fe5d30c0fc4c8e74093807c780ae22a3646';

let admin: SignKeyPair;
let writer: SignKeyPair;
let outsider: SignKeyPair;
let genesis: Uint8Array;
let head0: EpochState;

beforeAll(async () => {
	await readyCrypto();
	admin = signKeyPairFromSeed(fromHex('9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60'));
	writer = signKeyPairFromSeed(fromHex('4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb'));
	outsider = signKeyPairFromSeed(fromHex('c5'.repeat(32)));
	genesis = fromHex(GOLDEN_GENESIS);
	const verified = verifyGenesis(genesis);
	if (!verified.ok) throw new Error(verified.why);
	head0 = verified.value;
});

function genesisBody(overrides: Record<string, unknown> = {}) {
	return {
		t: 'genesis',
		v: 1,
		kind: 'conversation',
		salt: fromHex('5a'.repeat(16)),
		creator: admin.publicKey,
		admins: [admin.publicKey],
		writers: [admin.publicKey],
		accessPk: deriveAccessKey(SECRET, 0).publicKey,
		...overrides
	};
}

/** The epoch record that extends `head` correctly; overrides make it wrong. */
function epochBody(head: EpochState, overrides: Record<string, unknown> = {}) {
	return {
		t: 'epoch',
		v: 1,
		doc: head.doc,
		n: head.n + 1,
		prev: head.hash,
		gen: head.gen,
		accessPk: head.accessPk,
		admins: head.admins,
		writers: [...head.writers, writer.publicKey],
		...overrides
	};
}

function epoch(head: EpochState, signer: SignKeyPair, overrides: Record<string, unknown> = {}) {
	return encodeSignedRecord(epochBody(head, overrides), Tag.epoch, signer);
}

function mustExtend(head: EpochState, record: Uint8Array): EpochState {
	const next = verifyEpochRecord(head, record);
	if (!next.ok) throw new Error(next.why);
	return next.value;
}

/** Re-encodes a signed record with one outer field changed, keeping the others. */
function editOuter(record: Uint8Array, change: (outer: Record<string, unknown>) => void): Uint8Array {
	const outer = decodeCbor(record) as Record<string, unknown>;
	change(outer);
	return encodeCbor(outer);
}

describe('verifyGenesis', () => {
	it('verifies the golden genesis; its document id is the hash of its body (pinned vector)', () => {
		const body = (decodeCbor(genesis) as { body: Uint8Array }).body;

		expect(toHex(head0.doc)).toBe(GOLDEN_DOC);
		expect(toHex(docIdOfGenesis(body))).toBe(GOLDEN_DOC);
		expect(head0).toMatchObject({ n: 0, gen: 0, kind: 'conversation' });
		expect(toHex(head0.hash)).toBe(GOLDEN_DOC);
	});

	it('gives another id to a genesis with another salt, so nobody can squat an id', () => {
		const record = encodeSignedRecord(genesisBody({ salt: fromHex('5b'.repeat(16)) }), Tag.genesis, admin);
		const verified = verifyGenesis(record);

		expect(verified.ok && toHex(verified.value.doc)).not.toBe(GOLDEN_DOC);
	});

	it('rejects a genesis signed by someone other than its creator', () => {
		const record = encodeSignedRecord(genesisBody(), Tag.genesis, outsider);

		expect(verifyGenesis(record)).toEqual({ ok: false, why: 'signer is not the creator' });
	});

	it('rejects a genesis whose creator is not an admin', () => {
		const record = encodeSignedRecord(genesisBody({ admins: [writer.publicKey] }), Tag.genesis, admin);

		expect(verifyGenesis(record)).toEqual({ ok: false, why: 'creator is not an admin' });
	});

	it('rejects a genesis signed under the epoch tag (domain separation)', () => {
		const record = encodeSignedRecord(genesisBody(), Tag.epoch, admin);

		expect(verifyGenesis(record)).toEqual({ ok: false, why: 'bad signature' });
	});

	it('rejects a flipped body byte, a flipped signature and a swapped signer', () => {
		const flippedBody = editOuter(genesis, (o) => {
			const body = (o.body as Uint8Array).slice();
			body[body.length - 1] ^= 1;
			o.body = body;
		});
		const flippedSig = editOuter(genesis, (o) => {
			const sig = (o.sig as Uint8Array).slice();
			sig[0] ^= 1;
			o.sig = sig;
		});
		const swapped = editOuter(genesis, (o) => (o.signer = writer.publicKey));

		expect(verifyGenesis(flippedBody).ok).toBe(false);
		expect(verifyGenesis(flippedSig)).toEqual({ ok: false, why: 'bad signature' });
		expect(verifyGenesis(swapped)).toEqual({ ok: false, why: 'bad signature' });
	});

	it('rejects malformed bodies: wrong type, version, kind, salt, key lists', () => {
		const bad = [
			genesisBody({ t: 'epoch' }),
			genesisBody({ v: 2 }),
			genesisBody({ kind: 7 }),
			genesisBody({ kind: 'k'.repeat(33) }),
			genesisBody({ salt: new Uint8Array(15) }),
			genesisBody({ accessPk: new Uint8Array(31) }),
			genesisBody({ admins: [] }),
			genesisBody({ writers: [new Uint8Array(31)] }),
			genesisBody({ writers: 'everyone' })
		];

		for (const body of bad) expect(verifyGenesis(encodeSignedRecord(body, Tag.genesis, admin)).ok).toBe(false);
	});

	it('rejects malformed CBOR and wrongly shaped outer records without throwing', () => {
		const bad = [
			new Uint8Array(0),
			new Uint8Array([0xff]),
			genesis.subarray(0, genesis.length - 1),
			encodeCbor([1, 2]),
			encodeCbor({ body: 'text', signer: admin.publicKey, sig: new Uint8Array(64) }),
			editOuter(genesis, (o) => (o.body = encodeCbor([1]))),
			editOuter(genesis, (o) => (o.body = new Uint8Array([0xff, 0x00]))),
			editOuter(genesis, (o) => delete o.sig)
		];

		for (const bytes of bad) expect(verifyGenesis(bytes).ok).toBe(false);
	});
});

describe('verifyEpochRecord (rule 2: epochs form a signed chain)', () => {
	it('accepts a record by an admin that extends the head', () => {
		const next = mustExtend(head0, epoch(head0, admin));

		expect(next.n).toBe(1);
		expect(next.writers.map(toHex)).toContain(toHex(writer.publicKey));
		expect(toHex(next.hash)).not.toBe(toHex(head0.hash));
	});

	it('rejects a record signed by a writer who does not administer the document', () => {
		const head1 = mustExtend(head0, epoch(head0, admin));
		// Attack: a writer promotes itself to admin.
		const record = epoch(head1, writer, { admins: [admin.publicKey, writer.publicKey] });

		expect(verifyEpochRecord(head1, record)).toEqual({ ok: false, why: 'signer does not administer the document' });
	});

	it('rejects a record signed by an admin the previous epoch removed', () => {
		const both = mustExtend(head0, epoch(head0, admin, { admins: [admin.publicKey, writer.publicKey] }));
		const removed = mustExtend(both, epoch(both, admin, { admins: [admin.publicKey] }));
		// Attack: the removed admin appends a record that brings itself back.
		const record = epoch(removed, writer, { admins: [admin.publicKey, writer.publicKey] });

		expect(verifyEpochRecord(both, epoch(both, writer)).ok).toBe(true);
		expect(verifyEpochRecord(removed, record).ok).toBe(false);
	});

	it('rejects a record that does not extend the head: wrong prev or wrong number', () => {
		const head1 = mustExtend(head0, epoch(head0, admin));

		expect(verifyEpochRecord(head1, epoch(head1, admin, { prev: head0.hash })).ok).toBe(false);
		expect(verifyEpochRecord(head1, epoch(head1, admin, { n: 3 })).ok).toBe(false);
		expect(verifyEpochRecord(head1, epoch(head1, admin, { n: 1 })).ok).toBe(false);
		// Rollback: replaying record 1 against head 1.
		expect(verifyEpochRecord(head1, epoch(head0, admin)).ok).toBe(false);
	});

	it('rejects a record of another document', () => {
		const other = createGenesis(admin, 'conversation');
		const otherHead = verifyGenesis(other.genesis);
		if (!otherHead.ok) throw new Error(otherHead.why);
		const record = epoch(otherHead.value, admin, { prev: head0.hash });

		expect(verifyEpochRecord(head0, record)).toEqual({ ok: false, why: 'another document' });
	});

	it('rejects a record that changes the access key without a new key generation', () => {
		// Attack: swap in an access key derived from a secret the removed member still knows.
		const record = epoch(head0, admin, { accessPk: deriveAccessKey(NEW_SECRET, 0).publicKey });

		expect(verifyEpochRecord(head0, record)).toEqual({ ok: false, why: 'access key changed without a new generation' });
	});

	it('accepts a rotation to generation + 1 carrying the sealed previous secret', () => {
		const rotation = epoch(head0, admin, {
			gen: 1,
			accessPk: deriveAccessKey(NEW_SECRET, 1).publicKey,
			writers: [admin.publicKey],
			sealedPrev: seal(NEW_SECRET, SECRET, new Uint8Array(0))
		});
		const next = mustExtend(head0, rotation);

		expect(next.gen).toBe(1);
		expect(secretMatchesEpoch(NEW_SECRET, next)).toBe(true);
		expect(secretMatchesEpoch(SECRET, next)).toBe(false);
	});

	it('rejects a skipped generation or a rotation without the sealed previous secret', () => {
		const accessPk = deriveAccessKey(NEW_SECRET, 2).publicKey;
		const sealedPrev = seal(NEW_SECRET, SECRET, new Uint8Array(0));

		expect(verifyEpochRecord(head0, epoch(head0, admin, { gen: 2, accessPk, sealedPrev })).ok).toBe(false);
		expect(verifyEpochRecord(head0, epoch(head0, admin, { gen: 1, accessPk })).ok).toBe(false);
		expect(verifyEpochRecord(head0, epoch(head0, admin, { gen: 1, accessPk, sealedPrev: 'x' })).ok).toBe(false);
	});

	it('rejects an epoch body signed under the genesis tag, and malformed bodies', () => {
		expect(verifyEpochRecord(head0, encodeSignedRecord(epochBody(head0), Tag.genesis, admin)).ok).toBe(false);
		for (const overrides of [{ t: 'genesis' }, { v: 0 }, { n: -1 }, { n: 1.5 }, { doc: new Uint8Array(31) }, { writers: [] }, { gen: 'x' }]) {
			expect(verifyEpochRecord(head0, epoch(head0, admin, overrides)).ok).toBe(false);
		}
		expect(verifyEpochRecord(head0, new Uint8Array([0xa1, 0x61])).ok).toBe(false);
	});
});

describe('readers (rule 7: members who may read but not write)', () => {
	it('lists a reader apart from the writers, and moves a reader who becomes a writer', () => {
		const head1 = mustExtend(head0, createAddMemberRecord(admin, head0, writer.publicKey, 'reader'));

		expect(head1.readers.map(toHex)).toEqual([toHex(writer.publicKey)]);
		expect(head1.writers.map(toHex)).toEqual([toHex(admin.publicKey)]);
		expect(head0.readers).toEqual([]);
		const head2 = mustExtend(head1, createAddMemberRecord(admin, head1, writer.publicKey, 'writer'));
		expect(head2.readers).toEqual([]);
		expect(head2.writers.map(toHex)).toContain(toHex(writer.publicKey));
	});

	it('keeps readers through a rotation, except the removed ones', () => {
		const head1 = mustExtend(head0, createAddMemberRecord(admin, head0, writer.publicKey, 'reader'));
		const head2 = mustExtend(head1, createAddMemberRecord(admin, head1, outsider.publicKey, 'reader'));
		const rotation = createRotationRecord(admin, head2, SECRET, [outsider.publicKey]);
		const head3 = mustExtend(head2, rotation.record);

		expect(head3.readers.map(toHex)).toEqual([toHex(writer.publicKey)]);
		expect(rotation.readers.map(toHex)).toEqual([toHex(writer.publicKey)]);
	});

	it('lists a writer a role change leaves out of the writers as a reader, never dropping them', () => {
		const head1 = mustExtend(head0, createAddMemberRecord(admin, head0, writer.publicKey, 'writer'));
		const head2 = mustExtend(head1, createAddMemberRecord(admin, head1, outsider.publicKey, 'reader'));
		const head3 = mustExtend(head2, createWritersRecord(admin, head2, { admins: [admin.publicKey], writers: [admin.publicKey] }));

		expect(head3.writers.map(toHex)).toEqual([toHex(admin.publicKey)]);
		expect(head3.readers.map(toHex).sort()).toEqual([toHex(writer.publicKey), toHex(outsider.publicKey)].sort());
	});

	it('"may post" after admission: a reader becomes a writer and back, same secret, never dropped', () => {
		const head1 = mustExtend(head0, createAddMemberRecord(admin, head0, writer.publicKey, 'reader'));
		const head2 = mustExtend(head1, createAddMemberRecord(admin, head1, outsider.publicKey, 'reader'));

		const allowed = mustExtend(head2, createPostingRecord(admin, head2, [writer.publicKey], true)!);
		expect(allowed.writers.map(toHex)).toEqual([admin, writer].map((k) => toHex(k.publicKey)));
		expect(allowed.readers.map(toHex)).toEqual([toHex(outsider.publicKey)]);
		expect([allowed.gen, toHex(allowed.accessPk)]).toEqual([head2.gen, toHex(head2.accessPk)]);
		// Nothing to do when the head already says so.
		expect(createPostingRecord(admin, allowed, [writer.publicKey], true)).toBeUndefined();

		const stopped = mustExtend(allowed, createPostingRecord(admin, allowed, [writer.publicKey], false)!);
		expect(stopped.writers.map(toHex)).toEqual([toHex(admin.publicKey)]);
		expect(stopped.readers.map(toHex).sort()).toEqual([toHex(writer.publicKey), toHex(outsider.publicKey)].sort());
		expect(stopped.gen).toBe(head2.gen);
		expect(createPostingRecord(admin, stopped, [writer.publicKey], false)).toBeUndefined();
	});

	it('"may post" lists no stranger and never stops an administrator; only an administrator signs it', () => {
		const stranger = generateSignKeyPair();
		const head1 = mustExtend(head0, createAddMemberRecord(admin, head0, writer.publicKey, 'reader'));
		// A device the chain doesn't list (e.g. revoked, or never let in) is not made a writer.
		const next = mustExtend(head1, createPostingRecord(admin, head1, [writer.publicKey, stranger.publicKey], true)!);
		expect(next.writers.map(toHex)).not.toContain(toHex(stranger.publicKey));
		expect(next.readers.map(toHex)).not.toContain(toHex(stranger.publicKey));
		expect(createPostingRecord(admin, head1, [stranger.publicKey], true)).toBeUndefined();
		expect(() => createPostingRecord(admin, head1, [admin.publicKey], false)).toThrow('always posts');
		// Attack: the reader signs its own promotion; the chain refuses it.
		expect(verifyEpochRecord(head1, createPostingRecord(writer, head1, [writer.publicKey], true)!).ok).toBe(false);
	});

	it('rejects malformed reader lists, and a writer adding itself as a reader', () => {
		for (const readers of [[new Uint8Array(31)], 'x', [1], new Array(1001).fill(writer.publicKey)]) {
			expect(verifyEpochRecord(head0, epoch(head0, admin, { readers })).ok).toBe(false);
		}
		expect(verifyEpochRecord(head0, epoch(head0, admin, { readers: [] })).ok).toBe(true);
		// Attack: a non-administering device signs a record that lists it.
		expect(verifyEpochRecord(head0, epoch(head0, writer, { readers: [writer.publicKey] })).ok).toBe(false);
	});
});

describe('verifyChain', () => {
	it('verifies a chain built by documentRecords and rejects one edited in the middle', () => {
		const head1 = mustExtend(head0, createAddWriterRecord(admin, head0, writer.publicKey));
		const record1 = createAddWriterRecord(admin, head0, writer.publicKey);
		const head1b = mustExtend(head0, record1);
		const record2 = createAddWriterRecord(admin, head1b, outsider.publicKey);
		const chain = [genesis, record1, record2];
		const forged = [genesis, epoch(head0, admin, { writers: [outsider.publicKey] }), record2];

		expect(toHex(head1.hash)).toBe(toHex(head1b.hash));
		const verified = verifyChain(head0.doc, chain);
		expect(verified.ok && verified.value.map((s) => s.n)).toEqual([0, 1, 2]);
		expect(verifyChain(head0.doc, forged)).toEqual({ ok: false, why: 'does not extend the head' });
		expect(verifyChain(head0.doc, [genesis, record2, record1]).ok).toBe(false);
	});

	it('rejects an empty chain and the genesis of another document', () => {
		const other = createGenesis(admin, 'conversation');

		expect(verifyChain(head0.doc, [])).toEqual({ ok: false, why: 'empty chain' });
		expect(verifyChain(head0.doc, [other.genesis])).toEqual({ ok: false, why: 'genesis of another document' });
	});
});

describe('openEnvelopeRecord (rule 3: key envelopes are signed)', () => {
	it('opens a signed envelope whose secret only the recipient box key unseals', () => {
		const box = generateBoxKeyPair();
		const bytes = createEnvelope(admin, head0, SECRET, { device: writer.publicKey, boxPk: box.publicKey });
		const opened = openEnvelopeRecord(bytes);

		expect(opened.ok).toBe(true);
		if (!opened.ok) return;
		expect(toHex(opened.value.signer)).toBe(toHex(admin.publicKey));
		expect(opened.value.body).toMatchObject({ n: 0, gen: 0 });
		expect(openFromSealedBox(box, opened.value.body.sealed)).toEqual(SECRET);
		expect(openFromSealedBox(generateBoxKeyPair(), opened.value.body.sealed)).toBeUndefined();
	});

	it('rejects a fake secret swapped into a signed envelope', () => {
		// Attack: crypto_box_seal is anonymous, so anyone can seal a secret to the recipient;
		// only the admin's signature over the sealed bytes tells a real envelope from a fake.
		const box = generateBoxKeyPair();
		const real = createEnvelope(admin, head0, SECRET, { device: writer.publicKey, boxPk: box.publicKey });
		const fake = createEnvelope(outsider, head0, NEW_SECRET, { device: writer.publicKey, boxPk: box.publicKey });
		const spliced = editOuter(real, (o) => {
			const body = decodeCbor(o.body as Uint8Array) as Record<string, unknown>;
			body.sealed = (decodeCbor((decodeCbor(fake) as { body: Uint8Array }).body) as { sealed: Uint8Array }).sealed;
			o.body = encodeCbor(body);
		});

		expect(openEnvelopeRecord(spliced)).toEqual({ ok: false, why: 'bad signature' });
	});

	it('rejects an envelope re-addressed to another device or another epoch', () => {
		const box = generateBoxKeyPair();
		const real = createEnvelope(admin, head0, SECRET, { device: writer.publicKey, boxPk: box.publicKey });
		const readdress = (field: string, value: unknown) =>
			editOuter(real, (o) => {
				const body = decodeCbor(o.body as Uint8Array) as Record<string, unknown>;
				body[field] = value;
				o.body = encodeCbor(body);
			});

		expect(openEnvelopeRecord(readdress('to', outsider.publicKey)).ok).toBe(false);
		expect(openEnvelopeRecord(readdress('n', 5)).ok).toBe(false);
		expect(openEnvelopeRecord(readdress('doc', new Uint8Array(32))).ok).toBe(false);
	});

	it('rejects an envelope signed under another tag, and malformed envelopes', () => {
		const body = { t: 'envelope', v: 1, doc: head0.doc, n: 0, gen: 0, to: writer.publicKey, sealed: new Uint8Array(48) };

		expect(openEnvelopeRecord(encodeSignedRecord(body, Tag.epoch, admin))).toEqual({ ok: false, why: 'bad signature' });
		expect(openEnvelopeRecord(encodeSignedRecord(body, Tag.envelope, admin)).ok).toBe(true);
		for (const overrides of [{ t: 'epoch' }, { to: new Uint8Array(31) }, { sealed: 'x' }, { n: -1 }, { gen: undefined }]) {
			const bad = encodeSignedRecord({ ...body, ...overrides }, Tag.envelope, admin);
			expect(openEnvelopeRecord(bad).ok).toBe(false);
		}
		expect(openEnvelopeRecord(new Uint8Array([1, 2, 3])).ok).toBe(false);
	});
});
