import { beforeAll, describe, expect, it } from 'vitest';
import {
	generateBoxKeyPair,
	generateSignKeyPair,
	Tag,
	type SignKeyPair
} from '../../../src/lib/crypto/primitives.js';
import { readyCrypto } from '../../../src/lib/crypto/sodium.js';
import { toHex } from '../../../src/lib/protocol/bytes.js';
import { decodeCbor, encodeCbor } from '../../../src/lib/protocol/cbor.js';
import {
	createDeviceCert,
	createDeviceRevocation,
	deviceRecordHash,
	devicesOfPerson,
	keepListFor,
	parseDeviceRecord,
	personOfDevice,
	resolvePerson
} from '../../../src/lib/protocol/deviceCert.js';
import { encodeSignedRecord } from '../../../src/lib/protocol/records.js';

/**
 * Device certificates (SECURITY-RULES.md, rules 3 and 6): a chain back to the person key makes
 * a device the person's; forged, mis-tagged, cyclic and revoked-signer certificates make nothing.
 */

beforeAll(async () => {
	await readyCrypto();
});

interface Dev {
	keys: SignKeyPair;
	boxPk: Uint8Array;
}

function dev(): Dev {
	return { keys: generateSignKeyPair(), boxPk: generateBoxKeyPair().publicKey };
}

function cert(signer: Dev, person: Dev, device: Dev, at = 1000) {
	return createDeviceCert(signer.keys, person.keys.publicKey, {
		device: device.keys.publicKey,
		boxPk: device.boxPk
	}, at);
}

function hexes(keys: Uint8Array[]): string[] {
	return keys.map(toHex).sort();
}

function ids(...devices: Dev[]): string[] {
	return hexes(devices.map((d) => d.keys.publicKey));
}

describe('device certificates', () => {
	it('a chain of certificates back to the person key makes every device on it the person’s', () => {
		const root = dev();
		const phone = dev();
		const tablet = dev();
		const records = [cert(phone, root, tablet), cert(root, root, phone)];

		expect(hexes(devicesOfPerson(root.keys.publicKey, records))).toEqual(ids(root, phone, tablet));
		const person = personOfDevice(tablet.keys.publicKey, [dev().keys.publicKey, root.keys.publicKey], records);
		expect(person && toHex(person)).toBe(toHex(root.keys.publicKey));
		const state = resolvePerson(root.keys.publicKey, records);
		const entry = state.devices.find((d) => toHex(d.device) === toHex(tablet.keys.publicKey));
		expect(entry?.boxPk && toHex(entry.boxPk)).toBe(toHex(tablet.boxPk));
		expect(entry?.issuer && toHex(entry.issuer)).toBe(toHex(phone.keys.publicKey));
	});

	it('a certificate signed by someone who is not one of the person’s devices is ignored (forged)', () => {
		const root = dev();
		const stranger = dev();
		const intruder = dev();
		const records = [cert(stranger, root, intruder)];

		expect(hexes(devicesOfPerson(root.keys.publicKey, records))).toEqual(ids(root));
		expect(personOfDevice(intruder.keys.publicKey, [root.keys.publicKey], records)).toBeUndefined();
	});

	it('a certificate whose body was altered after signing does not parse, and makes nothing', () => {
		const root = dev();
		const phone = dev();
		const intruder = dev();
		const good = cert(root, root, phone);
		const outer = decodeCbor(good) as { body: Uint8Array; signer: Uint8Array; sig: Uint8Array };
		const body = decodeCbor(outer.body) as Record<string, unknown>;
		body.device = intruder.keys.publicKey;
		const tampered = encodeCbor({ ...outer, body: encodeCbor(body) });

		expect(parseDeviceRecord(good).ok).toBe(true);
		expect(parseDeviceRecord(tampered)).toEqual({ ok: false, why: 'bad signature' });
		expect(hexes(devicesOfPerson(root.keys.publicKey, [tampered]))).toEqual(ids(root));
	});

	it('a certificate body signed under another domain tag is refused (rule 6)', () => {
		const root = dev();
		const phone = dev();
		const body = {
			t: 'device-cert',
			v: 1,
			person: root.keys.publicKey,
			device: phone.keys.publicKey,
			boxPk: phone.boxPk,
			at: 1
		};
		for (const tag of [Tag.epoch, Tag.envelope, Tag.deviceRevoke, Tag.actorClaim]) {
			const record = encodeSignedRecord(body, tag, root.keys);
			expect(parseDeviceRecord(record).ok).toBe(false);
			expect(hexes(devicesOfPerson(root.keys.publicKey, [record]))).toEqual(ids(root));
		}
		// The same body under the certificate tag is accepted: the tag alone made the difference.
		const right = encodeSignedRecord(body, Tag.deviceCert, root.keys);
		expect(hexes(devicesOfPerson(root.keys.publicKey, [right]))).toEqual(ids(root, phone));
	});

	it('certificates that only vouch for each other (a cycle) reach nothing', () => {
		const root = dev();
		const a = dev();
		const b = dev();
		const records = [cert(a, root, b), cert(b, root, a)];

		expect(hexes(devicesOfPerson(root.keys.publicKey, records))).toEqual(ids(root));
		expect(personOfDevice(a.keys.publicKey, [root.keys.publicKey], records)).toBeUndefined();
		// One real link into the cycle brings both in.
		expect(hexes(devicesOfPerson(root.keys.publicKey, [...records, cert(root, root, a)]))).toEqual(
			ids(root, a, b)
		);
	});

	it('an unknown person: a certificate for someone else resolves to nobody among the members', () => {
		const member = dev();
		const other = dev();
		const otherPhone = dev();
		const records = [cert(other, other, otherPhone)];

		expect(personOfDevice(otherPhone.keys.publicKey, [member.keys.publicKey], records)).toBeUndefined();
		expect(hexes(devicesOfPerson(member.keys.publicKey, records))).toEqual(ids(member));
		// A certificate naming the member as person but signed by the other person's device.
		const crossed = cert(otherPhone, member, dev());
		expect(hexes(devicesOfPerson(member.keys.publicKey, [...records, crossed]))).toEqual(ids(member));
	});

	it('a self-signed certificate is refused', () => {
		const root = dev();
		const phone = dev();
		expect(() => cert(phone, root, phone)).toThrow();
		const body = {
			t: 'device-cert',
			v: 1,
			person: root.keys.publicKey,
			device: phone.keys.publicKey,
			boxPk: phone.boxPk,
			at: 1
		};
		const record = encodeSignedRecord(body, Tag.deviceCert, phone.keys);
		expect(parseDeviceRecord(record)).toEqual({ ok: false, why: 'self-signed certificate' });
	});
});

describe('revocation', () => {
	it('a revoked device is no longer the person’s, and neither are the devices only it vouched for', () => {
		const root = dev();
		const phone = dev();
		const tablet = dev();
		const records = [cert(root, root, phone, 10), cert(phone, root, tablet, 20)];
		const revoke = createDeviceRevocation(root.keys, root.keys.publicKey, phone.keys.publicKey, [], 30);

		expect(hexes(devicesOfPerson(root.keys.publicKey, [...records, revoke]))).toEqual(ids(root));
		const state = resolvePerson(root.keys.publicKey, [...records, revoke]);
		expect(hexes(state.revoked.map((r) => r.device))).toEqual(ids(phone));
		expect(personOfDevice(phone.keys.publicKey, [root.keys.publicKey], [...records, revoke])).toBeUndefined();
	});

	it('a revoked signer’s certificates count only when the revocation kept them, whatever date they carry', () => {
		const root = dev();
		const phone = dev();
		const tablet = dev();
		const stolen = dev();
		const tabletCert = cert(phone, root, tablet, 20);
		const base = [cert(root, root, phone, 10), tabletCert];
		const keep = keepListFor(root.keys.publicKey, phone.keys.publicKey, base);
		expect(keep.map(toHex)).toEqual([toHex(deviceRecordHash(tabletCert))]);
		const revoke = createDeviceRevocation(root.keys, root.keys.publicKey, phone.keys.publicKey, keep, 30);
		// The thief signs a certificate with the phone after the revocation and backdates it.
		const backdated = cert(phone, root, stolen, 15);

		const devices = devicesOfPerson(root.keys.publicKey, [...base, revoke, backdated]);
		expect(hexes(devices)).toEqual(ids(root, tablet));
	});

	it('a revoked device stays revoked even if another device certifies its key again', () => {
		const root = dev();
		const phone = dev();
		const tablet = dev();
		const records = [
			cert(root, root, phone, 10),
			cert(root, root, tablet, 11),
			createDeviceRevocation(tablet.keys, root.keys.publicKey, phone.keys.publicKey, [], 20),
			cert(root, root, phone, 30)
		];
		expect(hexes(devicesOfPerson(root.keys.publicKey, records))).toEqual(ids(root, tablet));
	});

	it('a revocation signed by a stranger, or by a device revoked before it, changes nothing', () => {
		const root = dev();
		const phone = dev();
		const tablet = dev();
		const base = [cert(root, root, phone, 10), cert(root, root, tablet, 11)];
		const byStranger = createDeviceRevocation(dev().keys, root.keys.publicKey, tablet.keys.publicKey, [], 12);
		expect(hexes(devicesOfPerson(root.keys.publicKey, [...base, byStranger]))).toEqual(
			ids(root, phone, tablet)
		);

		// Phone and tablet revoke each other: the earlier revocation wins, the later one was
		// signed by a device already revoked. Every order of the records gives the same answer.
		const first = createDeviceRevocation(phone.keys, root.keys.publicKey, tablet.keys.publicKey, [], 20);
		const second = createDeviceRevocation(tablet.keys, root.keys.publicKey, phone.keys.publicKey, [], 21);
		for (const order of [[...base, first, second], [second, first, ...base], [first, ...base, second]]) {
			expect(hexes(devicesOfPerson(root.keys.publicKey, order))).toEqual(ids(root, phone));
		}
	});

	it('a revocation record never passes for a certificate, nor the other way round', () => {
		const root = dev();
		const phone = dev();
		const revoke = createDeviceRevocation(root.keys, root.keys.publicKey, phone.keys.publicKey, [], 1);
		const parsed = parseDeviceRecord(revoke);
		expect(parsed.ok && parsed.value.kind).toBe('revoke');
		const outer = decodeCbor(revoke) as { body: Uint8Array };
		const asCert = encodeSignedRecord(decodeCbor(outer.body) as object, Tag.deviceCert, root.keys);
		expect(parseDeviceRecord(asCert)).toEqual({ ok: false, why: 'not a device certificate' });
	});
});
