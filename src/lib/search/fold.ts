/**
 * Text folding for search: the same word matches however it was typed. Lower case, no accents
 * ("café" = "cafe"), Russian «ё» = «е», while «й» stays itself (it is a separate letter, not
 * «и» with a mark). Stemming-free: "sleep" does not find "slept".
 */

const BREVE = '\u0306';
const WORD = /[\p{L}\p{N}][\p{L}\p{N}\p{M}\u200b\u200c\u200d\ufeff'’]*/gu;

/** Folds one word or a whole text to the form the index stores. Same length is not kept. */
export function fold(text: string): string {
	const decomposed = text.toLowerCase().normalize('NFD');
	let out = '';
	for (let i = 0; i < decomposed.length; i++) {
		const ch = decomposed[i];
		if (/\p{M}/u.test(ch)) {
			// и + breve is «й»: keep it; every other mark goes («ё» → «е», "é" → "e").
			if (ch === BREVE && decomposed[i - 1] === 'и') {
				out += ch;
			}
			continue;
		}
		if (ch === '\u200b' || ch === '\u200c' || ch === '\u200d' || ch === '\ufeff') continue;
		out += ch;
	}
	return out.normalize('NFC').replace(/[’']/g, '');
}

/** A word of the original text with its place, for highlighting. */
export interface WordSpan {
	start: number;
	end: number;
	folded: string;
}

/**
 * The words of a text with their offsets (UTF-16 code units). A word is a run of letters and
 * digits (with their combining marks and joiners); punctuation, spaces and emoji separate words.
 */
export function words(text: string): WordSpan[] {
	const out: WordSpan[] = [];
	for (const match of text.matchAll(WORD)) {
		const folded = fold(match[0]);
		if (folded) out.push({ start: match.index, end: match.index + match[0].length, folded });
	}
	return out;
}

/** The folded words of a text: the tokens MiniSearch indexes and searches for. */
export function tokenize(text: string): string[] {
	return words(text).map((word) => word.folded);
}
