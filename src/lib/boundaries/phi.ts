/**
 * A local check for likely protected health information (PHI) in a message about to go to a
 * group channel or announcements, where more people read it than the client's own therapist.
 * It errs on the side of asking: a flag only offers "send anyway / edit", it never blocks.
 *
 * @remarks
 * Pattern based, English and Russian, no network and no model. What it looks for:
 * - `name`: names of people from this device's other conversations (clients, typically) that
 *   aren't members of the target conversation; "patient/client Name", "Mr./Ms./Mrs. Name",
 *   «пациент(ка)/клиент(ка) Фамилия»; two capitalised words right before another flag
 *   ("Jane Roe, DOB …").
 * - `birthDate`: a date after "DOB", "date of birth", "born", «дата рождения», «д. р.»; or a
 *   full date more than ten years back (an appointment is never that old).
 * - `phone`: 10–13 digits in the usual groupings, or a 7-digit local number (555-0134).
 * - `recordNumber`: a number after "MRN", "record/chart/case/patient/insurance/policy no.",
 *   «полис», «СНИЛС», «№»; a US social security number; a bare run of 7–9 digits.
 * - `diagnosisCode`: ICD-10 codes with a decimal part (F41.1), mental-health chapter codes
 *   (F32), or any code after "ICD", "dx", "diagnosis", «диагноз», «МКБ».
 * - `medicationDose`: an amount with a unit (50 mg, 0.5mg, 10 ml, 20 мг).
 * `npm run bench` reports how often it fires on the counsel-chat replies, which hold no PHI.
 */

export type PhiKind =
	| 'name'
	| 'birthDate'
	| 'phone'
	| 'recordNumber'
	| 'diagnosisCode'
	| 'medicationDose';

export interface PhiFlag {
	kind: PhiKind;
	/** Offsets in the text (UTF-16 code units), for highlighting. */
	start: number;
	end: number;
}

export interface PhiOptions {
	/** Names to look for (people this device talks with who aren't in the target conversation). */
	names?: string[];
	/** "Now" for the birth-date rule, ms since the epoch. */
	now?: number;
}

// Dates: 04/12/1988, 12.04.1988, 1988-04-12, 4 Apr 1988, April 4, 1988, 12 апреля 1988.
const MONTHS_EN =
	'jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?';
const MONTHS_RU =
	'январ[яь]|феврал[яь]|марта?|апрел[яь]|ма[яй]|июн[яь]|июл[яь]|августа?|сентябр[яь]|октябр[яь]|ноябр[яь]|декабр[яь]';
const DATE_SOURCE =
	`\\d{1,2}[./-]\\d{1,2}[./-](?:\\d{4}|\\d{2})\\b|\\d{4}-\\d{1,2}-\\d{1,2}\\b|` +
	`\\d{1,2}\\s+(?:${MONTHS_EN}|${MONTHS_RU})\\.?,?\\s+\\d{4}|(?:${MONTHS_EN})\\.?\\s+\\d{1,2}(?:st|nd|rd|th)?,?\\s+\\d{4}`;
const DATE = new RegExp(`(?<![\\d.])(?:${DATE_SOURCE})`, 'giu');
const DOB_KEYWORD =
	/(?:\bDOB\b|\bD\.O\.B\.?|\bdate of birth\b|\bbirth ?date\b|\bborn(?: on| in)?\b|дата рождения|\bд\.\s?р\.|родил(?:ся|ась)|г\.\s?р\.)/giu;

const PHONE_CANDIDATE = /(?<![\p{L}\p{N}+])\+?\(?\d[\d\s().-]{5,18}\d(?![\p{L}\p{N}])/gu;
const RECORD_KEYWORD =
	/(?:\bMRN\b|\bmedical record\b|\b(?:record|chart|case|patient|file|member|insurance|policy|client)\s*(?:no\.?|number|num|#|id)\b|\bSSN\b|\bsocial security\b|№|(?<!\p{L})(?:номер (?:карты|полиса|истории|медкарты)|полис|СНИЛС|медкарт\p{L}*)(?!\p{L}))/giu;
const RECORD_VALUE = /^[\s:#.№-]{0,4}([A-ZА-Я]{0,3}[-\s]?\d[\d-]{3,15})/u;
const SSN = /\b\d{3}-\d{2}-\d{4}\b/g;
const BARE_NUMBER = /(?<![\p{L}\p{N}.,:/-])\d{7,9}(?![\p{L}\p{N}]|[.,:/-]\d)/gu;

const ICD_DOTTED = /\b[A-TV-Z]\d{2}\.[0-9A-Z]{1,4}\b/g;
const ICD_MENTAL = /\bF\d{2}(?:\.\d{1,2})?\b/g;
const ICD_KEYWORD =
	/(?:\bICD(?:-?10)?\b|\bdx\b|\bdiagnos[a-z]*\b|(?<!\p{L})диагноз\p{L}*|(?<!\p{L})МКБ(?:-?10)?)[\s:#-]{0,6}(?:code\s+|код\s+)?([A-TV-Z]\d{2}[0-9A-Z]?)\b/giu;

const DOSE =
	/(?<![\p{L}\p{N}])\d+(?:[.,]\d+)?\s?(?:mg|mcg|µg|μg|ml|mL|IU|мг|мкг|мл)(?![\p{L}])/gu;

const NAME_AFTER_ROLE =
	/\b(?:[Pp]atient|[Cc]lient|[Pp]t\.?)\s+((?:[A-Z][a-z'’-]+)(?:\s+[A-Z][a-z'’-]+)?)|(?<!\p{L})(?:[Пп]ациент(?:ка|ом|у|а|ке|ки)?|[Кк]лиент(?:ка|ом|у|а|ке|ки)?)\s+((?:[А-ЯЁ][а-яё-]+)(?:\s+[А-ЯЁ][а-яё-]+)?)/gu;
const NAME_AFTER_TITLE = /\b(?:Mr|Mrs|Ms|Miss|Mx)\.?\s+[A-Z][a-z'’-]+|(?<!\p{L})(?:г-н|г-жа|[Гг]осподин|[Гг]оспожа)\s+[А-ЯЁ][а-яё-]+/gu;
const TWO_CAPITALS = /(?<![\p{L}])[A-ZА-ЯЁ][a-zа-яё'’-]+\s+[A-ZА-ЯЁ][a-zа-яё'’-]+(?![\p{L}])/gu;

function escape(text: string): string {
	return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function yearOf(date: string): number | undefined {
	const four = /\d{4}/.exec(date);
	return four ? Number(four[0]) : undefined;
}

function all(regex: RegExp, text: string): RegExpMatchArray[] {
	regex.lastIndex = 0;
	return [...text.matchAll(regex)];
}

/** Flags likely PHI in `text`; overlapping flags of different kinds are all kept. */
export function detectPhi(text: string, options: PhiOptions = {}): PhiFlag[] {
	const flags: PhiFlag[] = [];
	const add = (kind: PhiKind, start: number, end: number) => {
		if (!flags.some((f) => f.kind === kind && f.start < end && start < f.end)) {
			flags.push({ kind, start, end });
		}
	};
	const dates = all(DATE, text).map((m) => ({ start: m.index!, end: m.index! + m[0].length, text: m[0] }));

	// Birth dates: after a keyword (within a few words), or long ago.
	for (const keyword of all(DOB_KEYWORD, text)) {
		const after = keyword.index! + keyword[0].length;
		const date = dates.find((d) => d.start >= after && d.start - after <= 30);
		if (date) add('birthDate', keyword.index!, date.end);
		else {
			const year = /^[\s:,-]{0,4}(?:in\s+)?(\d{4})\b/u.exec(text.slice(after));
			if (year) add('birthDate', keyword.index!, after + year[0].length);
		}
	}
	const tenYearsAgo = new Date(options.now ?? Date.now()).getFullYear() - 10;
	for (const date of dates) {
		const year = yearOf(date.text);
		if (year !== undefined && year >= 1900 && year <= tenYearsAgo) add('birthDate', date.start, date.end);
	}
	const inDate = (start: number, end: number) => dates.some((d) => d.start < end && start < d.end);

	// Record numbers (before phones, so "MRN 5551234567" is a record, not a phone).
	for (const keyword of all(RECORD_KEYWORD, text)) {
		const after = keyword.index! + keyword[0].length;
		const value = RECORD_VALUE.exec(text.slice(after));
		if (value) add('recordNumber', keyword.index!, after + value[0].length);
	}
	for (const m of all(SSN, text)) add('recordNumber', m.index!, m.index! + m[0].length);
	const inRecord = (start: number, end: number) =>
		flags.some((f) => f.kind === 'recordNumber' && f.start < end && start < f.end);

	for (const m of all(PHONE_CANDIDATE, text)) {
		const start = m.index!;
		const end = start + m[0].length;
		if (inDate(start, end) || inRecord(start, end)) continue;
		const digits = m[0].replace(/\D/g, '').length;
		const local = /^\d{3}[-.\s]\d{4}$/.test(m[0]);
		if ((digits >= 10 && digits <= 13) || local) add('phone', start, end);
	}
	for (const m of all(BARE_NUMBER, text)) {
		const start = m.index!;
		const end = start + m[0].length;
		if (!flags.some((f) => f.start < end && start < f.end)) add('recordNumber', start, end);
	}

	for (const regex of [ICD_DOTTED, ICD_MENTAL]) {
		for (const m of all(regex, text)) add('diagnosisCode', m.index!, m.index! + m[0].length);
	}
	for (const m of all(ICD_KEYWORD, text)) add('diagnosisCode', m.index!, m.index! + m[0].length);

	for (const m of all(DOSE, text)) add('medicationDose', m.index!, m.index! + m[0].length);

	// Names.
	for (const name of options.names ?? []) {
		const trimmed = name.trim();
		if (trimmed.length < 3) continue;
		const parts = [trimmed, ...trimmed.split(/\s+/).filter((p) => p.length >= 3 && /^\p{Lu}/u.test(p))];
		for (const part of parts) {
			const regex = new RegExp(`(?<![\\p{L}\\p{N}])${escape(part)}(?![\\p{L}\\p{N}])`, 'gu');
			for (const m of all(regex, text)) add('name', m.index!, m.index! + m[0].length);
		}
	}
	for (const m of all(NAME_AFTER_ROLE, text)) {
		const name = m[1] ?? m[2];
		const start = m.index! + m[0].lastIndexOf(name);
		add('name', start, start + name.length);
	}
	for (const m of all(NAME_AFTER_TITLE, text)) add('name', m.index!, m.index! + m[0].length);
	const others = flags.filter((f) => f.kind !== 'name');
	for (const m of all(TWO_CAPITALS, text)) {
		const end = m.index! + m[0].length;
		if (others.some((f) => f.start >= end && f.start - end <= 12)) add('name', m.index!, end);
	}

	return flags.sort((a, b) => a.start - b.start || a.end - b.end);
}

/** The kinds found, once each, in a fixed order (for the warning's list). */
export function phiKinds(flags: PhiFlag[]): PhiKind[] {
	const order: PhiKind[] = ['name', 'birthDate', 'phone', 'recordNumber', 'diagnosisCode', 'medicationDose'];
	return order.filter((kind) => flags.some((f) => f.kind === kind));
}
