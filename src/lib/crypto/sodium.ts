import sodiumModule from 'libsodium-wrappers-sumo';

/**
 * The one libsodium instance. Tend uses the "sumo" build because the plain build ships no
 * `crypto_pwhash` (Argon2id) although its typings declare it (TOOLCHAIN.md, gotcha 4).
 */
export type Sodium = typeof sodiumModule;

let instance: Sodium | undefined;

/** Resolves once libsodium's WebAssembly is instantiated; call before any other crypto function. */
export async function readyCrypto(): Promise<Sodium> {
	await sodiumModule.ready;
	instance = sodiumModule;
	return instance;
}

/** The ready libsodium instance; throws if `readyCrypto()` has not resolved yet. */
export function sodium(): Sodium {
	if (!instance) throw new Error('libsodium is not ready: await readyCrypto() first');
	return instance;
}
