import { expect, test, type Download, type Page } from '@playwright/test';
import { readFileSync } from 'node:fs';
import { verifyArchiveFile } from '../../src/lib/audit/archive.js';
import { verifyAuditFile, type AuditFile } from '../../src/lib/audit/auditFile.js';
import { openAuditRecord } from '../../src/lib/audit/auditRecord.js';
import { readyCrypto } from '../../src/lib/crypto/sodium.js';
import { fromBase64Url, toHex } from '../../src/lib/protocol/bytes.js';
import {
	dumpIndexedDb,
	filesUnder,
	findInFiles,
	onboard,
	openPerson,
	removeDir,
	setUpVault,
	unlock,
	startStack,
	writeControlMarker,
	type Stack
} from './stack.js';

/**
 * The audit trail end to end (issue 8, rule 21): a client's actions appear, signed and verified,
 * in the therapist's (owner's) audit view; the owner filters, exports and checks the export in
 * the app (a tampered copy is named); a conversation is exported for the record as signed JSON
 * and an escaped printable page; and no audit detail is readable at the relay or in either
 * browser's storage.
 */

const THERAPIST = 'Dr. Ottoline Marchbanks';
const CLIENT = 'Percival Thistlewood';
const TITLE = 'Weekly reflections';
const INJECTION = '<img src=x onerror="document.title=\'pwned\'"> and <script>alert(1)</script>';

let stack: Stack;

test.beforeAll(async () => {
	await readyCrypto();
});
test.beforeEach(async () => {
	stack = await startStack();
});
test.afterEach(async () => {
	await stack.close();
});

async function readInviteLink(page: Page): Promise<string> {
	const field = page.getByTestId('invite-link');
	await expect(field).toBeVisible();
	return (await field.evaluate((node) => (node instanceof HTMLInputElement || node instanceof HTMLTextAreaElement ? node.value : (node.textContent ?? '')))).trim();
}

async function downloadedText(download: Download): Promise<string> {
	return readFileSync((await download.path())!, 'utf8');
}

test("a client's actions appear in the owner's audit view, verified; exports verify; nothing leaks", async () => {
	const therapist = await openPerson();
	const client = await openPerson();
	try {
		const t = therapist.page;
		const c = client.page;
		await onboard(t, stack.appUrl, THERAPIST);
		await t.getByTestId('new-conversation').first().click();
		await t.getByTestId('title-input').fill(TITLE);
		await t.getByTestId('create-conversation').click();
		await expect(t.getByTestId('connection-status')).toHaveAttribute('data-state', 'online');
		await t.getByTestId('invite-button').click();
		const link = await readInviteLink(t);

		await c.goto(link);
		await setUpVault(c);
		await expect(c.getByTestId('join-phase')).toHaveAttribute('data-phase', 'ready');
		await c.getByTestId('join-name-input').fill(CLIENT);
		await c.getByTestId('join-button').click();
		await expect(c.getByTestId('join-phase')).toHaveAttribute('data-phase', 'waiting');
		await expect(t.getByTestId('join-request')).toContainText(CLIENT);
		await t.getByTestId('admit-button').click();
		await expect(c.getByTestId('composer-input')).toBeVisible();

		// The client writes a hostile message and exports the conversation for the record.
		await c.getByTestId('composer-input').fill(INJECTION);
		await c.getByTestId('send-button').click();
		await expect(c.getByTestId('message')).toHaveCount(1);
		const downloads: Download[] = [];
		c.on('download', (d) => downloads.push(d));
		await c.getByTestId('export-button').click();
		await expect(c.getByTestId('export-note')).toBeVisible();
		await expect.poll(() => downloads.length).toBe(2);
		const json = downloads.find((d) => d.suggestedFilename().endsWith('.json'))!;
		const html = downloads.find((d) => d.suggestedFilename().endsWith('.html'))!;
		const archive = verifyArchiveFile(await downloadedText(json));
		expect(archive.ok).toBe(true);
		if (archive.ok) {
			expect(archive.archive.messages?.map((m) => m.text)).toEqual([INJECTION]);
			expect(archive.role).toBe('writer');
		}
		// The printable view shows the message as text; nothing in it becomes an element.
		const printable = await downloadedText(html);
		const view = await c.context().newPage();
		await view.setContent(printable);
		await expect(view.locator('article p')).toHaveText(INJECTION);
		expect(await view.evaluate(() => ({ img: document.querySelectorAll('img').length, script: document.querySelectorAll('script').length, title: document.title }))).toEqual({
			img: 0,
			script: 0,
			title: expect.not.stringContaining('pwned')
		});
		await view.close();

		// The client deletes a message sent by mistake: recorded, without its text.
		const mistake = 'Sorry, that was meant for my sister';
		await c.getByTestId('composer-input').fill(mistake);
		await c.getByTestId('send-button').click();
		const sent = c.getByTestId('message').filter({ hasText: mistake });
		await sent.getByTestId('message-more').click();
		await sent.getByTestId('delete-button').click();
		await sent.getByTestId('delete-confirm').click();
		await expect(c.getByTestId('message-deleted')).toHaveCount(1);

		// The therapist's audit view shows the client's records with the client's name, verified.
		await t.goto(`${stack.appUrl}/settings/audit`);
		await unlock(t);
		const rows = t.getByTestId('audit-record');
		const clientRow = (kind: string) => rows.filter({ hasText: CLIENT }).and(t.locator(`[data-kind="${kind}"]`));
		await expect(clientRow('exported')).toHaveCount(1, { timeout: 45_000 });
		await expect(clientRow('joined')).toHaveCount(1);
		await expect(clientRow('message-deleted')).toHaveCount(1, { timeout: 45_000 });
		await expect(rows.filter({ hasText: mistake })).toHaveCount(0);
		await expect(clientRow('sign-in')).not.toHaveCount(0);
		await expect(rows.and(t.locator('[data-kind="member-added"]'))).toHaveCount(1);
		await expect(rows.and(t.locator('[data-kind="conversation-created"]'))).toContainText(TITLE);
		await expect(t.getByTestId('audit-verified')).toBeVisible();
		await expect(t.getByTestId('audit-problems')).toHaveCount(0);
		const clientHex = (await clientRow('exported').getAttribute('data-device'))!;
		expect(clientHex).toMatch(/^[0-9a-f]{64}$/);

		// Filters: by person, then by kind.
		await t.getByTestId('audit-filter-person').selectOption(CLIENT);
		await expect(rows.filter({ hasNotText: CLIENT })).toHaveCount(0);
		await t.getByTestId('audit-filter-kind').selectOption('exported');
		await expect(rows).toHaveCount(1);
		await t.getByRole('button', { name: 'Clear filters' }).click();

		// Export the trail; it verifies outside the app; a copy with a record dropped is named in the app.
		const [trailDownload] = await Promise.all([t.waitForEvent('download'), t.getByTestId('audit-export').click()]);
		const trailText = await downloadedText(trailDownload);
		const verified = verifyAuditFile(trailText);
		expect(verified.problems).toEqual([]);
		const file = JSON.parse(trailText) as AuditFile;
		const clientRecords = file.records.filter((r) => toHex(openAuditRecord(fromBase64Url(r))!.body.device) === clientHex);
		expect(clientRecords.length).toBeGreaterThanOrEqual(3);
		const tampered = { ...file, records: file.records.filter((r) => r !== clientRecords[1]) };
		await t.getByTestId('audit-verify-input').setInputFiles({ name: 'trail.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(tampered)) });
		await expect(t.getByTestId('audit-verify-problems').locator('[data-code="gap"]')).toContainText(`${CLIENT} (device ${clientHex.slice(0, 4)} ${clientHex.slice(4, 8)}): records 2 to 2 are missing`);
		await t.getByTestId('audit-verify-input').setInputFiles({ name: 'trail.json', mimeType: 'application/json', buffer: Buffer.from(trailText) });
		await expect(t.getByTestId('audit-verify-result')).toContainText('The file verifies');

		// No audit detail in the clear: not at the relay, not in either browser's storage.
		const needles = [clientHex];
		expect([...findInFiles(filesUnder(stack.relay.dataDir), needles).keys()]).toEqual([]);
		const marker = `audit-control-${Date.now()}-Ω`;
		for (const person of [therapist, client]) {
			const dump = await dumpIndexedDb(person.page);
			expect(dump.length).toBeGreaterThan(1000);
			expect(needles.filter((s) => dump.includes(s))).toEqual([]);
			await writeControlMarker(person.page, marker);
			expect(await dumpIndexedDb(person.page)).toContain(marker);
			expect(await person.page.evaluate(() => JSON.stringify({ ...localStorage }))).not.toContain(needles[0]);
		}
		await therapist.context.close();
		await client.context.close();
		for (const person of [therapist, client]) {
			const hits = findInFiles(filesUnder(person.dir), [marker, ...needles]);
			expect(hits.has(marker), 'the profile scan finds the positive control').toBe(true);
			hits.delete(marker);
			expect(Object.fromEntries(hits)).toEqual({});
		}
	} finally {
		await therapist.context.close().catch(() => {});
		await client.context.close().catch(() => {});
		removeDir(therapist.dir);
		removeDir(client.dir);
	}
});
