import { expect, test, type Page } from '@playwright/test';
import {
	expectNoPlaintext,
	letIn,
	messageTexts,
	sendMessage,
	perTestStack,
	startConversation
} from './people.js';
import { unlock } from './stack.js';

/**
 * Search over a long conversation's earlier periods (rule 19; issue 4, "full-text search over
 * every conversation on the device"), with the period size knob at 3 messages. A colleague let
 * in late holds only the newest periods: searching for a word from the oldest one finds nothing
 * and the search page says older messages aren't on this device yet (another tab says where to
 * fetch them). Fetching them from the keyboard shows its progress, waits calmly while the relay
 * is cut off, and the result appears as the period arrives, in both tabs; it jumps to the
 * message. Later the colleague comes back after several more periods filled: the old period is
 * still held, so search finds the word at once although the message list stops at the gap, and
 * the jump loads the gap so the message shows in context. Nothing new is stored in clear.
 */

const ctx = perTestStack();

const TITLE = 'Sunday walks';
const OLD = 'The heron by the mill pond came back this morning.';

/** Opens search with the shortcut and types `words`. */
async function search(page: Page, words: string): Promise<void> {
	await page.keyboard.press('Control+k');
	await expect(page).toHaveURL(/\/search$/);
	await page.getByTestId('search-input').fill(words);
}

/** The jump from the one result: the message is shown, marked, focused and in view. */
async function jumpToResult(page: Page): Promise<void> {
	await page.getByTestId('search-result').click();
	await expect(page).toHaveURL(/\/c\/[^?]+\?m=/);
	const marked = page.locator('[data-testid="message"][data-highlighted]');
	await expect(marked).toHaveCount(1, { timeout: 30_000 });
	await expect(marked).toContainText(OLD);
	await expect(marked).toBeFocused();
	await expect(marked).toBeInViewport();
	await expect(page.getByTestId('jump-missing')).toHaveCount(0);
}

test('a late member fetches earlier periods for search, finds an old word and jumps to it, also below a gap', async () => {
	test.setTimeout(240_000);
	const { stack } = ctx;
	const therapist = await ctx.person('Dr. Maren Holloway');
	const late = await ctx.person('Tobias Quill');
	for (const person of [therapist, late]) {
		await person!.page.evaluate(() => localStorage.setItem('tend-period-size', '3'));
	}
	await startConversation(stack, therapist, [], { title: TITLE });
	const t = therapist.page;

	// Seven messages: periods 1 and 2 full, period 3 begun; the heron only in period 1.
	const sent = [OLD, ...Array.from({ length: 6 }, (_, i) => `Walk note ${i + 2}`)];
	for (const text of sent) await sendMessage(t, text);
	await expect(t.locator('[data-testid="message"][data-state="delivered"]')).toHaveCount(7);

	// The colleague is let in now and opens on the newest period (and the one before, when the
	// relay named the periods before the conversation opened).
	await letIn(therapist, late, TITLE);
	const l = late.page;
	await expect.poll(async () => (await messageTexts(l)).at(-1), { timeout: 30_000 }).toBe(sent[6]);
	await expect(l.getByTestId('load-earlier')).toBeVisible();
	expect(await messageTexts(l)).not.toContain(OLD);

	// Searching for the heron: nothing, and the page says why, calmly.
	await l.getByTestId('composer-input').blur();
	await search(l, 'heron');
	const status = l.getByTestId('search-coverage-status');
	await expect(status).toHaveText(
		"Older messages in 1 conversation aren't on this device yet, so search can't find them."
	);
	await expect(l.getByTestId('search-status')).toContainText('No messages match');
	await expect(l.getByTestId('search-result')).toHaveCount(0);
	const fetch = l.getByRole('button', { name: 'Fetch them for searching' });
	await expect(fetch).toBeVisible();

	// Another tab doesn't keep the connection: it says where to fetch, and offers no button.
	const other = await late.context.newPage();
	await other.goto(`${stack.appUrl}/search`);
	await expect(other.getByTestId('other-tab-banner')).toBeVisible({ timeout: 30_000 });
	await other.getByTestId('search-input').fill('heron');
	await expect(other.getByTestId('search-coverage-status')).toContainText(
		'They can be fetched in the tab that keeps the connection.'
	);
	await expect(other.getByTestId('search-fetch-older')).toHaveCount(0);
	await expect(other.getByTestId('search-result')).toHaveCount(0);

	// With the relay cut off, fetching from the keyboard shows its progress and waits.
	stack.proxy.cut();
	await expect(l.getByTestId('connection-status')).not.toHaveAttribute('data-state', 'online');
	await fetch.focus();
	await l.keyboard.press('Enter');
	await expect(l.getByTestId('search-input')).toBeFocused();
	await expect(status).toHaveText(
		'Fetching older messages: 0 of 1 conversation. You can keep searching; results are added as they arrive. Waiting for the connection to continue.'
	);
	await expect(fetch).toHaveCount(0);
	await expect(l.getByTestId('search-result')).toHaveCount(0);

	// Back online: period 1 arrives, the result appears in both tabs without searching again.
	stack.proxy.restore();
	await expect(l.getByTestId('search-result')).toHaveCount(1, { timeout: 60_000 });
	await expect(l.getByTestId('search-snippet').locator('mark')).toHaveText(['heron']);
	await expect(status).toHaveText('Older messages are on this device now, and search includes them.', {
		timeout: 30_000
	});
	await expect(other.getByTestId('search-result')).toHaveCount(1, { timeout: 30_000 });
	await expect(other.getByTestId('search-coverage-status')).toHaveText('');
	await other.close();

	await jumpToResult(l);
	await expect.poll(() => messageTexts(l), { timeout: 30_000 }).toEqual(sent);

	// The colleague leaves Tend; meanwhile periods 3 to 6 fill (nine more messages).
	await l.goto('about:blank');
	const more = Array.from({ length: 9 }, (_, i) => `Later note ${i + 1}`);
	for (const text of more) await sendMessage(t, text);
	await expect(t.locator('[data-testid="message"][data-state="delivered"]')).toHaveCount(16);

	// Back: periods 1–3 are still held, 6 is the newest, 4 and 5 are missing. Search finds the
	// heron at once, and says the conversation still has older messages elsewhere.
	await l.goto(stack.appUrl);
	await unlock(l);
	await expect(l.getByTestId('new-conversation').first()).toBeVisible();
	await search(l, 'heron');
	await expect(l.getByTestId('search-result')).toHaveCount(1, { timeout: 30_000 });
	await expect(l.getByTestId('search-coverage-status')).toHaveText(
		"Older messages in 1 conversation aren't on this device yet, so search can't find them.",
		{ timeout: 30_000 }
	);

	// The list opens on the newest periods, above the gap: the jump loads the gap first.
	await jumpToResult(l);
	await expect.poll(() => messageTexts(l), { timeout: 60_000 }).toEqual([...sent, ...more]);

	await expectNoPlaintext(stack, [therapist, late], [OLD]);
});
