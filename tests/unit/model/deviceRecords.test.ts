import { beforeAll, describe, expect, it } from 'vitest';
import { authorityOf } from '../../../src/lib/app/authority.js';
import type { DocSource } from '../../../src/lib/app/TendApp.svelte.js';
import { generateBoxKeyPair, generateSignKeyPair } from '../../../src/lib/crypto/primitives.js';
import { readyCrypto } from '../../../src/lib/crypto/sodium.js';
import { peopleOfDevices, publishDeviceRecords, unpublished } from '../../../src/lib/model/deviceRecords.js';
import { toHex } from '../../../src/lib/protocol/bytes.js';
import { createDeviceCert, createDeviceRevocation } from '../../../src/lib/protocol/deviceCert.js';

/**
 * Device records in a shared document and authorship (rule 12): a message written through a
 * certified device of a member reads as the member; one from an uncertified or revoked device
 * reads as that device, so the UI flags a message whose `author` names the member.
 */

beforeAll(async () => {
	await readyCrypto();
});

function setting() {
	const root = generateSignKeyPair();
	const tablet = generateSignKeyPair();
	const stranger = generateSignKeyPair();
	const cert = createDeviceCert(root, root.publicKey, {
		device: tablet.publicKey,
		boxPk: generateBoxKeyPair().publicKey
	});
	const forged = createDeviceCert(stranger, root.publicKey, {
		device: generateSignKeyPair().publicKey,
		boxPk: generateBoxKeyPair().publicKey
	});
	const doc = { members: { [toHex(root.publicKey)]: { name: 'Dr. Rivera' } } } as Record<string, unknown>;
	return { root, tablet, stranger, cert, forged, doc };
}

function sourceOf(doc: unknown, actors: Record<string, Uint8Array>, writers: Uint8Array[]): DocSource {
	return {
		handle: { isReady: () => true, doc: () => doc },
		sync: {
			deviceOfActor: (actor: string) => actors[actor],
			head: { admins: writers.slice(0, 1), writers }
		}
	} as unknown as DocSource;
}

describe('device records in a document', () => {
	it('publishes once per record and maps a certified device to its member', () => {
		const { root, tablet, cert, forged, doc } = setting();
		const rootHex = toHex(root.publicKey);
		expect(unpublished(doc, rootHex, [cert])).toHaveLength(1);
		publishDeviceRecords(doc, rootHex, [cert, forged]);
		expect(unpublished(doc, rootHex, [cert])).toHaveLength(0);
		// Not a member: nothing is published for them.
		publishDeviceRecords(doc, 'ab'.repeat(32), [cert]);
		expect(Object.keys(doc.members as object)).toEqual([rootHex]);

		const people = peopleOfDevices(doc);
		expect(people.get(toHex(tablet.publicKey))).toBe(rootHex);
		expect(people.size).toBe(1);
	});

	it('authorship: the tablet’s actor reads as the member; a forged or revoked device’s does not', () => {
		const { root, tablet, stranger, cert, doc } = setting();
		const rootHex = toHex(root.publicKey);
		publishDeviceRecords(doc, rootHex, [cert]);
		const actors = { aa: tablet.publicKey, bb: stranger.publicKey, cc: root.publicKey };
		const authority = authorityOf(sourceOf(doc, actors, [root.publicKey, tablet.publicKey]), rootHex, undefined, []);
		expect(authority.deviceOf('aa')).toBe(rootHex);
		expect(authority.deviceOf('cc')).toBe(rootHex);
		// A message whose author field names the member but whose actor is the stranger's reads
		// as the stranger: readConversation flags it (authorMismatch).
		expect(authority.deviceOf('bb')).toBe(toHex(stranger.publicKey));
		expect(authority.writers.has(rootHex)).toBe(true);

		const revocation = createDeviceRevocation(root, root.publicKey, tablet.publicKey, []);
		const revokedDoc = { members: { [rootHex]: { name: 'Dr. Rivera' } } };
		publishDeviceRecords(revokedDoc, rootHex, [cert, revocation]);
		const after = authorityOf(sourceOf(revokedDoc, actors, [root.publicKey]), rootHex, undefined, []);
		expect(after.deviceOf('aa')).toBe(toHex(tablet.publicKey));
	});
});

describe('device records for the sibling of announcements (rule 7)', () => {
	it('a linked device acts as its person in the sibling, from the announcements’ records', () => {
		const { root, tablet, cert, doc } = setting();
		const rootHex = toHex(root.publicKey);
		publishDeviceRecords(doc, rootHex, [cert]);
		// The sibling has no member list: its own records name nobody.
		const sibling = { v: 1, type: 'sibling', reactions: [], reads: {} };
		const source = sourceOf(sibling, { aa: tablet.publicKey }, [root.publicKey, tablet.publicKey]);
		expect(authorityOf(source, rootHex, undefined, []).deviceOf('aa')).toBe(toHex(tablet.publicKey));

		const withPeople = authorityOf(source, rootHex, undefined, [], doc);
		expect(withPeople.deviceOf('aa')).toBe(rootHex);
		expect(withPeople.writers.has(rootHex)).toBe(true);
	});
});
