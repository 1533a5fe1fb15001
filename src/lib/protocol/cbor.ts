import { Decoder, Encoder } from 'cbor-x';

/**
 * CBOR (RFC 8949) without cbor-x's record extension, so that frames are plain maps that any
 * implementation can read. Byte strings decode to `Uint8Array` (a `Buffer` under Node).
 */
const encoder = new Encoder({ useRecords: false, mapsAsObjects: true, tagUint8Array: false });
const decoder = new Decoder({ useRecords: false, mapsAsObjects: true });

export function encodeCbor(value: unknown): Uint8Array {
	const out = encoder.encode(value);
	return new Uint8Array(out.buffer, out.byteOffset, out.byteLength).slice();
}

/** Decodes one CBOR item; throws on malformed input or trailing bytes. */
export function decodeCbor(bytes: Uint8Array): unknown {
	return decoder.decode(bytes);
}
