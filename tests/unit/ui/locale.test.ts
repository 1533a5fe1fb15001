import { afterEach, describe, expect, it, vi } from 'vitest';
import {
	getLocale,
	initialLocale,
	LOCALE_STORAGE_KEY,
	negotiateLocale,
	onLocaleChange,
	regionalLocale,
	setLocale
} from '../../../src/lib/ui/locale.svelte.js';
import { formatDateTime, formatListTime } from '../../../src/lib/ui/formatTime.js';
import { t } from '../../../src/lib/ui/strings.js';

/*
 * Vitest runs these modules through Svelte's server transform, where `$state` is a plain field
 * and `$effect` never runs; that a switch re-renders the page is shown in the browser, by
 * tests/e2e/russian.e2e.ts. Here: choosing, storing, announcing and formatting.
 */

/** A `localStorage` stand-in: Node has none. */
function memoryStorage(entries: Record<string, string> = {}): Storage {
	const map = new Map(Object.entries(entries));
	return {
		get length() {
			return map.size;
		},
		clear: () => map.clear(),
		getItem: (key) => map.get(key) ?? null,
		key: (index) => [...map.keys()][index] ?? null,
		removeItem: (key) => void map.delete(key),
		setItem: (key, value) => void map.set(key, String(value))
	};
}

afterEach(() => {
	setLocale('en');
	vi.unstubAllGlobals();
});

describe('negotiateLocale', () => {
	it('takes the first language Tend has', () => {
		expect(negotiateLocale(['ru-RU', 'en-US'])).toBe('ru');
		expect(negotiateLocale(['ru'])).toBe('ru');
		expect(negotiateLocale(['de-DE', 'RU', 'en'])).toBe('ru');
		expect(negotiateLocale(['en-GB', 'ru'])).toBe('en');
	});

	it('falls back to English', () => {
		expect(negotiateLocale(['de-DE', 'fr'])).toBe('en');
		expect(negotiateLocale([])).toBe('en');
	});
});

describe('regionalLocale', () => {
	it('keeps the browser region of the same language', () => {
		expect(regionalLocale('en', ['en-GB', 'ru'])).toBe('en-GB');
		expect(regionalLocale('ru', ['en-GB', 'ru-RU'])).toBe('ru-RU');
		expect(regionalLocale('ru', ['en-US'])).toBe('ru');
	});
});

describe('initialLocale', () => {
	it('prefers the stored choice over the browser', () => {
		vi.stubGlobal('localStorage', memoryStorage({ [LOCALE_STORAGE_KEY]: 'ru' }));
		vi.stubGlobal('navigator', { languages: ['en-US'] });

		expect(initialLocale()).toBe('ru');
	});

	it('ignores a stored value it does not know and asks the browser', () => {
		vi.stubGlobal('localStorage', memoryStorage({ [LOCALE_STORAGE_KEY]: 'de' }));
		vi.stubGlobal('navigator', { languages: ['ru-RU', 'en'] });

		expect(initialLocale()).toBe('ru');
	});

	it('survives storage that throws', () => {
		vi.stubGlobal('localStorage', {
			getItem: () => {
				throw new DOMException('denied', 'SecurityError');
			}
		});
		vi.stubGlobal('navigator', { languages: ['en-US'] });

		expect(initialLocale()).toBe('en');
	});
});

describe('setLocale', () => {
	it('switches, stores the choice and updates <html lang>', () => {
		const storage = memoryStorage();
		const document = { documentElement: { lang: 'en' } };
		vi.stubGlobal('localStorage', storage);
		vi.stubGlobal('document', document);

		setLocale('ru');

		expect(getLocale()).toBe('ru');
		expect(storage.getItem(LOCALE_STORAGE_KEY)).toBe('ru');
		expect(document.documentElement.lang).toBe('ru');
		expect(t('home.title')).toBe('Беседы');
	});

	it('tells listeners once per change', () => {
		const seen: string[] = [];
		const stop = onLocaleChange((locale) => seen.push(locale));

		setLocale('ru');
		setLocale('ru');
		setLocale('en');
		stop();
		setLocale('ru');

		expect(seen).toEqual(['ru', 'en']);
	});
});

describe('formatTime', () => {
	it('formats dates in the UI language', () => {
		const now = new Date(2025, 11, 20, 9, 0).getTime();
		const earlier = new Date(2025, 11, 4, 14, 5).getTime();

		expect(formatListTime(earlier, now)).toBe('Dec 4');
		setLocale('ru');
		expect(formatListTime(earlier, now)).toBe('4 дек.');
		expect(formatDateTime(earlier)).toMatch(/^4 дек\. 2025 г\., 14:05$/);
	});

	it('names weekdays in the UI language', () => {
		const now = new Date(2025, 11, 20, 9, 0).getTime();
		const tuesday = new Date(2025, 11, 16, 14, 5).getTime();

		expect(formatListTime(tuesday, now)).toBe('Tue');
		setLocale('ru');
		expect(formatListTime(tuesday, now)).toBe('вт');
	});
});
