import { describe, expect, it } from 'vitest';
import { randomBytes, sign, Tag } from '../../../src/lib/crypto/primitives.js';
import { encodeCbor, decodeCbor } from '../../../src/lib/protocol/cbor.js';
import { equalBytes } from '../../../src/lib/protocol/bytes.js';
import { RelayClient } from '../../helpers/relayClient.js';
import { connectAs, createDoc, makeDoc, makeEnvelope, newDevice, useRelay } from './fixtures.js';

const env = useRelay();
const track = env.track;

/** A document administered by `admin`, with `writer` as a writer who doesn't administer. */
async function setup() {
	const admin = newDevice();
	const writer = newDevice();
	const doc = makeDoc(admin, { writers: [admin, writer] });
	const a = track(await createDoc(env.relay.url, admin, doc));
	return { admin, writer, doc, a };
}

/** Re-encodes a signed record with some outer fields replaced. */
function withOuter(record: Uint8Array, fields: Record<string, Uint8Array>): Uint8Array {
	return encodeCbor({ ...(decodeCbor(record) as Record<string, unknown>), ...fields });
}

describe('relay: key envelopes (rule 3)', () => {
	it("delivers an admin's envelope live and from the mailbox; ack deletes only the device's own", async () => {
		const { admin, doc, a } = await setup();
		const bob = newDevice();
		const carol = newDevice();
		const b = track(await connectAs(env.relay.url, bob));
		const c = track(await connectAs(env.relay.url, carol));

		const envelope = makeEnvelope(admin, { doc: doc.id, to: bob.publicKey });
		const sent = await a.request('mail.send', { to: bob.publicKey, envelope });
		const push = await b.waitForPush('mail');
		expect(push.items[0].seq).toBe(sent.id);
		expect(equalBytes(push.items[0].b, envelope)).toBe(true);
		expect(c.pushes).toEqual([]);

		const fetched = await b.request('mail.fetch', {});
		expect(fetched.items).toHaveLength(1);
		expect((await c.request('mail.fetch', {})).items).toEqual([]);
		// carol acknowledges bob's item: nothing happens.
		expect(await c.request('mail.ack', { ids: [sent.id as number] })).toMatchObject({ acked: 0 });
		expect((await b.request('mail.fetch', {})).items).toHaveLength(1);

		expect(await b.request('mail.ack', { ids: [sent.id as number] })).toMatchObject({ acked: 1 });
		expect((await b.request('mail.fetch', {})).items).toEqual([]);
	});

	it('keeps mail for an offline device until it fetches', async () => {
		const { admin, doc, a } = await setup();
		const bob = newDevice();
		const envelopes = [1, 2, 3].map((n) =>
			makeEnvelope(admin, { doc: doc.id, to: bob.publicKey, n: 0, gen: n })
		);
		for (const envelope of envelopes) await a.request('mail.send', { to: bob.publicKey, envelope });

		const b = track(await connectAs(env.relay.url, bob));
		const { items } = (await b.request('mail.fetch', {})) as unknown as {
			items: { seq: number; b: Uint8Array }[];
		};
		expect(items).toHaveLength(3);
		items.forEach((item, i) => expect(equalBytes(item.b, envelopes[i])).toBe(true));
		expect(items[0].seq).toBeLessThan(items[1].seq);
	});

	it('refuses mail.send by a device that does not administer the document (not-admin)', async () => {
		const { writer, doc } = await setup();
		const bob = newDevice();
		const w = track(await connectAs(env.relay.url, writer));
		const envelope = makeEnvelope(writer, { doc: doc.id, to: bob.publicKey });
		expect(await w.requestRaw('mail.send', { to: bob.publicKey, envelope })).toMatchObject({
			t: 'err',
			code: 'not-admin'
		});
		const b = track(await connectAs(env.relay.url, bob));
		expect((await b.request('mail.fetch', {})).items).toEqual([]);
	});

	it('refuses forged, unsigned, misaddressed and relayed envelopes', async () => {
		const { admin, writer, doc, a } = await setup();
		const bob = newDevice();
		const to = bob.publicKey;
		const good = makeEnvelope(admin, { doc: doc.id, to });
		const outer = decodeCbor(good) as { body: Uint8Array };
		const body = decodeCbor(outer.body) as Record<string, unknown>;

		// The body changed after signing (a fake secret slipped in).
		const forgedBody = encodeCbor({ ...body, sealed: randomBytes(80) });
		const forged = withOuter(good, { body: forgedBody });
		// No signature at all.
		const unsigned = withOuter(good, { sig: new Uint8Array(64) });
		// The writer signs and claims to be the admin.
		const impostor = withOuter(makeEnvelope(writer, { doc: doc.id, to }), {
			signer: admin.publicKey
		});
		// A signature made for another purpose over the same bytes (domain separation, rule 6).
		const otherTag = withOuter(good, { sig: sign(admin.privateKey, Tag.epoch, outer.body) });
		for (const envelope of [forged, unsigned, impostor, otherTag]) {
			const answer = await a.requestRaw('mail.send', { to, envelope });
			expect(answer).toMatchObject({ t: 'err', code: 'bad-signature' });
		}

		// Valid, but addressed to someone else than `to`.
		const misaddressed = await a.requestRaw('mail.send', { to: writer.publicKey, envelope: good });
		expect(misaddressed).toMatchObject({ code: 'bad-record' });
		// Valid, but sent by a device other than its signer.
		const w = track(await connectAs(env.relay.url, writer));
		expect(await w.requestRaw('mail.send', { to, envelope: good })).toMatchObject({
			code: 'bad-signature'
		});
		// For a document the relay doesn't know; and without hello.
		const unknown = makeEnvelope(admin, { doc: randomBytes(32), to });
		expect(await a.requestRaw('mail.send', { to, envelope: unknown })).toMatchObject({
			code: 'unknown-doc'
		});
		const anonymous = track(await RelayClient.connect(env.relay.url));
		expect(await anonymous.requestRaw('mail.send', { to, envelope: good })).toMatchObject({
			code: 'unauthenticated'
		});

		const b = track(await connectAs(env.relay.url, bob));
		expect((await b.request('mail.fetch', {})).items).toEqual([]);
	});
});
