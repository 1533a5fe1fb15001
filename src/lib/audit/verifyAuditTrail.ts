import { equalBytes, fromHex, toHex } from '../protocol/bytes.js';
import { isListed } from '../protocol/records.js';
import {
	chainKeyOf,
	isHead,
	NO_PREV,
	openAuditRecord,
	type OpenedAuditRecord
} from './auditRecord.js';
import { AuditKind, type AuditHead } from './kinds.js';

/**
 * Checks a list of audit records (in the order they were stored or exported) and names every
 * problem (issue 8, rule 21): each gap, reordering, alteration, forged signature, cut-off end,
 * duplicate or fork, and records from devices that aren't members of the trail.
 *
 * How each is told apart:
 * - **forged**: the signature does not verify under the device the record names, and nothing
 *   else contradicts the record (it links to its predecessor and its successor links to it).
 * - **altered**: the record's hash differs from what its successor's `prev` (or an owner's
 *   countersignature, or the export's signed list of heads) says record n hashed to. An altered
 *   record's signature fails too; it is named once, as altered.
 * - **gap**: counters skip (records from…to are missing), including a chain that starts above 1.
 * - **reordered**: within one chain, a record appears after one with a higher counter.
 * - **cut-off**: the chain ends before a head that an owner countersigned (`heads-seen`) or that
 *   the export's manifest lists.
 * - **fork**: two different records with the same counter, or a validly signed record that
 *   doesn't chain to its validly signed predecessor (the device wrote two histories).
 */

export type AuditProblemCode =
	| 'malformed'
	| 'wrong-trail'
	| 'forged'
	| 'altered'
	| 'gap'
	| 'reordered'
	| 'duplicate'
	| 'fork'
	| 'cut-off'
	| 'not-member'
	| 'bad-countersign'
	| 'export-changed'
	| 'export-unsigned'
	| 'bad-file'
	| 'bad-trail'
	| 'withheld';

export interface AuditProblem {
	code: AuditProblemCode;
	/** Device signing key (hex) of the chain concerned. */
	device?: string;
	/** Incarnation (hex) of the chain concerned. */
	inc?: string;
	/** The record concerned, or the first of a range. */
	n?: number;
	/** Last record of a range (gap), the record it appeared after (reordered), or the attested head (cut-off). */
	to?: number;
	/** Position in the list (for records that can't be read at all). */
	index?: number;
	/** cut-off: who attested the missing head ('export' or an owner device's hex key). withheld: n is what arrived, `to` what the device says it wrote. */
	by?: string;
}

/** A record as the verifier left it: readable, with what is wrong with it. */
export interface CheckedRecord extends OpenedAuditRecord {
	chain: string;
	problems: AuditProblemCode[];
}

export interface VerifyAuditOptions {
	/** The trail these records belong to; records naming another are refused. */
	trail?: Uint8Array;
	/** Owner devices: only their `heads-seen` countersignatures count. Omit to accept none. */
	owners?: Uint8Array[];
	/** Devices allowed to write the trail (the audit document's writers, over its history). */
	members?: Uint8Array[];
	/** Heads that must be present (e.g. from a signed export manifest). */
	attested?: { head: AuditHead; by: string }[];
}

export interface AuditVerification {
	ok: boolean;
	records: CheckedRecord[];
	problems: AuditProblem[];
	/** Last record number per chain (`device:inc` hex). */
	heads: Map<string, CheckedRecord>;
}

export function verifyAuditTrail(list: Uint8Array[], options: VerifyAuditOptions = {}): AuditVerification {
	const problems: AuditProblem[] = [];
	const chains = new Map<string, CheckedRecord[]>();
	const records: CheckedRecord[] = [];

	// Read each record; keep the file order per chain to spot reordering.
	list.forEach((bytes, index) => {
		const opened = openAuditRecord(bytes);
		if (!opened) {
			problems.push({ code: 'malformed', index });
			return;
		}
		const chain = chainKeyOf(opened.body);
		const record: CheckedRecord = { ...opened, chain, problems: [] };
		const where = whereOf(record);
		if (options.trail && !equalBytes(opened.body.trail, options.trail)) {
			problems.push({ code: 'wrong-trail', ...where, index });
			return;
		}
		const seen = chains.get(chain) ?? [];
		const highest = seen.reduce((max, r) => Math.max(max, r.body.n), 0);
		if (opened.body.n < highest) {
			problems.push({ code: 'reordered', ...where, to: highest });
			record.problems.push('reordered');
		}
		seen.push(record);
		chains.set(chain, seen);
		records.push(record);
	});

	const heads = new Map<string, CheckedRecord>();
	for (const [chain, unsorted] of chains) {
		const sorted = dedupe(unsorted, problems);
		checkLinks(sorted, problems);
		heads.set(chain, sorted[sorted.length - 1]);
		chains.set(chain, sorted);
	}

	checkMembers(chains, options.members, problems);
	const attested = [...(options.attested ?? []), ...countersigned(records, options.owners, problems)];
	checkAttested(chains, attested, problems);

	// A bad signature that nothing else explains: forged.
	for (const sorted of chains.values()) {
		for (const record of sorted) {
			if (!record.signed && !record.problems.includes('altered')) {
				problems.push({ code: 'forged', ...whereOf(record) });
				record.problems.push('forged');
			}
		}
	}

	return { ok: problems.length === 0, records, problems, heads };
}

function whereOf(record: OpenedAuditRecord): Pick<AuditProblem, 'device' | 'inc' | 'n'> {
	return { device: toHex(record.body.device), inc: toHex(record.body.inc), n: record.body.n };
}

/** Sorts one chain by counter; an identical copy is a duplicate, a different one a fork. */
function dedupe(records: CheckedRecord[], problems: AuditProblem[]): CheckedRecord[] {
	const byN = new Map<number, CheckedRecord>();
	for (const record of records) {
		const other = byN.get(record.body.n);
		if (!other) {
			byN.set(record.body.n, record);
			continue;
		}
		const code = equalBytes(other.bytes, record.bytes) ? 'duplicate' : 'fork';
		problems.push({ code, ...whereOf(record) });
		record.problems.push(code);
		// Keep the validly signed one for the chain walk.
		if (!other.signed && record.signed) byN.set(record.body.n, record);
	}
	return [...byN.values()].sort((a, b) => a.body.n - b.body.n);
}

function checkLinks(sorted: CheckedRecord[], problems: AuditProblem[]): void {
	const first = sorted[0];
	if (first.body.n > 1) {
		problems.push({ code: 'gap', device: toHex(first.body.device), inc: toHex(first.body.inc), n: 1, to: first.body.n - 1 });
	} else if (!equalBytes(first.body.prev, NO_PREV) && first.signed) {
		problems.push({ code: 'fork', ...whereOf(first) });
		first.problems.push('fork');
	}

	for (let i = 1; i < sorted.length; i++) {
		const a = sorted[i - 1];
		const b = sorted[i];
		if (b.body.n > a.body.n + 1) {
			problems.push({ code: 'gap', device: toHex(a.body.device), inc: toHex(a.body.inc), n: a.body.n + 1, to: b.body.n - 1 });
			continue;
		}
		if (equalBytes(b.body.prev, a.hash)) continue;
		// The link is broken: the unsigned side was changed; if both are signed, the device forked.
		const culprit = !a.signed ? a : !b.signed ? b : undefined;
		if (culprit) markAltered(culprit, problems);
		else {
			problems.push({ code: 'fork', ...whereOf(b) });
			b.problems.push('fork');
		}
	}

}

function markAltered(record: CheckedRecord, problems: AuditProblem[]): void {
	if (record.problems.includes('altered')) return;
	problems.push({ code: 'altered', ...whereOf(record) });
	record.problems.push('altered');
}

function checkMembers(
	chains: Map<string, CheckedRecord[]>,
	members: Uint8Array[] | undefined,
	problems: AuditProblem[]
): void {
	if (!members) return;
	for (const records of chains.values()) {
		const device = records[0].body.device;
		if (!isListed(members, device)) {
			problems.push({ code: 'not-member', device: toHex(device), inc: toHex(records[0].body.inc) });
		}
	}
}

/** Heads that owner devices countersigned in validly signed `heads-seen` records. */
function countersigned(
	records: CheckedRecord[],
	owners: Uint8Array[] | undefined,
	problems: AuditProblem[]
): { head: AuditHead; by: string }[] {
	const out: { head: AuditHead; by: string }[] = [];
	for (const record of records) {
		if (record.body.kind !== AuditKind.headsSeen || !record.signed) continue;
		if (!owners || !isListed(owners, record.body.device)) {
			problems.push({ code: 'bad-countersign', ...whereOf(record) });
			continue;
		}
		const heads = record.body.details.heads;
		if (!Array.isArray(heads)) continue;
		for (const head of heads) {
			if (isHead(head)) out.push({ head, by: toHex(record.body.device) });
		}
	}
	return out;
}

function checkAttested(
	chains: Map<string, CheckedRecord[]>,
	attested: { head: AuditHead; by: string }[],
	problems: AuditProblem[]
): void {
	// The highest attested head per chain decides a cut-off; every attested hash is checked.
	const reported = new Set<string>();
	const highest = new Map<string, { head: AuditHead; by: string }>();
	for (const item of attested) {
		const key = `${item.head.device}:${item.head.inc}`;
		const records = chains.get(key) ?? [];
		const record = records.find((r) => r.body.n === item.head.n);
		if (record && !equalBytes(record.hash, fromHex(item.head.hash))) markAltered(record, problems);
		const best = highest.get(key);
		if (!best || item.head.n > best.head.n) highest.set(key, item);
	}
	for (const [key, item] of highest) {
		const records = chains.get(key) ?? [];
		const last = records.length > 0 ? records[records.length - 1].body.n : 0;
		if (last < item.head.n && !reported.has(key)) {
			reported.add(key);
			problems.push({
				code: 'cut-off',
				device: item.head.device,
				inc: item.head.inc,
				n: last,
				to: item.head.n,
				by: item.by
			});
		}
	}
}

/** "a1b2 c3d4": how a device key is shown to people (same as the app's fingerprint). */
export function shortDevice(hex: string | undefined): string {
	return hex ? `${hex.slice(0, 4)} ${hex.slice(4, 8)}` : '?';
}

/** One line of English naming a problem, for the command line and logs of tests. */
export function describeAuditProblem(problem: AuditProblem): string {
	const who = `device ${shortDevice(problem.device)}`;
	switch (problem.code) {
		case 'malformed':
			return `item ${(problem.index ?? 0) + 1} is not a readable audit record`;
		case 'wrong-trail':
			return `${who}: record ${problem.n} belongs to another audit trail`;
		case 'forged':
			return `${who}: record ${problem.n} has a forged signature (it does not verify as that device's)`;
		case 'altered':
			return `${who}: record ${problem.n} was altered after it was signed`;
		case 'gap':
			return problem.n === problem.to
				? `${who}: record ${problem.n} is missing (gap)`
				: `${who}: records ${problem.n}–${problem.to} are missing (gap)`;
		case 'reordered':
			return `${who}: record ${problem.n} comes after record ${problem.to} (reordered)`;
		case 'duplicate':
			return `${who}: record ${problem.n} appears twice`;
		case 'fork':
			return `${who}: record ${problem.n} does not continue the chain (two histories)`;
		case 'cut-off': {
			const by = problem.by === 'export' ? 'the export lists' : `owner ${shortDevice(problem.by)} countersigned`;
			return `${who}: the chain ends at record ${problem.n} but ${by} record ${problem.to} (cut off)`;
		}
		case 'not-member':
			return `${who} is not a member of this audit trail`;
		case 'bad-countersign':
			return `${who}: record ${problem.n} countersigns heads but the device is not an owner`;
		case 'export-changed':
			return 'the list of records differs from the one the owner signed at export (added, removed or reordered)';
		case 'export-unsigned':
			return "the export's signature does not verify or its signer is not an owner";
		case 'bad-file':
			return 'the file is not a Tend audit export';
		case 'bad-trail':
			return "the audit trail's own records (its owners and members) do not verify";
		case 'withheld':
			return `${who}: says it wrote ${problem.to} records, but only ${problem.n} arrived (held back?)`;
	}
}
