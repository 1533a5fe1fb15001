import { beforeAll, describe, expect, it } from 'vitest';
import {
	generateBoxKeyPair,
	generateSignKeyPair,
	openFromSealedBox,
	randomBytes,
	Tag
} from '../../../src/lib/crypto/primitives.js';
import { readyCrypto } from '../../../src/lib/crypto/sodium.js';
import { decodeCbor, encodeCbor } from '../../../src/lib/protocol/cbor.js';
import {
	createHandover,
	openHandoverRecord,
	openLinkInfo,
	parseHandoverContents,
	sealLinkInfo
} from '../../../src/lib/protocol/deviceLink.js';
import { deriveInviteKeys, sealInviteInfo } from '../../../src/lib/protocol/invite.js';
import { encodeSignedRecord } from '../../../src/lib/protocol/records.js';

/**
 * Device links (rules 1, 3 and 6): the sealed link details open only with the link's secret and
 * never pass for an invite's (or the reverse); a handover is signed under its own tag and its
 * contents are sealed to the new device alone.
 */

beforeAll(async () => {
	await readyCrypto();
});

describe('device links', () => {
	it('link details open with the link secret only, and an invite’s details are not a link', () => {
		const invite = randomBytes(16);
		const keys = deriveInviteKeys(randomBytes(16));
		const linker = generateSignKeyPair().publicKey;
		const sealed = sealLinkInfo(keys, invite, { linker, person: linker });

		expect(openLinkInfo(keys, invite, sealed)?.linker).toEqual(linker);
		expect(openLinkInfo(deriveInviteKeys(randomBytes(16)), invite, sealed)).toBeUndefined();
		expect(openLinkInfo(keys, randomBytes(16), sealed)).toBeUndefined();
		const inviteInfo = sealInviteInfo(keys, invite, {
			doc: randomBytes(32),
			inviter: linker,
			inviterName: 'Dr. Rivera',
			title: 'Check-ins',
			kind: 'conversation'
		});
		expect(openLinkInfo(keys, invite, inviteInfo)).toBeUndefined();
	});

	it('a handover is sealed to the new device and signed under its own tag', () => {
		const linker = generateSignKeyPair();
		const box = generateBoxKeyPair();
		const device = generateSignKeyPair().publicKey;
		const invite = randomBytes(16);
		const contents = {
			person: linker.publicKey,
			name: 'Dr. Rivera',
			records: [randomBytes(100)],
			labels: { ['ab'.repeat(32)]: 'Tablet' },
			docs: [{ doc: randomBytes(32), kind: 'board' as const }]
		};
		const bytes = createHandover(linker, invite, { device, boxPk: box.publicKey }, contents);

		const opened = openHandoverRecord(bytes);
		expect(opened.ok && opened.value.signer).toEqual(linker.publicKey);
		const body = opened.ok ? opened.value.body : undefined;
		const plain = openFromSealedBox(box, body!.sealed);
		expect(parseHandoverContents(plain!)).toEqual(contents);
		expect(openFromSealedBox(generateBoxKeyPair(), body!.sealed)).toBeUndefined();
		expect(new TextDecoder('latin1').decode(bytes)).not.toContain('Tablet');

		// The same body signed under the envelope tag is not a handover.
		const outer = decodeCbor(bytes) as { body: Uint8Array };
		const retagged = encodeSignedRecord(decodeCbor(outer.body) as object, Tag.envelope, linker);
		expect(openHandoverRecord(retagged).ok).toBe(false);
	});

	it('malformed handover contents are refused, not half-applied', () => {
		const person = randomBytes(32);
		const good = { person, name: 'Sam', records: [], labels: {}, docs: [] };
		expect(parseHandoverContents(encodeCbor(good))).toBeDefined();
		for (const bad of [
			{ ...good, person: randomBytes(31) },
			{ ...good, name: 7 },
			{ ...good, records: ['not bytes'] },
			{ ...good, docs: [{ doc: randomBytes(32), kind: 'audit' }] },
			{ ...good, labels: null }
		]) {
			expect(parseHandoverContents(encodeCbor(bad))).toBeUndefined();
		}
		expect(parseHandoverContents(randomBytes(40))).toBeUndefined();
	});
});
