/**
 * The UI language of this device, as reactive state: `t`, `tp` and the date formatters read it,
 * so a change re-renders every string on screen without a reload.
 *
 * @remarks
 * A module-level `$state` rather than a context (the usual place for shared state, see
 * STYLE.md): the language belongs to the device, not to a subtree, and plain modules such as
 * `ConversationController` translate too. Tend runs client-side only (`ssr = false`), so no
 * request can see another's language.
 *
 * The choice is not sensitive (it says which language, nothing else), so it is kept in
 * `localStorage` under {@link LOCALE_STORAGE_KEY} rather than in the encrypted vault. Without a
 * stored choice the browser's preferred languages decide.
 */

/** The languages Tend is written in, in the order the language switch lists them. */
export const LOCALES = ['en', 'ru'] as const;

export type Locale = (typeof LOCALES)[number];

/** Each language's name in that language, for the switch: a reader finds their own. */
export const LOCALE_NAMES: Record<Locale, string> = { en: 'English', ru: 'Русский' };

/** The `localStorage` key that holds the chosen language. */
export const LOCALE_STORAGE_KEY = 'tend-locale';

export function isLocale(value: unknown): value is Locale {
	return typeof value === 'string' && (LOCALES as readonly string[]).includes(value);
}

function primaryLanguage(tag: string): string {
	return tag.toLowerCase().split(/[-_]/)[0];
}

/**
 * The first of the browser's languages that Tend has (`ru-RU` → `ru`), else English.
 *
 * @param languages - BCP 47 tags, most preferred first, as in `navigator.languages`.
 */
export function negotiateLocale(languages: readonly string[]): Locale {
	for (const tag of languages) {
		const primary = primaryLanguage(tag);
		if (isLocale(primary)) return primary;
	}
	return 'en';
}

/**
 * The tag for `Intl` formatters: the UI language with the browser's region when the browser
 * prefers the same language, so `en-GB` keeps day-month order and a 24-hour clock.
 */
export function regionalLocale(locale: Locale, languages: readonly string[]): string {
	const match = languages.find((tag) => primaryLanguage(tag) === locale);
	if (!match) return locale;
	try {
		return Intl.getCanonicalLocales(match)[0] ?? locale;
	} catch {
		return locale;
	}
}

function browserLanguages(): readonly string[] {
	return globalThis.navigator?.languages ?? [];
}

/** Reading `localStorage` throws where the browser forbids storage for the site. */
function storage(): Storage | undefined {
	try {
		return globalThis.localStorage ?? undefined;
	} catch {
		return undefined;
	}
}

/** The stored choice, else the browser's languages. */
export function initialLocale(): Locale {
	let stored: string | null | undefined;
	try {
		stored = storage()?.getItem(LOCALE_STORAGE_KEY);
	} catch {
		stored = undefined;
	}
	return isLocale(stored) ? stored : negotiateLocale(browserLanguages());
}

class LocaleState {
	current = $state<Locale>(initialLocale());
}

const state = new LocaleState();
const listeners = new Set<(locale: Locale) => void>();

/** `<html lang>`: screen readers pick their voice by it, browsers their hyphenation. */
function syncDocumentLang(): void {
	if (typeof document !== 'undefined') document.documentElement.lang = state.current;
}

function apply(next: Locale): void {
	if (next === state.current) return;
	state.current = next;
	syncDocumentLang();
	for (const listener of listeners) listener(next);
}

/** The current UI language. Reading it inside a template or `$derived` subscribes to it. */
export function getLocale(): Locale {
	return state.current;
}

/**
 * Switches the UI language at once and keeps the choice for the next visit and other tabs.
 * Where storage is unavailable the switch still holds until the page closes.
 */
export function setLocale(next: Locale): void {
	apply(next);
	try {
		storage()?.setItem(LOCALE_STORAGE_KEY, next);
	} catch {
		// Storage full or forbidden: nothing to keep it in.
	}
}

/**
 * Calls `listener` after every change of language, for text built outside the render (such as
 * a conversation's problem reports). Returns the unsubscribe function.
 */
export function onLocaleChange(listener: (locale: Locale) => void): () => void {
	listeners.add(listener);
	return () => listeners.delete(listener);
}

/** The tag for `Intl` date, number and list formatters in the current language. */
export function formatLocale(): string {
	return regionalLocale(state.current, browserLanguages());
}

syncDocumentLang();

// Another tab switched language: follow it, so the tabs never disagree.
if (typeof window !== 'undefined') {
	window.addEventListener('storage', (event) => {
		if (event.key === LOCALE_STORAGE_KEY && isLocale(event.newValue)) apply(event.newValue);
	});
}
