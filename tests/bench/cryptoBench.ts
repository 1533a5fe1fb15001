import { randomFillSync } from 'node:crypto';
import { deriveContentKey } from '../../src/lib/crypto/documentKeys.js';
import { openEntry, sealEntry, type EntryAuthor } from '../../src/lib/crypto/entry.js';
import {
	generateSignKeyPair,
	hash,
	randomBytes,
	sign,
	Tag,
	verify
} from '../../src/lib/crypto/primitives.js';
import { sodium } from '../../src/lib/crypto/sodium.js';
import { EntryKind } from '../../src/lib/protocol/entry.js';
import { createGenesis } from '../../src/lib/sync/documentRecords.js';
import { median } from './stats.js';

/**
 * Benchmark 3: the cost of sealing and opening one entry, against the bare cipher.
 *
 * - **sealEntry/s** and **openEntry/s** on a 300-byte payload: what a device pays per message
 *   sent and per entry received (sign + pad + encrypt; decrypt + unpad + verify);
 * - **raw XChaCha20-Poly1305** encrypt and decrypt of the same 300 bytes with a fixed nonce:
 *   the floor, libsodium's AEAD alone;
 * - the components that make up the difference (Ed25519 sign and verify, BLAKE2b of the
 *   payload, drawing a 24-byte nonce), in µs per call, to show where the time goes.
 *
 * Each figure is the median of `runs` timed loops of at least `loopMs` each.
 */

export interface CryptoResult {
	payloadBytes: number;
	sealPerSecond: number;
	openPerSecond: number;
	rawEncryptPerSecond: number;
	rawDecryptPerSecond: number;
	/** µs per call of each component. */
	componentsUs: Record<string, number>;
}

const PAYLOAD_BYTES = 300;

export function runCryptoBench(runs: number, loopMs: number): CryptoResult {
	const s = sodium();
	const author: EntryAuthor = { device: generateSignKeyPair(), incarnation: randomBytes(16) };
	const created = createGenesis(author.device, 'conversation');
	const contentKey = deriveContentKey(created.secret, created.doc, 0);
	const payload = randomFillSync(new Uint8Array(PAYLOAD_BYTES));
	const nonce = randomBytes(24);
	let counter = 0;
	const seal = () =>
		sealEntry({
			contentKey,
			kind: EntryKind.changes,
			doc: created.doc,
			epoch: 0,
			author,
			counter: ++counter,
			payload
		});
	const sealed = seal();
	const encrypt = () =>
		s.crypto_aead_xchacha20poly1305_ietf_encrypt(payload, null, null, nonce, contentKey);
	const cipher = encrypt();
	const message = randomFillSync(new Uint8Array(150));
	const signature = sign(author.device.privateKey, Tag.entry, message);

	const opsPerSecond = (fn: () => unknown) => median(repeat(runs, () => timeLoop(fn, loopMs)));
	const usPerCall = (fn: () => unknown) => 1e6 / opsPerSecond(fn);
	const open = () => {
		const opened = openEntry(sealed, created.doc, () => contentKey);
		if (!opened.ok) throw new Error(`the bench entry does not open: ${opened.why}`);
	};
	return {
		payloadBytes: PAYLOAD_BYTES,
		sealPerSecond: opsPerSecond(seal),
		openPerSecond: opsPerSecond(open),
		rawEncryptPerSecond: opsPerSecond(encrypt),
		rawDecryptPerSecond: opsPerSecond(() =>
			s.crypto_aead_xchacha20poly1305_ietf_decrypt(null, cipher, null, nonce, contentKey)
		),
		componentsUs: {
			'Ed25519 sign (150 B)': usPerCall(() => sign(author.device.privateKey, Tag.entry, message)),
			'Ed25519 verify (150 B)': usPerCall(() =>
				verify(author.device.publicKey, signature, Tag.entry, message)
			),
			'BLAKE2b-256 (300 B)': usPerCall(() => hash(Tag.payload, payload)),
			'nonce: randombytes_buf(24)': usPerCall(() => randomBytes(24)),
			'nonce: node:crypto randomFillSync(24)': usPerCall(() =>
				randomFillSync(new Uint8Array(24))
			)
		}
	};
}

function repeat<T>(times: number, fn: () => T): T[] {
	return Array.from({ length: times }, fn);
}

/** Calls `fn` in batches until `minMs` have passed; returns calls per second. */
function timeLoop(fn: () => unknown, minMs: number): number {
	let calls = 0;
	const started = performance.now();
	let elapsed = 0;
	while (elapsed < minMs) {
		for (let i = 0; i < 64; i++) fn();
		calls += 64;
		elapsed = performance.now() - started;
	}
	return (calls / elapsed) * 1000;
}
