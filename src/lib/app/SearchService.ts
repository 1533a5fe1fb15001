import * as A from '@automerge/automerge';
import { readMessages, type ConversationDoc } from '../model/conversation.js';
import { currentTitle, readConversation, type ReadContext } from '../model/readConversation.js';
import { MessageIndex, type IndexedMessage } from '../search/MessageIndex.js';
import type { SearchPerson, SearchRequest, SearchResultsView } from './types.js';
import { viewHeads } from '../model/periodView.js';

/** What the search service needs from the app: the conversations it holds, decrypted. */
export interface SearchSource {
	conversationIds(): string[];
	/** The current document, or undefined while it isn't loaded. */
	doc(conversationId: string): A.Doc<ConversationDoc> | undefined;
	myId(): string;
	/**
	 * Who may do what in a conversation (`authority.ts`); with it, the index holds each
	 * message's current version and leaves deleted ones out.
	 */
	readContext?(conversationId: string): ReadContext | undefined;
}

/**
 * Keeps the {@link MessageIndex} in step with the conversations: built on the first search,
 * then, before each search, every conversation whose document heads moved since it was
 * indexed is synced again, so new, edited and deleted messages reach the results.
 */
export class SearchService {
	#index = new MessageIndex();
	/** The heads each conversation had when it was last indexed. */
	#heads = new Map<string, string>();
	#source: SearchSource;

	constructor(source: SearchSource) {
		this.#source = source;
	}

	#ensure(): MessageIndex {
		const known = new Set(this.#source.conversationIds());
		for (const id of [...this.#heads.keys()]) {
			if (known.has(id)) continue;
			this.#index.removeConversation(id);
			this.#heads.delete(id);
		}
		for (const id of known) {
			const doc = this.#source.doc(id);
			if (!doc) continue;
			const heads = viewHeads(doc);
			if (this.#heads.get(id) === heads) continue;
			this.#index.syncConversation(id, indexedMessages(id, doc, this.#source.readContext?.(id)));
			this.#heads.set(id, heads);
		}
		return this.#index;
	}

	search(request: SearchRequest): SearchResultsView {
		const index = this.#ensure();
		const { hits, total } = index.search(request.text, {
			conversationId: request.conversationId || undefined,
			author: request.personId || undefined,
			from: request.from,
			to: request.to
		});
		const me = this.#source.myId();
		return {
			total,
			hits: hits.map((hit) => {
				const doc = this.#source.doc(hit.conversationId);
				return {
					conversationId: hit.conversationId,
					conversationTitle: this.#titleOf(hit.conversationId, doc),
					messageId: hit.messageId,
					authorName: doc?.members?.[hit.author]?.name ?? '?',
					mine: hit.author === me,
					sentAt: hit.sentAt,
					snippet: hit.snippet
				};
			})
		};
	}

	/** The title as the conversation shows it now: after renames by administering devices. */
	#titleOf(id: string, doc: A.Doc<ConversationDoc> | undefined): string {
		if (!doc) return '';
		const ctx = this.#source.readContext?.(id);
		if (ctx) return currentTitle(doc, ctx);
		return typeof doc.title === 'string' ? doc.title : '';
	}

	people(): SearchPerson[] {
		const me = this.#source.myId();
		const byId = new Map<string, SearchPerson>();
		for (const id of this.#source.conversationIds()) {
			const members = this.#source.doc(id)?.members ?? {};
			for (const [device, member] of Object.entries(members)) {
				if (typeof member?.name === 'string') {
					byId.set(device, { id: device, name: member.name, me: device === me });
				}
			}
		}
		return [...byId.values()].sort((a, b) => Number(b.me) - Number(a.me) || a.name.localeCompare(b.name));
	}
}

/**
 * The messages of one conversation as the index takes them. A message the model marks deleted
 * (`deleted: true`, once deletes exist) is passed on as deleted, so it leaves the index.
 */
export function indexedMessages(
	conversationId: string,
	doc: A.Doc<ConversationDoc>,
	ctx?: ReadContext
): IndexedMessage[] {
	if (ctx) {
		return readConversation(doc, ctx).messages.map((message) => ({
			conversationId,
			messageId: message.id,
			author: message.author,
			sentAt: message.sentAt,
			text: message.text,
			deleted: message.deleted
		}));
	}
	return readMessages(doc).map((message) => ({
		conversationId,
		messageId: message.id,
		author: message.author,
		sentAt: message.sentAt,
		text: message.text,
		deleted: (message as { deleted?: unknown }).deleted === true
	}));
}
