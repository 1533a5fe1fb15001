import { describe, expect, it } from 'vitest';
import { randomBytes, type SignKeyPair } from '../../../src/lib/crypto/primitives.js';
import { signAccessProof, signDeviceAuth } from '../../../src/lib/protocol/auth.js';
import { equalBytes } from '../../../src/lib/protocol/bytes.js';
import { RelayClient } from '../../helpers/relayClient.js';
import {
	connectAs,
	createDoc,
	fakeEntry,
	makeDoc,
	makeEpoch,
	newAccessKey,
	newDevice,
	type TestDoc,
	useRelay
} from './fixtures.js';

const env = useRelay();
const track = env.track;

/** A registered document with one stored entry; alice created it and administers and writes it. */
async function docWithEntry(otherWriters: SignKeyPair[] = []) {
	const alice = newDevice();
	const doc = makeDoc(alice, { writers: [alice, ...otherWriters] });
	const owner = track(await createDoc(env.relay.url, alice, doc));
	await owner.request('push', { doc: doc.id, entry: fakeEntry(doc.id) });
	return { alice, doc, owner };
}

/** Expects that the connection can neither read the log nor the chain, nor write. */
async function expectNoAccess(client: RelayClient, doc: TestDoc) {
	const reads = [
		await client.requestRaw('sub', { doc: doc.id, after: 0 }),
		await client.requestRaw('doc.chain', { doc: doc.id, from: 0 }),
		await client.requestRaw('push', { doc: doc.id, entry: fakeEntry(doc.id) })
	];
	for (const answer of reads) expect(answer).toMatchObject({ t: 'err', code: expect.any(String) });
	expect(reads[0]).toMatchObject({ code: 'no-access' });
	expect(reads[1]).toMatchObject({ code: 'no-access' });
	expect(client.entries(doc.id)).toEqual([]);
}

describe('relay: read access (rule 4)', () => {
	it('refuses a proof made without the access key, whatever key it names', async () => {
		const { doc } = await docWithEntry();
		const mallory = track(await connectAs(env.relay.url, newDevice()));
		const own = newAccessKey();

		// Names the document's access key, signed with another key.
		const forged = signAccessProof(own, mallory.origin, mallory.challenge, doc.id, 0);
		const withRealPk = { doc: doc.id, epoch: 0, accessPk: doc.access.publicKey, sig: forged };
		expect(await mallory.requestRaw('doc.open', withRealPk)).toMatchObject({
			code: 'bad-signature'
		});
		// A valid proof of a key that isn't the document's.
		const withOwnPk = { ...withRealPk, accessPk: own.publicKey };
		expect(await mallory.requestRaw('doc.open', withOwnPk)).toMatchObject({ code: 'no-access' });
		// A random signature.
		const random = { ...withRealPk, sig: randomBytes(64) };
		expect(await mallory.requestRaw('doc.open', random)).toMatchObject({ code: 'bad-signature' });

		await expectNoAccess(mallory, doc);
	});

	it('refuses a proof bound to another challenge', async () => {
		const { doc } = await docWithEntry();
		const mallory = track(await RelayClient.connect(env.relay.url));
		const sig = signAccessProof(doc.access, mallory.origin, randomBytes(32), doc.id, 0);
		const answer = await mallory.requestRaw('doc.open', {
			doc: doc.id,
			epoch: 0,
			accessPk: doc.access.publicKey,
			sig
		});
		expect(answer).toMatchObject({ t: 'err', code: 'bad-signature' });
		await expectNoAccess(mallory, doc);
	});

	it('refuses a proof bound to another relay origin (a proof forwarded by a dishonest relay)', async () => {
		const { doc } = await docWithEntry();
		const mallory = track(await RelayClient.connect(env.relay.url));
		const elsewhere = 'relay.attacker.example';
		const sig = signAccessProof(doc.access, elsewhere, mallory.challenge, doc.id, 0);
		const answer = await mallory.requestRaw('doc.open', {
			doc: doc.id,
			epoch: 0,
			accessPk: doc.access.publicKey,
			sig
		});
		expect(answer).toMatchObject({ t: 'err', code: 'bad-signature' });
		await expectNoAccess(mallory, doc);
	});

	it('refuses a valid proof replayed on another connection', async () => {
		const { doc } = await docWithEntry();
		const reader = track(await RelayClient.connect(env.relay.url));
		const sig = signAccessProof(doc.access, reader.origin, reader.challenge, doc.id, 0);
		const open = { doc: doc.id, epoch: 0, accessPk: doc.access.publicKey, sig };
		await reader.request('doc.open', open); // the proof is good where it was made

		const mallory = track(await RelayClient.connect(env.relay.url));
		expect(await mallory.requestRaw('doc.open', open)).toMatchObject({ code: 'bad-signature' });
		await expectNoAccess(mallory, doc);
	});

	it('refuses a device proof (hello) made for another challenge or origin', async () => {
		const device = newDevice();
		const client = track(await RelayClient.connect(env.relay.url));
		const replayed = signDeviceAuth(device, client.origin, randomBytes(32));
		const elsewhere = signDeviceAuth(device, 'relay.attacker.example', client.challenge);
		for (const sig of [replayed, elsewhere]) {
			const answer = await client.requestRaw('hello', { device: device.publicKey, sig });
			expect(answer).toMatchObject({ t: 'err', code: 'bad-signature' });
		}
		expect(await client.requestRaw('mail.fetch', {})).toMatchObject({ code: 'unauthenticated' });
	});

	it('doc.chain gives an opened reader the genesis and every epoch record', async () => {
		const { alice, doc, owner } = await docWithEntry();
		const { record } = makeEpoch(doc, alice, { writers: [alice, newDevice()] });
		await owner.request('epoch.append', { doc: doc.id, record });

		const chain = await owner.request('doc.chain', { doc: doc.id, from: 0 });
		const records = chain.records as Uint8Array[];
		expect(records).toHaveLength(2);
		expect(equalBytes(records[0], doc.genesis) && equalBytes(records[1], record)).toBe(true);
		const tail = await owner.request('doc.chain', { doc: doc.id, from: 1 });
		expect(tail.records).toHaveLength(1);
	});
});

describe('relay: write access and the epoch chain (rules 2 and 7)', () => {
	it('a reader with the access key that is not a listed writer gets not-writer', async () => {
		const { doc, owner } = await docWithEntry();
		const bob = newDevice(); // holds the access key, is not in `writers`
		const reader = track(await connectAs(env.relay.url, bob));
		await reader.openDoc(doc.id, doc.access);
		await reader.request('sub', { doc: doc.id, after: 0 });
		await reader.waitForEntries(doc.id, 1);

		const answer = await reader.requestRaw('push', { doc: doc.id, entry: fakeEntry(doc.id) });
		expect(answer).toMatchObject({ t: 'err', code: 'not-writer' });

		const anonymous = track(await RelayClient.connect(env.relay.url));
		await anonymous.openDoc(doc.id, doc.access);
		const noHello = await anonymous.requestRaw('push', { doc: doc.id, entry: fakeEntry(doc.id) });
		expect(noHello).toMatchObject({ t: 'err', code: 'unauthenticated' });
		// Nothing refused was stored: the writer's next entry is seq 2.
		const next = await owner.request('push', { doc: doc.id, entry: fakeEntry(doc.id) });
		expect(next).toMatchObject({ seq: 2 });
	});

	it('after an epoch.append adds a writer, that device can push; open connections hear the head', async () => {
		const { alice, doc, owner } = await docWithEntry();
		const bob = newDevice();
		const b = track(await connectAs(env.relay.url, bob));
		await b.openDoc(doc.id, doc.access);
		expect(await b.requestRaw('push', { doc: doc.id, entry: fakeEntry(doc.id) })).toMatchObject({
			code: 'not-writer'
		});

		const { record } = makeEpoch(doc, alice, { writers: [alice, bob] });
		expect(await owner.request('epoch.append', { doc: doc.id, record })).toMatchObject({ head: 1 });
		await b.waitForPush('head', (push) => push.n === 1 && equalBytes(push.doc, doc.id));

		expect(await b.request('push', { doc: doc.id, entry: fakeEntry(doc.id, 1) })).toMatchObject({
			seq: 2,
			dup: false
		});
	});

	it('refuses epoch.append signed by a device that does not administer the document', async () => {
		const bob = newDevice();
		const { doc } = await docWithEntry([bob]);
		const b = track(await connectAs(env.relay.url, bob));
		await b.openDoc(doc.id, doc.access);

		// bob writes but doesn't administer: he tries to make himself an admin.
		const { record } = makeEpoch(doc, bob, { admins: [bob], writers: [bob] });
		const answer = await b.requestRaw('epoch.append', { doc: doc.id, record });
		expect(answer).toMatchObject({ t: 'err', code: 'not-admin' });
		const chain = await b.request('doc.chain', { doc: doc.id, from: 0 });
		expect(chain.records).toHaveLength(1);
	});

	it('refuses a record that does not extend the head: a lost race, a replay, a wrong prev', async () => {
		const alice = newDevice();
		const carol = newDevice();
		const doc = makeDoc(alice, { admins: [alice, carol], writers: [alice, carol] });
		const a = track(await createDoc(env.relay.url, alice, doc));
		const c = track(await connectAs(env.relay.url, carol));
		await c.openDoc(doc.id, doc.access);

		// Two admins extend epoch 0 at once; the relay takes one.
		const fromAlice = makeEpoch(doc, alice, { writers: [alice] });
		const fromCarol = makeEpoch(doc, carol, { writers: [carol] });
		await a.request('epoch.append', { doc: doc.id, record: fromAlice.record });
		const lost = await c.requestRaw('epoch.append', { doc: doc.id, record: fromCarol.record });
		expect(lost).toMatchObject({ t: 'err', code: 'conflict' });

		// Replaying the accepted record, and a record for n = 2 whose prev is not record 1.
		const replay = await c.requestRaw('epoch.append', { doc: doc.id, record: fromAlice.record });
		expect(replay).toMatchObject({ code: 'conflict' });
		const forked = makeEpoch(fromCarol.next!, carol, {});
		const wrongPrev = await c.requestRaw('epoch.append', { doc: doc.id, record: forked.record });
		expect(wrongPrev).toMatchObject({ code: 'conflict' });

		// The head is alice's record: carol is no longer a writer.
		const chain = await c.request('doc.chain', { doc: doc.id, from: 1 });
		expect(equalBytes((chain.records as Uint8Array[])[0], fromAlice.record)).toBe(true);
		const push = await c.requestRaw('push', { doc: doc.id, entry: fakeEntry(doc.id, 1) });
		expect(push).toMatchObject({ code: 'not-writer' });
	});

	it('a rotation cuts off connections that proved the old access key', async () => {
		const alice = newDevice();
		const bob = newDevice();
		const doc = makeDoc(alice, { writers: [alice, bob] });
		const a = track(await createDoc(env.relay.url, alice, doc));
		const b = track(await connectAs(env.relay.url, bob));
		await b.openDoc(doc.id, doc.access);
		await b.request('sub', { doc: doc.id, after: 0 });

		// alice removes bob: new key generation, new access key, bob no longer writes.
		const { record, next } = makeEpoch(doc, alice, { writers: [alice], rotate: true });
		await a.request('epoch.append', { doc: doc.id, record });
		await b.waitForPush('head', (push) => push.n === 1);
		await a.openDoc(doc.id, next!.access, 1);
		await a.request('sub', { doc: doc.id, after: 0 });
		await a.request('push', { doc: doc.id, entry: fakeEntry(doc.id, 1) });
		await a.waitForEntries(doc.id, 1);

		expect(b.entries(doc.id)).toEqual([]);
		expect(await b.requestRaw('doc.open', openFields(b, doc, 0))).toMatchObject({
			code: 'no-access'
		});
		expect(await b.requestRaw('sub', { doc: doc.id, after: 0 })).toMatchObject({ code: 'no-access' });
		expect(await b.requestRaw('push', { doc: doc.id, entry: fakeEntry(doc.id) })).toMatchObject({
			code: 'no-access'
		});
		expect(b.entries(doc.id)).toEqual([]);
		// bob, listed by an earlier epoch, may read the chain: the signed record that removed him.
		const chain = await b.request('doc.chain', { doc: doc.id, from: 1 });
		const records = chain.records as Uint8Array[];
		expect(records.map((r) => Buffer.from(r).toString('hex'))).toEqual([Buffer.from(record).toString('hex')]);
		// A device no epoch listed may not (nor may bob's key on a connection without hello).
		const stranger = track(await connectAs(env.relay.url, newDevice()));
		expect(await stranger.requestRaw('doc.chain', { doc: doc.id, from: 0 })).toMatchObject({
			code: 'no-access'
		});
	});

	it('doc.create needs hello and a valid genesis signed by this connection’s device', async () => {
		const alice = newDevice();
		const doc = makeDoc(alice);
		const anonymous = track(await RelayClient.connect(env.relay.url));
		expect(await anonymous.requestRaw('doc.create', { genesis: doc.genesis })).toMatchObject({
			code: 'unauthenticated'
		});

		const mallory = track(await connectAs(env.relay.url, newDevice()));
		expect(await mallory.requestRaw('doc.create', { genesis: doc.genesis })).toMatchObject({
			code: 'bad-signature'
		});
		const tampered = doc.genesis.slice();
		tampered[20] ^= 1;
		const a = track(await connectAs(env.relay.url, alice));
		const answer = await a.requestRaw('doc.create', { genesis: tampered });
		expect(answer).toMatchObject({ t: 'err' });
		expect(['bad-signature', 'bad-record']).toContain((answer as { code: string }).code);
		expect(await a.requestRaw('doc.open', openFields(a, doc, 0))).toMatchObject({
			code: 'unknown-doc'
		});
	});
});

function openFields(client: RelayClient, doc: TestDoc, epoch: number) {
	const sig = signAccessProof(doc.access, client.origin, client.challenge, doc.id, epoch);
	return { doc: doc.id, epoch, accessPk: doc.access.publicKey, sig };
}
