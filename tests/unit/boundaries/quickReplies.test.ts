import { describe, expect, it } from 'vitest';
import {
	fillTemplate,
	parseQuickReplies,
	placeholdersOf
} from '../../../src/lib/boundaries/quickReplies.js';
import { defaultQuickReplies } from '../../../src/lib/app/defaultQuickReplies.js';
import { setLocale } from '../../../src/lib/ui/locale.svelte.js';

describe('quick reply templates', () => {
	it('lists placeholders once each, in order, in any script', () => {
		expect(placeholdersOf('Hi {client}, {time} on {date}; see you at {time}, {клиент}')).toEqual([
			'client',
			'time',
			'date',
			'клиент'
		]);
		expect(placeholdersOf('no braces { here } {}')).toEqual([]);
	});

	it('fills the placeholders that have a value and leaves the rest', () => {
		const body = 'Hi {client}, our session is at {time} on {date}.';

		expect(fillTemplate(body, { client: 'Sam', time: '15:00', date: '' })).toBe(
			'Hi Sam, our session is at 15:00 on {date}.'
		);
	});

	it('inserts values literally, even ones that look like placeholders or markup', () => {
		expect(fillTemplate('{a} and {b}', { a: '{b}', b: '<b>x</b>' })).toBe('{b} and <b>x</b>');
	});

	it('keeps well-formed stored entries and drops malformed ones', () => {
		const stored = [
			{ id: '1', title: 'Late', body: 'Running late, {client}' },
			{ id: 2, title: 'bad id', body: '' },
			'not an object',
			{ id: '3', title: 'x'.repeat(200), body: 'y' }
		];

		const parsed = parseQuickReplies(stored)!;

		expect(parsed.map((r) => r.id)).toEqual(['1', '3']);
		expect(parsed[1].title).toHaveLength(80);
		expect(parseQuickReplies({ not: 'a list' })).toBeUndefined();
	});

	it('starts with the three defaults, placeholders intact, in English and Russian', () => {
		for (const locale of ['en', 'ru'] as const) {
			setLocale(locale);
			const defaults = defaultQuickReplies();

			expect(defaults.map((r) => r.id)).toEqual(['default-reminder', 'default-late', 'default-grounding']);
			expect(placeholdersOf(defaults[0].body)).toEqual(['client', 'date', 'time']);
			expect(placeholdersOf(defaults[1].body)).toEqual(['client']);
		}
		expect(defaultQuickReplies()[0].body).toMatch(/Напоминаю/);
		setLocale('en');
	});
});
