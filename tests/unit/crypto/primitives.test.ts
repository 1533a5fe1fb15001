import { beforeAll, describe, expect, it } from 'vitest';
import {
	deriveKey,
	generateBoxKeyPair,
	hash,
	keyedHash,
	open,
	openFromSealedBox,
	pad,
	seal,
	sealToDevice,
	sign,
	signKeyPairFromSeed,
	Tag,
	unpad,
	verify
} from '../../../src/lib/crypto/primitives.js';
import { readyCrypto, sodium } from '../../../src/lib/crypto/sodium.js';
import { deriveAccessKey, deriveContentKey } from '../../../src/lib/crypto/documentKeys.js';
import { concatBytes, fromHex, lengthPrefixed, toHex, utf8 } from '../../../src/lib/protocol/bytes.js';

/** RFC 8032 §7.1, tests 1 and 2: Ed25519 secret seeds and their public keys. */
const RFC8032_SEED_1 = '9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60';
const RFC8032_PK_1 = 'd75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a';
const RFC8032_SEED_2 = '4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb';
const RFC8032_PK_2 = '3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c';

/** draft-irtf-cfrg-xchacha-03 §A.3.1: the AEAD_XChaCha20_Poly1305 test vector. */
const XCHACHA = {
	key: '808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f',
	nonce: '404142434445464748494a4b4c4d4e4f5051525354555657',
	ad: '50515253c0c1c2c3c4c5c6c7',
	plaintext:
		"Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the future, sunscreen would be it.",
	ciphertextAndTag:
		'bd6d179d3e83d43b9576579493c0e939572a1700252bfaccbed2902c21396cbb731c7f1b0b4aa6440bf3a82f4eda7e39' +
		'ae64c6708c54c216cb96b72e1213b4522f8c9ba40db5d945b11b69b982c1bb9e3f3fac2bc369488f76b2383565d3fff9' +
		'21f9664c97637da9768812f615c68b13b52ec0875924c1c7987947deafd8780acf49'
};

/** Fixed inputs for Tend's own constructions; outputs below were computed once and pinned. */
const SECRET = fromHex('000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f');
const DOC = fromHex('d0'.repeat(32));
const ABC = utf8.encode('abc');

function flip(bytes: Uint8Array, index: number, bit = 1): Uint8Array {
	const out = bytes.slice();
	out[index < 0 ? out.length + index : index] ^= bit;
	return out;
}

beforeAll(async () => {
	await readyCrypto();
});

describe('signKeyPairFromSeed', () => {
	it('derives the RFC 8032 public keys from their seeds', () => {
		expect(toHex(signKeyPairFromSeed(fromHex(RFC8032_SEED_1)).publicKey)).toBe(RFC8032_PK_1);
		expect(toHex(signKeyPairFromSeed(fromHex(RFC8032_SEED_2)).publicKey)).toBe(RFC8032_PK_2);
	});
});

describe('hash and keyedHash', () => {
	it('hash BLAKE2b-256 over the length-prefixed tag and parts (pinned vector)', () => {
		expect(toHex(hash(Tag.payload, ABC))).toBe(
			'581955e23954c84e9e53897b584551d554cb9e061fadda5d042eb61bb1da9645'
		);
		const manual = sodium().crypto_generichash(32, lengthPrefixed(Tag.payload, ABC), null);
		expect(toHex(hash(Tag.payload, ABC))).toBe(toHex(manual));
	});

	it('keyedHash is keyed BLAKE2b-256 over the length-prefixed tag and parts (pinned vector)', () => {
		expect(toHex(keyedHash(SECRET, Tag.storageKey, 'tend', 'doc'))).toBe(
			'70120f98d6ff50465548a783c431654cc1b6fa343d9e729e62626cf6841146dd'
		);
	});

	it('separates domains: the same parts under different tags hash differently', () => {
		const tags = Object.values(Tag);
		const hashes = new Set(tags.map((tag) => toHex(hash(tag, ABC))));
		const keyed = new Set(tags.map((tag) => toHex(keyedHash(SECRET, tag, ABC))));

		expect(hashes.size).toBe(tags.length);
		expect(keyed.size).toBe(tags.length);
		expect(toHex(hash(Tag.entryId, ABC))).toBe(
			'2d93eccacfd0fd3dabced251ce118ecbea6a69df0bef51b0ab64eadc58746091'
		);
	});

	it('keeps part boundaries: moving bytes between parts changes the hash', () => {
		// Attack on naive concatenation: ("ab", "c") and ("a", "bc") would collide.
		const a = hash(Tag.payload, utf8.encode('ab'), utf8.encode('c'));
		const b = hash(Tag.payload, utf8.encode('a'), utf8.encode('bc'));
		const c = hash(Tag.payload, ABC);

		expect(toHex(a)).not.toBe(toHex(b));
		expect(toHex(a)).not.toBe(toHex(c));
	});

	it('keyedHash under another key gives another output', () => {
		expect(toHex(keyedHash(SECRET, Tag.kdf, ABC))).not.toBe(
			toHex(keyedHash(flip(SECRET, 0), Tag.kdf, ABC))
		);
	});
});

describe('deriveKey', () => {
	it('gives a fixed output for fixed inputs (pinned vector)', () => {
		expect(toHex(deriveKey(SECRET, 'content', fromHex('aa'.repeat(32)), 1, 2))).toBe(
			'cc22d167db5eb4b4550112a23f204b0497d2a2e8e09f6dfcd9653f3a3d842a2c'
		);
	});

	it('derives a different key when any of purpose, salt, generation, period or secret differs', () => {
		const base = toHex(deriveKey(SECRET, 'content', DOC, 1, 2));
		const variants = [
			deriveKey(SECRET, 'access', DOC, 1, 2),
			deriveKey(SECRET, 'content', flip(DOC, 31), 1, 2),
			deriveKey(SECRET, 'content', DOC, 2, 2),
			deriveKey(SECRET, 'content', DOC, 1, 3),
			deriveKey(flip(SECRET, 5), 'content', DOC, 1, 2)
		].map(toHex);

		expect(new Set([base, ...variants]).size).toBe(6);
	});

	it('derives the document access and content keys of docs/security.md (pinned vectors)', () => {
		expect(toHex(deriveAccessKey(SECRET, 0).publicKey)).toBe(
			'7d316bb00a763dc3da571ce82e55a4e209ae50922e4a9c4f383a0f7aca275475'
		);
		expect(toHex(deriveContentKey(SECRET, DOC, 0))).toBe(
			'dab6d7fe218946105fda5c74ceee857e8e94273d40be29f7c85f1c4863f3631e'
		);
		expect(toHex(deriveAccessKey(SECRET, 1).publicKey)).not.toBe(
			toHex(deriveAccessKey(SECRET, 0).publicKey)
		);
		expect(toHex(deriveContentKey(SECRET, DOC, 0, 1))).not.toBe(
			toHex(deriveContentKey(SECRET, DOC, 0, 0))
		);
	});
});

describe('sign and verify', () => {
	const pair = () => signKeyPairFromSeed(fromHex(RFC8032_SEED_1));
	const other = () => signKeyPairFromSeed(fromHex(RFC8032_SEED_2));
	const PINNED_SIG =
		'9e3ae920d451f27b451a5a407e982be20b91c30c36ce672806f177d762c3ef3a' +
		'e5a3c36dfb83e6315e7937e5123e05ce49f82ba8ba5f6a618bb767e8ec113b08';

	it('signs deterministically over the tag and parts (pinned vector) and verifies', () => {
		const sig = sign(pair().privateKey, Tag.entry, new Uint8Array([1, 2, 3]));

		expect(toHex(sig)).toBe(PINNED_SIG);
		expect(verify(pair().publicKey, sig, Tag.entry, new Uint8Array([1, 2, 3]))).toBe(true);
	});

	it('rejects a flipped bit in the message, the signature or the key', () => {
		const message = new Uint8Array([1, 2, 3]);
		const sig = fromHex(PINNED_SIG);
		const pk = pair().publicKey;

		expect(verify(pk, sig, Tag.entry, flip(message, 2))).toBe(false);
		for (const i of [0, 31, 32, 63]) expect(verify(pk, flip(sig, i), Tag.entry, message)).toBe(false);
		expect(verify(flip(pk, 0), sig, Tag.entry, message)).toBe(false);
		expect(verify(other().publicKey, sig, Tag.entry, message)).toBe(false);
	});

	it('rejects a signature made for another purpose (domain separation, rule 6)', () => {
		// Attack: replay an access-proof signature as an entry signature over the same bytes.
		const sig = sign(pair().privateKey, Tag.access, new Uint8Array([1, 2, 3]));

		expect(verify(pair().publicKey, sig, Tag.entry, new Uint8Array([1, 2, 3]))).toBe(false);
	});

	it('rejects a signature whose parts were split differently', () => {
		const sig = sign(pair().privateKey, Tag.entry, new Uint8Array([1, 2]), new Uint8Array([3]));

		expect(verify(pair().publicKey, sig, Tag.entry, new Uint8Array([1]), new Uint8Array([2, 3]))).toBe(false);
		expect(verify(pair().publicKey, sig, Tag.entry, new Uint8Array([1, 2, 3]))).toBe(false);
	});

	it('returns false, never throws, for keys and signatures of the wrong length', () => {
		const sig = fromHex(PINNED_SIG);
		const message = new Uint8Array([1, 2, 3]);

		expect(verify(pair().publicKey.subarray(0, 31), sig, Tag.entry, message)).toBe(false);
		expect(verify(pair().publicKey, sig.subarray(0, 63), Tag.entry, message)).toBe(false);
		expect(verify(new Uint8Array(32), new Uint8Array(64), Tag.entry, message)).toBe(false);
		expect(verify(new Uint8Array(32).fill(0xff), sig, Tag.entry, message)).toBe(false);
	});
});

describe('seal and open', () => {
	const key = fromHex('42'.repeat(32));
	const ad = utf8.encode('associated');
	const plaintext = utf8.encode('session notes');

	it('opens the XChaCha20-Poly1305 test vector laid out as nonce ‖ ciphertext ‖ tag', () => {
		const sealed = concatBytes(fromHex(XCHACHA.nonce), fromHex(XCHACHA.ciphertextAndTag));
		const opened = open(fromHex(XCHACHA.key), sealed, fromHex(XCHACHA.ad));

		expect(opened && new TextDecoder().decode(opened)).toBe(XCHACHA.plaintext);
	});

	it('round-trips with a fresh nonce each time', () => {
		const a = seal(key, plaintext, ad);
		const b = seal(key, plaintext, ad);

		expect(a.length).toBe(24 + plaintext.length + 16);
		expect(toHex(a.subarray(0, 24))).not.toBe(toHex(b.subarray(0, 24)));
		expect(open(key, a, ad)).toEqual(plaintext);
		expect(open(key, b, ad)).toEqual(plaintext);
	});

	it('returns undefined for a wrong key, wrong associated data, truncation or any flipped byte', () => {
		const sealed = seal(key, plaintext, ad);

		expect(open(flip(key, 0), sealed, ad)).toBeUndefined();
		expect(open(key, sealed, utf8.encode('associatee'))).toBeUndefined();
		expect(open(key, sealed, new Uint8Array(0))).toBeUndefined();
		expect(open(key, sealed.subarray(0, sealed.length - 1), ad)).toBeUndefined();
		expect(open(key, sealed.subarray(0, 39), ad)).toBeUndefined();
		expect(open(key, sealed.subarray(0, 10), ad)).toBeUndefined();
		expect(open(key, new Uint8Array(0), ad)).toBeUndefined();
		for (let i = 0; i < sealed.length; i++) expect(open(key, flip(sealed, i), ad)).toBeUndefined();
	});
});

describe('sealToDevice and openFromSealedBox', () => {
	it('opens only with the recipient box key and rejects tampering', () => {
		const recipient = generateBoxKeyPair();
		const stranger = generateBoxKeyPair();
		const sealed = sealToDevice(recipient.publicKey, SECRET);

		expect(openFromSealedBox(recipient, sealed)).toEqual(SECRET);
		expect(openFromSealedBox(stranger, sealed)).toBeUndefined();
		expect(openFromSealedBox(recipient, flip(sealed, -1))).toBeUndefined();
		expect(openFromSealedBox(recipient, sealed.subarray(0, 40))).toBeUndefined();
	});
});

describe('pad and unpad', () => {
	it('pads ISO/IEC 7816-4 style to a multiple of the block, always adding at least one byte', () => {
		const padded = pad(new Uint8Array([1, 2, 3]), 8);

		expect(toHex(padded)).toBe('0102038000000000');
		expect(pad(new Uint8Array(8), 8).length).toBe(16);
		expect(pad(new Uint8Array(0), 512).length).toBe(512);
		expect(pad(new Uint8Array(511), 512).length).toBe(512);
		expect(pad(new Uint8Array(512), 512).length).toBe(1024);
	});

	it('unpads what pad produced', () => {
		for (const length of [0, 1, 7, 8, 9, 511, 512, 513]) {
			const bytes = new Uint8Array(length).fill(0x80);
			const padded = pad(bytes, 512);
			expect(unpad(padded, 512)).toEqual(bytes);
			expect(unpad(padded, padded.length)).toEqual(bytes);
		}
	});

	it('returns undefined, never throws, for bytes without valid padding', () => {
		expect(unpad(new Uint8Array(8), 8)).toBeUndefined();
		expect(unpad(fromHex('0102030000000001'), 8)).toBeUndefined();
		expect(unpad(new Uint8Array(0), 8)).toBeUndefined();
	});
});
