/**
 * Quick replies: saved messages with placeholders in braces ({client}, {time}, {date}, {me},
 * or any other word), filled in before sending. Plain text in, plain text out.
 */

const PLACEHOLDER = /\{([\p{L}\p{N}_-]{1,40})\}/gu;

/** The placeholders of a template, once each, in order of appearance. */
export function placeholdersOf(body: string): string[] {
	const seen: string[] = [];
	for (const match of body.matchAll(PLACEHOLDER)) {
		if (!seen.includes(match[1])) seen.push(match[1]);
	}
	return seen;
}

/** Fills in the placeholders that have a value; the others stay as they are, braces and all. */
export function fillTemplate(body: string, values: Record<string, string>): string {
	return body.replace(PLACEHOLDER, (whole, name: string) =>
		Object.hasOwn(values, name) && values[name] !== '' ? values[name] : whole
	);
}

/** Limits for what a device keeps. */
export const MAX_QUICK_REPLIES = 50;
export const MAX_QUICK_REPLY_TITLE = 80;
export const MAX_QUICK_REPLY_BODY = 2000;

/** Checks a stored list; drops malformed entries (reported by the caller), keeps the rest. */
export function parseQuickReplies(value: unknown): { id: string; title: string; body: string }[] | undefined {
	if (!Array.isArray(value)) return undefined;
	const out: { id: string; title: string; body: string }[] = [];
	for (const item of value.slice(0, MAX_QUICK_REPLIES)) {
		const r = item as Record<string, unknown>;
		if (typeof r?.id !== 'string' || typeof r.title !== 'string' || typeof r.body !== 'string') continue;
		out.push({
			id: r.id,
			title: r.title.slice(0, MAX_QUICK_REPLY_TITLE),
			body: r.body.slice(0, MAX_QUICK_REPLY_BODY)
		});
	}
	return out;
}
