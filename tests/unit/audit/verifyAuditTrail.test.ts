import { beforeAll, describe, expect, it } from 'vitest';
import { createAuditRecord, openAuditRecord } from '../../../src/lib/audit/auditRecord.js';
import { AuditKind } from '../../../src/lib/audit/kinds.js';
import {
	describeAuditProblem,
	verifyAuditTrail,
	type AuditProblem
} from '../../../src/lib/audit/verifyAuditTrail.js';
import { generateSignKeyPair, sign, Tag } from '../../../src/lib/crypto/primitives.js';
import { readyCrypto } from '../../../src/lib/crypto/sodium.js';
import { toHex } from '../../../src/lib/protocol/bytes.js';
import { decodeCbor, encodeCbor } from '../../../src/lib/protocol/cbor.js';
import { testChain, testDevice, testTrail, type TestDevice } from '../../helpers/auditFixtures.js';

/**
 * The audit chain (rule 21, issue 8): a dropped, reordered, altered, cut-off or forged record is
 * detected and named. Each case starts from a chain that verifies clean, then applies the attack.
 */

let owner: TestDevice;
let client: TestDevice;
let trail: Uint8Array;

beforeAll(async () => {
	await readyCrypto();
	owner = testDevice();
	client = testDevice();
	trail = testTrail(owner, [client]).trail;
});

function codes(problems: AuditProblem[]): string[] {
	return problems.map((p) => `${p.code}:${p.n ?? ''}${p.to !== undefined ? `-${p.to}` : ''}`);
}

/** Re-encodes a record with its body changed but the old signature kept (tampering). */
function alter(bytes: Uint8Array, change: (body: Record<string, unknown>) => void): Uint8Array {
	const outer = decodeCbor(bytes) as { body: Uint8Array; signer: Uint8Array; sig: Uint8Array };
	const body = decodeCbor(outer.body) as Record<string, unknown>;
	change(body);
	return encodeCbor({ ...outer, body: encodeCbor(body) });
}

/** An owner's countersignature of the client's head at record `n`. */
function countersign(records: Uint8Array[], n: number): Uint8Array {
	const head = openAuditRecord(records[n - 1])!;
	return testChain(trail, owner, 1, () => ({
		heads: [{ device: toHex(client.sign.publicKey), inc: toHex(client.incarnation), n, hash: toHex(head.hash) }]
	}), AuditKind.headsSeen)[0];
}

describe('verifyAuditTrail', () => {
	it('accepts an intact chain', () => {
		const result = verifyAuditTrail(testChain(trail, client, 5), { trail });
		expect(result.problems).toEqual([]);
		expect(result.ok).toBe(true);
		expect(result.records.every((r) => r.signed)).toBe(true);
	});

	it('names a dropped record as a gap', () => {
		const records = testChain(trail, client, 6);
		records.splice(2, 2); // drop 3 and 4
		const result = verifyAuditTrail(records, { trail });
		expect(codes(result.problems)).toEqual(['gap:3-4']);
		expect(describeAuditProblem(result.problems[0])).toContain('records 3–4 are missing');
	});

	it('names a dropped first record as a gap', () => {
		const records = testChain(trail, client, 3).slice(1);
		expect(codes(verifyAuditTrail(records, { trail }).problems)).toEqual(['gap:1-1']);
	});

	it('names reordered records', () => {
		const records = testChain(trail, client, 5);
		[records[2], records[3]] = [records[3], records[2]];
		const result = verifyAuditTrail(records, { trail });
		expect(codes(result.problems)).toEqual(['reordered:3-4']);
		expect(describeAuditProblem(result.problems[0])).toContain('record 3 comes after record 4');
	});

	it('names a record altered after signing', () => {
		const records = testChain(trail, client, 5);
		records[1] = alter(records[1], (body) => (body.details = { doc: 'another' }));
		const result = verifyAuditTrail(records, { trail });
		expect(codes(result.problems)).toEqual(['altered:2']);
		expect(describeAuditProblem(result.problems[0])).toContain('record 2 was altered');
	});

	it('names a changed time or kind as altered', () => {
		const records = testChain(trail, client, 3);
		records[0] = alter(records[0], (body) => (body.at = 1));
		records[1] = alter(records[1], (body) => (body.kind = 'exported'));
		expect(codes(verifyAuditTrail(records, { trail }).problems)).toEqual(['altered:1', 'altered:2']);
	});

	it('names a forged signature', () => {
		const records = testChain(trail, client, 3);
		// An attacker appends record 4 that links correctly but is signed with its own key.
		const forger = { ...client, sign: { ...generateSignKeyPair(), publicKey: client.sign.publicKey } };
		const last = openAuditRecord(records[2])!;
		const forged = createAuditRecord({
			trail,
			device: forger.sign,
			incarnation: client.incarnation,
			after: { n: 3, prev: last.hash },
			at: 1,
			kind: 'exported',
			details: {}
		});
		const result = verifyAuditTrail([...records, forged.bytes], { trail });
		expect(codes(result.problems)).toEqual(['forged:4']);
		expect(describeAuditProblem(result.problems[0])).toContain('record 4 has a forged signature');
	});

	it('names a record signed by another device as forged', () => {
		const records = testChain(trail, client, 2);
		const outer = decodeCbor(records[1]) as { body: Uint8Array };
		const other = generateSignKeyPair();
		records[1] = encodeCbor({ body: outer.body, signer: other.publicKey, sig: sign(other.privateKey, Tag.audit, outer.body) });
		expect(codes(verifyAuditTrail(records, { trail }).problems)).toEqual(['forged:2']);
	});

	it('names a cut-off end against an owner countersignature', () => {
		const records = testChain(trail, client, 6);
		const seen = countersign(records, 6);
		const cut = records.slice(0, 4);
		const owners = [owner.sign.publicKey];
		expect(verifyAuditTrail([...records, seen], { trail, owners }).ok).toBe(true);
		const result = verifyAuditTrail([...cut, seen], { trail, owners });
		expect(codes(result.problems)).toEqual(['cut-off:4-6']);
		expect(describeAuditProblem(result.problems[0])).toMatch(/ends at record 4 but owner .* countersigned record 6/);
	});

	it('ignores countersignatures of a device that is not an owner', () => {
		const records = testChain(trail, client, 4);
		const seen = countersign(records, 4);
		const result = verifyAuditTrail([...records.slice(0, 2), seen], { trail, owners: [client.sign.publicKey] });
		expect(codes(result.problems)).toEqual(['bad-countersign:1']);
	});

	it('names a last record altered against the countersigned hash', () => {
		const records = testChain(trail, client, 3);
		const seen = countersign(records, 3);
		records[2] = alter(records[2], (body) => (body.details = { doc: 'x' }));
		const result = verifyAuditTrail([...records, seen], { trail, owners: [owner.sign.publicKey] });
		expect(codes(result.problems)).toEqual(['altered:3']);
	});

	it('names duplicates and forks', () => {
		const records = testChain(trail, client, 3);
		const other = testChain(trail, client, 3, () => ({ doc: 'other' }));
		expect(codes(verifyAuditTrail([...records, records[2]], { trail }).problems)).toEqual(['duplicate:3']);
		expect(codes(verifyAuditTrail([...records, other[2]], { trail }).problems)).toContain('fork:3');
	});

	it('refuses records of another trail and unreadable bytes', () => {
		const elsewhere = testTrail(owner).trail;
		const records = [...testChain(trail, client, 2), testChain(elsewhere, owner, 1)[0], new Uint8Array([1, 2, 3])];
		expect(codes(verifyAuditTrail(records, { trail }).problems)).toEqual(['wrong-trail:1', 'malformed:']);
	});

	it('names a device that is not a member of the trail', () => {
		const stranger = testDevice();
		const records = [...testChain(trail, client, 1), ...testChain(trail, stranger, 1)];
		const result = verifyAuditTrail(records, { trail, members: [owner.sign.publicKey, client.sign.publicKey] });
		expect(result.problems.map((p) => p.code)).toEqual(['not-member']);
		expect(result.problems[0].device).toBe(toHex(stranger.sign.publicKey));
	});

	it('checks each device chain on its own', () => {
		const records = [...testChain(trail, owner, 3), ...testChain(trail, client, 3)];
		records.splice(4, 1); // client's record 2
		expect(codes(verifyAuditTrail(records, { trail }).problems)).toEqual(['gap:2-2']);
	});
});
