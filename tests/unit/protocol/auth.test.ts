import { beforeAll, describe, expect, it } from 'vitest';
import { deriveAccessKey } from '../../../src/lib/crypto/documentKeys.js';
import { signKeyPairFromSeed, type SignKeyPair } from '../../../src/lib/crypto/primitives.js';
import { readyCrypto } from '../../../src/lib/crypto/sodium.js';
import {
	relayOriginOf,
	signAccessProof,
	signDeviceAuth,
	verifyAccessProof,
	verifyDeviceAuth
} from '../../../src/lib/protocol/auth.js';
import { fromHex, toHex } from '../../../src/lib/protocol/bytes.js';

const SECRET = fromHex('000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f');
const DOC = fromHex('d0'.repeat(32));
const OTHER_DOC = fromHex('d1'.repeat(32));
const CHALLENGE = fromHex('c1'.repeat(32));
const OTHER_CHALLENGE = fromHex('c2'.repeat(32));
const ORIGIN = 'relay.example:443';
const EVIL_ORIGIN = 'evil.example:443';

/** Pinned once: Ed25519 is deterministic, so these bytes fix what the relay verifies. */
const PINNED_ACCESS_PROOF =
	'823bb73f06991c37a84ef1a8550e7ae34a2b90eaffa76b5bb22cd15ae33a4f20' +
	'a6f4201437e3e1396e68c67d2f79d72c08b9640c2432d3eb6fd32d533561ba01';
const PINNED_DEVICE_AUTH =
	'0cb02648d13a9480c2845d8824aca630211a1931d16c11f8d56ecce138ea84d7' +
	'acd0ffb1b389f3c0fb6cd2be95b7b2065eae7e77cdfc14ff27a19ed9b9f54609';

let device: SignKeyPair;
let otherDevice: SignKeyPair;
let access: SignKeyPair;

beforeAll(async () => {
	await readyCrypto();
	device = signKeyPairFromSeed(fromHex('9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60'));
	otherDevice = signKeyPairFromSeed(fromHex('4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb'));
	access = deriveAccessKey(SECRET, 0);
});

describe('access proofs (rule 4: bound to origin, challenge, document and epoch)', () => {
	it('signs a deterministic proof (pinned vector) that verifies', () => {
		const sig = signAccessProof(access, ORIGIN, CHALLENGE, DOC, 3);

		expect(toHex(sig)).toBe(PINNED_ACCESS_PROOF);
		expect(verifyAccessProof(access.publicKey, sig, ORIGIN, CHALLENGE, DOC, 3)).toBe(true);
	});

	it('rejects a proof replayed to another relay, connection, document or epoch', () => {
		const sig = fromHex(PINNED_ACCESS_PROOF);

		expect(verifyAccessProof(access.publicKey, sig, EVIL_ORIGIN, CHALLENGE, DOC, 3)).toBe(false);
		expect(verifyAccessProof(access.publicKey, sig, ORIGIN, OTHER_CHALLENGE, DOC, 3)).toBe(false);
		expect(verifyAccessProof(access.publicKey, sig, ORIGIN, CHALLENGE, OTHER_DOC, 3)).toBe(false);
		expect(verifyAccessProof(access.publicKey, sig, ORIGIN, CHALLENGE, DOC, 4)).toBe(false);
		expect(verifyAccessProof(access.publicKey, sig, ORIGIN, CHALLENGE, DOC, 2)).toBe(false);
	});

	it('rejects a proof under another access key (an old generation a removed member knows)', () => {
		const old = deriveAccessKey(SECRET, 1);
		const sig = signAccessProof(old, ORIGIN, CHALLENGE, DOC, 3);

		expect(verifyAccessProof(access.publicKey, sig, ORIGIN, CHALLENGE, DOC, 3)).toBe(false);
	});

	it('returns false, never throws, for an epoch beyond u32', () => {
		const sig = fromHex(PINNED_ACCESS_PROOF);

		expect(verifyAccessProof(access.publicKey, sig, ORIGIN, CHALLENGE, DOC, 2 ** 32 + 3)).toBe(false);
	});
});

describe('device auth (rule 4)', () => {
	it('signs a deterministic proof (pinned vector) that verifies', () => {
		const sig = signDeviceAuth(device, ORIGIN, CHALLENGE);

		expect(toHex(sig)).toBe(PINNED_DEVICE_AUTH);
		expect(verifyDeviceAuth(device.publicKey, sig, ORIGIN, CHALLENGE)).toBe(true);
	});

	it('rejects a proof replayed to another relay or connection, or claimed by another device', () => {
		const sig = fromHex(PINNED_DEVICE_AUTH);

		expect(verifyDeviceAuth(device.publicKey, sig, EVIL_ORIGIN, CHALLENGE)).toBe(false);
		expect(verifyDeviceAuth(device.publicKey, sig, ORIGIN, OTHER_CHALLENGE)).toBe(false);
		expect(verifyDeviceAuth(otherDevice.publicKey, sig, ORIGIN, CHALLENGE)).toBe(false);
	});

	it('does not accept a device-auth signature as an access proof, or the reverse', () => {
		// Attack: present a signature made for one kind of proof as the other; the domain tags
		// keep them apart even when one key pair signed both.
		const asAccess = signAccessProof(device, ORIGIN, CHALLENGE, DOC, 0);
		const asDevice = signDeviceAuth(device, ORIGIN, CHALLENGE);

		expect(verifyDeviceAuth(device.publicKey, asAccess, ORIGIN, CHALLENGE)).toBe(false);
		expect(verifyAccessProof(device.publicKey, asDevice, ORIGIN, CHALLENGE, DOC, 0)).toBe(false);
	});
});

describe('relayOriginOf', () => {
	it('is the lower-cased host with its port', () => {
		expect(relayOriginOf('wss://Relay.Example:8787/sync')).toBe('relay.example:8787');
		expect(relayOriginOf('ws://localhost:8787')).toBe('localhost:8787');
		expect(relayOriginOf('wss://relay.example/sync')).toBe('relay.example');
	});
});
