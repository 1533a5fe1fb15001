import { expect, test, type Page } from '@playwright/test';
import {
	letIn,
	messageTexts,
	sendMessage,
	perTestStack,
	startConversation
} from './people.js';

/**
 * Long conversations in period documents (SECURITY-RULES.md, rule 19), in the browser: with
 * the period size knob at 3 messages, a therapist and a client write enough to roll over; with
 * the relay cut off, both keep writing and each rolls over on their own; once the relay is back
 * they show the same history. A colleague let in afterwards opens on the newest periods, sees
 * "Show earlier messages", and loads the earlier period from the keyboard; the history then
 * matches everyone else's.
 */

const ctx = perTestStack();

/** The period size knob (model/period.ts): read each time a message is written. */
async function smallPeriods(page: Page): Promise<void> {
	await page.evaluate(() => localStorage.setItem('tend-period-size', '3'));
}

test('two people roll over offline into the same periods; a late member loads earlier ones on demand', async () => {
	test.setTimeout(180_000);
	const { stack } = ctx;
	const therapist = await ctx.person('Dr. Wren Ashdown');
	const client = await ctx.person('Milo Thistlewood');
	await smallPeriods(therapist.page);
	await smallPeriods(client.page);
	// A group: a colleague joins later (a direct conversation stays between two people).
	await startConversation(stack, therapist, [client], { title: 'Long walk notes', kind: 'group' });
	const t = therapist.page;
	const c = client.page;

	// Four messages: a full period 1, and period 2 begun.
	const online: string[] = [];
	for (const [i, page] of [t, c, t, c].entries()) {
		await sendMessage(page, `online ${i + 1}`);
		online.push(`online ${i + 1}`);
		for (const other of [t, c]) await expect.poll(() => messageTexts(other), { timeout: 30_000 }).toEqual(online);
	}

	// The relay is cut off: each side fills period 2 and rolls over into period 3 on its own.
	stack.proxy.cut();
	for (const page of [t, c]) {
		await expect(page.getByTestId('connection-status')).not.toHaveAttribute('data-state', 'online');
	}
	for (const text of ['away t1', 'away t2', 'away t3']) await sendMessage(t, text);
	for (const text of ['away c1', 'away c2', 'away c3']) await sendMessage(c, text);
	await t.waitForTimeout(1000);
	expect(await messageTexts(t)).not.toContain('away c1');

	// Back online: the same ten messages in the same order on both.
	stack.proxy.restore();
	await expect.poll(async () => (await messageTexts(t)).length, { timeout: 60_000 }).toBe(10);
	await expect.poll(async () => (await messageTexts(c)).length, { timeout: 60_000 }).toBe(10);
	const history = await messageTexts(t);
	expect(await messageTexts(c)).toEqual(history);
	expect(new Set(history).size).toBe(10);
	await expect(c.locator('[data-testid="message"][data-state="delivered"]')).toHaveCount(10);
	await expect(t.locator('[data-testid="message"][data-state="delivered"]')).toHaveCount(10);

	// A colleague let in now opens on the newest periods only.
	const late = await ctx.person('Ida Fernsby');
	await letIn(therapist, late, 'Long walk notes');
	const l = late.page;

	const more = l.getByTestId('load-earlier');
	await expect(more).toBeVisible({ timeout: 30_000 });
	await expect.poll(async () => (await messageTexts(l)).length, { timeout: 30_000 }).toBeGreaterThan(0);
	const shown = await messageTexts(l);
	expect(shown.length).toBeLessThan(10);
	expect(history.slice(-shown.length)).toEqual(shown);
	await expect(more).toHaveAccessibleName('Show earlier messages');

	// From the keyboard: the earlier period loads above, and the history is complete.
	await more.focus();
	await l.keyboard.press('Enter');
	await expect.poll(() => messageTexts(l), { timeout: 60_000 }).toEqual(history);
	await expect(l.getByTestId('load-earlier')).toHaveCount(0);
	// Focus stays in the conversation (on a message that came in), not back at the page's start.
	expect(await l.evaluate(() => document.activeElement?.closest('[data-message-id]') !== null)).toBe(true);
	await expect(l.getByTestId('loading-earlier')).toHaveCount(0);
});
