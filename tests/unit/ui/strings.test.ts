import { describe, expect, it } from 'vitest';
import { listNames, t, tp } from '../../../src/lib/ui/strings.js';

describe('strings', () => {
	it('fills placeholders', () => {
		expect(t('request.title', { name: 'Sam' })).toBe('Sam wants to join.');
	});

	it('leaves markup in a parameter as literal text', () => {
		expect(t('request.title', { name: '<b>x</b> {name}' })).toBe('<b>x</b> {name} wants to join.');
	});

	it('picks plural forms', () => {
		expect(tp('home.waitingLabel', 1)).toBe('1 person is waiting to join');
		expect(tp('home.waitingLabel', 3)).toBe('3 people are waiting to join');
	});

	it('joins names', () => {
		expect(listNames(['Sam', 'Alex', 'Kim'])).toBe('Sam, Alex, and Kim');
	});
});
