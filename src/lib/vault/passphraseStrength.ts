import type { ZxcvbnFactory } from '@zxcvbn-ts/core';

/**
 * Passphrase strength with zxcvbn-ts (dictionaries of common passwords, English words and names,
 * keyboard patterns, dates, repeats). The dictionaries are large, so they load on first use,
 * only on the screens that set a passphrase.
 */
export interface Strength {
	/** zxcvbn's score: 0 (guessed at once) … 4 (more than 10^10 guesses). */
	score: 0 | 1 | 2 | 3 | 4;
	/** Tend accepts a passphrase of at least {@link MIN_LENGTH} characters and score ≥ 3. */
	acceptable: boolean;
	/** log10 of zxcvbn's estimate of the guesses needed. */
	guessesLog10: number;
	/** The passphrase is shorter than {@link MIN_LENGTH}. */
	tooShort: boolean;
}

/** Fewer characters than this is refused whatever the score. */
export const MIN_LENGTH = 10;
/**
 * zxcvbn score 3 means ~10^8 or more guesses. With Argon2id at ~0.5 s a guess on the tablet
 * and a few ms on an attacker's GPU, that is months of offline work at the least; score 4 is
 * what the meter calls "strong".
 */
export const MIN_SCORE = 3;

let factory: Promise<ZxcvbnFactory> | undefined;

async function loadFactory(): Promise<ZxcvbnFactory> {
	const [core, common, en] = await Promise.all([
		import('@zxcvbn-ts/core'),
		import('@zxcvbn-ts/language-common'),
		import('@zxcvbn-ts/language-en')
	]);
	return new core.ZxcvbnFactory({
		dictionary: { ...common.dictionary, ...en.dictionary },
		graphs: common.adjacencyGraphs,
		translations: en.translations
	});
}

/**
 * Rates a passphrase. `related` are words that make it weaker when used (the app's name, the
 * person's name when known): zxcvbn counts them as guessed.
 */
export async function estimateStrength(passphrase: string, related: string[] = []): Promise<Strength> {
	factory ??= loadFactory();
	const result = (await factory).check(passphrase.slice(0, 256), ['tend', 'therapy', ...related]);
	const score = result.score as Strength['score'];
	const tooShort = [...passphrase].length < MIN_LENGTH;
	return {
		score,
		acceptable: !tooShort && score >= MIN_SCORE,
		guessesLog10: result.guessesLog10,
		tooShort
	};
}
