import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { concatBytes, toHex, utf8 } from '../../../src/lib/protocol/bytes.js';
import { encodeCbor } from '../../../src/lib/protocol/cbor.js';
import { isErrorCode } from '../../../src/lib/protocol/errors.js';
import {
	decodeRequest,
	decodeServerFrame,
	encodeFrame,
	MAX_FRAME_BYTES,
	pushSchemas,
	requestSchemas,
	type DecodeResult
} from '../../../src/lib/protocol/frames.js';

/**
 * The relay runs decodeRequest on every byte string anyone sends it, and devices run
 * decodeServerFrame on everything a (possibly hostile) relay sends. Both must answer every input
 * with a result, never an exception, and accept nothing that doesn't match the schema.
 */

type Decoder = (bytes: Uint8Array) => DecodeResult<unknown>;
const decoders: [string, Decoder][] = [
	['decodeRequest', decodeRequest],
	['decodeServerFrame', decodeServerFrame]
];

const key32 = new Uint8Array(32).fill(7);
const sig64 = new Uint8Array(64).fill(9);
const id16 = new Uint8Array(16).fill(3);

/** One valid example value per field kind. */
const example: Record<string, unknown> = {
	id16,
	key32,
	sig64,
	bytes: new Uint8Array([1, 2, 3]),
	uint: 5,
	uints: [1, 2],
	text: 'fine',
	items: [{ seq: 1, b: new Uint8Array([1]) }],
	claims: [{ invite: id16, device: key32, boxPk: key32, profile: new Uint8Array(4), deviceSig: sig64 }]
};

/** Values of the wrong kind for each field kind (including lengths off by one). */
const wrong: Record<string, unknown[]> = {
	id16: [new Uint8Array(15), new Uint8Array(17), 'AAAAAAAAAAAAAAAAAAAAAA', 16, [1, 2], null],
	key32: [new Uint8Array(31), new Uint8Array(33), 'k'.repeat(32), 32, { 0: 1 }, true],
	sig64: [new Uint8Array(63), new Uint8Array(65), 'sig', -1],
	bytes: ['bytes', 3, [1, 2, 3], { length: 3 }, null],
	uint: [-1, 1.5, 2 ** 53, '5', NaN, Infinity, null, new Uint8Array([5]), 2n ** 70n],
	uints: [5, [1, -1], ['1'], [1.5], 'x', { 0: 1 }],
	text: [5, new Uint8Array(1), 'x'.repeat(1001), null],
	items: [{}, [{ seq: -1, b: new Uint8Array(1) }], [{ seq: 1, b: 'b' }], [{ seq: 1 }], [[1, new Uint8Array(1)]], 'x'],
	claims: [{}, [{ ...(example.claims as object[])[0], deviceSig: new Uint8Array(1) }], [null], 'x']
};

function validRequest(type: string): Record<string, unknown> {
	const schema = requestSchemas[type as keyof typeof requestSchemas] as Record<string, string>;
	const frame: Record<string, unknown> = { t: type, rid: 1 };
	for (const [name, kind] of Object.entries(schema)) frame[name] = example[kind.replace('?', '')];
	return frame;
}

function validPush(type: string): Record<string, unknown> {
	const schema = pushSchemas[type as keyof typeof pushSchemas] as Record<string, string>;
	const frame: Record<string, unknown> = { t: type };
	for (const [name, kind] of Object.entries(schema)) frame[name] = example[kind.replace('?', '')];
	return frame;
}

/** Runs a decoder and checks the result's shape; the test fails if it throws. */
function decodeSafely(decode: Decoder, bytes: Uint8Array): DecodeResult<unknown> {
	const result = decode(bytes);
	expect(typeof result.ok).toBe('boolean');
	if (!result.ok) {
		expect(isErrorCode(result.code)).toBe(true);
		expect(['bad-frame', 'too-large']).toContain(result.code);
	}
	return result;
}

function expectBad(decode: Decoder, bytes: Uint8Array, code = 'bad-frame') {
	const result = decodeSafely(decode, bytes);
	expect(result).toMatchObject({ ok: false, code });
}

describe('decodeRequest and decodeServerFrame never throw', () => {
	for (const [name, decode] of decoders) {
		it(`${name} answers random bytes with a result`, () => {
			fc.assert(
				fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
					expect(decodeSafely(decode, bytes).ok).toBe(false);
				}),
				{ numRuns: 2000 }
			);
		});

		it(`${name} rejects arbitrary CBOR values`, () => {
			fc.assert(
				fc.property(fc.anything({ withBigInt: true, withTypedArray: true, withNullPrototype: true, withMap: true, withSet: true, withDate: true, withBoxedValues: true, withSparseArray: true }), (value) => {
					let bytes: Uint8Array;
					try {
						bytes = encodeCbor(value);
					} catch {
						return; // not encodable; nothing to send
					}
					expect(decodeSafely(decode, bytes).ok).toBe(false);
				}),
				{ numRuns: 1000 }
			);
		});

		it(`${name} accepts a map with a known type and random fields only if it fits the schema`, () => {
			const types = name === 'decodeRequest' ? Object.keys(requestSchemas) : [...Object.keys(pushSchemas), 'ok', 'err'];
			fc.assert(
				fc.property(fc.constantFrom(...types), fc.dictionary(fc.string(), fc.anything()), fc.anything(), (t, fields, rid) => {
					let bytes: Uint8Array;
					try {
						bytes = encodeCbor({ ...fields, t, rid });
					} catch {
						return;
					}
					const result = decodeSafely(decode, bytes);
					if (!result.ok) return;
					const frame = result.frame as Record<string, unknown>;
					const schema = { ...requestSchemas, ...pushSchemas }[t as 'hello'] ?? {};
					expect(frame.t).toBe(t);
					for (const field of Object.keys(schema)) expect(Object.hasOwn(frame, field)).toBe(true);
					if (t !== 'err' && Object.hasOwn(requestSchemas, t)) expect(Number.isSafeInteger(frame.rid)).toBe(true);
				}),
				{ numRuns: 1000 }
			);
		});

		it(`${name} rejects truncations and bit flips of a valid frame`, () => {
			const frame = name === 'decodeRequest' ? validRequest('push') : validPush('entries');
			const bytes = encodeCbor(frame);
			fc.assert(
				fc.property(fc.nat(bytes.length - 1), fc.integer({ min: 0, max: 7 }), (index, bit) => {
					decodeSafely(decode, bytes.subarray(0, index));
					const flipped = bytes.slice();
					flipped[index] ^= 1 << bit;
					decodeSafely(decode, flipped);
				}),
				{ numRuns: 500 }
			);
		});
	}
});

describe('decodeRequest', () => {
	it('round-trips every valid request type', () => {
		for (const type of Object.keys(requestSchemas)) {
			const bytes = encodeFrame(validRequest(type) as never);
			const result = decodeRequest(bytes);

			expect(result.ok, type).toBe(true);
			if (result.ok) expect(toHex(encodeFrame(result.frame))).toBe(toHex(bytes));
		}
	});

	it('round-trips generated valid push requests', () => {
		fc.assert(
			fc.property(
				fc.nat({ max: Number.MAX_SAFE_INTEGER }),
				fc.uint8Array({ minLength: 32, maxLength: 32 }),
				fc.uint8Array({ maxLength: 2000 }),
				(rid, doc, entry) => {
					const bytes = encodeFrame({ t: 'push', rid, doc, entry });
					const result = decodeRequest(bytes);
					expect(result.ok).toBe(true);
					if (result.ok) expect(toHex(encodeFrame(result.frame))).toBe(toHex(bytes));
				}
			)
		);
	});

	it('rejects each field of each request type given a value of the wrong kind', () => {
		for (const type of Object.keys(requestSchemas)) {
			const schema = requestSchemas[type as keyof typeof requestSchemas] as Record<string, string>;
			for (const [field, kind] of Object.entries(schema)) {
				for (const value of wrong[kind]) {
					const result = decodeRequest(encodeCbor({ ...validRequest(type), [field]: value }));
					expect(result, `${type}.${field} = ${String(value)}`).toMatchObject({ ok: false, code: 'bad-frame', why: `field ${field}` });
				}
				const missing = validRequest(type);
				delete missing[field];
				expect(decodeRequest(encodeCbor(missing))).toMatchObject({ ok: false, why: `field ${field}` });
			}
		}
	});

	it('rejects a missing or malformed rid', () => {
		for (const rid of [undefined, -1, 1.5, '1', 2 ** 53, null, new Uint8Array(1)]) {
			const frame = validRequest('hello');
			if (rid === undefined) delete frame.rid;
			else frame.rid = rid;
			expect(decodeRequest(encodeCbor(frame))).toMatchObject({ ok: false, why: 'rid' });
		}
	});

	it('rejects unknown types, including names inherited from Object.prototype', () => {
		for (const t of ['nope', 'ok', 'entries', 'toString', 'constructor', '__proto__', 'hasOwnProperty', '', 5, null]) {
			expectBad(decodeRequest, encodeCbor({ ...validRequest('hello'), t }));
		}
		expectBad(decodeRequest, encodeCbor({ rid: 1, device: key32, sig: sig64 }));
	});

	it('rejects a type supplied only through __proto__, and never pollutes Object.prototype', () => {
		// Attack: a CBOR map whose "__proto__" key would become the decoded object's prototype,
		// supplying `t` and the fields without them being the frame's own properties.
		const inherited = encodeCbor({ ['__proto__']: validRequest('hello') });
		const polluting = encodeCbor({ ...validRequest('hello'), ['__proto__']: { polluted: 'yes', t: 'x' } });

		expectBad(decodeRequest, inherited);
		const result = decodeRequest(polluting);
		expect(({} as Record<string, unknown>).polluted).toBeUndefined();
		if (result.ok) expect(Object.getPrototypeOf(result.frame)).toBe(Object.prototype);
	});

	it('reads only a frame\'s own fields, even if Object.prototype was polluted elsewhere', () => {
		// Attack: some other code's prototype-pollution bug supplies `doc` to every object, so a
		// frame without one would pass a check that used `in` or plain property reads.
		const frame = validRequest('unsub');
		delete frame.doc;
		const proto = Object.prototype as Record<string, unknown>;
		proto.doc = key32;
		try {
			expect(decodeRequest(encodeCbor(frame))).toMatchObject({ ok: false, why: 'field doc' });
		} finally {
			delete proto.doc;
		}
	});

	it('treats a "constructor" field as data, not as the object constructor', () => {
		const result = decodeRequest(encodeCbor({ ...validRequest('hello'), constructor: 'x', hasOwnProperty: 1 }));

		expect(result.ok).toBe(true);
		expect(Object.getPrototypeOf(({}).constructor)).toBe(Function.prototype);
	});

	it('rejects frames larger than the limit before decoding them', () => {
		const exactly = encodeCbor({ t: 'push', rid: 1, doc: key32, entry: new Uint8Array(MAX_FRAME_BYTES - 100) });
		const padded = concatBytes(exactly, new Uint8Array(MAX_FRAME_BYTES - exactly.length));
		const over = encodeCbor({ t: 'push', rid: 1, doc: key32, entry: new Uint8Array(MAX_FRAME_BYTES) });

		expect(decodeRequest(exactly).ok).toBe(true);
		expect(padded.length).toBe(MAX_FRAME_BYTES);
		expectBad(decodeRequest, padded);
		expectBad(decodeRequest, over, 'too-large');
		expectBad(decodeRequest, new Uint8Array(MAX_FRAME_BYTES + 1), 'too-large');
	});

	it('rejects a valid frame followed by trailing bytes', () => {
		const bytes = encodeCbor(validRequest('hello'));

		expectBad(decodeRequest, concatBytes(bytes, new Uint8Array([0])));
		expectBad(decodeRequest, concatBytes(bytes, bytes));
	});

	it('rejects text-looking input: JSON, HTTP, base64 and empty input', () => {
		const texts = [
			'{"t":"hello","rid":1}',
			'GET / HTTP/1.1\r\nHost: relay\r\n\r\n',
			'aGVsbG8=',
			't=hello&rid=1',
			'\u0000',
			' '
		];

		for (const text of texts) expectBad(decodeRequest, utf8.encode(text));
		expectBad(decodeRequest, new Uint8Array(0));
		expectBad(decodeRequest, encodeCbor(JSON.stringify(validRequest('unsub'))));
	});

	it('does not call arbitrary global functions for CBOR tag 27 (generic object)', () => {
		// Tag 27 ["Function", "…"] asks a decoder to construct a global by name; cbor-x limits it
		// to Error and RegExp. A frame carrying one is still rejected.
		const tag27 = (name: string, arg: string) =>
			concatBytes(new Uint8Array([0xd8, 0x1b]), encodeCbor([name, arg]));
		const frame = concatBytes(
			new Uint8Array([0xa3]),
			encodeCbor('t'),
			encodeCbor('unsub'),
			encodeCbor('rid'),
			encodeCbor(1),
			encodeCbor('doc'),
			tag27('Function', 'globalThis.__tendPwned = 1')
		);

		expectBad(decodeRequest, frame);
		expect((globalThis as Record<string, unknown>).__tendPwned).toBeUndefined();
	});

	it('rejects a map whose keys are not strings', () => {
		// {1: "hello"} and [t, rid] as an array.
		expectBad(decodeRequest, new Uint8Array([0xa1, 0x01, 0x65, ...utf8.encode('hello')]));
		expectBad(decodeRequest, encodeCbor(['hello', 1, key32, sig64]));
	});
});

describe('decodeServerFrame', () => {
	it('round-trips every valid push type, ok and err frames', () => {
		const frames = [
			...Object.keys(pushSchemas).map(validPush),
			{ t: 'ok', rid: 3, seq: 9, extra: new Uint8Array(2) },
			{ t: 'err', rid: 4, code: 'conflict', msg: 'the epoch record does not extend the current head' },
			{ t: 'err', code: 'rate-limited', msg: 'slow down' }
		];

		for (const frame of frames) {
			const bytes = encodeCbor(frame);
			const result = decodeServerFrame(bytes);
			expect(result.ok, String(frame.t)).toBe(true);
			if (result.ok) expect(toHex(encodeFrame(result.frame))).toBe(toHex(bytes));
		}
	});

	it('rejects each field of each push type given a value of the wrong kind', () => {
		for (const type of Object.keys(pushSchemas)) {
			const schema = pushSchemas[type as keyof typeof pushSchemas] as Record<string, string>;
			for (const [field, kind] of Object.entries(schema)) {
				for (const value of wrong[kind]) {
					const result = decodeServerFrame(encodeCbor({ ...validPush(type), [field]: value }));
					expect(result, `${type}.${field}`).toMatchObject({ ok: false, why: `field ${field}` });
				}
			}
		}
	});

	it('rejects ok frames without a valid rid and err frames with unknown codes or bad fields', () => {
		const bad = [
			{ t: 'ok' },
			{ t: 'ok', rid: -1 },
			{ t: 'ok', rid: '1' },
			{ t: 'err', code: 'made-up', msg: 'x' },
			{ t: 'err', code: 'toString', msg: 'x' },
			{ t: 'err', code: '__proto__', msg: 'x' },
			{ t: 'err', code: 'conflict' },
			{ t: 'err', code: 'conflict', msg: 5 },
			{ t: 'err', code: 'conflict', msg: 'x', rid: 'one' },
			{ t: 'hello', rid: 1, device: key32, sig: sig64 },
			{ t: 'constructor' },
			{ t: 'toString' }
		];

		for (const frame of bad) expectBad(decodeServerFrame, encodeCbor(frame));
	});

	it('rejects relay items whose entries or sequence numbers are malformed', () => {
		const items = [
			[{ seq: 1, b: new Uint8Array(1) }, { seq: 2 }],
			[{ seq: 2 ** 53, b: new Uint8Array(1) }],
			[{ ['__proto__']: { seq: 1, b: new Uint8Array(1) } }]
		];

		for (const list of items) expectBad(decodeServerFrame, encodeCbor({ t: 'entries', doc: key32, items: list }));
	});
});
