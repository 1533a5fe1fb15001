import {
	deriveAccessKey,
	DOCUMENT_SECRET_BYTES,
	sealPreviousSecret
} from '../crypto/documentKeys.js';
import { randomBytes, sealToDevice, Tag, type SignKeyPair } from '../crypto/primitives.js';
import { equalBytes } from '../protocol/bytes.js';
import { encodeSignedRecord, verifyGenesis, type EpochState } from '../protocol/records.js';

/**
 * Building the signed records that create a document and change who may write it
 * (SECURITY-RULES.md, rules 2, 3, 4 and 7).
 */

export interface NewDocument {
	doc: Uint8Array;
	genesis: Uint8Array;
	secret: Uint8Array;
}

/** A new document administered and written by `device`; its id is the genesis hash. */
export function createGenesis(device: SignKeyPair, kind: string): NewDocument {
	const secret = randomBytes(DOCUMENT_SECRET_BYTES);
	const access = deriveAccessKey(secret, 0);
	const genesis = encodeSignedRecord(
		{
			t: 'genesis',
			v: 1,
			kind,
			salt: randomBytes(16),
			creator: device.publicKey,
			admins: [device.publicKey],
			writers: [device.publicKey],
			accessPk: access.publicKey
		},
		Tag.genesis,
		device
	);
	const verified = verifyGenesis(genesis);
	if (!verified.ok) throw new Error(`genesis does not verify: ${verified.why}`);
	return { doc: verified.value.doc, genesis, secret };
}

/**
 * The next epoch record, adding a writer (a member's device). Adding someone changes only the
 * lists: same secret, same access key (rule 2).
 */
export function createAddWriterRecord(
	admin: SignKeyPair,
	head: EpochState,
	writer: Uint8Array
): Uint8Array {
	return createAddMemberRecord(admin, head, writer, 'writer');
}

/**
 * The next epoch record, adding a member's device as a writer or as a reader (announcements:
 * a member who may not post holds the secret but is not listed as a writer, so the relay
 * refuses its pushes and every device drops its entries; rule 7). Same secret, same access key.
 * A reader who becomes a writer leaves the reader list.
 */
export function createAddMemberRecord(
	admin: SignKeyPair,
	head: EpochState,
	device: Uint8Array,
	as: 'writer' | 'reader'
): Uint8Array {
	const writers = as === 'writer' ? [...head.writers, device] : head.writers;
	const others = head.readers.filter((k) => !equalBytes(k, device));
	const readers = as === 'reader' ? [...others, device] : others;
	return encodeSignedRecord(
		{
			t: 'epoch',
			v: 1,
			doc: head.doc,
			n: head.n + 1,
			prev: head.hash,
			gen: head.gen,
			accessPk: head.accessPk,
			admins: head.admins,
			writers,
			...(readers.length > 0 ? { readers } : {})
		},
		Tag.epoch,
		admin
	);
}

/**
 * The next epoch record with new writer and administrator lists and the same secret (rule 7):
 * for a role change that alters who may write but not who may read. Anyone who loses read
 * access needs {@link createRotationRecord} instead, since they still hold this secret.
 */
export function createWritersRecord(
	admin: SignKeyPair,
	head: EpochState,
	lists: { admins: Uint8Array[]; writers: Uint8Array[] }
): Uint8Array {
	if (lists.admins.length === 0 || lists.writers.length === 0) {
		throw new Error('an epoch needs at least one administrator and one writer');
	}
	// Nobody loses read access here: a device that leaves the writers and administrators is
	// listed as a reader (rule 7), so it still holds the secret as a member, not a removed device.
	const listed = (k: Uint8Array) => lists.admins.some((a) => equalBytes(a, k)) || lists.writers.some((w) => equalBytes(w, k));
	const readers: Uint8Array[] = [];
	for (const key of [...head.readers, ...head.writers, ...head.admins]) {
		if (!listed(key) && !readers.some((r) => equalBytes(r, key))) readers.push(key);
	}
	return encodeSignedRecord(
		{
			t: 'epoch',
			v: 1,
			doc: head.doc,
			n: head.n + 1,
			prev: head.hash,
			gen: head.gen,
			accessPk: head.accessPk,
			admins: lists.admins,
			writers: lists.writers,
			...(readers.length > 0 ? { readers } : {})
		},
		Tag.epoch,
		admin
	);
}

/**
 * The next epoch record that lets a member's devices post in announcements, or stops them
 * (rule 7): same secret, same administrators, new writer list. Read access doesn't change, so
 * there is no rotation: a device that stops posting is listed as a reader and keeps the secret.
 * Only devices the head already lists (as readers or writers) can be made writers; an
 * administering device always posts. Undefined when the head already says what is asked.
 */
export function createPostingRecord(
	admin: SignKeyPair,
	head: EpochState,
	devices: Uint8Array[],
	post: boolean
): Uint8Array | undefined {
	const among = (keys: Uint8Array[]) => (k: Uint8Array) => keys.some((d) => equalBytes(d, k));
	if (devices.some(among(head.admins))) throw new Error('an administering device always posts');
	const members = devices.filter((d) => among(head.writers)(d) || among(head.readers)(d));
	const writing = members.filter(among(head.writers));
	if (post ? writing.length === members.length : writing.length === 0) return undefined;

	const others = head.writers.filter((k) => !among(devices)(k));
	const writers = post ? [...others, ...members] : others;
	return createWritersRecord(admin, head, {
		admins: head.admins,
		writers: writers.length > 0 ? writers : head.admins
	});
}

/**
 * The next epoch record, adding a person's new device with the rights the person already has
 * (rule 3): a writer, and an administrator too where the person administers the document.
 * Like any addition it keeps the secret and the access key (rule 2).
 */
export function createAddDeviceRecord(
	admin: SignKeyPair,
	head: EpochState,
	device: Uint8Array,
	rights: { admin: boolean }
): Uint8Array {
	const listed = (keys: Uint8Array[]) => keys.some((k) => equalBytes(k, device));
	return createWritersRecord(admin, head, {
		admins: rights.admin && !listed(head.admins) ? [...head.admins, device] : head.admins,
		writers: listed(head.writers) ? head.writers : [...head.writers, device]
	});
}

export interface Rotation {
	record: Uint8Array;
	/** The new generation's secret: sealed to the remaining devices in envelopes. */
	secret: Uint8Array;
	admins: Uint8Array[];
	writers: Uint8Array[];
	readers: Uint8Array[];
}

/**
 * The next epoch record with a new document secret (rule 2): the devices in `remove` leave the
 * writers and administrators, a new relay access key replaces the old one, and the previous
 * secret is sealed under the new one so history stays readable to those given the new secret.
 * Removing a member or revoking a device always goes through here; adding never does.
 */
export function createRotationRecord(
	admin: SignKeyPair,
	head: EpochState,
	previousSecret: Uint8Array,
	remove: Uint8Array[]
): Rotation {
	const keep = (key: Uint8Array) => !remove.some((r) => equalBytes(r, key));
	const admins = head.admins.filter(keep);
	const writers = head.writers.filter(keep);
	const readers = head.readers.filter(keep);
	if (admins.length === 0) throw new Error('a rotation must leave at least one administrator');
	if (!admins.some((k) => equalBytes(k, admin.publicKey))) {
		throw new Error('an administrator can not remove itself in its own rotation');
	}
	const secret = randomBytes(DOCUMENT_SECRET_BYTES);
	const gen = head.gen + 1;
	const record = encodeSignedRecord(
		{
			t: 'epoch',
			v: 1,
			doc: head.doc,
			n: head.n + 1,
			prev: head.hash,
			gen,
			accessPk: deriveAccessKey(secret, gen).publicKey,
			admins,
			writers: writers.length > 0 ? writers : admins,
			...(readers.length > 0 ? { readers } : {}),
			sealedPrev: sealPreviousSecret(secret, head.doc, gen, previousSecret)
		},
		Tag.epoch,
		admin
	);
	return { record, secret, admins, writers, readers };
}

/** A key envelope: the secret of `epoch`'s generation sealed to a device and signed (rule 3). */
export function createEnvelope(
	admin: SignKeyPair,
	epoch: EpochState,
	secret: Uint8Array,
	recipient: { device: Uint8Array; boxPk: Uint8Array }
): Uint8Array {
	return encodeSignedRecord(
		{
			t: 'envelope',
			v: 1,
			doc: epoch.doc,
			n: epoch.n,
			gen: epoch.gen,
			to: recipient.device,
			sealed: sealToDevice(recipient.boxPk, secret)
		},
		Tag.envelope,
		admin
	);
}

/** Checks that an access key derived from `secret` is the one `epoch` names. */
export function secretMatchesEpoch(secret: Uint8Array, epoch: EpochState): boolean {
	const access = deriveAccessKey(secret, epoch.gen);
	return access.publicKey.every((b, i) => b === epoch.accessPk[i]);
}
