import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { fold, tokenize } from '../../src/lib/search/fold.js';
import { MessageIndex, type IndexedMessage } from '../../src/lib/search/MessageIndex.js';
import { makeSnippet } from '../../src/lib/search/snippet.js';
import { lower, type Section } from './report.js';
import { median, percentile } from './stats.js';

/**
 * Section 5: on-device search over 20,000 sentence-sized counsel-chat messages (50
 * conversations, two authors each), the MiniSearch index the app uses against a linear scan of
 * the same messages (fold every text once, then test every message for every query word).
 */

export interface SearchRaw {
	messages: number;
	queries: number;
	runs: { indexBuildMs: number; scanBuildMs: number; indexQueryMs: number[]; scanQueryMs: number[] }[];
	memory: { indexBytes: number; scanBytes: number };
	sample: { query: string; indexHits: number; scanHits: number }[];
}

const MESSAGES = 20_000;
const CONVERSATIONS = 50;
const QUERIES = 300;

/** A tiny deterministic generator, so every run asks the same questions. */
function rng(seed: number): () => number {
	let s = seed >>> 0;
	return () => {
		s = (s * 1664525 + 1013904223) >>> 0;
		return s / 2 ** 32;
	};
}

export function buildMessages(texts: string[], count = MESSAGES): IndexedMessage[] {
	if (texts.length === 0) throw new Error('no corpus text');
	const out: IndexedMessage[] = [];
	for (let i = 0; i < count; i++) {
		out.push({
			conversationId: `c${i % CONVERSATIONS}`,
			messageId: `m${i}`,
			author: i % 2 === 0 ? 'aa' : 'bb',
			sentAt: 1_700_000_000_000 + i * 60_000,
			text: texts[i % texts.length]
		});
	}
	return out;
}

/** Queries of one to three words taken from the messages themselves (so most find something). */
export function buildQueries(messages: IndexedMessage[], count = QUERIES): string[] {
	const random = rng(42);
	const queries: string[] = [];
	while (queries.length < count) {
		const words = tokenize(messages[Math.floor(random() * messages.length)].text).filter(
			(w) => w.length >= 4
		);
		if (words.length === 0) continue;
		const n = 1 + Math.floor(random() * Math.min(3, words.length));
		const start = Math.floor(random() * (words.length - n + 1));
		queries.push(words.slice(start, start + n).join(' '));
	}
	return queries;
}

/** The baseline: folded copies of every text, and a scan that checks each for every word. */
class LinearScan {
	#folded: { message: IndexedMessage; folded: string }[] = [];

	constructor(messages: IndexedMessage[]) {
		for (const message of messages) this.#folded.push({ message, folded: fold(message.text) });
	}

	/** Newest first (a scan has no relevance ranking), with the same snippets as the index. */
	search(query: string, limit = 50) {
		const words = tokenize(query);
		const hits: IndexedMessage[] = [];
		for (const { message, folded } of this.#folded) {
			if (words.every((w) => folded.includes(w))) hits.push(message);
		}
		hits.sort((a, b) => b.sentAt - a.sentAt);
		return {
			total: hits.length,
			hits: hits.slice(0, limit).map((m) => ({ ...m, snippet: makeSnippet(m.text, words) }))
		};
	}
}

function buildIndex(messages: IndexedMessage[]): MessageIndex {
	const index = new MessageIndex();
	const byConversation = new Map<string, IndexedMessage[]>();
	for (const m of messages) {
		const list = byConversation.get(m.conversationId) ?? [];
		list.push(m);
		byConversation.set(m.conversationId, list);
	}
	for (const [id, list] of byConversation) index.syncConversation(id, list);
	return index;
}

function gcFunction(): () => void {
	setFlagsFromString('--expose-gc');
	return runInNewContext('gc') as () => void;
}

/** Retained heap of what `make` builds (the result is held until measured), after full GCs. */
function retained(gc: () => void, make: () => unknown): number {
	gc();
	gc();
	const before = process.memoryUsage().heapUsed;
	const held = make();
	gc();
	gc();
	const after = process.memoryUsage().heapUsed;
	if (held === undefined) throw new Error('nothing built');
	return after - before;
}

function timeQueries(search: (q: string) => unknown, queries: string[]): number[] {
	const times: number[] = [];
	for (const q of queries) {
		const started = performance.now();
		search(q);
		times.push(performance.now() - started);
	}
	return times;
}

export function searchSection({
	texts,
	runs,
	log
}: {
	texts: string[];
	runs: number;
	log: (line: string) => void;
}): { section: Section; raw: SearchRaw } {
	const messages = buildMessages(texts);
	const queries = buildQueries(messages);
	const raw: SearchRaw = { messages: messages.length, queries: queries.length, runs: [], memory: { indexBytes: 0, scanBytes: 0 }, sample: [] };

	for (let run = 0; run < runs; run++) {
		log(`search: run ${run + 1}/${runs}`);
		// Alternate which goes first so background noise falls on both.
		let started = performance.now();
		const scan = new LinearScan(messages);
		const scanBuildMs = performance.now() - started;
		started = performance.now();
		const index = buildIndex(messages);
		const indexBuildMs = performance.now() - started;
		// Warm both up on a few queries before timing.
		for (const q of queries.slice(0, 10)) {
			index.search(q);
			scan.search(q);
		}
		const indexQueryMs = timeQueries((q) => index.search(q), queries);
		const scanQueryMs = timeQueries((q) => scan.search(q), queries);
		raw.runs.push({ indexBuildMs, scanBuildMs, indexQueryMs, scanQueryMs });
		if (run === 0) {
			raw.sample = queries.slice(0, 5).map((query) => ({
				query: `(${tokenize(query).length} words)`,
				indexHits: index.search(query).total,
				scanHits: scan.search(query).total
			}));
		}
	}

	const gc = gcFunction();
	raw.memory.indexBytes = retained(gc, () => buildIndex(messages));
	raw.memory.scanBytes = retained(gc, () => new LinearScan(messages));

	const med = (key: (r: SearchRaw['runs'][number]) => number) => median(raw.runs.map(key));
	const all = (key: (r: SearchRaw['runs'][number]) => number[]) => raw.runs.flatMap(key);
	const section: Section = {
		title: `5. On-device search: ${messages.length.toLocaleString('en-US')} messages, ${queries.length} queries`,
		baseline: 'a linear scan over folded copies of the same texts (fold once, substring test per word), newest 50 with snippets',
		notes: [
			`MiniSearch 7.2.0 as src/lib/search/MessageIndex.ts configures it (BM25, AND of words, prefix; fuzzy only when that finds nothing), top 50 with snippets; ${CONVERSATIONS} conversations; queries are 1–3 words drawn from the messages.`,
			'build: index from the decrypted messages (what the app does on first search after start-up) vs folding every text for the scan.',
			'memory: retained heap after full GCs (node v8 gc), the index with its text map vs the folded copies.',
			`median of ${runs} runs for build; latency percentiles over all ${runs}×${queries.length} queries. Scan hits ⊇ index hits except fuzzy ones (the scan matches inside words).`
		],
		rows: [
			lower('build', 'ms', med((r) => r.indexBuildMs), med((r) => r.scanBuildMs)),
			lower('query p50', 'ms', percentile(all((r) => r.indexQueryMs), 50), percentile(all((r) => r.scanQueryMs), 50)),
			lower('query p99', 'ms', percentile(all((r) => r.indexQueryMs), 99), percentile(all((r) => r.scanQueryMs), 99)),
			lower('memory retained', 'MB', raw.memory.indexBytes / 1e6, raw.memory.scanBytes / 1e6)
		]
	};
	return { section, raw };
}
