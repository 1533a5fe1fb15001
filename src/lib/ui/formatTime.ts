/**
 * Dates and times for display. They follow the browser's own locale (not the UI language), so a
 * reader sees day and month in the order they are used to. All inputs are milliseconds since the
 * epoch.
 */

const timeOnly = new Intl.DateTimeFormat(undefined, { hour: 'numeric', minute: '2-digit' });
const weekday = new Intl.DateTimeFormat(undefined, { weekday: 'short' });
const shortDate = new Intl.DateTimeFormat(undefined, { day: 'numeric', month: 'short' });
const dateAndTime = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });
const full = new Intl.DateTimeFormat(undefined, { dateStyle: 'full', timeStyle: 'short' });

const DAY_MS = 24 * 60 * 60 * 1000;

function startOfDay(ms: number): number {
	const d = new Date(ms);
	d.setHours(0, 0, 0, 0);
	return d.getTime();
}

/** For the conversation list: "14:05" today, "Tue" this week, "4 Dec" before. */
export function formatListTime(ms: number, now = Date.now()): string {
	const today = startOfDay(now);
	if (ms >= today) return timeOnly.format(ms);
	if (ms >= today - 6 * DAY_MS) return weekday.format(ms);
	return shortDate.format(ms);
}

/** Beside a message: the time alone today, date and time before. */
export function formatMessageTime(ms: number, now = Date.now()): string {
	return ms >= startOfDay(now) ? timeOnly.format(ms) : dateAndTime.format(ms);
}

/** Date and time, for expiry notices. */
export function formatDateTime(ms: number): string {
	return dateAndTime.format(ms);
}

/** The longest form, for `title` tooltips and screen readers. */
export function formatFullDateTime(ms: number): string {
	return full.format(ms);
}

/** The machine-readable form for `<time datetime>`. */
export function isoTime(ms: number): string {
	return new Date(ms).toISOString();
}
