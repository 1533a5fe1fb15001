import { words } from './fold.js';

/** A piece of a snippet: plain text, or text that matched the query (shown as `<mark>`). */
export interface SnippetSegment {
	text: string;
	mark: boolean;
}

/** Characters of context a snippet shows around its matches. */
export const SNIPPET_LENGTH = 180;

/**
 * Cuts a message down to a snippet around its best run of matching words and splits it into
 * plain and marked segments. Only data: the UI renders each segment as text (never HTML), so a
 * message full of tags is shown as the tags.
 *
 * @param matches folded words that matched (from the index); a word of the text is marked when
 *   its folded form is one of them.
 */
export function makeSnippet(
	text: string,
	matches: Iterable<string>,
	length = SNIPPET_LENGTH
): SnippetSegment[] {
	const wanted = new Set(matches);
	const hits = words(text).filter((word) => wanted.has(word.folded));
	if (text.length <= length || hits.length === 0) {
		return segments(text, 0, Math.min(text.length, length), hits, text.length > length);
	}

	// The window of `length` characters that holds the most matches, starting a little before
	// the first of them so the reader sees what leads up to it.
	let best = 0;
	let bestCount = 0;
	for (let i = 0, j = 0; i < hits.length; i++) {
		while (j < hits.length && hits[j].end - hits[i].start <= length) j++;
		if (j - i > bestCount) {
			bestCount = j - i;
			best = i;
		}
	}
	const lead = Math.floor(length / 4);
	let start = Math.max(0, hits[best].start - lead);
	start = Math.min(start, text.length - length);
	// Start and end at word boundaries where there is one close by.
	const space = text.lastIndexOf(' ', start);
	if (space > 0 && start - space < 20) start = space + 1;
	let end = Math.min(text.length, start + length);
	const after = text.indexOf(' ', end);
	if (after > 0 && after - end < 20) end = after;
	return segments(text, start, end, hits, true);
}

function segments(
	text: string,
	start: number,
	end: number,
	hits: { start: number; end: number }[],
	clipped: boolean
): SnippetSegment[] {
	const out: SnippetSegment[] = [];
	const push = (piece: string, mark: boolean) => {
		if (!piece) return;
		const last = out.at(-1);
		if (last && last.mark === mark) last.text += piece;
		else out.push({ text: piece, mark });
	};
	if (clipped && start > 0) push('…', false);
	let at = start;
	for (const hit of hits) {
		if (hit.end <= start || hit.start >= end) continue;
		const from = Math.max(hit.start, start);
		const to = Math.min(hit.end, end);
		push(text.slice(at, from), false);
		push(text.slice(from, to), true);
		at = to;
	}
	push(text.slice(at, end), false);
	if (clipped && end < text.length) push('…', false);
	return out;
}
