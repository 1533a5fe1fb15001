import { Size } from '../crypto/primitives.js';
import { sodium } from '../crypto/sodium.js';
import { utf8 } from '../protocol/bytes.js';

/**
 * Argon2id (libsodium `crypto_pwhash`, `ALG_ARGON2ID13`) cost parameters. They are stored in
 * the vault record next to the salt, so a later version can raise them by re-wrapping the
 * storage key at the next unlock, without touching the data.
 */
export interface Argon2Params {
	/** Passes over memory (libsodium's `opslimit` for Argon2id is Argon2's t). */
	opslimit: number;
	/** Bytes of memory (Argon2's m, in bytes rather than KiB). */
	memlimit: number;
}

/** Argon2id salt length: `crypto_pwhash_SALTBYTES` (16). */
export const SALT_BYTES = 16;

/**
 * The least Tend creates a vault with: 3 passes over 64 MiB. In Chromium on a mid-range tablet
 * (ARM cores ~4–6× slower at this WebAssembly than the 2-core x86 machine where one pass over
 * 64 MiB takes 40–90 ms) this is about half a second; docs/security.md gives the measurements.
 * 64 MiB stays well inside what a tablet browser grants a page's WebAssembly memory.
 */
export const ARGON2_FLOOR: Argon2Params = { opslimit: 3, memlimit: 64 * 1024 * 1024 };

/** Calibration never goes above this many passes (a fast desktop would otherwise take many). */
const MAX_OPSLIMIT = 12;

/** What Tend accepts when reading a record (libsodium's own limits are wider). */
const OPS_RANGE = [1, 64] as const;
const MEM_RANGE = [8 * 1024, 1024 * 1024 * 1024] as const;

/** True when `params` are integers within the range this code accepts. */
export function isArgon2Params(params: unknown): params is Argon2Params {
	if (typeof params !== 'object' || params === null) return false;
	const { opslimit, memlimit } = params as Partial<Argon2Params>;
	return (
		Number.isInteger(opslimit) &&
		Number.isInteger(memlimit) &&
		opslimit! >= OPS_RANGE[0] &&
		opslimit! <= OPS_RANGE[1] &&
		memlimit! >= MEM_RANGE[0] &&
		memlimit! <= MEM_RANGE[1]
	);
}

/**
 * Argon2id over the passphrase: 32 bytes that only someone who knows the passphrase (and the
 * salt, which is stored) can compute, at `params`' cost per guess.
 *
 * @remarks The passphrase is normalised to Unicode NFC first, so the same words typed on two
 * keyboards that compose accents differently give the same key. Nothing else is changed
 * (spaces and case count).
 */
export function derivePassphraseKey(
	passphrase: string,
	salt: Uint8Array,
	params: Argon2Params
): Uint8Array {
	if (salt.length !== SALT_BYTES) throw new Error(`Argon2id salt must be ${SALT_BYTES} bytes`);
	if (!isArgon2Params(params)) throw new Error('Argon2id parameters out of range');
	const s = sodium();
	const bytes = utf8.encode(passphrase.normalize('NFC'));
	try {
		return s.crypto_pwhash(
			Size.key,
			bytes,
			salt,
			params.opslimit,
			params.memlimit,
			s.crypto_pwhash_ALG_ARGON2ID13
		);
	} finally {
		s.memzero(bytes);
	}
}

/**
 * Picks parameters for this device: one pass over the floor's memory is timed, and the number of
 * passes is raised until unlocking takes about `targetMs` here, never below {@link ARGON2_FLOOR}
 * and never above 12 passes. A slow tablet stays at the floor; a fast laptop makes each guess
 * dearer. The result is stored in the vault record, so unlock uses exactly these.
 *
 * @param now - the clock, in ms (for tests); `performance.now` by default.
 */
export function calibrateArgon2(targetMs = 500, now: () => number = () => performance.now()): Argon2Params {
	const probe: Argon2Params = { opslimit: 1, memlimit: ARGON2_FLOOR.memlimit };
	const started = now();
	const key = derivePassphraseKey('calibration', new Uint8Array(SALT_BYTES), probe);
	const perPass = Math.max(1, now() - started);
	sodium().memzero(key);

	const passes = Math.floor(targetMs / perPass);
	const opslimit = Math.min(MAX_OPSLIMIT, Math.max(ARGON2_FLOOR.opslimit, passes));
	return { opslimit, memlimit: ARGON2_FLOOR.memlimit };
}
