import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/**
 * Realistic message text for the benchmarks: the counsel-chat threads in
 * `../shared/corpus/counsel-chat-threads.jsonl`, questions and answers split into sentence-sized
 * messages, the way people write in a chat.
 *
 * @remarks
 * The corpus README asks that its text be treated as PHI: it is only ever sealed before it
 * reaches the Tend relay or the bare relay, and never logged. The stock automerge-repo server
 * stores documents in plaintext, so that baseline gets {@link fillerLike} text of the same
 * lengths instead.
 */

const CORPUS = fileURLToPath(
	new URL('../../../shared/corpus/counsel-chat-threads.jsonl', import.meta.url)
);

/** Messages shorter than this are dropped ("Hi." is a fine message, but a fragment is not). */
const MIN_CHARS = 12;
/** Longer sentences are cut at a word boundary: a chat message, not a paragraph. */
const MAX_CHARS = 280;

let cached: string[] | undefined;

/** Every sentence of every question and answer, in corpus order. */
export function loadMessages(): string[] {
	if (cached) return cached;
	const messages: string[] = [];
	for (const line of readFileSync(CORPUS, 'utf8').split('\n')) {
		if (!line.trim()) continue;
		const thread = JSON.parse(line) as { question?: string; answers?: string[] };
		for (const text of [thread.question ?? '', ...(thread.answers ?? [])]) {
			messages.push(...splitSentences(text));
		}
	}
	if (messages.length === 0) throw new Error(`no messages in ${CORPUS}`);
	cached = messages;
	return messages;
}

/**
 * Splits text into sentences. The corpus often lost the space after a full stop
 * ("...with.Seriously"), so a stop directly followed by a capital letter also ends a sentence.
 */
export function splitSentences(text: string): string[] {
	return text
		.split(/(?<=[.!?])\s+|(?<=[a-z][.!?])(?=[A-Z])|\n+/)
		.map((s) => s.replace(/\s+/g, ' ').trim())
		.filter((s) => s.length >= MIN_CHARS)
		.map(clip);
}

function clip(sentence: string): string {
	if (sentence.length <= MAX_CHARS) return sentence;
	const cut = sentence.lastIndexOf(' ', MAX_CHARS);
	return sentence.slice(0, cut > 0 ? cut : MAX_CHARS);
}

const FILLER_WORDS = ['lorem', 'ipsum', 'dolor', 'sit', 'amet', 'tempor', 'magna', 'aliqua'];

/** Text of the same length as `text` made of filler words: for servers that store plaintext. */
export function fillerLike(text: string): string {
	let out = '';
	for (let i = 0; out.length < text.length; i++) {
		out += (out ? ' ' : '') + FILLER_WORDS[(text.length + i) % FILLER_WORDS.length];
	}
	return out.slice(0, text.length);
}
