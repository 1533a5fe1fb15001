import { randomBytes } from '../crypto/primitives.js';
import { PRF_BYTES, type PasskeySlot } from './vaultRecord.js';

/**
 * The passkey as second factor, through WebAuthn's PRF extension: the authenticator computes a
 * secret from its credential key and our 32-byte input (`prfSalt`), which never leaves it. Tend
 * has no server to check an assertion's signature, so only the PRF output can be a factor: a
 * passkey without PRF would be a check in the app's own code, which someone holding the
 * device's storage could simply skip (docs/security.md, "Passkey").
 */

/** What this browser can do: `prf` known to work, `no-prf`, no WebAuthn at all, or not known before trying. */
export type PasskeySupport = 'prf' | 'no-prf' | 'unavailable' | 'unknown';

export type PasskeyError = 'cancelled' | 'no-prf' | 'unavailable';

/** Sets `support` from the browser's reported capabilities, where it reports them. */
export async function detectPasskeySupport(): Promise<PasskeySupport> {
	const credential = globalThis.PublicKeyCredential as
		| (typeof PublicKeyCredential & { getClientCapabilities?: () => Promise<Record<string, boolean>> })
		| undefined;
	if (!credential || !globalThis.navigator?.credentials || !globalThis.isSecureContext) {
		return 'unavailable';
	}
	try {
		const capabilities = await credential.getClientCapabilities?.();
		const prf = capabilities?.['extension:prf'];
		if (prf === true) return 'prf';
		if (prf === false) return 'no-prf';
	} catch {
		// Fall through: we learn it when a passkey is made.
	}
	return 'unknown';
}

/**
 * Makes a passkey for this device and returns its slot with the PRF output for the slot's salt.
 * The passkey's user name is "Tend", never the person's name: the authenticator keeps it
 * outside the vault.
 */
export async function createPasskey(): Promise<
	{ ok: true; slot: PasskeySlot; prf: Uint8Array } | { ok: false; error: PasskeyError }
> {
	if ((await detectPasskeySupport()) === 'unavailable') return { ok: false, error: 'unavailable' };
	const prfSalt = randomBytes(PRF_BYTES);
	let credential: PublicKeyCredential | null;
	try {
		credential = (await navigator.credentials.create({
			publicKey: {
				rp: { name: 'Tend', id: location.hostname },
				user: { id: buffer(randomBytes(16)), name: 'Tend', displayName: 'Tend' },
				challenge: buffer(randomBytes(32)),
				// ES256, Ed25519, RS256: what platform authenticators and security keys offer.
				pubKeyCredParams: [
					{ type: 'public-key', alg: -7 },
					{ type: 'public-key', alg: -8 },
					{ type: 'public-key', alg: -257 }
				],
				authenticatorSelection: { residentKey: 'discouraged', userVerification: 'preferred' },
				timeout: 120_000,
				extensions: { prf: { eval: { first: buffer(prfSalt) } } } as AuthenticationExtensionsClientInputs
			}
		})) as PublicKeyCredential | null;
	} catch {
		return { ok: false, error: 'cancelled' };
	}
	if (!credential) return { ok: false, error: 'cancelled' };

	const results = prfResults(credential);
	if (!results.enabled) return { ok: false, error: 'no-prf' };
	const slot = { credentialId: new Uint8Array(credential.rawId), prfSalt };
	if (results.first) return { ok: true, slot, prf: results.first };
	// Many authenticators give the PRF output only on `get`, not at creation.
	const prf = await evaluatePasskey(slot);
	return prf instanceof Uint8Array ? { ok: true, slot, prf } : { ok: false, error: prf };
}

/** Asks the authenticator for the PRF output of the enrolled passkey. */
export async function evaluatePasskey(slot: PasskeySlot): Promise<Uint8Array | PasskeyError> {
	if (!globalThis.navigator?.credentials) return 'unavailable';
	let credential: PublicKeyCredential | null;
	try {
		credential = (await navigator.credentials.get({
			publicKey: {
				challenge: buffer(randomBytes(32)),
				rpId: location.hostname,
				allowCredentials: [{ type: 'public-key', id: buffer(slot.credentialId) }],
				userVerification: 'preferred',
				timeout: 120_000,
				extensions: {
					prf: { eval: { first: buffer(slot.prfSalt) } }
				} as AuthenticationExtensionsClientInputs
			}
		})) as PublicKeyCredential | null;
	} catch {
		return 'cancelled';
	}
	if (!credential) return 'cancelled';
	return prfResults(credential).first ?? 'no-prf';
}

function prfResults(credential: PublicKeyCredential): { enabled: boolean; first?: Uint8Array } {
	const extensions = credential.getClientExtensionResults() as {
		prf?: { enabled?: boolean; results?: { first?: ArrayBuffer | ArrayBufferView } };
	};
	const first = extensions.prf?.results?.first;
	const bytes =
		first instanceof ArrayBuffer
			? new Uint8Array(first)
			: first && ArrayBuffer.isView(first)
				? new Uint8Array(first.buffer, first.byteOffset, first.byteLength).slice()
				: undefined;
	return {
		enabled: extensions.prf?.enabled === true || bytes !== undefined,
		first: bytes?.length === PRF_BYTES ? bytes : undefined
	};
}

function buffer(bytes: Uint8Array): ArrayBuffer {
	return bytes.slice().buffer as ArrayBuffer;
}
