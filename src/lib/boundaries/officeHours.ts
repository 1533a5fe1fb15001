import type { WeeklyInterval } from '../model/availability.js';

/**
 * Whether a therapist is within their weekly office hours, and when they next are, computed in
 * the therapist's time zone (so a client elsewhere, or across a daylight-saving change, gets the
 * right instant) with nothing but `Intl`.
 */

const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;

const partFormatters = new Map<string, Intl.DateTimeFormat>();

/** Wall-clock parts of an instant in a time zone. */
function wallClock(ms: number, timeZone: string) {
	let format = partFormatters.get(timeZone);
	if (!format) {
		format = new Intl.DateTimeFormat('en-US', {
			timeZone,
			hourCycle: 'h23',
			year: 'numeric',
			month: 'numeric',
			day: 'numeric',
			hour: 'numeric',
			minute: 'numeric',
			second: 'numeric'
		});
		partFormatters.set(timeZone, format);
	}
	const parts: Record<string, number> = {};
	for (const part of format.formatToParts(ms)) {
		if (part.type !== 'literal') parts[part.type] = Number(part.value);
	}
	return {
		year: parts.year,
		month: parts.month,
		day: parts.day,
		minutes: parts.hour * 60 + parts.minute,
		second: parts.second
	};
}

/** The zone's offset from UTC at an instant, in ms (positive east of Greenwich). */
function offsetAt(ms: number, timeZone: string): number {
	const w = wallClock(ms, timeZone);
	const asUtc = Date.UTC(w.year, w.month - 1, w.day, 0, w.minutes, w.second);
	return asUtc - Math.floor(ms / 1000) * 1000;
}

/** The instant at which the zone's clock shows this date and time (the later one in a DST gap). */
export function zonedTime(
	year: number,
	month: number,
	day: number,
	minutes: number,
	timeZone: string
): number {
	const guess = Date.UTC(year, month - 1, day, 0, minutes);
	let result = guess - offsetAt(guess, timeZone);
	const corrected = guess - offsetAt(result, timeZone);
	if (corrected !== result) result = corrected;
	return result;
}

export interface OfficeStatus {
	open: boolean;
	/** When hours next begin (ms since the epoch); undefined if open now or no hours are set. */
	nextStart?: number;
}

/** Open now, or the start of the next interval within the coming eight days. */
export function officeStatus(hours: WeeklyInterval[], timeZone: string, now: number): OfficeStatus {
	if (hours.length === 0) return { open: false };
	const today = wallClock(now, timeZone);
	// Noon avoids DST edges when stepping whole days.
	const todayNoonUtc = Date.UTC(today.year, today.month - 1, today.day, 12);
	let nextStart: number | undefined;
	for (let d = 0; d <= 7; d++) {
		const date = new Date(todayNoonUtc + d * DAY);
		const weekday = date.getUTCDay();
		const intervals = hours.filter((h) => h.day === weekday).sort((a, b) => a.start - b.start);
		for (const interval of intervals) {
			const start = zonedTime(date.getUTCFullYear(), date.getUTCMonth() + 1, date.getUTCDate(), interval.start, timeZone);
			const end = zonedTime(date.getUTCFullYear(), date.getUTCMonth() + 1, date.getUTCDate(), interval.end, timeZone);
			if (start <= now && now < end) return { open: true };
			if (start > now && (nextStart === undefined || start < nextStart)) nextStart = start;
		}
		if (nextStart !== undefined) break;
	}
	return { open: false, nextStart };
}

/** "09:30" ↔ 570: the `<input type="time">` form of minutes after midnight. */
export function minutesToTime(minutes: number): string {
	const h = Math.floor(minutes / 60);
	const m = minutes % 60;
	return `${String(h).padStart(2, '0')}:${String(m).padStart(2, '0')}`;
}

export function timeToMinutes(value: string): number | undefined {
	const match = /^(\d{1,2}):(\d{2})$/.exec(value);
	if (!match) return undefined;
	const minutes = Number(match[1]) * 60 + Number(match[2]);
	return minutes >= 0 && minutes <= 1440 ? minutes : undefined;
}
