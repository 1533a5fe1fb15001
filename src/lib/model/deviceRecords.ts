import { deviceRecordHash, resolvePerson } from '../protocol/deviceCert.js';
import { fromHex, toHex } from '../protocol/bytes.js';

/**
 * Device certificates and revocations published in a shared document (conversation or board),
 * so its administering devices and every other member can tell which devices are whose
 * (docs/protocol.md, "People and devices"). They live at `members[person].devices`, a map from
 * record hash (hex) to the signed record's bytes; a signature, not the document, makes a record
 * count (src/lib/protocol/deviceCert.ts), so it doesn't matter who wrote one.
 *
 * The map is created by the first of the person's devices that publishes a record, not with
 * the member (members added before devices existed have none). Only that person's devices
 * create it; if two of them do so offline at once, the merge keeps one map, and each device
 * publishes again whatever of its records it no longer finds (every time it reconciles).
 */

interface MemberWithDevices {
	devices?: Record<string, Uint8Array>;
}

interface DocWithMembers {
	members?: Record<string, MemberWithDevices>;
}

/** The device records published for each member, by person key (hex). */
export function deviceRecordsOf(doc: unknown): Map<string, Uint8Array[]> {
	const out = new Map<string, Uint8Array[]>();
	const members = (doc as DocWithMembers | undefined)?.members;
	if (!members || typeof members !== 'object') return out;
	for (const [person, member] of Object.entries(members)) {
		const devices = member?.devices;
		if (!devices || typeof devices !== 'object') continue;
		const records = Object.values(devices).filter((r): r is Uint8Array => r instanceof Uint8Array);
		if (records.length > 0) out.set(person, records);
	}
	return out;
}

/** Records of `records` not yet published for `person` in the document. */
export function unpublished(doc: unknown, person: string, records: Uint8Array[]): Uint8Array[] {
	const member = (doc as DocWithMembers | undefined)?.members?.[person];
	if (!member) return [];
	const have = member.devices ?? {};
	return records.filter((r) => !(toHex(deviceRecordHash(r)) in have));
}

/** Publishes records for a member (inside a change); members not in the document are skipped. */
export function publishDeviceRecords(doc: unknown, person: string, records: Uint8Array[]): void {
	const member = (doc as DocWithMembers).members?.[person];
	if (!member) return;
	if (!member.devices) member.devices = {};
	for (const record of records) {
		const key = toHex(deviceRecordHash(record));
		if (!(key in member.devices)) member.devices[key] = record;
	}
}

const peopleCache = new WeakMap<object, Map<string, string>>();

/**
 * Which member each certified device belongs to: device key (hex) → person key (hex), for the
 * devices that aren't the person key itself. Authorship goes actor → device (the actor claim,
 * rule 12) → person (here), so a message from any of a member's devices shows as that member.
 * Cached per document version (Automerge documents are immutable snapshots).
 */
export function peopleOfDevices(doc: unknown): Map<string, string> {
	if (typeof doc === 'object' && doc !== null) {
		const cached = peopleCache.get(doc);
		if (cached) return cached;
	}
	const out = new Map<string, string>();
	for (const [person, records] of deviceRecordsOf(doc)) {
		if (!/^[0-9a-f]{64}$/.test(person)) continue;
		for (const device of resolvePerson(fromHex(person), records).devices) {
			const hex = toHex(device.device);
			if (hex !== person && !out.has(hex)) out.set(hex, person);
		}
	}
	if (typeof doc === 'object' && doc !== null) peopleCache.set(doc, out);
	return out;
}
