import { beforeAll, describe, expect, it } from 'vitest';
import { deriveContentKey } from '../../../src/lib/crypto/documentKeys.js';
import {
	INCARNATION_BYTES,
	MAX_ENTRY_PAYLOAD,
	openEntry,
	paddingBlock,
	sealEntry,
	type EntryAuthor,
	type SealEntryParams
} from '../../../src/lib/crypto/entry.js';
import {
	generateSignKeyPair,
	hash,
	sign,
	signKeyPairFromSeed,
	Tag
} from '../../../src/lib/crypto/primitives.js';
import { readyCrypto } from '../../../src/lib/crypto/sodium.js';
import { concatBytes, fromHex, toHex, u32, u64, utf8 } from '../../../src/lib/protocol/bytes.js';
import {
	encodeEntryHeader,
	ENTRY_HEADER_BYTES,
	entryId,
	EntryKind,
	parseEntryHeader
} from '../../../src/lib/protocol/entry.js';
import { openInner, sealInner } from '../../helpers/forgeEntry.js';

const SECRET = fromHex('000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f');
const DOC = fromHex('d0'.repeat(32));
const OTHER_DOC = fromHex('d1'.repeat(32));
const SEED = fromHex('9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60');

/**
 * An entry sealed once by format version 1 (author: the RFC 8032 test-1 key, incarnation 0x11…,
 * counter 7, epoch 2, payload "hello", content key deriveContentKey(SECRET, DOC, 0)). Opening it
 * pins the header layout, the inner layout, the padding and the signed bytes.
 */
const GOLDEN_ENTRY =
	'01010000d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d000000002f2c3f8471bf302af1e0abdf05c7cdf95a6944835e9a4f79a9ffc9f4c1a04383ca1d2b4cd7863e25be3d652ecfeda655f28db32952b1ecaddfb4679112cb098d17143cd09182a072a590cc2b62797a740e20e1163f9f7a5921bb03e94e994ee51396bc7e040b743e2bcd9e298cf75a98782dc0736a00d25970818725586399936783c4b04beed111ddc510a01017c206677a85a4c53af5a1f406c9c97523b28df369d43e242e30be7bbcc1cf084907a3be05f9f4c9d109348cc7127a28b39c6e3d16f82e898d68228cc812f4623af9db6f1ace4cfc6499fd7158adff402c9819c92f5f2a4110cde2dbf471425985a958084c82c0111cdf25cfbf5aeaf5f6025b656efbf1279b4bbafd352c8c1efdd888054961f8a6617810d094121262bb498aad6d7194e8db2dd52b8cd23a0e8c26141830930e225e404ca25e6a6a073831154553952e755bac0564134dc22dfc8dadb9b7c24b887fb14a2bed51a290261eb8639873005ad2d544dc529e768f811c1a35db8b21cd36476ae089dc5d8e32e73b56eb4780f294517726e829d267ba37e13df102001f0cc378eaf8b3c067d6ee5c80f37c35d310ffc6d6770d3cf1cc0bf9601eb9d385435a6ba192c662aa12d9e742755ecabfdd593d8dd80f98e50a8503efb895625b1bf827d50ed26fe2984c27b8598ed01532450e1b759d18eb9bc378aff35f216c0896eedff9a7919d44286a7270ddde6bbe8bc3b6c44260451ecfa24af631d6430cda93aced73b9ecfd1b1e8580f97505fb3781e';

let contentKey: Uint8Array;
let author: EntryAuthor;

beforeAll(async () => {
	await readyCrypto();
	contentKey = deriveContentKey(SECRET, DOC, 0);
	author = { device: signKeyPairFromSeed(SEED), incarnation: fromHex('11'.repeat(16)) };
});

function params(overrides: Partial<SealEntryParams> = {}): SealEntryParams {
	return {
		contentKey,
		kind: EntryKind.changes,
		doc: DOC,
		epoch: 2,
		author,
		counter: 7,
		payload: utf8.encode('hello'),
		...overrides
	};
}

/** Holds epochs 0–3, all of key generation 0 (they share a content key). */
const keys = (epoch: number) => (epoch <= 3 ? contentKey : undefined);

function flip(bytes: Uint8Array, index: number, bit = 1): Uint8Array {
	const out = bytes.slice();
	out[index] ^= bit;
	return out;
}

describe('sealEntry and openEntry', () => {
	it('opens the golden entry of format version 1', () => {
		const result = openEntry(fromHex(GOLDEN_ENTRY), DOC, keys);

		expect(result.ok).toBe(true);
		if (!result.ok) return;
		expect(result.entry.header).toEqual({ version: 1, kind: EntryKind.changes, doc: DOC, epoch: 2 });
		expect(toHex(result.entry.author)).toBe(toHex(author.device.publicKey));
		expect(toHex(result.entry.incarnation)).toBe('11'.repeat(16));
		expect(result.entry.counter).toBe(7);
		expect(utf8.decode(result.entry.payload)).toBe('hello');
	});

	it('round-trips author, incarnation, counter and payload', () => {
		const payload = utf8.encode('x'.repeat(1000));
		const sealed = sealEntry(params({ payload, counter: 2 ** 40 }));
		const result = openEntry(sealed, DOC, keys);

		expect(result.ok && result.entry.counter).toBe(2 ** 40);
		expect(result.ok && result.entry.payload).toEqual(payload);
		expect(toHex(sealed.subarray(0, ENTRY_HEADER_BYTES))).toBe(
			toHex(encodeEntryHeader({ kind: EntryKind.changes, doc: DOC, epoch: 2 }))
		);
	});

	it('seals the same entry twice into different bytes (random nonce) with different ids', () => {
		const a = sealEntry(params());
		const b = sealEntry(params());

		expect(toHex(a)).not.toBe(toHex(b));
		expect(toHex(entryId(a))).not.toBe(toHex(entryId(b)));
		expect(toHex(entryId(a))).toBe(toHex(hash(Tag.entryId, a)));
	});

	it('hides the payload length inside padding buckets of 512, 1024, 2048, … bytes', () => {
		// inner = 124 fixed bytes + payload; sealed = 40 header + 24 nonce + bucket + 16 tag.
		const sizeFor = (payloadLength: number) =>
			sealEntry(params({ payload: new Uint8Array(payloadLength) })).length;

		expect(sizeFor(0)).toBe(80 + 512);
		expect(sizeFor(387)).toBe(80 + 512);
		expect(sizeFor(388)).toBe(80 + 1024);
		expect(sizeFor(899)).toBe(80 + 1024);
		expect(sizeFor(900)).toBe(80 + 2048);
		expect(sizeFor(5000)).toBe(80 + 8192);
		expect(sizeFor(MAX_ENTRY_PAYLOAD)).toBe(80 + 512 * 1024);
	});

	it('chooses buckets: 512 below 512 bytes, then the next power of two above the length', () => {
		expect([0, 511, 512, 1023, 1024, 4096].map(paddingBlock)).toEqual([512, 512, 1024, 1024, 2048, 8192]);
	});

	it('refuses to seal an oversize payload or a malformed incarnation', () => {
		expect(() => sealEntry(params({ payload: new Uint8Array(MAX_ENTRY_PAYLOAD + 1) }))).toThrow();
		const badAuthor = { ...author, incarnation: new Uint8Array(INCARNATION_BYTES - 1) };
		expect(() => sealEntry(params({ author: badAuthor }))).toThrow();
	});
});

describe('openEntry rejects (rule 8: an entry cannot be moved, altered or forged)', () => {
	it('rejects an entry spliced into another document: header doc id changed', () => {
		const sealed = sealEntry(params());
		const spliced = sealed.slice();
		spliced.set(OTHER_DOC, 4);

		// The receiver of the other document holds a key for it; the AEAD header binding stops it.
		expect(openEntry(spliced, OTHER_DOC, keys)).toEqual({ ok: false, why: 'decrypt' });
		expect(openEntry(spliced, DOC, keys)).toEqual({ ok: false, why: 'wrong-document' });
	});

	it('rejects an entry spliced into another epoch that shares its content key', () => {
		// Epochs 2 and 3 share key generation 0, so only the header binding notices the move,
		// which matters because epochs differ in who may write.
		const spliced = sealEntry(params({ epoch: 2 }));
		new DataView(spliced.buffer).setUint32(36, 3);

		expect(parseEntryHeader(spliced)?.epoch).toBe(3);
		expect(openEntry(spliced, DOC, keys)).toEqual({ ok: false, why: 'decrypt' });
	});

	it('rejects an entry spliced into another kind (changes → snapshot)', () => {
		const spliced = sealEntry(params());
		spliced[1] = EntryKind.snapshot;

		expect(openEntry(spliced, DOC, keys)).toEqual({ ok: false, why: 'decrypt' });
	});

	it('rejects a header with another version, an unknown kind or non-zero reserved bytes', () => {
		const sealed = sealEntry(params());

		for (const [index, value] of [
			[0, 2],
			[1, 0],
			[1, 9],
			[2, 1],
			[3, 1]
		]) {
			const bad = sealed.slice();
			bad[index] = value;
			expect(openEntry(bad, DOC, keys)).toEqual({ ok: false, why: 'malformed' });
		}
		// An entry relabelled as an audit entry (kind 3) doesn't open: the header is bound.
		const relabelled = sealed.slice();
		relabelled[1] = 3;
		expect(openEntry(relabelled, DOC, keys).ok).toBe(false);
	});

	it('rejects every flipped byte of the nonce, ciphertext and tag', () => {
		const sealed = sealEntry(params());

		for (let i = ENTRY_HEADER_BYTES; i < sealed.length; i += 7) {
			expect(openEntry(flip(sealed, i), DOC, keys)).toEqual({ ok: false, why: 'decrypt' });
		}
		expect(openEntry(flip(sealed, sealed.length - 1, 0x80), DOC, keys).ok).toBe(false);
	});

	it('rejects truncated and extended entries', () => {
		const sealed = sealEntry(params());

		expect(openEntry(sealed.subarray(0, sealed.length - 1), DOC, keys)).toEqual({ ok: false, why: 'decrypt' });
		expect(openEntry(concatBytes(sealed, new Uint8Array(1)), DOC, keys)).toEqual({ ok: false, why: 'decrypt' });
		expect(openEntry(sealed.subarray(0, 79), DOC, keys)).toEqual({ ok: false, why: 'malformed' });
		expect(openEntry(sealed.subarray(0, 3), DOC, keys)).toEqual({ ok: false, why: 'malformed' });
		expect(openEntry(new Uint8Array(0), DOC, keys)).toEqual({ ok: false, why: 'malformed' });
	});

	it('rejects an entry under a wrong content key', () => {
		const sealed = sealEntry(params({ contentKey: deriveContentKey(SECRET, DOC, 1) }));

		expect(openEntry(sealed, DOC, keys)).toEqual({ ok: false, why: 'decrypt' });
	});

	it('reports an epoch it holds no key for as unknown-epoch', () => {
		const sealed = sealEntry(params({ epoch: 4 }));

		expect(openEntry(sealed, DOC, keys)).toEqual({ ok: false, why: 'unknown-epoch' });
	});

	it('rejects a payload altered and re-sealed by a reader who holds the content key', () => {
		// Attack: every member holds the content key, so the AEAD alone can't stop a member from
		// rewriting another author's entry; the author's inner signature must.
		const sealed = sealEntry(params({ payload: utf8.encode('hello') }));
		const inner = openInner(contentKey, sealed);
		const altered = inner.slice();
		altered[60] ^= 0x20; // 'h' → 'H'
		const header = sealed.subarray(0, ENTRY_HEADER_BYTES);

		expect(openEntry(sealInner(contentKey, header, inner), DOC, keys).ok).toBe(true);
		expect(openEntry(sealInner(contentKey, header, altered), DOC, keys)).toEqual({ ok: false, why: 'signature' });
	});

	it('rejects an altered counter or incarnation re-sealed by a key holder', () => {
		const sealed = sealEntry(params());
		const header = sealed.subarray(0, ENTRY_HEADER_BYTES);
		const inner = openInner(contentKey, sealed);

		expect(openEntry(sealInner(contentKey, header, flip(inner, 55)), DOC, keys)).toEqual({ ok: false, why: 'signature' });
		expect(openEntry(sealInner(contentKey, header, flip(inner, 40)), DOC, keys)).toEqual({ ok: false, why: 'signature' });
	});

	it('rejects a forged entry naming a victim as author but signed by another key', () => {
		const victim = author.device.publicKey;
		const attacker = generateSignKeyPair();
		const header = encodeEntryHeader({ kind: EntryKind.changes, doc: DOC, epoch: 2 });
		const incarnation = new Uint8Array(16);
		const payload = utf8.encode('forged');
		const signature = sign(attacker.privateKey, Tag.entry, header, victim, incarnation, u64(1), hash(Tag.payload, payload));
		const inner = concatBytes(victim, incarnation, u64(1), u32(payload.length), payload, signature);

		expect(openEntry(sealInner(contentKey, header, inner), DOC, keys)).toEqual({ ok: false, why: 'signature' });
	});

	it('rejects an inner signature made for another purpose (no tag separation)', () => {
		const header = encodeEntryHeader({ kind: EntryKind.changes, doc: DOC, epoch: 2 });
		const device = author.device;
		const incarnation = new Uint8Array(16);
		const payload = utf8.encode('x');
		const parts = [header, device.publicKey, incarnation, u64(1), hash(Tag.payload, payload)];
		const wrongTag = sign(device.privateKey, Tag.envelope, ...parts);
		const inner = concatBytes(device.publicKey, incarnation, u64(1), u32(payload.length), payload, wrongTag);

		expect(openEntry(sealInner(contentKey, header, inner), DOC, keys)).toEqual({ ok: false, why: 'signature' });
	});

	it('rejects a sealed inner whose declared payload length does not match', () => {
		const sealed = sealEntry(params());
		const header = sealed.subarray(0, ENTRY_HEADER_BYTES);
		const inner = openInner(contentKey, sealed);
		const longer = inner.slice();
		new DataView(longer.buffer).setUint32(56, 6);
		const huge = inner.slice();
		new DataView(huge.buffer).setUint32(56, 0xffffffff);

		expect(openEntry(sealInner(contentKey, header, longer), DOC, keys)).toEqual({ ok: false, why: 'malformed' });
		expect(openEntry(sealInner(contentKey, header, huge), DOC, keys)).toEqual({ ok: false, why: 'malformed' });
		expect(openEntry(sealInner(contentKey, header, inner.subarray(0, 100)), DOC, keys)).toEqual({ ok: false, why: 'malformed' });
	});

	// Regression: readU64 throws for counters of 2^53 and above. Any holder of the content key can
	// seal such an entry; if openEntry threw, DocSync.receive would fail on it forever.
	it('returns malformed, never throws, for a counter beyond the safe integer range', () => {
		const sealed = sealEntry(params());
		const header = sealed.subarray(0, ENTRY_HEADER_BYTES);
		const inner = openInner(contentKey, sealed);
		inner.fill(0xff, 48, 56);

		expect(openEntry(sealInner(contentKey, header, inner), DOC, keys).ok).toBe(false);
	});
});
