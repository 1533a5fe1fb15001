import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { stripImageMetadata } from '../../../src/lib/files/imageMetadata.js';

/**
 * The photo metadata stripper on hand-built files: every metadata block carries a marker string
 * that must be gone afterwards, and every image-data byte must come through unchanged.
 */

const enc = new TextEncoder();
const SECRET = 'GPS 51.5007N 0.1246W serial SN-4471';

function bytes(...parts: (number[] | Uint8Array | string)[]): Uint8Array {
	const flat: number[] = [];
	for (const part of parts) {
		if (typeof part === 'string') flat.push(...enc.encode(part));
		else flat.push(...part);
	}
	return Uint8Array.from(flat);
}

function contains(haystack: Uint8Array, needle: Uint8Array | string): boolean {
	const n = typeof needle === 'string' ? enc.encode(needle) : needle;
	outer: for (let i = 0; i + n.length <= haystack.length; i++) {
		for (let j = 0; j < n.length; j++) if (haystack[i + j] !== n[j]) continue outer;
		return true;
	}
	return false;
}

// ---- JPEG fixtures ----

function segment(marker: number, payload: Uint8Array | string): Uint8Array {
	const body = typeof payload === 'string' ? enc.encode(payload) : payload;
	const length = body.length + 2;
	return bytes([0xff, marker, length >> 8, length & 0xff], body);
}

/** A little-endian TIFF with IFD0 holding orientation and a GPS-like ASCII tag. */
function exifTiff(orientation: number | undefined, text: string): Uint8Array {
	const entries: number[][] = [];
	if (orientation !== undefined) {
		entries.push([0x12, 0x01, 0x03, 0x00, 0x01, 0, 0, 0, orientation, 0, 0, 0]);
	}
	const textAt = 8 + 2 + (entries.length + 1) * 12 + 4;
	const t = enc.encode(text);
	entries.push([0x0e, 0x01, 0x02, 0x00, t.length, 0, 0, 0, textAt, 0, 0, 0]);
	return bytes(
		[0x49, 0x49, 0x2a, 0x00, 0x08, 0, 0, 0],
		[entries.length, 0],
		...entries,
		[0, 0, 0, 0],
		t
	);
}

const DQT = segment(0xdb, new Uint8Array(65).fill(3));
const SOF0 = segment(0xc0, Uint8Array.from([8, 0, 16, 0, 16, 1, 1, 0x11, 0]));
const DHT = segment(0xc4, Uint8Array.from([0, ...new Array(16).fill(0)]));
const SOS = segment(0xda, Uint8Array.from([1, 1, 0, 0, 63, 0]));
/** Entropy-coded data with a stuffed 0xFF00 and a restart marker inside. */
const SCAN = Uint8Array.from([0x12, 0xff, 0x00, 0x34, 0xff, 0xd3, 0x56, 0x78]);

function jpeg(meta: Uint8Array[], trailer: Uint8Array = new Uint8Array()): Uint8Array {
	return bytes(
		[0xff, 0xd8],
		segment(0xe0, bytes('JFIF\0', [1, 1, 0, 0, 1, 0, 1, 0, 0])),
		...meta,
		DQT,
		SOF0,
		DHT,
		SOS,
		SCAN,
		[0xff, 0xd9],
		trailer
	);
}

/** A colour profile's first bytes: its header says `acsp` at byte 36. */
const ICC_PROFILE = bytes([0, 0, 0, 64], new Uint8Array(32).fill(9), 'acsp', new Uint8Array(24).fill(7));

/** What a stripped file must still hold, byte for byte and in order. */
const IMAGE_DATA = bytes(DQT, SOF0, DHT, SOS, SCAN, [0xff, 0xd9]);

describe('JPEG', () => {
	it('drops EXIF, XMP, IPTC, comments and trailing images, keeping the image data intact', () => {
		const input = jpeg(
			[
				segment(0xe1, bytes('Exif\0\0', exifTiff(undefined, SECRET))),
				segment(0xe1, `http://ns.adobe.com/xap/1.0/\0<x:xmpmeta>${SECRET}</x:xmpmeta>`),
				segment(0xed, `Photoshop 3.0\0${SECRET}`),
				segment(0xe2, `MPF\0${SECRET}`),
				segment(0xfe, SECRET)
			],
			jpeg([segment(0xe1, bytes('Exif\0\0', exifTiff(undefined, SECRET)))])
		);
		expect(contains(input, SECRET)).toBe(true);
		const result = stripImageMetadata(input, 'image/jpeg');
		if (!result.ok) throw new Error(result.why);
		expect(contains(result.bytes, SECRET)).toBe(false);
		expect(result.removed).toBe(6);
		expect(contains(result.bytes, IMAGE_DATA)).toBe(true);
		expect(Array.from(result.bytes.subarray(-2))).toEqual([0xff, 0xd9]);
	});

	it('keeps the JFIF header, the colour profile and the Adobe colour transform', () => {
		const icc = segment(0xe2, bytes('ICC_PROFILE\0', [1, 1], ICC_PROFILE));
		const adobe = segment(0xee, bytes('Adobe', [0, 100, 0, 0, 0, 0, 1]));
		const result = stripImageMetadata(jpeg([icc, adobe]), 'image/jpeg');
		if (!result.ok) throw new Error(result.why);
		expect(result.removed).toBe(0);
		expect(result.bytes).toEqual(jpeg([icc, adobe]));
	});

	it('writes the orientation back alone, so a portrait photo stays upright', () => {
		for (const orientation of [1, 6, 8]) {
			const input = jpeg([segment(0xe1, bytes('Exif\0\0', exifTiff(orientation, SECRET)))]);
			const result = stripImageMetadata(input, 'image/jpeg');
			if (!result.ok) throw new Error(result.why);
			expect(contains(result.bytes, SECRET)).toBe(false);
			const exif = contains(result.bytes, 'Exif\0\0');
			expect(exif).toBe(orientation !== 1);
			if (orientation !== 1) {
				// Big-endian IFD entry: tag 0x0112, SHORT, count 1, value.
				const entry = [0x01, 0x12, 0x00, 0x03, 0, 0, 0, 1, 0, orientation];
				expect(contains(result.bytes, Uint8Array.from(entry))).toBe(true);
				// The new block comes right after the start of image, before the JFIF header.
				expect(Array.from(result.bytes.subarray(2, 4))).toEqual([0xff, 0xe1]);
			}
		}
	});

	it('reports a file that is not a well-formed JPEG instead of guessing', () => {
		const good = jpeg([segment(0xe1, bytes('Exif\0\0', exifTiff(6, SECRET)))]);
		expect(stripImageMetadata(good.subarray(0, 30), 'image/jpeg')).toEqual({
			ok: false,
			why: 'malformed'
		});
		expect(stripImageMetadata(enc.encode('not an image'), 'image/jpeg').ok).toBe(false);
		const badLength = good.slice();
		badLength[good.indexOf(0xe1, 2) + 1] = 0xff;
		expect(stripImageMetadata(badLength, 'image/jpeg').ok).toBe(false);
	});

	it('never throws and never lets the marker through on arbitrary damage', () => {
		const input = jpeg([
			segment(0xe2, bytes('ICC_PROFILE\0', [1, 1], ICC_PROFILE)),
			segment(0xe1, bytes('Exif\0\0', exifTiff(3, SECRET))),
			segment(0xee, bytes('Adobe', [0, 100, 0, 0, 0, 0, 1]))
		]);
		fc.assert(
			fc.property(
				fc.array(fc.tuple(fc.nat(input.length - 1), fc.integer({ min: 0, max: 255 })), {
					maxLength: 4
				}),
				(edits) => {
					const damaged = input.slice();
					for (const [at, value] of edits) damaged[at] = value;
					const result = stripImageMetadata(damaged, 'image/jpeg');
					if (result.ok) expect(contains(result.bytes, SECRET)).toBe(false);
				}
			),
			{ numRuns: 5000 }
		);
	});
});

// ---- PNG fixtures ----

function pngChunk(type: string, data: Uint8Array | string): Uint8Array {
	const body = typeof data === 'string' ? enc.encode(data) : data;
	const length = body.length;
	// The CRC isn't checked by the stripper; chunks are copied whole, CRC included.
	return bytes(
		[length >>> 24, (length >> 16) & 0xff, (length >> 8) & 0xff, length & 0xff],
		type,
		body,
		[0xde, 0xad, 0xbe, 0xef]
	);
}

const PNG_SIG = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
const IHDR = pngChunk('IHDR', Uint8Array.from([0, 0, 0, 1, 0, 0, 0, 1, 8, 6, 0, 0, 0]));
const IDAT = pngChunk('IDAT', Uint8Array.from([0x78, 0x9c, 1, 2, 3, 4]));
const IEND = pngChunk('IEND', new Uint8Array());

describe('PNG', () => {
	it('drops text, EXIF and time chunks and keeps the rest', () => {
		const iccp = pngChunk('iCCP', 'sRGB\0\0profile');
		const input = bytes(
			PNG_SIG,
			IHDR,
			pngChunk('tEXt', `Comment\0${SECRET}`),
			pngChunk('iTXt', `XML:com.adobe.xmp\0\0\0\0\0${SECRET}`),
			pngChunk('zTXt', `Author\0\0${SECRET}`),
			pngChunk('eXIf', bytes('MM', SECRET)),
			pngChunk('tIME', Uint8Array.from([7, 234, 12, 4, 10, 0, 0])),
			iccp,
			IDAT,
			IEND
		);
		const result = stripImageMetadata(input, 'image/png');
		if (!result.ok) throw new Error(result.why);
		expect(contains(result.bytes, SECRET)).toBe(false);
		expect(result.removed).toBe(5);
		expect(result.bytes).toEqual(bytes(PNG_SIG, IHDR, iccp, IDAT, IEND));
	});

	it('reports a truncated PNG', () => {
		const input = bytes(PNG_SIG, IHDR, IDAT, IEND);
		expect(stripImageMetadata(input.subarray(0, input.length - 5), 'image/png').ok).toBe(false);
	});
});

// ---- WebP fixtures ----

function riffChunk(type: string, data: Uint8Array | string): Uint8Array {
	const body = typeof data === 'string' ? enc.encode(data) : data;
	const size = body.length;
	return bytes(
		type,
		[size & 0xff, (size >> 8) & 0xff, (size >> 16) & 0xff, size >>> 24],
		body,
		size % 2 ? [0] : []
	);
}

function webp(chunks: Uint8Array[]): Uint8Array {
	const body = bytes(...chunks);
	const size = body.length + 4;
	return bytes('RIFF', [size & 0xff, (size >> 8) & 0xff, (size >> 16) & 0xff, size >>> 24], 'WEBP', body);
}

describe('WebP', () => {
	it('drops the EXIF and XMP chunks, clears their flags and fixes the RIFF size', () => {
		const vp8x = (flags: number) => riffChunk('VP8X', Uint8Array.from([flags, 0, 0, 0, 0, 0, 0, 0, 0, 0]));
		const image = riffChunk('VP8L', Uint8Array.from([0x2f, 1, 2, 3, 4]));
		const input = webp([
			vp8x(0x08 | 0x04 | 0x10),
			image,
			riffChunk('EXIF', bytes('MM', SECRET)),
			riffChunk('XMP ', `<x:xmpmeta>${SECRET}</x:xmpmeta>`)
		]);
		const result = stripImageMetadata(input, 'image/webp');
		if (!result.ok) throw new Error(result.why);
		expect(contains(result.bytes, SECRET)).toBe(false);
		expect(result.removed).toBe(2);
		expect(result.bytes).toEqual(webp([vp8x(0x10), image]));
	});
});

describe('other types', () => {
	it('says a type it cannot clean is unsupported', () => {
		expect(stripImageMetadata(enc.encode(SECRET), 'image/avif')).toEqual({
			ok: false,
			why: 'unsupported'
		});
	});
});
