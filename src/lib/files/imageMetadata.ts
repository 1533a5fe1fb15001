/**
 * Removing what a photo says about where and how it was taken, before it is encrypted and sent.
 *
 * A phone's camera writes the GPS position, the time, the device's make and serial number and
 * often an editing history into the file (EXIF, XMP, IPTC). Inside Tend those bytes are
 * encrypted, but every member of the conversation can read them, and a client sending a photo
 * of a worksheet from home should not hand over their address with it. The pixels are left
 * untouched: metadata blocks are dropped whole, without re-encoding, so quality and size stay.
 *
 * - JPEG: APP1 (EXIF, XMP), APP3–APP13 and APP15 (IPTC, maker data), APP2 other than the colour
 *   profile, and comments are dropped, as is anything after the main image's end (secondary
 *   images such as depth maps carry their own metadata). The orientation tag alone is written
 *   back in a minimal EXIF block, so a portrait photo stays upright.
 * - PNG: text chunks (`tEXt`, `zTXt`, `iTXt`), `eXIf` and `tIME` are dropped.
 * - WebP: the `EXIF` and `XMP ` chunks are dropped and their flags cleared.
 *
 * Anything else (and any file these parsers don't understand) is reported as unsupported, so the
 * caller can re-encode it or send it as a plain file.
 */

export type StripResult =
	| { ok: true; bytes: Uint8Array; removed: number }
	| { ok: false; why: 'unsupported' | 'malformed' };

/** Removes location, device and editing metadata from a photo; see the module comment. */
export function stripImageMetadata(bytes: Uint8Array, mime: string): StripResult {
	try {
		switch (mime) {
			case 'image/jpeg':
				return stripJpeg(bytes);
			case 'image/png':
				return stripPng(bytes);
			case 'image/webp':
				return stripWebp(bytes);
			default:
				return { ok: false, why: 'unsupported' };
		}
	} catch (error) {
		if (error instanceof MalformedImage) return { ok: false, why: 'malformed' };
		throw error;
	}
}

class MalformedImage extends Error {}

function need(condition: boolean): asserts condition {
	if (!condition) throw new MalformedImage();
}

function concat(parts: Uint8Array[]): Uint8Array {
	const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
	let at = 0;
	for (const part of parts) {
		out.set(part, at);
		at += part.length;
	}
	return out;
}

function startsWith(bytes: Uint8Array, at: number, ascii: string): boolean {
	if (at + ascii.length > bytes.length) return false;
	for (let i = 0; i < ascii.length; i++) {
		if (bytes[at + i] !== ascii.charCodeAt(i)) return false;
	}
	return true;
}

// ---- JPEG ----

const SOI = 0xd8;
const EOI = 0xd9;
const SOS = 0xda;
const APP0 = 0xe0;
const APP1 = 0xe1;
const APP2 = 0xe2;
const APP14 = 0xee;

/** Markers that stand alone, without a length: TEM and the restart markers. */
function isStandalone(marker: number): boolean {
	return marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7);
}

/**
 * Whether a segment is kept. Only what decoding needs is kept: frame, table, scan and restart
 * segments (0xC0–0xDF), the JFIF header, the colour profile and Adobe's colour transform.
 * Application segments, comments and the JPEG extension range (0xF0–0xFD) are dropped.
 */
function keepJpegSegment(marker: number, bytes: Uint8Array, payloadAt: number): boolean {
	if (marker === APP0) return startsWith(bytes, payloadAt, 'JFIF\0');
	if (marker === APP2) return startsWith(bytes, payloadAt, 'ICC_PROFILE\0');
	if (marker === APP14) return startsWith(bytes, payloadAt, 'Adobe');
	return marker >= 0xc0 && marker <= 0xdf;
}

/**
 * A kept application segment must have its format's own length, so a damaged length can't
 * stretch it over a metadata block that follows: JFIF is 14 bytes plus its thumbnail, Adobe's
 * is 12, and an ICC profile's first part starts with the profile header (`acsp` at byte 36)
 * whose size field a profile in one part must match.
 */
function checkKeptApplicationSegment(marker: number, payload: Uint8Array): void {
	const n = payload.length;
	if (marker === APP0) {
		need(n >= 14 && n === 14 + 3 * payload[12] * payload[13]);
	} else if (marker === APP14) {
		need(n === 12);
	} else if (marker === APP2) {
		const part = payload[12];
		const parts = payload[13];
		need(n > 14 && part >= 1 && part <= parts);
		if (part === 1) {
			need(n >= 14 + 40 && startsWith(payload, 14 + 36, 'acsp'));
			// The header's first four bytes are the whole profile's size: a profile in one part
			// is exactly that long, and a first part of several is no longer.
			const size = ((payload[14] << 24) | (payload[15] << 16) | (payload[16] << 8) | payload[17]) >>> 0;
			need(parts === 1 ? n - 14 === size : n - 14 <= size);
		}
	}
}

const DHT = 0xc4;
const DAC = 0xcc;
const DQT = 0xdb;
const DNL = 0xdc;
const DRI = 0xdd;

/**
 * A kept decoding segment must parse as what its marker says, exactly filling its length, so
 * no other block (a damaged file's EXIF under a frame marker, say) rides along as one.
 * Hierarchical-mode segments (0xDE, 0xDF) and the reserved 0xC8 are not accepted.
 */
function checkDecodingSegment(marker: number, payload: Uint8Array): void {
	const n = payload.length;
	switch (marker) {
		case DHT: {
			let at = 0;
			while (at < n) {
				need(at + 17 <= n && payload[at] >> 4 <= 1 && (payload[at] & 0x0f) <= 3);
				let values = 0;
				for (let i = 1; i <= 16; i++) values += payload[at + i];
				at += 17 + values;
			}
			need(at === n);
			return;
		}
		case DQT: {
			let at = 0;
			while (at < n) {
				const precision = payload[at] >> 4;
				need(precision <= 1 && (payload[at] & 0x0f) <= 3);
				at += 1 + 64 * (precision + 1);
			}
			need(at === n);
			return;
		}
		case DAC:
			need(n > 0 && n % 2 === 0);
			return;
		case DRI:
		case DNL:
			need(n === 2);
			return;
		case SOS:
			need(n >= 1 && payload[0] >= 1 && payload[0] <= 4 && n === 4 + 2 * payload[0]);
			return;
		default:
			// Start of frame: precision, height, width, component count, three bytes a component.
			need(marker !== 0xc8 && marker < 0xde && n >= 6 && payload[5] >= 1 && n === 6 + 3 * payload[5]);
	}
}

function isStartOfFrame(marker: number): boolean {
	return marker >= 0xc0 && marker <= 0xcf && marker !== DHT && marker !== 0xc8 && marker !== DAC;
}

function stripJpeg(bytes: Uint8Array): StripResult {
	need(bytes.length >= 4 && bytes[0] === 0xff && bytes[1] === SOI);
	const kept: Uint8Array[] = [bytes.subarray(0, 2)];
	let orientation: number | undefined;
	let framed = false;
	let removed = 0;
	let at = 2;
	for (;;) {
		need(at + 1 < bytes.length && bytes[at] === 0xff);
		// Any number of 0xFF fill bytes may precede a marker.
		while (at + 1 < bytes.length && bytes[at + 1] === 0xff) at++;
		need(at + 1 < bytes.length);
		const marker = bytes[at + 1];
		if (marker === EOI) {
			kept.push(bytes.subarray(at, at + 2));
			if (at + 2 < bytes.length) removed++;
			break;
		}
		if (isStandalone(marker)) {
			kept.push(bytes.subarray(at, at + 2));
			at += 2;
			continue;
		}
		// 0x02–0xBF are reserved: no encoder writes them, so the file isn't a JPEG we understand.
		need(marker >= 0xc0 && marker !== SOI && marker !== 0xff && at + 3 < bytes.length);
		const length = (bytes[at + 2] << 8) | bytes[at + 3];
		need(length >= 2 && at + 2 + length <= bytes.length);
		const end = at + 2 + length;
		if (marker === APP1 && startsWith(bytes, at + 4, 'Exif\0\0')) {
			orientation ??= exifOrientation(bytes.subarray(at + 10, end));
		}
		if (keepJpegSegment(marker, bytes, at + 4)) {
			if (marker === APP0 || marker === APP2 || marker === APP14) {
				checkKeptApplicationSegment(marker, bytes.subarray(at + 4, end));
			} else if (marker >= 0xc0 && marker <= 0xdf) {
				checkDecodingSegment(marker, bytes.subarray(at + 4, end));
				if (isStartOfFrame(marker)) {
					need(!framed);
					framed = true;
				}
			}
			kept.push(bytes.subarray(at, end));
		} else {
			removed++;
		}
		at = end;
		if (marker === SOS) {
			// Entropy-coded data runs to the next marker that isn't a stuffed 0xFF00 or a restart.
			const dataStart = at;
			while (at + 1 < bytes.length) {
				if (bytes[at] === 0xff) {
					const next = bytes[at + 1];
					if (next !== 0 && !(next >= 0xd0 && next <= 0xd7) && next !== 0xff) break;
				}
				at++;
			}
			need(at + 1 < bytes.length);
			kept.push(bytes.subarray(dataStart, at));
		}
	}
	if (orientation !== undefined && orientation !== 1) {
		kept.splice(1, 0, orientationSegment(orientation));
	}
	return { ok: true, bytes: concat(kept), removed };
}

/** The orientation tag (0x0112) of IFD0 in a TIFF structure, if present and sane. */
function exifOrientation(tiff: Uint8Array): number | undefined {
	if (tiff.length < 8) return undefined;
	const little = startsWith(tiff, 0, 'II');
	if (!little && !startsWith(tiff, 0, 'MM')) return undefined;
	const view = new DataView(tiff.buffer, tiff.byteOffset, tiff.byteLength);
	const ifd = view.getUint32(4, little);
	if (ifd + 2 > tiff.length) return undefined;
	const count = view.getUint16(ifd, little);
	for (let i = 0; i < count; i++) {
		const entry = ifd + 2 + i * 12;
		if (entry + 12 > tiff.length) return undefined;
		if (view.getUint16(entry, little) !== 0x0112) continue;
		const type = view.getUint16(entry + 2, little);
		if (type !== 3) return undefined;
		const value = view.getUint16(entry + 8, little);
		return value >= 1 && value <= 8 ? value : undefined;
	}
	return undefined;
}

/** A minimal APP1 EXIF block holding only the orientation (big-endian TIFF, one IFD entry). */
function orientationSegment(orientation: number): Uint8Array {
	const tiff = [
		...[0x4d, 0x4d, 0x00, 0x2a, 0x00, 0x00, 0x00, 0x08],
		...[0x00, 0x01],
		...[0x01, 0x12, 0x00, 0x03, 0x00, 0x00, 0x00, 0x01, 0x00, orientation, 0x00, 0x00],
		...[0x00, 0x00, 0x00, 0x00]
	];
	const payload = [...'Exif\0\0'].map((c) => c.charCodeAt(0)).concat(tiff);
	const length = payload.length + 2;
	return Uint8Array.from([0xff, APP1, length >> 8, length & 0xff, ...payload]);
}

// ---- PNG ----

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
const PNG_DROPPED = new Set(['tEXt', 'zTXt', 'iTXt', 'eXIf', 'tIME']);

function stripPng(bytes: Uint8Array): StripResult {
	need(bytes.length >= 8 && PNG_SIGNATURE.every((b, i) => bytes[i] === b));
	const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
	const kept: Uint8Array[] = [bytes.subarray(0, 8)];
	let removed = 0;
	let at = 8;
	for (;;) {
		need(at + 12 <= bytes.length);
		const length = view.getUint32(at);
		const end = at + 12 + length;
		need(end <= bytes.length);
		const type = String.fromCharCode(...bytes.subarray(at + 4, at + 8));
		if (PNG_DROPPED.has(type)) removed++;
		else kept.push(bytes.subarray(at, end));
		at = end;
		if (type === 'IEND') break;
	}
	if (at < bytes.length) removed++;
	return { ok: true, bytes: concat(kept), removed };
}

// ---- WebP ----

const VP8X_EXIF = 0x08;
const VP8X_XMP = 0x04;

function stripWebp(bytes: Uint8Array): StripResult {
	need(bytes.length >= 12 && startsWith(bytes, 0, 'RIFF') && startsWith(bytes, 8, 'WEBP'));
	const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
	const riffEnd = 8 + view.getUint32(4, true);
	need(riffEnd <= bytes.length);
	const chunks: Uint8Array[] = [];
	let removed = 0;
	let at = 12;
	while (at < riffEnd) {
		need(at + 8 <= riffEnd);
		const size = view.getUint32(at + 4, true);
		const end = at + 8 + size + (size % 2);
		need(end <= riffEnd);
		const type = String.fromCharCode(...bytes.subarray(at, at + 4));
		if (type === 'EXIF' || type === 'XMP ') {
			removed++;
		} else if (type === 'VP8X') {
			need(size >= 10);
			const chunk = bytes.slice(at, end);
			chunk[8] &= ~(VP8X_EXIF | VP8X_XMP);
			chunks.push(chunk);
		} else {
			chunks.push(bytes.subarray(at, end));
		}
		at = end;
	}
	const body = concat(chunks);
	const header = new Uint8Array(12);
	header.set(bytes.subarray(0, 12));
	new DataView(header.buffer).setUint32(4, body.length + 4, true);
	return { ok: true, bytes: concat([header, body]), removed };
}
