import { hash, Tag, type SignKeyPair } from '../crypto/primitives.js';
import { equalBytes, fromBase64Url, toBase64Url, toHex } from '../protocol/bytes.js';
import { encodeSignedRecord, isListed, openSignedRecord, verifyChain } from '../protocol/records.js';
import { chainKeyOf, isHead, openAuditRecord } from './auditRecord.js';
import type { AuditHead } from './kinds.js';
import {
	verifyAuditTrail,
	type AuditProblem,
	type AuditVerification
} from './verifyAuditTrail.js';

/**
 * The audit export: a JSON file an owner downloads and anyone can check with
 * `npm run audit:verify -- FILE` (scripts/audit-verify.ts) or in the app.
 *
 * ```json
 * { "format": "tend-audit/v1",
 *   "trail": "<trail id, base64url>",
 *   "chain": ["<the audit document's genesis and epoch records>", …],
 *   "records": ["<signed audit record>", …],
 *   "manifest": "<signed by an owner device: trail, time, digest of the records, chain heads>" }
 * ```
 *
 * Byte strings are base64url. The chain says who the owners (admins) and members (writers) are,
 * signed by the trail's creator and its admins (protocol/records.ts). The manifest binds the
 * exact list of records in file order (`digest`) and every chain's head at export time, so a
 * record removed from the end of a chain after the export shows as a cut-off, and any other
 * change to the list is named as well as caught by the digest.
 */

export const AUDIT_FILE_FORMAT = 'tend-audit/v1';

export interface AuditFile {
	format: typeof AUDIT_FILE_FORMAT;
	trail: string;
	chain: string[];
	records: string[];
	manifest: string;
}

export interface ManifestBody {
	t: 'audit-export';
	v: 1;
	trail: Uint8Array;
	at: number;
	count: number;
	digest: Uint8Array;
	heads: AuditHead[];
}

/** The digest of a list of records: BLAKE2b over the length-prefixed record bytes in order. */
export function recordsDigest(records: Uint8Array[]): Uint8Array {
	return hash(Tag.auditExportDigest, ...records);
}

/** The last record of each chain among `records`, as heads. */
export function headsOf(records: Uint8Array[]): AuditHead[] {
	const heads = new Map<string, AuditHead>();
	for (const bytes of records) {
		const record = openAuditRecord(bytes);
		if (!record) continue;
		const key = chainKeyOf(record.body);
		const current = heads.get(key);
		if (current && current.n >= record.body.n) continue;
		heads.set(key, {
			device: toHex(record.body.device),
			inc: toHex(record.body.inc),
			n: record.body.n,
			hash: toHex(record.hash)
		});
	}
	return [...heads.values()];
}

/**
 * Builds the export file. Records are grouped by chain and numbered in order, which is the order
 * the verifier expects; the caller passes the records it holds.
 */
export function createAuditFile(params: {
	owner: SignKeyPair;
	trail: Uint8Array;
	chain: Uint8Array[];
	records: Uint8Array[];
	at: number;
}): AuditFile {
	const sorted = sortRecords(params.records);
	const body: ManifestBody = {
		t: 'audit-export',
		v: 1,
		trail: params.trail,
		at: params.at,
		count: sorted.length,
		digest: recordsDigest(sorted),
		heads: headsOf(sorted)
	};
	return {
		format: AUDIT_FILE_FORMAT,
		trail: toBase64Url(params.trail),
		chain: params.chain.map(toBase64Url),
		records: sorted.map(toBase64Url),
		manifest: toBase64Url(encodeSignedRecord(body, Tag.auditExport, params.owner))
	};
}

/** Orders records by chain, then counter; unreadable ones go last, as they were. */
export function sortRecords(records: Uint8Array[]): Uint8Array[] {
	const keyed = records.map((bytes) => ({ bytes, record: openAuditRecord(bytes) }));
	return keyed
		.sort((a, b) => {
			if (!a.record || !b.record) return (a.record ? 0 : 1) - (b.record ? 0 : 1);
			const ka = chainKeyOf(a.record.body);
			const kb = chainKeyOf(b.record.body);
			return ka < kb ? -1 : ka > kb ? 1 : a.record.body.n - b.record.body.n;
		})
		.map((item) => item.bytes);
}

export interface AuditFileVerification extends AuditVerification {
	trail?: Uint8Array;
	exportedAt?: number;
	/** Device key (hex) of the owner device that signed the export. */
	exportedBy?: string;
	owners: Uint8Array[];
	members: Uint8Array[];
}

/** Checks an export file end to end; never throws on bad input. */
export function verifyAuditFile(text: string): AuditFileVerification {
	const failed = (code: AuditProblem['code']): AuditFileVerification => ({
		ok: false,
		records: [],
		problems: [{ code }],
		heads: new Map(),
		owners: [],
		members: []
	});
	let file: AuditFile;
	let trail: Uint8Array;
	let chain: Uint8Array[];
	let records: Uint8Array[];
	let manifest: Uint8Array;
	try {
		file = JSON.parse(text) as AuditFile;
		if (file?.format !== AUDIT_FILE_FORMAT) return failed('bad-file');
		trail = fromBase64Url(file.trail);
		chain = file.chain.map(fromBase64Url);
		records = file.records.map(fromBase64Url);
		manifest = fromBase64Url(file.manifest);
	} catch {
		return failed('bad-file');
	}

	// Owners and members from the trail's own signed chain.
	const verified = verifyChain(trail, chain);
	if (!verified.ok) return { ...failed('bad-trail'), trail };
	const owners = unique(verified.value.flatMap((epoch) => epoch.admins));
	const members = unique(verified.value.flatMap((epoch) => epoch.writers));

	// The manifest: signed by an owner, over exactly these records.
	const problems: AuditProblem[] = [];
	const opened = openSignedRecord(manifest, Tag.auditExport);
	let attested: { head: AuditHead; by: string }[] = [];
	let exportedAt: number | undefined;
	let exportedBy: string | undefined;
	const body = opened.ok ? (opened.value.body as Partial<ManifestBody>) : undefined;
	if (
		!opened.ok ||
		!body ||
		body.t !== 'audit-export' ||
		!(body.trail instanceof Uint8Array) ||
		!equalBytes(body.trail, trail) ||
		!isListed(owners, opened.value.signer)
	) {
		problems.push({ code: 'export-unsigned' });
	} else {
		exportedAt = typeof body.at === 'number' ? body.at : undefined;
		exportedBy = toHex(opened.value.signer);
		const digest = body.digest instanceof Uint8Array ? body.digest : new Uint8Array();
		if (!equalBytes(digest, recordsDigest(records)) || body.count !== records.length) {
			problems.push({ code: 'export-changed' });
		}
		const heads = Array.isArray(body.heads) ? body.heads.filter(isHead) : [];
		attested = heads.map((head) => ({ head, by: 'export' }));
	}

	const result = verifyAuditTrail(records, { trail, owners, members, attested });
	const all = [...result.problems, ...problems];
	return { ...result, ok: all.length === 0, problems: all, trail, exportedAt, exportedBy, owners, members };
}

function unique(keys: Uint8Array[]): Uint8Array[] {
	const out: Uint8Array[] = [];
	for (const key of keys) if (!isListed(out, key)) out.push(key);
	return out;
}
