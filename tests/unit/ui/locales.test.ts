import { IntlMessageFormat } from 'intl-messageformat';
import { describe, expect, it } from 'vitest';
import { en, type StringKey } from '../../../src/lib/ui/locales/en.js';
import { ru } from '../../../src/lib/ui/locales/ru.js';
import { LOCALES, type Locale } from '../../../src/lib/ui/locale.svelte.js';

/**
 * The tables against each other: every key in every language, the same placeholders, every
 * plural form the language has, and messages that parse. These fail the build on a key added to
 * English and forgotten in Russian, or a placeholder renamed in one table only.
 */

const tables: Record<Locale, Record<string, string>> = { en, ru };
const keys = Object.keys(en) as StringKey[];

/** How an ICU argument is used; the numbers are the parser's `TYPE` values. */
const KINDS: Record<number, string> = {
	1: 'text',
	2: 'number',
	3: 'date',
	4: 'time',
	5: 'select',
	6: 'plural'
};

interface AstElement {
	type: number;
	value?: unknown;
	options?: Record<string, { value: AstElement[] }>;
	pluralType?: string;
	children?: AstElement[];
}

interface Argument {
	kind: string;
	/** The branch names of a plural or select (`one`, `few`, `=1`, …). */
	branches: string[];
}

/** Every argument of a message, nested ones included, by name. */
function argumentsOf(message: string, locale: Locale): Map<string, Argument[]> {
	const ast = new IntlMessageFormat(message, locale, undefined, { ignoreTag: true }).getAst();
	const found = new Map<string, Argument[]>();
	const walk = (elements: AstElement[]) => {
		for (const element of elements) {
			const kind = KINDS[element.type];
			if (kind && typeof element.value === 'string') {
				const branches = Object.keys(element.options ?? {});
				found.set(element.value, [...(found.get(element.value) ?? []), { kind, branches }]);
			}
			for (const option of Object.values(element.options ?? {})) walk(option.value);
			if (element.children) walk(element.children);
		}
	};
	walk(ast as AstElement[]);
	return found;
}

function pluralCategories(locale: Locale): string[] {
	return new Intl.PluralRules(locale).resolvedOptions().pluralCategories;
}

/** Messages that are the same in every language: a brand name and pure punctuation. */
const SAME_EVERYWHERE = new Set<StringKey>(['app.name', 'home.previewOther', 'home.mentions']);

describe('string tables', () => {
	it('gives every language exactly the English keys', () => {
		for (const locale of LOCALES) {
			expect(Object.keys(tables[locale]).sort(), locale).toEqual([...keys].sort());
		}
	});

	it('parses every message in every language', () => {
		for (const locale of LOCALES) {
			for (const key of keys) {
				expect(() => argumentsOf(tables[locale][key], locale), `${locale} ${key}`).not.toThrow();
			}
		}
	});

	it('uses the same placeholders in every language', () => {
		for (const key of keys) {
			const english = [...argumentsOf(en[key], 'en').keys()].sort();
			const russian = [...argumentsOf(ru[key], 'ru').keys()].sort();
			expect(russian, key).toEqual(english);
		}
	});

	it('counts only arguments that English counts too, so their type is a number', () => {
		const counted = new Set(['number', 'plural']);
		for (const key of keys) {
			const english = argumentsOf(en[key], 'en');
			for (const [name, uses] of argumentsOf(ru[key], 'ru')) {
				if (!uses.some((use) => counted.has(use.kind))) continue;
				const kinds = english.get(name)?.map((use) => use.kind) ?? [];
				expect(
					kinds.some((kind) => counted.has(kind)),
					`${key}: {${name}} is counted in Russian only`
				).toBe(true);
			}
		}
	});

	it('gives every plural every form of its language', () => {
		for (const locale of LOCALES) {
			const needed = pluralCategories(locale);
			for (const key of keys) {
				for (const [name, uses] of argumentsOf(tables[locale][key], locale)) {
					for (const use of uses.filter((u) => u.kind === 'plural')) {
						for (const category of needed) {
							expect(use.branches, `${locale} ${key} {${name}}`).toContain(category);
						}
					}
				}
			}
		}
		expect(pluralCategories('ru')).toEqual(expect.arrayContaining(['one', 'few', 'many', 'other']));
	});

	it('translates every Russian message', () => {
		const cyrillic = /[\u0400-\u04ff]/;
		for (const key of keys) {
			if (SAME_EVERYWHERE.has(key)) continue;
			expect(ru[key], key).toMatch(cyrillic);
			expect(ru[key], key).not.toBe(en[key]);
		}
	});

	it('keeps ASCII quotes and apostrophes out of Russian text', () => {
		// «» are Russian quotes; an ASCII apostrophe is also ICU's escape character.
		for (const key of keys) expect(ru[key], key).not.toMatch(/["']/);
	});
});
