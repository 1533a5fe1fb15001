import { afterEach, describe, expect, it } from 'vitest';
import { setLocale } from '../../../src/lib/ui/locale.svelte.js';
import { listNames, t, tp } from '../../../src/lib/ui/strings.js';

afterEach(() => setLocale('en'));

describe('strings', () => {
	it('fills placeholders', () => {
		expect(t('request.title', { name: 'Sam' })).toBe('Sam wants to join.');
	});

	it('leaves markup in a parameter as literal text', () => {
		expect(t('request.title', { name: '<b>x</b> {name}' })).toBe('<b>x</b> {name} wants to join.');
	});

	it('never reads a parameter as a message', () => {
		const text = "{count, plural, other {#}} $t(app.name) '{x}'";
		expect(t('home.previewMine', { text })).toBe(`You: ${text}`);
		setLocale('ru');
		expect(t('home.previewMine', { text })).toBe(`Вы: ${text}`);
	});

	it('keeps apostrophes in English text', () => {
		expect(t('join.invitedNoTitle')).toBe("You've been invited to a conversation");
	});

	it('picks plural forms', () => {
		expect(tp('home.waitingLabel', 1)).toBe('1 person is waiting to join');
		expect(tp('home.waitingLabel', 3)).toBe('3 people are waiting to join');
		expect(tp('problem.unverified', 1)).toBe('A message could not be verified and was not shown.');
		expect(tp('problem.unverified', 4)).toBe(
			'4 messages could not be verified and were not shown.'
		);
	});

	it('joins names', () => {
		expect(listNames(['Sam', 'Alex', 'Kim'])).toBe('Sam, Alex, and Kim');
	});

	it('formats numbers in the UI language', () => {
		expect(t('composer.remaining', { count: 1, max: 20_000 })).toBe(
			'1 character left (a message can have up to 20,000).'
		);
		setLocale('ru');
		// Russian groups thousands with a no-break space.
		expect(t('composer.remaining', { count: 1999, max: 20_000 })).toBe(
			'Осталось 1\u00a0999 символов (в сообщении может быть до 20\u00a0000 символов).'
		);
	});
});

describe('strings in Russian', () => {
	it('translates and fills placeholders', () => {
		setLocale('ru');

		expect(t('request.title', { name: 'Анна' })).toBe('Анна хочет присоединиться.');
		expect(t('join.invited', { inviter: 'Сэм', title: 'Встречи' })).toBe(
			'Сэм приглашает вас в беседу «Встречи»'
		);
		expect(t('request.admit')).toBe('Впустить');
	});

	it('uses all four plural forms', () => {
		setLocale('ru');
		const label = (n: number) => tp('home.waitingLabel', n);

		expect(label(1)).toBe('1 человек хочет присоединиться');
		expect(label(2)).toBe('2 человека хотят присоединиться');
		expect(label(4)).toBe('4 человека хотят присоединиться');
		expect(label(5)).toBe('5 человек хотят присоединиться');
		expect(label(11)).toBe('11 человек хотят присоединиться');
		expect(label(12)).toBe('12 человек хотят присоединиться');
		expect(label(14)).toBe('14 человек хотят присоединиться');
		expect(label(21)).toBe('21 человек хочет присоединиться');
		expect(label(22)).toBe('22 человека хотят присоединиться');
		expect(label(25)).toBe('25 человек хотят присоединиться');
		expect(label(111)).toBe('111 человек хотят присоединиться');
		expect(label(0)).toBe('0 человек хотят присоединиться');
		expect(label(1.5)).toBe('1,5 человека хотят присоединиться');
	});

	it('counts in every counted message', () => {
		setLocale('ru');

		expect(tp('home.waiting', 1)).toBe('1 ждёт');
		expect(tp('home.waiting', 21)).toBe('21 ждёт');
		expect(tp('home.waiting', 3)).toBe('3 ждут');
		expect(tp('problem.unverified', 1)).toBe(
			'Одно сообщение не удалось проверить, поэтому оно не показано.'
		);
		expect(tp('problem.unverified', 21)).toBe(
			'21 сообщение не удалось проверить, поэтому оно не показано.'
		);
		expect(tp('problem.unverified', 2)).toBe(
			'2 сообщения не удалось проверить, поэтому они не показаны.'
		);
		expect(tp('problem.unverified', 25)).toBe(
			'25 сообщений не удалось проверить, поэтому они не показаны.'
		);
		expect(tp('composer.remaining', 1, { max: 20_000 })).toMatch(/^Остался 1 символ /);
		expect(tp('composer.remaining', 22, { max: 20_000 })).toMatch(/^Осталось 22 символа /);
		expect(tp('composer.remaining', 11, { max: 20_000 })).toMatch(/^Осталось 11 символов /);
	});

	it('joins names with «и»', () => {
		setLocale('ru');

		expect(listNames(['Сэм', 'Алекс', 'Ким'])).toBe('Сэм, Алекс и Ким');
	});
});

// Compile-time checks (svelte-check): keys and parameters are typed.
export function typeChecks(): void {
	// @ts-expect-error: not a key
	t('request.nope');
	// @ts-expect-error: the name is missing
	t('request.title');
	// @ts-expect-error: a wrong parameter name
	t('request.title', { who: 'Sam' });
	// @ts-expect-error: a counted parameter must be a number
	t('composer.remaining', { count: '3', max: 10 });
	// @ts-expect-error: not a counted key
	tp('request.title', 2);
	// @ts-expect-error: `max` is needed besides the count
	tp('composer.remaining', 2);
	tp('composer.remaining', 2, { max: 10 });
	tp('home.waiting', 2);
}
