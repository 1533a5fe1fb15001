import { hash, Tag, type SignKeyPair } from '../crypto/primitives.js';
import { equalBytes, fromHex, toHex } from './bytes.js';
import { encodeSignedRecord, openSignedRecord, type RecordResult } from './records.js';

/**
 * People and their devices (SECURITY-RULES.md, rules 3 and 6). A person is named by the signing
 * key of their first device, the **person key**; existing `members[hex]` entries keep working as
 * person ids. A person adds a device by signing a **device certificate** for it from a device
 * they already have, and withdraws one with a signed **revocation**. Both are ordinary signed
 * records (`{ body, signer, sig }`) with their own domain tags, so neither passes for the other
 * or for any other record.
 *
 * {@link resolvePerson} is the one place that turns a person key and the records known about
 * them into their current devices; {@link devicesOfPerson} and {@link personOfDevice} are the
 * two questions the rest of the app asks. docs/protocol.md, "People and devices", is the prose.
 */

type Bytes = Uint8Array;

export interface DeviceCertBody {
	t: 'device-cert';
	v: 1;
	/** The person key: the signing key of the person's first device. */
	person: Bytes;
	/** The new device's signing key (its identity) and box key (secrets are sealed to it). */
	device: Bytes;
	boxPk: Bytes;
	/** When the signing device issued it (its clock, ms): for display, never for validity. */
	at: number;
}

export interface DeviceRevokeBody {
	t: 'device-revoke';
	v: 1;
	person: Bytes;
	device: Bytes;
	at: number;
	/**
	 * Hashes of the records the revoked device signed that stay valid (those the revoking device
	 * knew). Everything else the revoked device signs, before or after, counts for nothing: its
	 * own clock can't be trusted, so a backdated certificate from a stolen device gets nowhere.
	 */
	keep: Bytes[];
}

/** A device record whose signature and shape checked out; not yet checked against a person. */
export type DeviceRecord =
	| { kind: 'cert'; hash: Bytes; signer: Bytes; body: DeviceCertBody; bytes: Bytes }
	| { kind: 'revoke'; hash: Bytes; signer: Bytes; body: DeviceRevokeBody; bytes: Bytes };

/** One of a person's current devices. */
export interface CertifiedDevice {
	device: Bytes;
	/** Absent for the person's first device, which has no certificate. */
	boxPk?: Bytes;
	/** When it was certified (0 for the first device). */
	at: number;
	/** The certificate that made it a device of the person (absent for the first device). */
	cert?: Bytes;
	/** The device that signed that certificate. */
	issuer?: Bytes;
}

export interface PersonDevices {
	person: Bytes;
	devices: CertifiedDevice[];
	/** Devices withdrawn by an effective revocation, with the revocation's issued time. */
	revoked: { device: Bytes; at: number }[];
}

/** More records than any person needs; bounds the work a hostile document can cause. */
export const MAX_DEVICE_RECORDS = 256;
const MAX_KEEP = 256;

export function deviceRecordHash(bytes: Bytes): Bytes {
	return hash(Tag.deviceRecordHash, bytes);
}

/** A certificate for `device`, signed by `signer`, one of `person`'s devices (or the person). */
export function createDeviceCert(
	signer: SignKeyPair,
	person: Bytes,
	device: { device: Bytes; boxPk: Bytes },
	at = Date.now()
): Bytes {
	if (equalBytes(signer.publicKey, device.device)) throw new Error('a device can not certify itself');
	const body: DeviceCertBody = {
		t: 'device-cert',
		v: 1,
		person,
		device: device.device,
		boxPk: device.boxPk,
		at
	};
	return encodeSignedRecord(body, Tag.deviceCert, signer);
}

/** A revocation of `device`, keeping the records it signed that the caller lists as valid. */
export function createDeviceRevocation(
	signer: SignKeyPair,
	person: Bytes,
	device: Bytes,
	keep: Bytes[],
	at = Date.now()
): Bytes {
	const body: DeviceRevokeBody = { t: 'device-revoke', v: 1, person, device, at, keep };
	return encodeSignedRecord(body, Tag.deviceRevoke, signer);
}

function isKey(value: unknown): value is Bytes {
	return value instanceof Uint8Array && value.length === 32;
}

function isTime(value: unknown): value is number {
	return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

/** Checks a certificate's or revocation's signature (under its own tag) and shape. */
export function parseDeviceRecord(bytes: Bytes): RecordResult<DeviceRecord> {
	const asCert = openSignedRecord(bytes, Tag.deviceCert);
	if (asCert.ok) {
		const { body, signer } = asCert.value;
		if (body.t !== 'device-cert' || body.v !== 1) return { ok: false, why: 'not a device certificate' };
		if (!isKey(body.person) || !isKey(body.device) || !isKey(body.boxPk) || !isTime(body.at)) {
			return { ok: false, why: 'malformed device certificate' };
		}
		if (equalBytes(signer, body.device)) return { ok: false, why: 'self-signed certificate' };
		const value = { kind: 'cert' as const, hash: deviceRecordHash(bytes), signer, bytes };
		return { ok: true, value: { ...value, body: body as unknown as DeviceCertBody } };
	}
	const asRevoke = openSignedRecord(bytes, Tag.deviceRevoke);
	if (!asRevoke.ok) return asRevoke;
	const { body, signer } = asRevoke.value;
	if (body.t !== 'device-revoke' || body.v !== 1) return { ok: false, why: 'not a revocation' };
	if (!isKey(body.person) || !isKey(body.device) || !isTime(body.at)) {
		return { ok: false, why: 'malformed revocation' };
	}
	const keep = body.keep;
	if (!Array.isArray(keep) || keep.length > MAX_KEEP || !keep.every(isKey)) {
		return { ok: false, why: 'malformed revocation' };
	}
	const value = { kind: 'revoke' as const, hash: deviceRecordHash(bytes), signer, bytes };
	return { ok: true, value: { ...value, body: body as unknown as DeviceRevokeBody } };
}

/**
 * The person's current devices, from every certificate and revocation known about them (in
 * any order, duplicates and other people's records ignored).
 *
 * - The person key is the first device. A certificate makes its device one of the person's if
 *   its signer already is one (reached from the person key through certificates), so a chain of
 *   certificates is valid, and certificates that only vouch for each other (a cycle) reach
 *   nothing.
 * - Revocations apply in order of issued time (ties by hash, so every device agrees). One counts
 *   if, at its turn, its signer is a device of the person that is not revoked, or the revocation
 *   of its signer kept it. It withdraws the device and every record the device signed except
 *   those its `keep` list names.
 * - A revoked device stays revoked: no later certificate brings the same key back.
 */
export function resolvePerson(person: Bytes, records: Bytes[]): PersonDevices {
	const certs: Extract<DeviceRecord, { kind: 'cert' }>[] = [];
	const revocations: Extract<DeviceRecord, { kind: 'revoke' }>[] = [];
	const seen = new Set<string>();
	for (const bytes of records.slice(0, MAX_DEVICE_RECORDS * 4)) {
		const parsed = parseDeviceRecord(bytes);
		if (!parsed.ok || !equalBytes(parsed.value.body.person, person)) continue;
		const id = toHex(parsed.value.hash);
		if (seen.has(id) || seen.size >= MAX_DEVICE_RECORDS) continue;
		seen.add(id);
		if (parsed.value.kind === 'cert') certs.push(parsed.value);
		else revocations.push(parsed.value);
	}
	revocations.sort((a, b) => a.body.at - b.body.at || compareHex(a.hash, b.hash));

	// Devices revoked so far, each with the hashes its revocation kept.
	const revoked = new Map<string, { at: number; keep: Set<string> }>();
	const usable = (signer: Bytes, recordHash: Bytes) => {
		const revocation = revoked.get(toHex(signer));
		return !revocation || revocation.keep.has(toHex(recordHash));
	};
	const reach = () => {
		const reached = new Map<string, CertifiedDevice>([[toHex(person), { device: person, at: 0 }]]);
		for (let grew = true; grew; ) {
			grew = false;
			for (const cert of certs) {
				const id = toHex(cert.body.device);
				if (reached.has(id) || !reached.has(toHex(cert.signer))) continue;
				if (!usable(cert.signer, cert.hash)) continue;
				const { device, boxPk, at } = cert.body;
				reached.set(id, { device, boxPk, at, cert: cert.bytes, issuer: cert.signer });
				grew = true;
			}
		}
		return reached;
	};

	for (const revocation of revocations) {
		const target = toHex(revocation.body.device);
		if (revoked.has(target)) continue;
		if (!reach().has(toHex(revocation.signer))) continue;
		if (!usable(revocation.signer, revocation.hash)) continue;
		revoked.set(target, {
			at: revocation.body.at,
			keep: new Set(revocation.body.keep.map(toHex))
		});
	}

	const reached = reach();
	return {
		person,
		devices: [...reached.entries()].filter(([id]) => !revoked.has(id)).map(([, d]) => d),
		revoked: [...revoked.entries()].map(([id, r]) => ({
			device: reached.get(id)?.device ?? fromHex(id),
			at: r.at
		}))
	};
}

/** The signing keys of the person's current devices (the person key first, unless revoked). */
export function devicesOfPerson(person: Bytes, records: Bytes[]): Bytes[] {
	return resolvePerson(person, records).devices.map((d) => d.device);
}

/**
 * The person, among `people` (person keys, e.g. a document's members), whose current devices
 * include `device`; undefined when none does (an unknown or revoked device).
 */
export function personOfDevice(device: Bytes, people: Bytes[], records: Bytes[]): Bytes | undefined {
	for (const person of people) {
		if (equalBytes(person, device) && !isRevoked(person, device, records)) return person;
	}
	for (const person of people) {
		if (devicesOfPerson(person, records).some((d) => equalBytes(d, device))) return person;
	}
	return undefined;
}

function isRevoked(person: Bytes, device: Bytes, records: Bytes[]): boolean {
	return resolvePerson(person, records).revoked.some((r) => equalBytes(r.device, device));
}

/**
 * What a revocation of `device` should keep: the records it signed that are in effect now
 * (certificates of devices still current, its own effective revocations), so revoking a lost
 * phone doesn't also remove the tablet the phone once added.
 */
export function keepListFor(person: Bytes, device: Bytes, records: Bytes[]): Bytes[] {
	const state = resolvePerson(person, records);
	const keep: Bytes[] = [];
	for (const current of state.devices) {
		if (current.cert && current.issuer && equalBytes(current.issuer, device)) {
			if (!equalBytes(current.device, device)) keep.push(deviceRecordHash(current.cert));
		}
	}
	for (const bytes of records) {
		const parsed = parseDeviceRecord(bytes);
		if (!parsed.ok || parsed.value.kind !== 'revoke') continue;
		if (!equalBytes(parsed.value.signer, device) || !equalBytes(parsed.value.body.person, person)) continue;
		const target = parsed.value.body.device;
		if (state.revoked.some((r) => equalBytes(r.device, target))) keep.push(parsed.value.hash);
	}
	return keep.slice(0, MAX_KEEP);
}

function compareHex(a: Bytes, b: Bytes): number {
	const x = toHex(a);
	const y = toHex(b);
	return x < y ? -1 : x > y ? 1 : 0;
}
