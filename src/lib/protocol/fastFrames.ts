import type { Item } from './frames.js';

/**
 * Hand-written CBOR (RFC 8949) for the two frames the relay sends for every pushed entry: the
 * `ok` answer to a `push` and the `entries` frame that fans entries out. They decode to exactly
 * what `encodeFrame` makes of the same objects (tests/unit/protocol/fastFrames.test.ts checks
 * both ways); writing them directly into one buffer of the right size saves the relay a generic
 * encoder pass and a copy of every entry per frame (tests/bench, section 1).
 */

const TEXT = 0x60;
const BYTES = 0x40;
const ARRAY = 0x80;
const MAP = 0xa0;
const FALSE = 0xf4;
const TRUE = 0xf5;

const textEncoder = new TextEncoder();
const KEYS = {
	t: textEncoder.encode('t'),
	ok: textEncoder.encode('ok'),
	rid: textEncoder.encode('rid'),
	seq: textEncoder.encode('seq'),
	id: textEncoder.encode('id'),
	dup: textEncoder.encode('dup'),
	entries: textEncoder.encode('entries'),
	doc: textEncoder.encode('doc'),
	items: textEncoder.encode('items'),
	b: textEncoder.encode('b')
};

/** `{ t: 'ok', rid, seq, id, dup }`: the answer to a `push` once its batch is committed. */
export function encodePushOk(rid: number, seq: number, id: Uint8Array, dup: boolean): Uint8Array {
	const w = new Writer(
		1 + 2 + 3 + 4 + headLength(rid) + 4 + headLength(seq) + 3 + headLength(id.length) + id.length + 4 + 1
	);
	w.head(MAP, 5);
	w.text(KEYS.t);
	w.text(KEYS.ok);
	w.text(KEYS.rid);
	w.uint(rid);
	w.text(KEYS.seq);
	w.uint(seq);
	w.text(KEYS.id);
	w.bytes(id);
	w.text(KEYS.dup);
	w.byte(dup ? TRUE : FALSE);
	return w.done();
}

/** `{ t: 'entries', doc, items: [{ seq, b }, …] }`, encoded once per batch for every subscriber. */
export function encodeEntries(doc: Uint8Array, items: readonly Item[]): Uint8Array {
	let size = 1 + 2 + 8 + 4 + headLength(doc.length) + doc.length + 6 + headLength(items.length);
	for (const item of items) {
		size += 1 + 4 + headLength(item.seq) + 2 + headLength(item.b.length) + item.b.length;
	}
	const w = new Writer(size);
	w.head(MAP, 3);
	w.text(KEYS.t);
	w.text(KEYS.entries);
	w.text(KEYS.doc);
	w.bytes(doc);
	w.text(KEYS.items);
	w.head(ARRAY, items.length);
	for (const item of items) {
		w.head(MAP, 2);
		w.text(KEYS.seq);
		w.uint(item.seq);
		w.text(KEYS.b);
		w.bytes(item.b);
	}
	return w.done();
}

/** Bytes of a CBOR head whose argument is `n`: frames are sized exactly before writing. */
function headLength(n: number): number {
	if (n < 24) return 1;
	if (n < 0x100) return 2;
	if (n < 0x10000) return 3;
	if (n < 0x100000000) return 5;
	return 9;
}

class Writer {
	readonly #out: Uint8Array;
	readonly #view: DataView;
	#at = 0;

	constructor(capacity: number) {
		this.#out = new Uint8Array(capacity);
		this.#view = new DataView(this.#out.buffer);
	}

	byte(b: number): void {
		this.#out[this.#at++] = b;
	}

	/** A head of major type `major` (its top three bits) with the shortest argument encoding. */
	head(major: number, n: number): void {
		if (!Number.isSafeInteger(n) || n < 0) throw new Error(`not a CBOR unsigned integer: ${n}`);
		if (n < 24) {
			this.byte(major | n);
		} else if (n < 0x100) {
			this.byte(major | 24);
			this.byte(n);
		} else if (n < 0x10000) {
			this.byte(major | 25);
			this.#view.setUint16(this.#at, n);
			this.#at += 2;
		} else if (n < 0x100000000) {
			this.byte(major | 26);
			this.#view.setUint32(this.#at, n);
			this.#at += 4;
		} else {
			throw new Error(`a CBOR length this large is never sent: ${n}`);
		}
	}

	/**
	 * An unsigned integer. From 2^32 on it is written as a float64, as cbor-x does: cbor-x reads
	 * an 8-byte integer head as a BigInt, which the frame schemas refuse (safe integers are exact
	 * as doubles). Same size as the 8-byte head.
	 */
	uint(n: number): void {
		if (n < 0x100000000) {
			this.head(0, n);
			return;
		}
		if (!Number.isSafeInteger(n)) throw new Error(`not a safe integer: ${n}`);
		this.byte(0xfb);
		this.#view.setFloat64(this.#at, n);
		this.#at += 8;
	}

	/** A text string given as its UTF-8 bytes. */
	text(utf8: Uint8Array): void {
		this.head(TEXT, utf8.length);
		this.#out.set(utf8, this.#at);
		this.#at += utf8.length;
	}

	bytes(bytes: Uint8Array): void {
		this.head(BYTES, bytes.length);
		this.#out.set(bytes, this.#at);
		this.#at += bytes.length;
	}

	/** The frame; its buffer holds nothing else, so it can go to a socket as it is. */
	done(): Uint8Array {
		if (this.#at !== this.#out.length) throw new Error('frame size miscomputed');
		return this.#out;
	}
}
