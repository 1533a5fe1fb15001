import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { deriveContentKey, derivePresenceKey } from '../../../src/lib/crypto/documentKeys.js';
import {
	openPresence,
	PRESENCE_MAX_VECTOR,
	sealPresence,
	type SealPresenceParams,
	type VectorEntry
} from '../../../src/lib/crypto/presence.js';
import { generateSignKeyPair, signKeyPairFromSeed } from '../../../src/lib/crypto/primitives.js';
import { readyCrypto } from '../../../src/lib/crypto/sodium.js';
import { fromHex } from '../../../src/lib/protocol/bytes.js';
import { parseEntryHeader } from '../../../src/lib/protocol/entry.js';
import { PRESENCE_FRAME_BYTES, parsePresenceHeader } from '../../../src/lib/protocol/presence.js';

/**
 * Presence frames (rules 14 and 20): always PRESENCE_FRAME_BYTES long whatever they say, sealed
 * under a key only members derive, signed by the sender, and bound to one document and epoch.
 */

const SECRET = fromHex('000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f');
const DOC = fromHex('d0'.repeat(32));
const OTHER_DOC = fromHex('d1'.repeat(32));

let key: Uint8Array;
let device: ReturnType<typeof generateSignKeyPair>;

beforeAll(async () => {
	await readyCrypto();
	key = derivePresenceKey(deriveContentKey(SECRET, DOC, 0), DOC);
	device = signKeyPairFromSeed(new Uint8Array(32).fill(4));
});

function vectorOf(n: number): VectorEntry[] {
	return Array.from({ length: n }, (_, i) => ({
		author: new Uint8Array(32).fill(i + 1),
		incarnation: new Uint8Array(16).fill(200 - i),
		epoch: i,
		counter: 2 ** 40 + i
	}));
}

function params(overrides: Partial<SealPresenceParams> = {}): SealPresenceParams {
	return {
		key,
		doc: DOC,
		epoch: 1,
		device,
		online: true,
		typing: false,
		sentAt: 1_780_000_000_000,
		auditCounter: 12,
		vector: vectorOf(3),
		...overrides
	};
}

const keyFor = (epoch: number) => (epoch === 1 ? key : undefined);

describe('presence frames', () => {
	it('have one size for every state and vector length, and open to what was sealed', () => {
		fc.assert(
			fc.property(
				fc.boolean(),
				fc.boolean(),
				fc.integer({ min: 0, max: PRESENCE_MAX_VECTOR }),
				fc.maxSafeNat(),
				(online, typing, n, sentAt) => {
					const sealed = sealPresence(params({ online, typing, vector: vectorOf(n), sentAt }));

					expect(sealed.length).toBe(PRESENCE_FRAME_BYTES);
					const opened = openPresence(sealed, DOC, keyFor);
					expect(opened.ok && opened.presence).toEqual({
						device: device.publicKey,
						online,
						typing,
						sentAt,
						auditCounter: 12,
						vector: vectorOf(n)
					});
				}
			),
			{ numRuns: 40 }
		);
	});

	it('carry no name: members of any name length send frames of the same size', () => {
		// Names live in the document; a frame names the device only. Different devices and
		// states still give byte strings of one length.
		const sizes = new Set(
			[generateSignKeyPair(), generateSignKeyPair()].flatMap((d) => [
				sealPresence(params({ device: d, typing: true, vector: [] })).length,
				sealPresence(params({ device: d, online: false, vector: vectorOf(PRESENCE_MAX_VECTOR) })).length
			])
		);

		expect([...sizes]).toEqual([PRESENCE_FRAME_BYTES]);
	});

	it('refuses a vector longer than a frame holds', () => {
		expect(() => sealPresence(params({ vector: vectorOf(PRESENCE_MAX_VECTOR + 1) }))).toThrow();
	});

	it('rejects a frame with any byte altered (header, nonce, body or tag)', () => {
		const sealed = sealPresence(params());
		for (const at of [1, 5, 37, 40, 63, 64, 500, 1500, PRESENCE_FRAME_BYTES - 1]) {
			const tampered = sealed.slice();
			tampered[at] ^= 0x01;

			expect(openPresence(tampered, DOC, keyFor).ok, `byte ${at}`).toBe(false);
		}
		expect(openPresence(sealed, DOC, keyFor).ok).toBe(true);
	});

	it('rejects a frame for another document, an unknown epoch or another key', () => {
		const sealed = sealPresence(params());
		const otherKey = derivePresenceKey(deriveContentKey(SECRET, OTHER_DOC, 0), OTHER_DOC);
		const elsewhere = sealPresence(params({ doc: OTHER_DOC, key: otherKey }));

		expect(openPresence(sealed, OTHER_DOC, keyFor)).toEqual({ ok: false, why: 'wrong-document' });
		expect(openPresence(elsewhere, DOC, keyFor)).toEqual({ ok: false, why: 'wrong-document' });
		expect(openPresence(sealPresence(params({ epoch: 2 })), DOC, keyFor)).toEqual({
			ok: false,
			why: 'unknown-epoch'
		});
		expect(openPresence(sealed, DOC, () => otherKey)).toEqual({ ok: false, why: 'decrypt' });
	});

	it('rejects a member speaking for another device (signature by someone else)', () => {
		const other = generateSignKeyPair();
		// Sealed with the right key, but the body names `device` while `other` signs it.
		const forged = sealPresence(params({ device: { publicKey: device.publicKey, privateKey: other.privateKey } }));

		expect(openPresence(forged, DOC, keyFor)).toEqual({ ok: false, why: 'signature' });
	});

	it('is never taken for an entry, nor an entry for presence', () => {
		const sealed = sealPresence(params());

		expect(parseEntryHeader(sealed)).toBeUndefined();
		expect(parsePresenceHeader(sealed)).toMatchObject({ epoch: 1 });
		expect(sealed[1]).toBe(16);
		expect(parsePresenceHeader(sealed.subarray(0, PRESENCE_FRAME_BYTES - 1))).toBeUndefined();
	});
});
