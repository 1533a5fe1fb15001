import { afterAll, afterEach, beforeAll } from 'vitest';
import { readyCrypto } from '../../../src/lib/crypto/sodium.js';
import { RelayProcess, type RelayProcessOptions } from '../../helpers/relayProcess.js';
import { randomFillSync } from 'node:crypto';
import {
	generateBoxKeyPair,
	generateSignKeyPair,
	randomBytes,
	seal,
	signKeyPairFromSeed,
	Tag,
	type SignKeyPair
} from '../../../src/lib/crypto/primitives.js';
import { concatBytes } from '../../../src/lib/protocol/bytes.js';
import { encodeEntryHeader, EntryKind } from '../../../src/lib/protocol/entry.js';
import {
	encodeSignedRecord,
	verifyEpochRecord,
	verifyGenesis,
	type EpochState
} from '../../../src/lib/protocol/records.js';
import {
	deriveInviteKeys,
	sealInviteInfo,
	sealProfile,
	signClaimByDevice,
	signInviteProof,
	type InviteKeys
} from '../../../src/lib/protocol/invite.js';
import type { RequestFields } from '../../helpers/relayClient.js';
import { RelayClient } from '../../helpers/relayClient.js';

/**
 * Builders for what devices send the relay: documents with their epoch chain, entries,
 * envelopes and invites, all made with the real protocol code. Entries are fake where the test
 * doesn't need a real one: the relay reads only the clear header.
 */

/** A device's signing pair (its identity on the relay). */
export const newDevice = (): SignKeyPair => generateSignKeyPair();

/** A relay access pair, derived from a seed as the app derives it from the document secret. */
export const newAccessKey = (): SignKeyPair => signKeyPairFromSeed(randomBytes(32));

export interface TestDoc {
	id: Uint8Array;
	genesis: Uint8Array;
	/** The current access pair (changes when an epoch rotates it). */
	access: SignKeyPair;
	head: EpochState;
}

export function makeDoc(
	creator: SignKeyPair,
	lists: { admins?: SignKeyPair[]; writers?: SignKeyPair[] } = {}
): TestDoc {
	const access = newAccessKey();
	const body = {
		t: 'genesis',
		v: 1,
		kind: 'conversation',
		salt: randomBytes(16),
		creator: creator.publicKey,
		admins: (lists.admins ?? [creator]).map((k) => k.publicKey),
		writers: (lists.writers ?? [creator]).map((k) => k.publicKey),
		accessPk: access.publicKey
	};
	const genesis = encodeSignedRecord(body, Tag.genesis, creator);
	const verified = verifyGenesis(genesis);
	if (!verified.ok) throw new Error(`test genesis does not verify: ${verified.why}`);
	return { id: verified.value.doc, genesis, access, head: verified.value };
}

export interface EpochChange {
	admins?: SignKeyPair[];
	writers?: SignKeyPair[];
	/** Start a new key generation with a new access key (removing a member). */
	rotate?: boolean;
}

/**
 * Signs epoch record head.n + 1. Returns the record and the document as it is once the relay
 * accepts it; `doc` itself is not changed.
 */
export function makeEpoch(doc: TestDoc, signer: SignKeyPair, change: EpochChange = {}) {
	const { head } = doc;
	const access = change.rotate ? newAccessKey() : doc.access;
	const body: Record<string, unknown> = {
		t: 'epoch',
		v: 1,
		doc: doc.id,
		n: head.n + 1,
		prev: head.hash,
		gen: change.rotate ? head.gen + 1 : head.gen,
		accessPk: access.publicKey,
		admins: change.admins?.map((k) => k.publicKey) ?? head.admins,
		writers: change.writers?.map((k) => k.publicKey) ?? head.writers
	};
	if (change.rotate) body.sealedPrev = randomBytes(72);
	const record = encodeSignedRecord(body, Tag.epoch, signer);
	const verified = verifyEpochRecord(head, record);
	const next: TestDoc | undefined = verified.ok
		? { ...doc, access, head: verified.value }
		: undefined;
	return { record, next };
}

/**
 * A fake entry: a valid clear header, then random bytes standing in for nonce and ciphertext.
 * The filler comes from node:crypto: libsodium's `randombytes_buf` gives ~0.4 MB/s under Node.
 */
export function fakeEntry(doc: Uint8Array, epoch = 0, size = 200): Uint8Array {
	const header = encodeEntryHeader({ kind: EntryKind.changes, doc, epoch });
	return concatBytes(header, randomFillSync(new Uint8Array(24 + 16 + size)));
}

/** A real sealed entry: header, then XChaCha20-Poly1305 of `plaintext` with the header as AD. */
export function sealedEntry(
	doc: Uint8Array,
	epoch: number,
	key: Uint8Array,
	plaintext: Uint8Array
): Uint8Array {
	const header = encodeEntryHeader({ kind: EntryKind.changes, doc, epoch });
	return concatBytes(header, seal(key, plaintext, header));
}

export interface EnvelopeFields {
	doc: Uint8Array;
	to: Uint8Array;
	n?: number;
	gen?: number;
	sealed?: Uint8Array;
}

/** A key envelope signed by `signer` (rule 3). */
export function makeEnvelope(signer: SignKeyPair, fields: EnvelopeFields): Uint8Array {
	const { doc, to, n = 0, gen = 0, sealed = randomBytes(80) } = fields;
	return encodeSignedRecord({ t: 'envelope', v: 1, doc, n, gen, to, sealed }, Tag.envelope, signer);
}

/** Connects and proves the device key. */
export async function connectAs(url: string, device: SignKeyPair): Promise<RelayClient> {
	const client = await RelayClient.connect(url);
	await client.hello(device);
	return client;
}

/** Connects as `creator`, registers the document and opens it. */
export async function createDoc(url: string, creator: SignKeyPair, doc: TestDoc) {
	const client = await connectAs(url, creator);
	await client.request('doc.create', { genesis: doc.genesis });
	await client.openDoc(doc.id, doc.access, doc.head.n);
	return client;
}

export interface TestInvite {
	id: Uint8Array;
	secret: Uint8Array;
	keys: InviteKeys;
	info: Uint8Array;
}

/** A new invite to `doc` with its details sealed under the invite key, as the app makes one. */
export function makeInvite(doc: Uint8Array, inviter: SignKeyPair): TestInvite {
	const id = randomBytes(16);
	const secret = randomBytes(16);
	const keys = deriveInviteKeys(secret);
	const details = {
		doc,
		inviter: inviter.publicKey,
		inviterName: 'Dr. Rivera',
		title: 'Session notes',
		kind: 'conversation'
	};
	return { id, secret, keys, info: sealInviteInfo(keys, id, details) };
}

/** The `invite.claim` fields a device sends, with proofs bound to `client`'s connection. */
export function claimFields(
	client: RelayClient,
	device: SignKeyPair,
	invite: TestInvite,
	name = 'Sam'
): RequestFields<'invite.claim'> {
	const boxPk = generateBoxKeyPair().publicKey;
	const profile = sealProfile(invite.keys, invite.id, device.publicKey, name);
	const deviceSig = signClaimByDevice(device, invite.id, boxPk, profile);
	const inviteSig = signInviteProof(
		invite.keys,
		client.origin,
		client.challenge,
		invite.id,
		device.publicKey,
		boxPk,
		profile
	);
	return { invite: invite.id, device: device.publicKey, boxPk, profile, deviceSig, inviteSig };
}

/** Resolves after `ms`; only for waiting out a real deadline (an invite's expiry). */
export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * One real relay process for a test file, started before its tests and disposed after them;
 * `track` registers clients to close after each test.
 */
export function useRelay(
	options: RelayProcessOptions = {}
): { readonly relay: RelayProcess; track: (client: RelayClient) => RelayClient } {
	let relay: RelayProcess | undefined;
	const clients: RelayClient[] = [];
	beforeAll(async () => {
		await readyCrypto();
		relay = await RelayProcess.start(options);
	});
	afterEach(async () => {
		await Promise.all(clients.splice(0).map((c) => c.close()));
	});
	afterAll(async () => {
		await relay?.dispose();
	});
	return {
		get relay() {
			if (!relay) throw new Error('the relay is not running yet');
			return relay;
		},
		track: (client) => (clients.push(client), client)
	};
}
