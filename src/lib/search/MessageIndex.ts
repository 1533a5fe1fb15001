import MiniSearch, { type SearchResult } from 'minisearch';
import { tokenize } from './fold.js';
import { makeSnippet, type SnippetSegment } from './snippet.js';

/**
 * The full-text index over every conversation on this device, in memory only.
 *
 * @remarks
 * Built with MiniSearch 7.2.0 (BM25 ranking, prefix and fuzzy matching) from the messages the
 * app already holds decrypted, and kept current as documents change. It is never written to
 * IndexedDB: an index is a plaintext copy of every word, so instead of sealing it Tend rebuilds
 * it after start-up, the first time someone searches (docs/security.md, "Search"). The cost of
 * that rebuild is measured by `npm run bench` (20,000 messages).
 */

/** One message as the index takes it. */
export interface IndexedMessage {
	conversationId: string;
	messageId: string;
	/** The author's device key (hex): the "person" filter. */
	author: string;
	sentAt: number;
	text: string;
	/**
	 * Deleted for everyone: a deleted message leaves the index (and so every result) as soon as
	 * the conversation is synced again. The conversation model may instead leave it out.
	 */
	deleted?: boolean;
}

export interface SearchFilters {
	conversationId?: string;
	author?: string;
	/** Inclusive bounds on `sentAt`, ms since the epoch. */
	from?: number;
	to?: number;
}

export interface SearchHit {
	conversationId: string;
	messageId: string;
	author: string;
	sentAt: number;
	score: number;
	snippet: SnippetSegment[];
}

interface Entry {
	id: string;
	conversationId: string;
	messageId: string;
	author: string;
	sentAt: number;
	text: string;
}

/** One typo per five letters, for words of five letters or more. */
const FUZZY = (term: string): number | false => (term.length >= 5 ? 0.2 : false);

function keyOf(conversationId: string, messageId: string): string {
	return `${conversationId}\u0000${messageId}`;
}

export class MessageIndex {
	#search = new MiniSearch<Entry>({
		idField: 'id',
		fields: ['text'],
		storeFields: [],
		tokenize,
		// `tokenize` already folds; queries go through it too.
		processTerm: (term) => term || null,
		searchOptions: {
			tokenize,
			processTerm: (term) => term || null,
			combineWith: 'AND',
			prefix: true,
			weights: { fuzzy: 0.3, prefix: 0.6 }
		}
	});
	/** Every indexed message by key; the text is needed for snippets. */
	#entries = new Map<string, Entry>();
	/** The keys of each conversation's indexed messages, to find the ones that went away. */
	#byConversation = new Map<string, Set<string>>();

	get size(): number {
		return this.#entries.size;
	}

	/**
	 * Brings one conversation's part of the index in line with its messages: adds new ones,
	 * re-indexes edited ones, and drops deleted ones and ones no longer listed.
	 */
	syncConversation(conversationId: string, messages: Iterable<IndexedMessage>): void {
		const previous = this.#byConversation.get(conversationId) ?? new Set<string>();
		const current = new Set<string>();
		for (const message of messages) {
			if (message.deleted || message.conversationId !== conversationId) continue;
			const key = keyOf(conversationId, message.messageId);
			if (current.has(key)) continue;
			current.add(key);
			const entry: Entry = { id: key, ...pick(message) };
			const old = this.#entries.get(key);
			if (old) {
				if (old.text === entry.text && old.author === entry.author && old.sentAt === entry.sentAt) {
					continue;
				}
				this.#search.discard(key);
			}
			this.#search.add(entry);
			this.#entries.set(key, entry);
		}
		for (const key of previous) {
			if (current.has(key)) continue;
			this.#search.discard(key);
			this.#entries.delete(key);
		}
		if (current.size > 0) this.#byConversation.set(conversationId, current);
		else this.#byConversation.delete(conversationId);
	}

	/** Forgets a conversation entirely (left, or no longer on this device). */
	removeConversation(conversationId: string): void {
		this.syncConversation(conversationId, []);
	}

	conversationIds(): string[] {
		return [...this.#byConversation.keys()];
	}

	/**
	 * Ranked matches for a query: every word must match (as a word or the start of one), best
	 * first; ties go to the newer message. Only when that finds nothing are small typos allowed
	 * (one per five letters, in words of five letters or more): fuzzy matching is the slow part
	 * of a search, and a typo-free hit is what people want first. An empty query finds nothing.
	 */
	search(query: string, filters: SearchFilters = {}, limit = 50): { hits: SearchHit[]; total: number } {
		if (tokenize(query).length === 0) return { hits: [], total: 0 };
		const filter = (result: SearchResult) => this.#passes(result, filters);
		let results = this.#search.search(query, { filter });
		if (results.length === 0) {
			results = this.#search.search(query, { filter, fuzzy: FUZZY });
		}
		const ranked = results
			.map((result) => ({ result, entry: this.#entries.get(result.id as string)! }))
			.filter(({ entry }) => entry !== undefined)
			.sort((a, b) => b.result.score - a.result.score || b.entry.sentAt - a.entry.sentAt);
		const hits = ranked.slice(0, limit).map(({ result, entry }) => ({
			conversationId: entry.conversationId,
			messageId: entry.messageId,
			author: entry.author,
			sentAt: entry.sentAt,
			score: result.score,
			snippet: makeSnippet(entry.text, result.terms)
		}));
		return { hits, total: ranked.length };
	}

	#passes(result: SearchResult, filters: SearchFilters): boolean {
		const entry = this.#entries.get(result.id as string);
		if (!entry) return false;
		if (filters.conversationId !== undefined && entry.conversationId !== filters.conversationId) {
			return false;
		}
		if (filters.author !== undefined && entry.author !== filters.author) return false;
		if (filters.from !== undefined && entry.sentAt < filters.from) return false;
		if (filters.to !== undefined && entry.sentAt > filters.to) return false;
		return true;
	}
}

function pick(message: IndexedMessage): Omit<Entry, 'id'> {
	return {
		conversationId: message.conversationId,
		messageId: message.messageId,
		author: message.author,
		sentAt: message.sentAt,
		text: message.text
	};
}
