/**
 * Dates and times for display, in the UI language with the browser's region where it prefers
 * the same language (`formatLocale`): a Russian UI shows «4 дек.», an English one in Britain
 * "4 Dec" and in the US "Dec 4". The formatters read the reactive language, so a shown time
 * re-renders when it changes. All inputs are milliseconds since the epoch.
 */
import { formatLocale } from './locale.svelte.js';

const styles = {
	time: { hour: 'numeric', minute: '2-digit' },
	weekday: { weekday: 'short' },
	shortDate: { day: 'numeric', month: 'short' },
	dateAndTime: { dateStyle: 'medium', timeStyle: 'short' },
	full: { dateStyle: 'full', timeStyle: 'short' }
} satisfies Record<string, Intl.DateTimeFormatOptions>;

type Style = keyof typeof styles;

/** Building a formatter is slow next to using one: one per locale and style. */
const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(style: Style): Intl.DateTimeFormat {
	const locale = formatLocale();
	const id = `${locale} ${style}`;
	let format = formatters.get(id);
	if (!format) {
		format = new Intl.DateTimeFormat(locale, styles[style]);
		formatters.set(id, format);
	}
	return format;
}

const DAY_MS = 24 * 60 * 60 * 1000;

function startOfDay(ms: number): number {
	const d = new Date(ms);
	d.setHours(0, 0, 0, 0);
	return d.getTime();
}

/** For the conversation list: "14:05" today, "Tue" this week, "4 Dec" before. */
export function formatListTime(ms: number, now = Date.now()): string {
	const today = startOfDay(now);
	if (ms >= today) return formatter('time').format(ms);
	if (ms >= today - 6 * DAY_MS) return formatter('weekday').format(ms);
	return formatter('shortDate').format(ms);
}

/** Beside a message: the time alone today, date and time before. */
export function formatMessageTime(ms: number, now = Date.now()): string {
	return ms >= startOfDay(now) ? formatter('time').format(ms) : formatDateTime(ms);
}

/** Date and time, for expiry notices. */
export function formatDateTime(ms: number): string {
	return formatter('dateAndTime').format(ms);
}

/** The longest form, for `title` tooltips and screen readers. */
export function formatFullDateTime(ms: number): string {
	return formatter('full').format(ms);
}

/** The machine-readable form for `<time datetime>`. */
export function isoTime(ms: number): string {
	return new Date(ms).toISOString();
}
