import { beforeAll, describe, expect, it } from 'vitest';
import { signKeyPairFromSeed, type SignKeyPair } from '../../../src/lib/crypto/primitives.js';
import { readyCrypto } from '../../../src/lib/crypto/sodium.js';
import { fromHex, toBase64Url, toHex, utf8 } from '../../../src/lib/protocol/bytes.js';
import {
	deriveInviteKeys,
	formatInviteFragment,
	openInviteInfo,
	openProfile,
	parseInviteFragment,
	safetyCode,
	sealInviteInfo,
	sealProfile,
	signClaimByDevice,
	signInviteProof,
	verifyClaimByDevice,
	verifyInviteProof,
	type InviteInfo,
	type InviteKeys
} from '../../../src/lib/protocol/invite.js';

const INVITE = fromHex('01'.repeat(16));
const OTHER_INVITE = fromHex('02'.repeat(16));
const SECRET = fromHex('0f'.repeat(16));
const OTHER_SECRET = fromHex('0e'.repeat(16));
const DOC = fromHex('d0'.repeat(32));
const BOX = fromHex('b0'.repeat(32));
const ORIGIN = 'relay.example:443';
const CHALLENGE = fromHex('c1'.repeat(32));

let keys: InviteKeys;
let otherKeys: InviteKeys;
let inviter: SignKeyPair;
let invitee: SignKeyPair;
let info: InviteInfo;

beforeAll(async () => {
	await readyCrypto();
	keys = deriveInviteKeys(SECRET);
	otherKeys = deriveInviteKeys(OTHER_SECRET);
	inviter = signKeyPairFromSeed(fromHex('9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60'));
	invitee = signKeyPairFromSeed(fromHex('4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb'));
	info = { doc: DOC, inviter: inviter.publicKey, inviterName: 'Dr. Owner', title: 'Check-ins', kind: 'direct' };
});

describe('invite fragments (rule 1: only an invite id and secret after #)', () => {
	it('formats as <22 base64url>.<22 base64url> and parses back', () => {
		const fragment = formatInviteFragment(INVITE, SECRET);
		const parsed = parseInviteFragment(fragment);

		expect(fragment).toMatch(/^[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{22}$/);
		expect(toHex(parsed!.invite)).toBe(toHex(INVITE));
		expect(toHex(parsed!.secret)).toBe(toHex(SECRET));
		expect(parseInviteFragment('#' + fragment)).toBeDefined();
		expect(parseInviteFragment(`  ${fragment}\n`)).toBeDefined();
	});

	it('rejects wrong lengths, bad characters and wrong shapes', () => {
		const id = toBase64Url(INVITE);
		const secret = toBase64Url(SECRET);
		const bad = [
			'',
			'#',
			id,
			`${id}.`,
			`${id}${secret}`,
			`${id}.${secret}.${secret}`,
			`${id.slice(1)}.${secret}`,
			`${id}.${secret}A`,
			`${id}A.${secret}`,
			`${id}.${secret.slice(0, 21)}+`,
			`${id}.${secret.slice(0, 21)}/`,
			`${id}.${secret.slice(0, 20)}==`,
			`${id.slice(0, 21)}é.${secret}`,
			`##${id}.${secret}`,
			`${id}.${secret}?x=1`,
			`${toBase64Url(new Uint8Array(32))}.${secret}`
		];

		for (const fragment of bad) expect(parseInviteFragment(fragment)).toBeUndefined();
	});
});

describe('invite keys', () => {
	it('derives a fixed auth key from a fixed secret (pinned vector), and others from other secrets', () => {
		expect(toHex(keys.auth.publicKey)).toBe('02619c1d89019bf18bea7d133c73da094a86b3a1723078a2d57514b09a0c8662');
		expect(toHex(otherKeys.auth.publicKey)).not.toBe(toHex(keys.auth.publicKey));
		expect(new Set([keys.infoKey, keys.safetyKey, keys.auth.privateKey.subarray(0, 32)].map(toHex)).size).toBe(3);
	});
});

describe('invite info and profile', () => {
	it('opens the invite info sealed under the invite secret', () => {
		const opened = openInviteInfo(keys, INVITE, sealInviteInfo(keys, INVITE, info));

		expect(opened?.title).toBe('Check-ins');
		expect(toHex(opened!.doc)).toBe(toHex(DOC));
	});

	it('does not open info with another secret, under another invite id, or tampered', () => {
		const sealed = sealInviteInfo(keys, INVITE, info);
		const flipped = sealed.slice();
		flipped[30] ^= 1;

		expect(openInviteInfo(otherKeys, INVITE, sealed)).toBeUndefined();
		expect(openInviteInfo(keys, OTHER_INVITE, sealed)).toBeUndefined();
		expect(openInviteInfo(keys, INVITE, flipped)).toBeUndefined();
		expect(openInviteInfo(keys, INVITE, sealed.subarray(0, 20))).toBeUndefined();
	});

	it('rejects info that opens but is malformed', () => {
		const badInfos = [
			{ ...info, doc: new Uint8Array(31) },
			{ ...info, inviter: 'me' },
			{ ...info, title: 7 },
			{ ...info, kind: undefined }
		];

		for (const bad of badInfos) {
			const sealed = sealInviteInfo(keys, INVITE, bad as unknown as InviteInfo);
			expect(openInviteInfo(keys, INVITE, sealed)).toBeUndefined();
		}
	});

	it('opens a profile only for the device it was sealed for', () => {
		const sealed = sealProfile(keys, INVITE, invitee.publicKey, 'Sam');

		expect(openProfile(keys, INVITE, invitee.publicKey, sealed)).toEqual({ name: 'Sam' });
		expect(openProfile(otherKeys, INVITE, invitee.publicKey, sealed)).toBeUndefined();
		expect(openProfile(keys, OTHER_INVITE, invitee.publicKey, sealed)).toBeUndefined();
		// Attack: the relay re-attaches the invitee's profile to its own device key.
		expect(openProfile(keys, INVITE, inviter.publicKey, sealed)).toBeUndefined();
	});

	it('does not open sealed info as a profile or a profile as info', () => {
		const sealedInfo = sealInviteInfo(keys, INVITE, info);
		const sealedProfile = sealProfile(keys, INVITE, invitee.publicKey, 'Sam');

		expect(openProfile(keys, INVITE, invitee.publicKey, sealedInfo)).toBeUndefined();
		expect(openInviteInfo(keys, INVITE, sealedProfile)).toBeUndefined();
	});
});

describe('invite claims', () => {
	const profile = utf8.encode('sealed profile bytes');

	it('verifies the device signature over invite, device, box key and profile', () => {
		const sig = signClaimByDevice(invitee, INVITE, BOX, profile);

		expect(verifyClaimByDevice(invitee.publicKey, sig, INVITE, BOX, profile)).toBe(true);
	});

	it('rejects a claim rebound to another device, box key, profile or invite', () => {
		const sig = signClaimByDevice(invitee, INVITE, BOX, profile);

		expect(verifyClaimByDevice(inviter.publicKey, sig, INVITE, BOX, profile)).toBe(false);
		expect(verifyClaimByDevice(invitee.publicKey, sig, INVITE, fromHex('b1'.repeat(32)), profile)).toBe(false);
		expect(verifyClaimByDevice(invitee.publicKey, sig, INVITE, BOX, utf8.encode('other profile'))).toBe(false);
		expect(verifyClaimByDevice(invitee.publicKey, sig, OTHER_INVITE, BOX, profile)).toBe(false);
	});

	it('verifies the invite proof only for its origin, challenge, invite, keys and profile', () => {
		const sig = signInviteProof(keys, ORIGIN, CHALLENGE, INVITE, invitee.publicKey, BOX, profile);
		const check = (overrides: Partial<Record<string, unknown>> = {}) => {
			const a = { authPk: keys.auth.publicKey, origin: ORIGIN, challenge: CHALLENGE, invite: INVITE, device: invitee.publicKey, box: BOX, profile, ...overrides };
			return verifyInviteProof(a.authPk as Uint8Array, sig, a.origin as string, a.challenge as Uint8Array, a.invite as Uint8Array, a.device as Uint8Array, a.box as Uint8Array, a.profile as Uint8Array);
		};

		expect(check()).toBe(true);
		expect(check({ authPk: otherKeys.auth.publicKey })).toBe(false);
		expect(check({ origin: 'evil.example:443' })).toBe(false);
		expect(check({ challenge: fromHex('c2'.repeat(32)) })).toBe(false);
		expect(check({ invite: OTHER_INVITE })).toBe(false);
		// Attack: the relay swaps in its own device and box keys for the invitee's.
		expect(check({ device: inviter.publicKey })).toBe(false);
		expect(check({ box: fromHex('b1'.repeat(32)) })).toBe(false);
		expect(check({ profile: utf8.encode('x') })).toBe(false);
	});
});

describe('safety code', () => {
	const code = (k: InviteKeys, doc: Uint8Array, inviterPk: Uint8Array, inviteePk: Uint8Array, box: Uint8Array) =>
		safetyCode(k, doc, inviterPk, inviteePk, box);

	it('is six digits, fixed for fixed inputs (pinned vector), and identical on both sides', () => {
		// Each side computes it from what it holds: the inviter from the claim, the invitee from
		// the info and its own keys.
		const inviterSide = code(keys, DOC, inviter.publicKey, invitee.publicKey, BOX);
		const inviteeSide = code(deriveInviteKeys(SECRET.slice()), info.doc, info.inviter, invitee.publicKey, BOX);

		expect(inviterSide).toBe('993 408');
		expect(inviteeSide).toBe(inviterSide);
	});

	it('differs when the document, either device key, the box key or the secret differs', () => {
		// Attack: a relay that swapped any key would make the two people read different codes.
		const base = code(keys, DOC, inviter.publicKey, invitee.publicKey, BOX);
		const variants = [
			code(keys, fromHex('d1'.repeat(32)), inviter.publicKey, invitee.publicKey, BOX),
			code(keys, DOC, invitee.publicKey, invitee.publicKey, BOX),
			code(keys, DOC, inviter.publicKey, inviter.publicKey, BOX),
			code(keys, DOC, inviter.publicKey, invitee.publicKey, fromHex('b1'.repeat(32))),
			code(otherKeys, DOC, inviter.publicKey, invitee.publicKey, BOX)
		];

		for (const variant of variants) {
			expect(variant).toMatch(/^\d{3} \d{3}$/);
			expect(variant).not.toBe(base);
		}
	});
});
