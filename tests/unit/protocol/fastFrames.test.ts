import { Buffer } from 'node:buffer';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeCbor } from '../../../src/lib/protocol/cbor.js';
import { encodeEntries, encodePushOk } from '../../../src/lib/protocol/fastFrames.js';
import { decodeServerFrame, encodeFrame } from '../../../src/lib/protocol/frames.js';

/**
 * The relay writes `ok` answers to pushes and `entries` frames by hand (fastFrames.ts). Devices
 * read them with the generic decoder, so for every value they must decode to exactly what the
 * generic encoder's frame decodes to, at every integer and length boundary of CBOR's heads.
 */

const uint = fc.oneof(
	fc.constantFrom(0, 23, 24, 255, 256, 65535, 65536, 2 ** 32 - 1, 2 ** 32, Number.MAX_SAFE_INTEGER),
	fc.nat(),
	fc.maxSafeNat()
);
const bytes = (max: number) =>
	fc.oneof(
		fc.uint8Array({ maxLength: max }),
		fc.constantFrom(23, 24, 255, 256, 65535, 65536).map((n) => new Uint8Array(n).fill(n % 251))
	);

/**
 * What a device reads from the frame, in a form cheap to compare: decoded as devices decode it
 * (schema checked), then encoded again by the generic encoder. Equal bytes mean equal frames;
 * comparing large byte arrays element by element would be far slower.
 */
function decoded(frame: Uint8Array): string {
	const result = decodeServerFrame(frame);
	if (!result.ok) throw new Error(`not a valid frame: ${result.why}`);
	return Buffer.from(encodeFrame(result.frame)).toString('base64');
}

describe('fastFrames', () => {
	it('encodes a push answer as the generic encoder would', () => {
		fc.assert(
			fc.property(uint, uint, fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.boolean(), (rid, seq, id, dup) => {
				const fast = encodePushOk(rid, seq, id, dup);
				const generic = encodeFrame({ t: 'ok', rid, seq, id, dup });

				expect(decoded(fast)).toEqual(decoded(generic));
				expect(fast.byteLength).toBe(fast.buffer.byteLength);
			})
		);
	});

	it('encodes entries frames as the generic encoder would', () => {
		const item = fc.record({ seq: uint, b: bytes(2000) });
		// The large items (up to 64 KiB) make this the slowest property here; 30 runs suffice.
		fc.assert(
			fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.array(item, { maxLength: 12 }), (doc, items) => {
				const fast = encodeEntries(doc, items);
				const generic = encodeFrame({ t: 'entries', doc, items });

				expect(decoded(fast)).toEqual(decoded(generic));
			}),
			{ numRuns: 30 }
		);
	});

	it('writes seqs from 2^32 on as numbers a device accepts, not as BigInts', () => {
		const doc = new Uint8Array(32).fill(5);

		const answer = decodeCbor(encodePushOk(7, 2 ** 40 + 1, doc, true));

		expect(answer).toMatchObject({ t: 'ok', rid: 7, seq: 2 ** 40 + 1, dup: true });
		expect(() => encodePushOk(7, 2 ** 53, doc, true)).toThrow();
	});
});
