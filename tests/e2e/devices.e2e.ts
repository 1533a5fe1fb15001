import { expect, test, type Page } from '@playwright/test';
import {
	dumpIndexedDb,
	filesUnder,
	findInFiles,
	onboard,
	openPerson,
	removeDir,
	setUpVault,
	startStack,
	writeControlMarker,
	type Stack
} from './stack.js';

/**
 * A clinician adds a second device (SECURITY-RULES.md, rules 1, 2, 3 and 12): the link shown on
 * the first device, the same six-digit code on both, a confirmation on the first; the tablet then
 * reads and writes in an existing conversation, where the client sees its messages as the
 * clinician's. Removing the tablet from the first device locks it out: it says so, and what is
 * written afterwards never reaches it.
 */
let stack: Stack;

/** A label distinctive enough to search for on disk. */
const LABEL = 'Kitchen tablet Q7';
const CLINICIAN = 'Dr. Ada Okonkwo';

test.beforeEach(async () => {
	stack = await startStack();
});

test.afterEach(async () => {
	await stack.close();
});

async function send(page: Page, text: string) {
	await page.getByTestId('composer-input').fill(text);
	await page.getByTestId('send-button').click();
}

/** In-app navigation: a reload would lock the page. */
async function openConversation(page: Page) {
	await page.locator('a.brand').click();
	await page.getByTestId('conversation-item').filter({ hasText: 'Check-ins' }).click({ timeout: 30_000 });
}

test('a clinician links a tablet with the short code; it writes as the clinician; removing it locks it out', async () => {
	test.setTimeout(240_000);
	const desk = await openPerson();
	const client = await openPerson();
	const tablet = await openPerson();
	try {
		const d = desk.page;
		await onboard(d, stack.appUrl, CLINICIAN);
		await d.getByTestId('new-conversation').first().click();
		await d.getByTestId('title-input').fill('Check-ins');
		await d.getByTestId('create-conversation').click();
		await d.getByTestId('invite-button').click();
		const invite = (await d.getByTestId('invite-link').first().inputValue()).trim();
		const c = client.page;
		await c.goto(invite);
		await setUpVault(c);
		await c.getByTestId('join-name-input').fill('Sam Client');
		await c.getByTestId('join-button').click();
		await expect(d.getByTestId('join-request')).toContainText('Sam Client');
		await d.getByTestId('admit-button').click();
		await expect(c.getByTestId('composer-input')).toBeVisible({ timeout: 30_000 });
		await send(d, 'Before the tablet');
		await expect(c.getByTestId('message-text')).toContainText(['Before the tablet']);

		// The desk shows a link (and its QR code); the tablet opens it.
		await d.getByTestId('settings-link').click();
		await expect(d.getByTestId('device-row')).toHaveCount(1);
		await d.getByTestId('add-device').click();
		const panel = d.getByTestId('device-link');
		await expect(panel.getByTestId('qr-code')).toBeVisible();
		const link = (await panel.getAttribute('data-url'))!;
		expect(link).toContain('/link#');

		const tb = tablet.page;
		await tb.goto(link);
		await setUpVault(tb);
		// The secret left the address bar at once (rule 1).
		expect(tb.url()).not.toContain('#');
		await tb.getByTestId('link-label').fill(LABEL);
		await tb.getByTestId('link-submit').click();
		const tabletCode = (await tb.getByTestId('safety-code').textContent())?.trim();
		expect(tabletCode).toMatch(/^\d{3} \d{3}$/);

		// Both screens show the same code; the person confirms on the desk.
		const request = d.getByTestId('device-request');
		await expect(request).toContainText(LABEL);
		await expect(request.getByTestId('safety-code')).toHaveText(tabletCode!);
		await request.getByTestId('confirm-device').click();
		await expect(d.getByTestId('device-added')).toBeVisible({ timeout: 30_000 });
		await expect(d.getByTestId('device-row')).toHaveCount(2);

		// The tablet is ready, sees the conversation and its history, and writes.
		await expect(tb.getByTestId('link-done')).toBeVisible({ timeout: 30_000 });
		await tb.getByRole('button', { name: 'Open Tend' }).click();
		await tb.getByTestId('conversation-item').filter({ hasText: 'Check-ins' }).click({ timeout: 30_000 });
		await expect(tb.getByTestId('message-text')).toContainText(['Before the tablet'], { timeout: 30_000 });
		await send(tb, 'Written on the tablet');

		// The client sees it from the clinician, with no "wrong author" mark (rule 12).
		const fromTablet = c.getByTestId('message').filter({ hasText: 'Written on the tablet' });
		await expect(fromTablet).toContainText(CLINICIAN, { timeout: 30_000 });
		await expect(fromTablet.getByTestId('author-mismatch')).toHaveCount(0);
		// On the desk it is the clinician's own message.
		await openConversation(d);
		const onDesk = d.getByTestId('message').filter({ hasText: 'Written on the tablet' });
		await expect(onDesk).toHaveAttribute('data-mine', 'true', { timeout: 30_000 });

		// The desk removes the tablet: a second press confirms.
		await d.getByTestId('settings-link').click();
		const row = d.getByTestId('device-row').filter({ hasText: LABEL });
		await row.getByTestId('revoke-device').click();
		await row.getByTestId('revoke-yes').click();
		await expect(d.getByTestId('device-row')).toHaveCount(1, { timeout: 30_000 });

		// The tablet says plainly that it was removed, and reads nothing new.
		await tb.locator('a.brand').click();
		await expect(tb.getByTestId('device-removed')).toBeVisible({ timeout: 60_000 });
		await openConversation(d);
		await send(d, 'After the tablet was removed');
		await expect(c.getByTestId('message-text')).toContainText(['After the tablet was removed'], {
			timeout: 30_000
		});
		await openConversation(tb);
		await expect(tb.getByTestId('message-text')).toContainText(['Written on the tablet']);
		await tb.waitForTimeout(2000);
		await expect(tb.getByTestId('message-text')).not.toContainText(['After the tablet was removed']);

		// The label and the name were never in the clear: not at the relay (whose scan finds the
		// stored conversation id), not in either device's IndexedDB or profile files.
		const secrets = [LABEL, CLINICIAN];
		const docId = Buffer.from(new URL(tb.url()).pathname.split('/').pop()!, 'base64url');
		const relayControl = String.fromCharCode(...docId);
		const relayHits = findInFiles(filesUnder(stack.relay.dataDir), [relayControl, ...secrets]);
		expect(relayHits.has(relayControl), 'the relay scan finds the stored document id').toBe(true);
		relayHits.delete(relayControl);
		expect(Object.fromEntries(relayHits)).toEqual({});
		const marker = `positive-control-${Date.now()}-Ω`;
		for (const person of [desk, tablet]) {
			const dump = await dumpIndexedDb(person.page);
			expect(dump.length).toBeGreaterThan(1000);
			expect(secrets.filter((s) => dump.includes(s))).toEqual([]);
			await writeControlMarker(person.page, marker);
			expect(await dumpIndexedDb(person.page)).toContain(marker);
		}
		for (const person of [desk, tablet]) {
			await person.context.close();
			const hits = findInFiles(filesUnder(person.dir), [marker, ...secrets]);
			expect(hits.has(marker), 'the profile scan finds the positive control').toBe(true);
			hits.delete(marker);
			expect(Object.fromEntries(hits)).toEqual({});
		}
	} finally {
		for (const person of [desk, client, tablet]) {
			await person.context.close().catch(() => {});
			removeDir(person.dir);
		}
	}
});
