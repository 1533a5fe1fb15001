import { expect, test, type Page } from '@playwright/test';
import { openPair, sendMessage } from './pair.js';
import {
	dumpIndexedDb,
	filesUnder,
	findInFiles,
	startStack,
	unlock,
	writeControlMarker,
	type Stack
} from './stack.js';

/**
 * Boundaries end to end: the therapist's office hours reach the client's device through the
 * relay (end-to-end encrypted, in the therapist's member record), the client sees a calm notice
 * outside them and the emergency line at once when writing about a crisis; quick replies are
 * filled in before sending; and none of that text is readable in the relay's files or either
 * browser's storage.
 */

let stack: Stack;

test.beforeEach(async () => {
	stack = await startStack();
});

test.afterEach(async () => {
	await stack.close();
});

const EMERGENCY = 'Call the Riverside crisis desk on 555 0100 any time';
const TEMPLATE_TITLE = 'Parking note';
const TEMPLATE_BODY = 'Hello {client}, the Larkspur car park closes at {time} today.';

/** Sets office hours on one weekday only (09:00–10:00 UTC) or on every day, all day. */
async function setHours(page: Page, appUrl: string, mode: { onlyDay: number } | 'always') {
	await page.goto(`${appUrl}/settings`);
	await unlock(page);
	const form = page.getByTestId('office-hours-settings');
	await form.getByTestId('hours-timezone').selectOption('UTC');
	for (let day = 0; day < 7; day++) {
		const on = mode === 'always' || mode.onlyDay === day;
		await form.getByTestId(`hours-on-${day}`).setChecked(on);
		if (!on) continue;
		await form.getByTestId(`hours-from-${day}`).fill(mode === 'always' ? '00:00' : '09:00');
		await form.getByTestId(`hours-until-${day}`).fill(mode === 'always' ? '23:59' : '10:00');
	}
	await form.getByTestId('hours-reply').selectOption('4');
	await form.getByTestId('hours-emergency').fill(EMERGENCY);
	await form.getByTestId('hours-save').click();
	await expect(form.getByTestId('hours-status')).toContainText('saved');
}

test('office hours reach the client, crisis language shows the line at once, quick replies fill in, nothing leaks', async () => {
	const { therapist, client, close } = await openPair(stack, {
		therapist: 'Dr. Wilhelmina Ashdown',
		client: 'Peregrine Holt',
		title: 'Tuesday sessions'
	});
	try {
		const t = therapist.page;
		const c = client.page;
		const conversationUrl = t.url();
		await sendMessage(c, 'Hello, I have joined.');

		// No hours published yet: the client sees no notice.
		await expect(c.getByTestId('office-hours-notice')).toHaveCount(0);

		// Hours on one weekday, three days from now (never today, so closed now), 09:00–10:00 UTC.
		const now = new Date();
		const day = (now.getUTCDay() + 3) % 7;
		await setHours(t, stack.appUrl, { onlyDay: day });

		// The client's screen shows the calm notice, the next opening in its own format, the
		// reply time and the therapist's emergency line; nothing was sent for it to appear.
		const notice = c.getByTestId('office-hours-notice');
		await expect(notice).toBeVisible({ timeout: 30_000 });
		await expect(notice).toContainText('Dr. Wilhelmina Ashdown is outside office hours');
		await expect(notice).toContainText('within 4 hours');
		await expect(c.getByTestId('office-hours-emergency')).toHaveText(EMERGENCY);
		const next = new Date(
			Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + 3, 9, 0)
		);
		const expected = await c.evaluate(
			(ms) => new Intl.DateTimeFormat(navigator.language, { dateStyle: 'full', timeStyle: 'short' }).format(ms),
			next.getTime()
		);
		await expect(c.getByTestId('office-hours-next')).toContainText(expected);

		// The therapist's own screen has no such notice.
		await t.goto(conversationUrl);
		await unlock(t);
		await expect(t.getByTestId('composer-input')).toBeVisible();
		await expect(t.getByTestId('office-hours-notice')).toHaveCount(0);

		// Crisis language: the emergency line appears while the client is still typing.
		await expect(c.getByTestId('crisis-notice')).toHaveCount(0);
		await c.getByTestId('composer-input').fill("Some nights I don't want to live anymore");
		await expect(c.getByTestId('crisis-notice')).toBeVisible();
		await expect(c.getByTestId('crisis-emergency')).toHaveText(EMERGENCY);
		await c.getByTestId('composer-input').fill('Thank you, see you Tuesday.');
		await expect(c.getByTestId('crisis-notice')).toHaveCount(0);

		// Hours all week, all day: the notice goes away on the client's screen.
		await setHours(t, stack.appUrl, 'always');
		await expect(notice).toHaveCount(0, { timeout: 30_000 });

		// A quick reply saved in settings, filled in and sent.
		await t.goto(`${stack.appUrl}/settings`);
		await unlock(t);
		const quick = t.getByTestId('quick-reply-settings');
		await expect(quick.getByTestId('quick-reply-edit')).toHaveCount(3);
		await quick.getByTestId('quick-add').click();
		await quick.getByTestId('quick-title').last().fill(TEMPLATE_TITLE);
		await quick.getByTestId('quick-body').last().fill(TEMPLATE_BODY);
		await quick.getByTestId('quick-save').click();
		await expect(quick.getByTestId('quick-status')).toContainText('saved');
		await t.reload();
		await unlock(t);
		await expect(t.getByTestId('quick-reply-edit')).toHaveCount(4);
		await expect(t.getByTestId('quick-title').last()).toHaveValue(TEMPLATE_TITLE);

		await t.goto(conversationUrl);
		await unlock(t);
		await t.getByTestId('quick-replies-button').click();
		await t.getByTestId('quick-reply').filter({ hasText: TEMPLATE_TITLE }).click();
		await expect(t.getByTestId('quick-field-client')).toHaveValue('Peregrine Holt');
		await t.getByTestId('quick-field-time').fill('18:30');
		await expect(t.getByTestId('quick-preview')).toHaveText(
			'Hello Peregrine Holt, the Larkspur car park closes at 18:30 today.'
		);
		await t.getByTestId('quick-insert').click();
		await expect(t.getByTestId('composer-input')).toHaveValue(
			'Hello Peregrine Holt, the Larkspur car park closes at 18:30 today.'
		);
		await t.getByTestId('send-button').click();
		await expect(c.getByTestId('message-text').last()).toHaveText(
			'Hello Peregrine Holt, the Larkspur car park closes at 18:30 today.'
		);

		// No plaintext of the hours, the emergency line or the template anywhere.
		const secrets = [EMERGENCY, TEMPLATE_BODY, TEMPLATE_TITLE, 'Larkspur car park'];
		const relayHits = findInFiles(filesUnder(stack.relay.dataDir), secrets);
		expect([...relayHits.keys()]).toEqual([]);
		const marker = `boundaries-control-${Date.now()}`;
		for (const person of [therapist, client]) {
			const dump = await dumpIndexedDb(person.page);
			expect(dump.length).toBeGreaterThan(1000);
			expect(secrets.filter((s) => dump.includes(s))).toEqual([]);
			await writeControlMarker(person.page, marker);
			expect(await dumpIndexedDb(person.page)).toContain(marker);
		}
		for (const person of [therapist, client]) {
			await person.context.close();
			const hits = findInFiles(filesUnder(person.dir), [marker, ...secrets]);
			expect(hits.has(marker), 'the profile scan finds the positive control').toBe(true);
			hits.delete(marker);
			expect(Object.fromEntries(hits)).toEqual({});
		}
	} finally {
		await close();
	}
});

test('the office-hours notice shows in a second tab too (the claims and admin list the leader persisted)', async () => {
	const { therapist, client, close } = await openPair(stack, {
		therapist: 'Dr. Rosalind Achterberg',
		client: 'Bartholomew Quaye',
		title: 'Monday sessions'
	});
	try {
		const c = client.page;
		await sendMessage(c, 'Hello, I have joined.');
		const now = new Date();
		await setHours(therapist.page, stack.appUrl, { onlyDay: (now.getUTCDay() + 3) % 7 });
		await expect(c.getByTestId('office-hours-notice')).toBeVisible({ timeout: 30_000 });

		// The same conversation in a second tab of the client's browser: not the leader.
		const second = await client.context.newPage();
		await second.goto(c.url());
		await expect(second.getByTestId('other-tab-banner')).toBeVisible();
		const notice = second.getByTestId('office-hours-notice');
		await expect(notice).toBeVisible({ timeout: 30_000 });
		await expect(notice).toContainText('Dr. Rosalind Achterberg is outside office hours');
		await expect(second.getByTestId('office-hours-emergency')).toHaveText(EMERGENCY);
		await second.close();
	} finally {
		await close();
	}
});
