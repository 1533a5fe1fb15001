import type { AuditProblemView, AuditRecordView } from '$lib/app/types.js';
import { en } from './locales/en.js';
import { t, type StringKey } from './strings.js';

/**
 * Words for the audit view: a record's kind, what is wrong with a record, and each problem the
 * verifier names. Unknown kinds (written by a newer version) are shown as written.
 */

/** The filters the audit view applies; '' means "any". Dates are `YYYY-MM-DD` (local time). */
export interface AuditFilterValues {
	person: string;
	device: string;
	kind: string;
	from: string;
	to: string;
}

export const NO_FILTERS: AuditFilterValues = { person: '', device: '', kind: '', from: '', to: '' };

/** The records that pass the filters; `from`/`to` are whole local days, inclusive. */
export function filterRecords(records: AuditRecordView[], f: AuditFilterValues): AuditRecordView[] {
	const from = f.from ? new Date(`${f.from}T00:00:00`).getTime() : -Infinity;
	const to = f.to ? new Date(`${f.to}T00:00:00`).getTime() + 86_400_000 : Infinity;
	return records.filter(
		(r) =>
			(!f.person || r.personName === f.person) &&
			(!f.device || r.device === f.device) &&
			(!f.kind || r.kind === f.kind) &&
			r.at >= from &&
			r.at < to
	);
}

export function kindLabel(kind: string): string {
	const key = `audit.kind.${kind}` as StringKey;
	return hasKey(key) ? t(key as 'audit.kind.sign-in') : kind;
}

export function flagLabel(code: string): string {
	const key = `audit.flag.${code}` as StringKey;
	return hasKey(key) ? t(key as 'audit.flag.forged') : code;
}

export function whoLabel(p: { personName: string; deviceLabel: string }): string {
	const device = t('audit.deviceLabel', { label: p.deviceLabel });
	return p.personName ? `${p.personName} (${device})` : device;
}

export function problemText(problem: AuditProblemView): string {
	const key = `audit.problem.${problem.code}` as StringKey;
	if (!hasKey(key)) return problem.code;
	// Every problem message takes the same three parameters (some use fewer).
	return t(key as 'audit.problem.gap', {
		who: whoLabel(problem),
		n: String(problem.n ?? ''),
		to: String(problem.to ?? '')
	});
}

function hasKey(key: string): boolean {
	return Object.hasOwn(en, key);
}
