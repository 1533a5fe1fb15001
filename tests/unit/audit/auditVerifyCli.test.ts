import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createArchiveFile, type ArchiveContent } from '../../../src/lib/audit/archive.js';
import { createAuditFile, verifyAuditFile, type AuditFile } from '../../../src/lib/audit/auditFile.js';
import { createAuditRecord, openAuditRecord } from '../../../src/lib/audit/auditRecord.js';
import { generateSignKeyPair } from '../../../src/lib/crypto/primitives.js';
import { readyCrypto } from '../../../src/lib/crypto/sodium.js';
import { fromBase64Url, toBase64Url, toHex } from '../../../src/lib/protocol/bytes.js';
import { decodeCbor, encodeCbor } from '../../../src/lib/protocol/cbor.js';
import { createGenesis } from '../../../src/lib/sync/documentRecords.js';
import { testChain, testDevice, testTrail, type TestDevice, type TestTrail } from '../../helpers/auditFixtures.js';

/**
 * `npm run audit:verify -- FILE`, run as a real process on a good export and on exports with
 * each kind of tampering: it names the problem and exits non-zero.
 */

const run = promisify(execFile);
let dir: string;
let owner: TestDevice;
let client: TestDevice;
let t: TestTrail;
let good: AuditFile;

async function verifyCli(file: unknown): Promise<{ code: number; out: string }> {
	const path = join(dir, `f${Math.random().toString(36).slice(2)}.json`);
	writeFileSync(path, typeof file === 'string' ? file : JSON.stringify(file));
	try {
		const { stdout } = await run(process.execPath, ['node_modules/tsx/dist/cli.mjs', 'scripts/audit-verify.ts', '--', path]);
		return { code: 0, out: stdout };
	} catch (error) {
		const e = error as { code: number; stdout: string };
		return { code: e.code, out: e.stdout };
	}
}

/** Changes the client's records (its chain, in order) and keeps the owner's as they are. */
function withRecords(change: (records: Uint8Array[]) => Uint8Array[]): AuditFile {
	const all = good.records.map(fromBase64Url);
	const mine = (bytes: Uint8Array) => toHex(openAuditRecord(bytes)!.body.device) === toHex(client.sign.publicKey);
	const others = all.filter((bytes) => !mine(bytes));
	return { ...good, records: [...others, ...change(all.filter(mine))].map(toBase64Url) };
}

beforeAll(async () => {
	await readyCrypto();
	dir = mkdtempSync(join(tmpdir(), 'tend-audit-cli-'));
	owner = testDevice();
	client = testDevice();
	t = testTrail(owner, [client]);
	const records = [...testChain(t.trail, owner, 2), ...testChain(t.trail, client, 5)];
	good = createAuditFile({ owner: owner.sign, trail: t.trail, chain: t.chain, records, at: 1_700_000_000_000 });
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('audit:verify', () => {
	it('passes a good export', async () => {
		expect(verifyAuditFile(JSON.stringify(good)).problems).toEqual([]);
		const { code, out } = await verifyCli(good);
		expect(out).toContain('7 records in 2 device chains');
		expect(out).toContain('OK: every signature and chain verifies');
		expect(code).toBe(0);
	});

	it('names a dropped record', async () => {
		const { code, out } = await verifyCli(withRecords((r) => [...r.slice(0, 1), ...r.slice(2)]));
		expect(out).toContain('record 2 is missing (gap)');
		expect(out).toContain('differs from the one the owner signed');
		expect(code).toBe(1);
	});

	it('names reordered records', async () => {
		const { code, out } = await verifyCli(withRecords((r) => [r[0], r[2], r[1], r[3], r[4]]));
		expect(out).toContain('record 2 comes after record 3 (reordered)');
		expect(code).toBe(1);
	});

	it('names an altered record', async () => {
		const { code, out } = await verifyCli(
			withRecords((r) => {
				const outer = decodeCbor(r[1]) as { body: Uint8Array };
				const body = decodeCbor(outer.body) as Record<string, unknown>;
				body.kind = 'exported';
				r[1] = encodeCbor({ ...outer, body: encodeCbor(body) });
				return r;
			})
		);
		expect(out).toMatch(/device \w{4} \w{4}: record 2 was altered/);
		expect(code).toBe(1);
	});

	it('names a cut-off end, even when the export signature is re-made by a non-owner', async () => {
		const cut = withRecords((r) => r.slice(0, 3));
		const { code, out } = await verifyCli(cut);
		expect(out).toContain('the chain ends at record 3 but the export lists record 5 (cut off)');
		expect(code).toBe(1);
		// Someone re-signs the shortened file with a key of their own.
		const resigned = createAuditFile({ owner: client.sign, trail: t.trail, chain: t.chain, records: cut.records.map(fromBase64Url), at: 1 });
		const again = await verifyCli(resigned);
		expect(again.out).toContain("the export's signature does not verify or its signer is not an owner");
		expect(again.code).toBe(1);
	});

	it('names a forged signature', async () => {
		const forged = withRecords((r) => {
			const last = openAuditRecord(r[4])!;
			const made = createAuditRecord({
				trail: t.trail,
				device: { ...generateSignKeyPair(), publicKey: client.sign.publicKey },
				incarnation: client.incarnation,
				after: { n: 5, prev: last.hash },
				at: 2,
				kind: 'sign-in',
				details: {}
			});
			return [...r, made.bytes];
		});
		const { code, out } = await verifyCli(forged);
		expect(out).toContain(`device ${toHex(client.sign.publicKey).slice(0, 4)}`);
		expect(out).toContain('record 6 has a forged signature');
		expect(code).toBe(1);
	});

	it('exits 1 on a file that is not an export, 2 on a missing file', async () => {
		expect((await verifyCli('{"hello": 1}')).out).toContain('not a Tend audit export');
		const missing = await run(process.execPath, ['node_modules/tsx/dist/cli.mjs', 'scripts/audit-verify.ts', join(dir, 'nope.json')]).catch((e) => e);
		expect(missing.code).toBe(2);
	});

	it('verifies an archive and names a changed one', async () => {
		const created = createGenesis(owner.sign, 'conversation');
		const archive: ArchiveContent = {
			kind: 'conversation',
			doc: toBase64Url(created.doc),
			title: 'Check-ins',
			exportedAt: 1,
			exportedBy: { device: toHex(owner.sign.publicKey), name: 'Dr. A' },
			members: [{ device: toHex(owner.sign.publicKey), name: 'Dr. A', role: 'owner' }],
			messages: [{ id: 'm1', author: toHex(owner.sign.publicKey), authorName: 'Dr. A', sentAt: 1, text: 'See you <b>Tuesday</b>' }]
		};
		const file = createArchiveFile(owner.sign, archive, [created.genesis]);
		const ok = await verifyCli(file);
		expect(ok.out).toContain('archive of 1 messages');
		expect(ok.code).toBe(0);
		const changed = structuredClone(file);
		changed.archive.messages![0].text = 'See you Wednesday';
		const bad = await verifyCli(changed);
		expect(bad.out).toContain('the signature does not verify');
		expect(bad.code).toBe(1);
		// Signed by someone who isn't in the conversation.
		const stranger = createArchiveFile(client.sign, archive, [created.genesis]);
		expect((await verifyCli(stranger)).out).toContain('not a member of the document');
	});
});
