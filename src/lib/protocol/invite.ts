import {
	deriveKey,
	hash,
	keyedHash,
	open,
	seal,
	sign,
	signKeyPairFromSeed,
	verify,
	Tag,
	type SignKeyPair
} from '../crypto/primitives.js';
import { concatBytes, fromBase64Url, readU32, toBase64Url, utf8 } from './bytes.js';
import { decodeCbor, encodeCbor } from './cbor.js';

/**
 * Invites (SECURITY-RULES.md, rule 1). A link carries only an invite id and a 128-bit invite
 * secret after `#`. From the secret come: a key that seals the invite's details and the
 * invitee's profile (the relay can't read either), an Ed25519 pair whose public half the relay
 * stores to check claims, and a key for the safety code both people compare.
 * The secret never opens a document: the document secret is sealed to the invitee's device by
 * an administering device after it lets the invitee in.
 */

export const INVITE_ID_BYTES = 16;
export const INVITE_SECRET_BYTES = 16;
/** How long an invite link can be claimed: 7 days, in milliseconds. */
export const INVITE_LIFETIME_MS = 7 * 24 * 60 * 60 * 1000;

const NO_SALT = new Uint8Array(0);

export interface InviteKeys {
	infoKey: Uint8Array;
	auth: SignKeyPair;
	safetyKey: Uint8Array;
}

export function deriveInviteKeys(secret: Uint8Array): InviteKeys {
	return {
		infoKey: deriveKey(secret, 'invite-info', NO_SALT),
		auth: signKeyPairFromSeed(deriveKey(secret, 'invite-auth', NO_SALT)),
		safetyKey: deriveKey(secret, 'invite-safety', NO_SALT)
	};
}

/** What the inviter tells the invitee, sealed under the invite key. */
export interface InviteInfo {
	doc: Uint8Array;
	inviter: Uint8Array;
	inviterName: string;
	title: string;
	kind: string;
	/** The audit trail this document's events go to (its audit document's id), if any. */
	audit?: Uint8Array;
	/** That trail's owners record, signed by an owner device (src/lib/audit/auditEntry.ts). */
	auditOwners?: Uint8Array;
	/**
	 * The role the inviter chose (issue 7): sealed here like everything else in the details, so
	 * the relay never learns it. The invitee's device shows it; the admitting device decides.
	 */
	role?: string;
	/**
	 * Further documents the invitee will be let into with this invite (a practice's channels,
	 * for a colleague): envelopes for them from the inviter are accepted like the main one.
	 */
	docs?: Uint8Array[];
}

export function sealInviteInfo(keys: InviteKeys, invite: Uint8Array, info: InviteInfo) {
	return seal(keys.infoKey, encodeCbor(info), concatBytes(utf8.encode('info'), invite));
}

export function openInviteInfo(
	keys: InviteKeys,
	invite: Uint8Array,
	sealed: Uint8Array
): InviteInfo | undefined {
	const plain = open(keys.infoKey, sealed, concatBytes(utf8.encode('info'), invite));
	if (!plain) return undefined;
	try {
		const info = decodeCbor(plain) as Record<string, unknown>;
		if (!(info.doc instanceof Uint8Array) || info.doc.length !== 32) return undefined;
		if (!(info.inviter instanceof Uint8Array) || info.inviter.length !== 32) return undefined;
		if (typeof info.inviterName !== 'string' || typeof info.title !== 'string') return undefined;
		if (typeof info.kind !== 'string') return undefined;
		if (info.audit !== undefined && !(info.audit instanceof Uint8Array && info.audit.length === 32)) {
			return undefined;
		}
		if (info.auditOwners !== undefined && !(info.auditOwners instanceof Uint8Array)) return undefined;
		if (info.role !== undefined && (typeof info.role !== 'string' || info.role.length > 32)) {
			return undefined;
		}
		if (info.docs !== undefined) {
			const docs = info.docs;
			const valid =
				Array.isArray(docs) &&
				docs.length <= 64 &&
				docs.every((d) => d instanceof Uint8Array && d.length === 32);
			if (!valid) return undefined;
		}
		return info as unknown as InviteInfo;
	} catch {
		return undefined;
	}
}

/** The invitee's profile (their chosen name), sealed under the invite key. */
export function sealProfile(keys: InviteKeys, invite: Uint8Array, device: Uint8Array, name: string) {
	return seal(keys.infoKey, encodeCbor({ name }), concatBytes(utf8.encode('profile'), invite, device));
}

export function openProfile(
	keys: InviteKeys,
	invite: Uint8Array,
	device: Uint8Array,
	sealed: Uint8Array
): { name: string } | undefined {
	const plain = open(keys.infoKey, sealed, concatBytes(utf8.encode('profile'), invite, device));
	if (!plain) return undefined;
	try {
		const profile = decodeCbor(plain) as Record<string, unknown>;
		return typeof profile.name === 'string' ? { name: profile.name } : undefined;
	} catch {
		return undefined;
	}
}

/** The invitee's device signs its box key and profile: the claim can't be rebound to another device. */
export function signClaimByDevice(
	device: SignKeyPair,
	invite: Uint8Array,
	boxPk: Uint8Array,
	profile: Uint8Array
) {
	return sign(device.privateKey, Tag.claim, invite, device.publicKey, boxPk, hash(Tag.payload, profile));
}

export function verifyClaimByDevice(
	devicePk: Uint8Array,
	sig: Uint8Array,
	invite: Uint8Array,
	boxPk: Uint8Array,
	profile: Uint8Array
): boolean {
	return verify(devicePk, sig, Tag.claim, invite, devicePk, boxPk, hash(Tag.payload, profile));
}

/** Proof to the relay that the claimer knows the invite secret, bound to this connection. */
export function signInviteProof(
	keys: InviteKeys,
	origin: string,
	challenge: Uint8Array,
	invite: Uint8Array,
	devicePk: Uint8Array,
	boxPk: Uint8Array,
	profile: Uint8Array
) {
	return sign(
		keys.auth.privateKey,
		Tag.inviteAuth,
		utf8.encode(origin),
		challenge,
		invite,
		devicePk,
		boxPk,
		hash(Tag.payload, profile)
	);
}

export function verifyInviteProof(
	authPk: Uint8Array,
	sig: Uint8Array,
	origin: string,
	challenge: Uint8Array,
	invite: Uint8Array,
	devicePk: Uint8Array,
	boxPk: Uint8Array,
	profile: Uint8Array
): boolean {
	return verify(
		authPk,
		sig,
		Tag.inviteAuth,
		utf8.encode(origin),
		challenge,
		invite,
		devicePk,
		boxPk,
		hash(Tag.payload, profile)
	);
}

/**
 * A six-digit code both people see: it covers the document, the inviter's device and the
 * invitee's device keys. A relay that swapped either key would make the two codes differ.
 */
export function safetyCode(
	keys: InviteKeys,
	doc: Uint8Array,
	inviterPk: Uint8Array,
	inviteePk: Uint8Array,
	inviteeBoxPk: Uint8Array
): string {
	const digest = keyedHash(keys.safetyKey, Tag.safetyCode, doc, inviterPk, inviteePk, inviteeBoxPk);
	const n = readU32(digest, 0) % 1_000_000;
	const digits = n.toString().padStart(6, '0');
	return `${digits.slice(0, 3)} ${digits.slice(3)}`;
}

/** `<id>.<secret>` as it appears after `#` in an invite link. */
export function formatInviteFragment(invite: Uint8Array, secret: Uint8Array): string {
	return `${toBase64Url(invite)}.${toBase64Url(secret)}`;
}

export function parseInviteFragment(
	fragment: string
): { invite: Uint8Array; secret: Uint8Array } | undefined {
	const match = /^#?([A-Za-z0-9_-]{22})\.([A-Za-z0-9_-]{22})$/.exec(fragment.trim());
	if (!match) return undefined;
	try {
		const invite = fromBase64Url(match[1]);
		const secret = fromBase64Url(match[2]);
		if (invite.length !== INVITE_ID_BYTES || secret.length !== INVITE_SECRET_BYTES) return undefined;
		return { invite, secret };
	} catch {
		return undefined;
	}
}

/**
 * Why a revoked invite can't be used, from the device's side: `declined` when the inviter
 * revoked it after this device's claim (the relay says so only to that device, docs/protocol.md),
 * otherwise `revoked` (cancelled).
 */
export type JoinRefusal = 'declined' | 'revoked';

/** Reads the refusal from an `invite.get` answer whose state is `revoked`. */
export function refusalOf(answer: Record<string, unknown>): JoinRefusal {
	return answer.declined === true ? 'declined' : 'revoked';
}
