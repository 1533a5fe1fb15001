/**
 * Every string the UI shows, looked up by key in the current language: {@link t} for a string,
 * {@link tp} for a counted one. The tables are `locales/en.ts` (the source: its keys and
 * placeholders are the contract) and `locales/ru.ts`.
 *
 * @remarks
 * Messages are ICU MessageFormat, formatted by `intl-messageformat` (FormatJS), chosen over
 * i18next 27 and Paraglide 2 because:
 * - ICU keeps all plural forms of a message in one string, so a translation may count where
 *   English doesn't need to (Russian needs one/few/many/other) without new keys, and `#` and
 *   `{n, number}` format numbers in the UI language;
 * - the `{name}` placeholders the table already used are ICU syntax, and values are never
 *   parsed as messages (i18next must be told not to expand `$t(…)` in user text);
 * - it is a pure formatter with no global instance, init step or compiler: Paraglide 2 needs
 *   its Vite plugin or CLI and a project file, and i18next 27 requires Node 22 while Tend
 *   supports 20.19.
 *
 * The language is `$state` (`locale.svelte.ts`), so a component that calls `t` re-renders when
 * it changes. The result is always plain text: components insert it with text interpolation,
 * never as HTML, so a name such as `<b>Sam</b>` stays literal; tags in messages are off
 * (`ignoreTag`), so `<` is text there too.
 */
import { IntlMessageFormat } from 'intl-messageformat';
import { en, type StringKey } from './locales/en.js';
import { ru } from './locales/ru.js';
import { formatLocale, getLocale, type Locale } from './locale.svelte.js';

export type { StringKey };

const tables: Record<Locale, Record<StringKey, string>> = { en, ru };

type Message<K extends StringKey> = (typeof en)[K];

/** Every text after a `{`: each starts with an argument name or a plural branch's text. */
type AfterBraces<S extends string> = S extends `${string}{${infer Rest}`
	? Rest | AfterBraces<Rest>
	: never;

/** `name` from `name}…` or `name, plural, …`; branch texts (`# waiting}`) are not names. */
type ArgName<Seg extends string> = Seg extends `${infer Head}}${string}`
	? FirstWord<Head>
	: FirstWord<Seg>;

type FirstWord<Head extends string> = Head extends `${infer Name},${string}`
	? Identifier<Name>
	: Identifier<Head>;

type Identifier<Name extends string> = Name extends ''
	? never
	: Name extends `${string}${' ' | '#' | '{' | '\n'}${string}`
		? never
		: Name;

/** The ICU arguments a message uses. */
export type ParamNames<S extends string> = ArgName<AfterBraces<S>>;

/** Arguments that are counted or formatted as numbers must be numbers; the rest, any text. */
type ParamValue<S extends string, N extends string> =
	S extends `${string}{${N}, ${'plural' | 'number' | 'selectordinal'}${string}`
		? number
		: string | number;

type Params<K extends StringKey> = {
	[N in ParamNames<Message<K>>]: ParamValue<Message<K>, N>;
};

type ParamArgs<K extends StringKey> = [ParamNames<Message<K>>] extends [never]
	? []
	: [params: Params<K>];

/** A key whose English message counts `{count, plural, …}`: the keys {@link tp} takes. */
export type PluralKey = {
	[K in StringKey]: Message<K> extends `${string}{count, plural,${string}` ? K : never;
}[StringKey];

type PluralParams<K extends PluralKey> = Omit<Params<K>, 'count'>;

type PluralArgs<K extends PluralKey> = [Exclude<ParamNames<Message<K>>, 'count'>] extends [never]
	? []
	: [params: PluralParams<K>];

/** Parsed messages, by locale and key: each is parsed the first time it is shown. */
const formats = new Map<string, IntlMessageFormat>();

function formatFor(locale: Locale, key: StringKey): IntlMessageFormat {
	const id = `${locale}\u0000${key}`;
	let format = formats.get(id);
	if (!format) {
		// Plural rules follow the language; number formats follow the regional tag (en-GB).
		const tags = [formatLocale(), locale];
		format = new IntlMessageFormat(tables[locale][key], tags, undefined, { ignoreTag: true });
		formats.set(id, format);
	}
	return format;
}

function format(key: StringKey, params: Record<string, string | number> | undefined): string {
	const locale = getLocale();
	return String(formatFor(locale, key).format(params));
}

/**
 * Looks up a string in the current language and fills its placeholders.
 *
 * @example t('request.title', { name: request.name }) // "Sam wants to join."
 */
export function t<K extends StringKey>(key: K, ...args: ParamArgs<K>): string {
	return format(key, args[0] as Record<string, string | number> | undefined);
}

/**
 * Looks up a counted string: `count` picks the plural form (by `Intl.PluralRules` of the
 * current language) and fills `#`; `params` fills the other placeholders.
 *
 * @example tp('home.waiting', 2) // "2 waiting"
 */
export function tp<K extends PluralKey>(key: K, count: number, ...args: PluralArgs<K>): string {
	return format(key, { ...(args[0] as Record<string, string | number> | undefined), count });
}

/**
 * {@link listNames} in pieces, so each name can carry its own markup: `index` names the item of
 * `names` an element piece shows; literal pieces are the language's separators.
 */
export function listNameParts(
	names: string[]
): ({ type: 'element'; index: number; value: string } | { type: 'literal'; value: string })[] {
	let index = 0;
	return new Intl.ListFormat(formatLocale(), { style: 'long', type: 'conjunction' })
		.formatToParts(names)
		.map((part) =>
			part.type === 'element'
				? { type: 'element', index: index++, value: part.value }
				: { type: 'literal', value: part.value }
		);
}

/** Joins names as the current language does: "Sam, Alex, and Kim", «Сэм, Алекс и Ким». */
export function listNames(names: string[]): string {
	return new Intl.ListFormat(formatLocale(), { style: 'long', type: 'conjunction' }).format(
		names
	);
}

