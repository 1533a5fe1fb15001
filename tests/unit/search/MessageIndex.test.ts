import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { fold, tokenize } from '../../../src/lib/search/fold.js';
import { MessageIndex, type IndexedMessage } from '../../../src/lib/search/MessageIndex.js';
import { makeSnippet } from '../../../src/lib/search/snippet.js';

const ALICE = 'aa'.repeat(32);
const BOB = 'bb'.repeat(32);

function msg(
	conversationId: string,
	messageId: string,
	text: string,
	extra: Partial<IndexedMessage> = {}
): IndexedMessage {
	return { conversationId, messageId, author: ALICE, sentAt: 1000, text, ...extra };
}

function marked(snippet: { text: string; mark: boolean }[]): string[] {
	return snippet.filter((s) => s.mark).map((s) => s.text);
}

describe('fold', () => {
	it('folds case and accents, ё to е, and keeps й', () => {
		expect(fold('Café NAÏVE')).toBe('cafe naive');
		expect(fold('ЁЛКА ёжик')).toBe('елка ежик');
		expect(fold('Йогурт чай')).toBe('йогурт чай');
		expect(fold('e\u0301')).toBe('e');
	});

	it('drops zero-width characters inside words', () => {
		expect(tokenize('check\u200bin\u200d time\ufeff')).toEqual(['checkin', 'time']);
	});
});

describe('MessageIndex', () => {
	it('ranks the message with more of the query words, and more often, first', () => {
		const index = new MessageIndex();
		index.syncConversation('c1', [
			msg('c1', 'm1', 'We could try a breathing exercise before bed.'),
			msg('c1', 'm2', 'Sleep exercise: breathing slowly, breathing deeply, breathing calmly.'),
			msg('c1', 'm3', 'See you on Thursday.')
		]);

		const { hits, total } = index.search('breathing exercise');

		expect(total).toBe(2);
		expect(hits.map((h) => h.messageId)).toEqual(['m2', 'm1']);
		expect(hits[0].score).toBeGreaterThan(hits[1].score);
	});

	it('requires every query word and finds word starts', () => {
		const index = new MessageIndex();
		index.syncConversation('c1', [
			msg('c1', 'm1', 'Grounding exercise for tonight'),
			msg('c1', 'm2', 'Exercise is good')
		]);

		expect(index.search('ground exer').hits.map((h) => h.messageId)).toEqual(['m1']);
		expect(index.search('nothing like this').total).toBe(0);
		expect(index.search('   ').total).toBe(0);
	});

	it('finds Russian text whatever the case and ё', () => {
		const index = new MessageIndex();
		index.syncConversation('c1', [
			msg('c1', 'm1', 'Напоминаю: наша встреча в четверг. Всё в силе?'),
			msg('c1', 'm2', 'Спасибо, я прочитала упражнение на заземление.')
		]);

		expect(index.search('ВСТРЕЧА').hits.map((h) => h.messageId)).toEqual(['m1']);
		expect(index.search('все в силе').hits.map((h) => h.messageId)).toEqual(['m1']);
		const hit = index.search('заземление').hits[0];
		expect(hit.messageId).toBe('m2');
		expect(marked(hit.snippet)).toEqual(['заземление']);
	});

	it('filters by conversation, person and date', () => {
		const index = new MessageIndex();
		index.syncConversation('c1', [
			msg('c1', 'a', 'appointment moved', { sentAt: 100 }),
			msg('c1', 'b', 'appointment confirmed', { sentAt: 200, author: BOB })
		]);
		index.syncConversation('c2', [msg('c2', 'c', 'appointment tomorrow', { sentAt: 300 })]);

		const ids = (filters: Parameters<MessageIndex['search']>[1]) =>
			index
				.search('appointment', filters)
				.hits.map((h) => h.messageId)
				.sort();

		expect(ids({})).toEqual(['a', 'b', 'c']);
		expect(ids({ conversationId: 'c1' })).toEqual(['a', 'b']);
		expect(ids({ author: BOB })).toEqual(['b']);
		expect(ids({ from: 150 })).toEqual(['b', 'c']);
		expect(ids({ to: 150 })).toEqual(['a']);
		expect(ids({ from: 150, to: 250, conversationId: 'c1', author: BOB })).toEqual(['b']);
	});

	it('drops deleted messages and re-indexes edited ones on the next sync', () => {
		const index = new MessageIndex();
		index.syncConversation('c1', [msg('c1', 'm1', 'secret plan'), msg('c1', 'm2', 'other plan')]);
		expect(index.search('plan').total).toBe(2);

		// m1 deleted for everyone, m2 edited.
		index.syncConversation('c1', [
			msg('c1', 'm1', 'secret plan', { deleted: true }),
			msg('c1', 'm2', 'other idea')
		]);

		expect(index.search('secret').total).toBe(0);
		expect(index.search('plan').total).toBe(0);
		expect(index.search('idea').hits.map((h) => h.messageId)).toEqual(['m2']);
		expect(index.size).toBe(1);

		// A message that is no longer listed at all goes too.
		index.syncConversation('c1', []);
		expect(index.search('idea').total).toBe(0);
		expect(index.size).toBe(0);
	});

	it('returns a bounded snippet around the match with marked words', () => {
		const filler = 'Lorem ipsum dolor sit amet. '.repeat(20);
		const text = `${filler}Remember the grounding exercise tonight. ${filler}`;
		const index = new MessageIndex();
		index.syncConversation('c1', [msg('c1', 'm1', text)]);

		const snippet = index.search('grounding').hits[0].snippet;
		const joined = snippet.map((s) => s.text).join('');

		expect(joined.length).toBeLessThan(240);
		expect(joined.startsWith('…')).toBe(true);
		expect(joined.endsWith('…')).toBe(true);
		expect(marked(snippet)).toEqual(['grounding']);
	});

	it('keeps markup as plain text segments', () => {
		const snippet = makeSnippet('<img src=x onerror=alert(1)> hello <b>there</b>', ['hello']);

		expect(snippet).toEqual([
			{ text: '<img src=x onerror=alert(1)> ', mark: false },
			{ text: 'hello', mark: true },
			{ text: ' <b>there</b>', mark: false }
		]);
	});

	it('marks accented and Cyrillic words in their original spelling', () => {
		const snippet = makeSnippet('Ещё один Café', [fold('еще'), fold('cafe')]);

		expect(marked(snippet)).toEqual(['Ещё', 'Café']);
	});

	it('indexes every edge-case message without throwing and finds Russian, accents and zero-width text', () => {
		const path = new URL('../../../../shared/corpus/edge-messages.jsonl', import.meta.url);
		const edge = readFileSync(path, 'utf8')
			.split('\n')
			.filter((line) => line.trim())
			.map((line) => JSON.parse(line) as { id: number; kind: string; text: string });
		const index = new MessageIndex();

		index.syncConversation(
			'edge',
			edge.map((e) => msg('edge', String(e.id), e.text))
		);

		const kindOf = (query: string) =>
			index.search(query).hits.map((h) => edge.find((e) => String(e.id) === h.messageId)?.kind);
		expect(kindOf('заземление')).toEqual(['ru']);
		expect(kindOf('resume')).toEqual(['combining']);
		expect(kindOf('checkin')).toEqual(['zero-width']);
		expect(kindOf('onerror')).toEqual(['html']);
	});
});
