import { readFileSync } from 'node:fs';
import { verifyAuditFile } from '../src/lib/audit/auditFile.js';
import { verifyArchiveFile } from '../src/lib/audit/archive.js';
import { describeAuditProblem, shortDevice } from '../src/lib/audit/verifyAuditTrail.js';
import { readyCrypto } from '../src/lib/crypto/sodium.js';

/**
 * `npm run audit:verify -- FILE [FILE…]`: checks an audit export (every signature, every chain,
 * the owner's signature over the export) or a conversation archive (its signature), and names
 * each problem. Exit code 0: everything verifies; 1: a problem was found; 2: a file can't be
 * read. Prints ids and counts only, never the details of a record.
 */
await readyCrypto();
const files = process.argv.slice(2).filter((arg) => arg !== '--');
if (files.length === 0) {
	console.error('usage: npm run audit:verify -- FILE [FILE…]');
	process.exit(2);
}

let worst = 0;
for (const file of files) {
	let text: string;
	try {
		text = readFileSync(file, 'utf8');
	} catch (error) {
		console.error(`${file}: cannot read (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
		worst = 2;
		continue;
	}
	worst = Math.max(worst, text.includes('"tend-archive/') ? checkArchive(file, text) : checkAudit(file, text));
}
process.exit(worst);

function checkAudit(file: string, text: string): number {
	const result = verifyAuditFile(text);
	const chains = result.heads.size;
	console.log(`${file}: audit trail, ${result.records.length} records in ${chains} device chains`);
	if (result.exportedBy) {
		console.log(`  exported ${new Date(result.exportedAt ?? 0).toISOString()} by owner device ${shortDevice(result.exportedBy)}`);
	}
	for (const problem of result.problems) console.log(`  PROBLEM ${describeAuditProblem(problem)}`);
	console.log(result.ok ? '  OK: every signature and chain verifies' : `  ${result.problems.length} problem(s) found`);
	return result.ok ? 0 : 1;
}

function checkArchive(file: string, text: string): number {
	const result = verifyArchiveFile(text);
	if (result.ok) {
		console.log(`${file}: archive of ${result.archive.messages.length} messages, signed by device ${shortDevice(result.signer)}`);
		console.log('  OK: the signature verifies');
		return 0;
	}
	console.log(`${file}: archive`);
	console.log(`  PROBLEM ${result.why}`);
	return 1;
}
