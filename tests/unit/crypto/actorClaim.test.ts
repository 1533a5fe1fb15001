import { beforeAll, describe, expect, it } from 'vitest';
import { makeActorClaimMessage, parseActorClaimMessage } from '../../../src/lib/crypto/actorClaim.js';
import { sign, signKeyPairFromSeed, Tag, type SignKeyPair } from '../../../src/lib/crypto/primitives.js';
import { readyCrypto } from '../../../src/lib/crypto/sodium.js';
import { fromBase64Url, fromHex, toBase64Url, toHex } from '../../../src/lib/protocol/bytes.js';
import { decodeCbor, encodeCbor } from '../../../src/lib/protocol/cbor.js';

const DOC = fromHex('d0'.repeat(32));
const OTHER_DOC = fromHex('d1'.repeat(32));
const ACTOR = 'ac'.repeat(16);
const OTHER_ACTOR = 'bd'.repeat(16);

/** makeActorClaimMessage(RFC 8032 test-1 key, DOC, ACTOR), computed once and pinned. */
const PINNED_CLAIM =
	'tend-actor:uQAEY2RvY1gg0NDQ0NDQ0NDQ0NDQ0NDQ0NDQ0NDQ0NDQ0NDQ0NDQ0NBlYWN0b3J4IGFjYWNhY2FjYWNhY2Fj' +
	'YWNhY2FjYWNhY2FjYWNhY2FjZmRldmljZVgg11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURpjc2lnWECWmfP88vz6' +
	'm_lX9bWpZAavnxBytUTSV1iKmQwyVyQWt78WRSztUih5wPRHWIjl9CFAVPZOd7AgVPuvw9LzO58O';

let device: SignKeyPair;
let other: SignKeyPair;

beforeAll(async () => {
	await readyCrypto();
	device = signKeyPairFromSeed(fromHex('9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60'));
	other = signKeyPairFromSeed(fromHex('4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb'));
});

/** Decodes a claim message, lets the attack edit its fields, and encodes it again. */
function edit(message: string, change: (claim: Record<string, unknown>) => void): string {
	const claim = decodeCbor(fromBase64Url(message.slice('tend-actor:'.length))) as Record<string, unknown>;
	change(claim);
	return 'tend-actor:' + toBase64Url(encodeCbor(claim));
}

describe('actor claims (rule 12)', () => {
	it('makes a deterministic claim message (pinned vector) that parses to its fields', () => {
		const message = makeActorClaimMessage(device, DOC, ACTOR);
		const claim = parseActorClaimMessage(message);

		expect(message).toBe(PINNED_CLAIM);
		expect(claim?.actor).toBe(ACTOR);
		expect(toHex(claim!.doc)).toBe(toHex(DOC));
		expect(toHex(claim!.device)).toBe(toHex(device.publicKey));
	});

	it('rejects a claim moved to another document', () => {
		const moved = edit(PINNED_CLAIM, (c) => (c.doc = OTHER_DOC));

		expect(parseActorClaimMessage(moved)).toBeUndefined();
	});

	it('rejects a claim moved to another actor', () => {
		const moved = edit(PINNED_CLAIM, (c) => (c.actor = OTHER_ACTOR));

		expect(parseActorClaimMessage(moved)).toBeUndefined();
	});

	it('rejects a claim re-attributed to another device', () => {
		// Attack: take a valid claim and swap in another device key, so that device "owns" it.
		const moved = edit(PINNED_CLAIM, (c) => (c.device = other.publicKey));

		expect(parseActorClaimMessage(moved)).toBeUndefined();
	});

	it('rejects a claim naming a victim device but signed by another device', () => {
		const forged = edit(PINNED_CLAIM, (c) => {
			c.sig = sign(other.privateKey, Tag.actorClaim, DOC, fromHex(ACTOR));
		});

		expect(parseActorClaimMessage(forged)).toBeUndefined();
	});

	it('rejects a claim signed under another domain tag', () => {
		const forged = edit(PINNED_CLAIM, (c) => {
			c.sig = sign(device.privateKey, Tag.entry, DOC, fromHex(ACTOR));
		});

		expect(parseActorClaimMessage(forged)).toBeUndefined();
	});

	it('rejects a flipped signature bit', () => {
		const forged = edit(PINNED_CLAIM, (c) => {
			const sig = (c.sig as Uint8Array).slice();
			sig[10] ^= 1;
			c.sig = sig;
		});

		expect(parseActorClaimMessage(forged)).toBeUndefined();
	});

	it('returns undefined, never throws, for missing, malformed or oversize messages', () => {
		const malformed = [
			undefined,
			null,
			'',
			'hello',
			'tend-actor:',
			'tend-actor:***',
			'tend-actor:' + toBase64Url(encodeCbor(null)),
			'tend-actor:' + toBase64Url(encodeCbor([1, 2, 3])),
			'tend-actor:' + toBase64Url(encodeCbor('text')),
			edit(PINNED_CLAIM, (c) => (c.actor = 'not hex!')),
			edit(PINNED_CLAIM, (c) => (c.actor = 42)),
			edit(PINNED_CLAIM, (c) => (c.doc = 'd0d0')),
			edit(PINNED_CLAIM, (c) => delete c.sig),
			edit(PINNED_CLAIM, (c) => (c.sig = new Uint8Array(63))),
			edit(PINNED_CLAIM, (c) => (c.device = new Uint8Array(31))),
			PINNED_CLAIM + 'A'.repeat(1024),
			PINNED_CLAIM.replace('tend-actor:', 'tend-actoR:')
		];

		for (const message of malformed) expect(parseActorClaimMessage(message)).toBeUndefined();
	});
});
