import { expect, test, type Page } from '@playwright/test';
import {
	expectNoPlaintext,
	messageWith,
	perTestStack,
	sendMessage,
	startConversation,
	type Person
} from './people.js';
import { reloadAndUnlock } from './stack.js';

/**
 * A group channel of three, through the real relay: the pre-send check, reactions, read
 * receipts that never go back, pins and the pinned-resources panel, hostile formatting that
 * renders as text, renaming (also in search results), mute, archive and leave as the others see
 * them, and the background notification that says only "New message in Tend". Nothing of it is
 * in the clear at the relay or in any browser's storage.
 */

const env = perTestStack();

const TITLE = 'Thursday consult group';
const RENAMED = 'Thursday peer consultation';
const FIRST = 'Case review moves to the quiet room by the garden.';
const SECOND = 'Bring the ferry timetable for the Saturday retreat.';
const PHI = 'Client born 14/03/1987, call him on 555-201-3344 about the sertraline 50 mg';
const RESOURCE_TITLE = 'Grounding worksheet for the lighthouse group';
const RESOURCE_URL = 'https://example.org/lighthouse-grounding';
const HOSTILE = [
	'Look <img src=x onerror="window.__pwned=1"> and <script>window.__pwned=2</script>',
	'[click me](javascript:window.__pwned=3) and <a href="javascript:alert(1)">this</a>',
	'**bold <b>not html</b>** _<i>tilted</i>_ <svg onload=alert(1)>',
	'- <iframe src="javascript:alert(4)"></iframe>'
].join('\n');
const LATER = 'The vending machine on floor two takes cards now.';

/** Records what the page's Notification API is asked to show, and lets the test hide the page. */
async function stubNotifications(person: Person): Promise<void> {
	await person.context.addInitScript(() => {
		const shown: { title: string; options: unknown }[] = [];
		(window as unknown as { __notifications: typeof shown }).__notifications = shown;
		class RecordingNotification {
			static permission = 'granted';
			static requestPermission = async () => 'granted';
			onclick: (() => void) | null = null;
			constructor(title: string, options?: unknown) {
				shown.push({ title, options: options ?? null });
			}
			close() {}
		}
		Object.defineProperty(window, 'Notification', { value: RecordingNotification, configurable: true });
		Object.defineProperty(document, 'visibilityState', {
			configurable: true,
			get: () => ((window as unknown as { __hidden?: boolean }).__hidden ? 'hidden' : 'visible')
		});
	});
}

async function setHidden(page: Page, hidden: boolean): Promise<void> {
	await page.evaluate((value) => {
		(window as unknown as { __hidden?: boolean }).__hidden = value;
		document.dispatchEvent(new Event('visibilitychange'));
	}, hidden);
}

function notifications(page: Page) {
	return page.evaluate(
		() => (window as unknown as { __notifications: { title: string; options: unknown }[] }).__notifications
	);
}

async function openMenu(page: Page): Promise<void> {
	const menu = page.getByTestId('conversation-menu');
	if ((await menu.getAttribute('aria-expanded')) !== 'true') await menu.click();
}

test('a group channel: pre-send check, reactions, read receipts, pins, safe formatting, rename, mute, archive, leave, notification', async () => {
	const therapist = await env.person('Dr. Ines Falkenrath');
	const client = await env.person('Mirela Dobrescu');
	const colleague = await env.person('Dr. Kofi Mensah-Blythe');
	await stubNotifications(client);
	await startConversation(env.stack, therapist, [client, colleague], { title: TITLE, kind: 'group' });
	const t = therapist.page;
	const c = client.page;
	const k = colleague.page;
	const dialogs: string[] = [];
	for (const page of [t, c, k]) page.on('dialog', (dialog) => (dialogs.push(dialog.message()), void dialog.dismiss()));

	// The pre-send check in a group channel: PHI is flagged before anything leaves; "edit" keeps
	// the text in the box and sends nothing, "send anyway" sends it.
	await t.getByTestId('composer-input').fill(PHI);
	await t.getByTestId('send-button').click();
	const check = t.getByTestId('presend-check');
	await expect(check).toBeVisible();
	await expect(check.getByTestId('presend-kinds').locator('li')).not.toHaveCount(0);
	await check.getByTestId('presend-edit').click();
	await expect(check).toHaveCount(0);
	await expect(t.getByTestId('composer-input')).toHaveValue(PHI);
	await expect(t.getByTestId('message')).toHaveCount(0);
	await t.getByTestId('composer-input').fill(FIRST);
	await t.getByTestId('send-button').click();
	await expect(t.getByTestId('message')).toHaveCount(1);

	// Read receipts: both others show it, so the therapist sees it read by both.
	await expect(messageWith(c, FIRST)).toHaveCount(1, { timeout: 30_000 });
	await expect(messageWith(k, FIRST)).toHaveCount(1, { timeout: 30_000 });
	const readBy = messageWith(t, FIRST).getByTestId('read-by');
	await expect(readBy).toContainText(client.name, { timeout: 30_000 });
	await expect(readBy).toContainText(colleague.name, { timeout: 30_000 });

	// Reactions: two people react with the same emoji, one takes it back.
	for (const page of [c, k]) {
		await messageWith(page, FIRST).getByTestId('message-more').click();
		await messageWith(page, FIRST).getByTestId('react-👍').click();
	}
	const reaction = messageWith(t, FIRST).getByTestId('reaction');
	await expect(reaction).toHaveAttribute('aria-label', new RegExp(`${client.name}.*${colleague.name}|${colleague.name}.*${client.name}`), { timeout: 30_000 });
	await messageWith(c, FIRST).getByTestId('reaction').click();
	await expect(reaction).toHaveAttribute('aria-label', new RegExp(colleague.name), { timeout: 30_000 });
	await expect(reaction).not.toHaveAttribute('aria-label', new RegExp(client.name), { timeout: 30_000 });
	await expect(messageWith(k, FIRST).getByTestId('reaction')).toHaveAttribute('aria-pressed', 'true');

	// Pins and the pinned-resources panel: only the administering therapist pins.
	await sendMessage(t, SECOND);
	await messageWith(t, SECOND).getByTestId('message-more').click();
	await messageWith(t, SECOND).getByTestId('pin-button').click();
	await t.getByTestId('pinned-button').click();
	const panel = t.getByTestId('pinned-panel');
	await panel.getByTestId('resource-title').fill(RESOURCE_TITLE);
	await panel.getByTestId('resource-url').fill(RESOURCE_URL);
	await panel.getByTestId('resource-add').click();
	await expect(panel.getByTestId('pinned-resource')).toHaveCount(1);
	// A javascript: address is refused, never stored as a link.
	await panel.getByTestId('resource-title').fill('Sneaky');
	await panel.getByTestId('resource-url').fill('javascript:alert(5)');
	await panel.getByTestId('resource-add').click();
	await expect(panel.getByTestId('pinned-resource')).toHaveCount(1);
	await expect(messageWith(c, SECOND).getByTestId('pinned-tag')).toBeVisible({ timeout: 30_000 });
	await c.getByTestId('pinned-button').click();
	const clientPanel = c.getByTestId('pinned-panel');
	await expect(clientPanel.getByTestId('pinned-message')).toContainText(SECOND);
	await expect(clientPanel.getByRole('link', { name: RESOURCE_TITLE })).toHaveAttribute('href', RESOURCE_URL, { timeout: 30_000 });
	await expect(clientPanel.getByTestId('resource-add')).toHaveCount(0);
	await messageWith(c, SECOND).getByTestId('message-more').click();
	await expect(messageWith(c, SECOND).getByTestId('pin-button')).toHaveCount(0);
	await c.getByTestId('pinned-button').click();

	// Hostile formatting: shown as text on every screen; nothing runs, no element is made from it.
	await sendMessage(c, HOSTILE);
	for (const page of [t, c, k]) {
		const item = messageWith(page, 'Look <img src=x');
		await expect(item).toHaveCount(1, { timeout: 30_000 });
		const text = item.getByTestId('message-text');
		await expect(text).toContainText('<script>window.__pwned=2</script>');
		await expect(text).toContainText('<svg onload=alert(1)>');
		await expect(text.locator('img, script, iframe, svg, b, i, a[href^="javascript"]')).toHaveCount(0);
		await expect(text.locator('strong')).toHaveCount(1);
		expect(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned)).toBeUndefined();
	}
	expect(dialogs).toEqual([]);

	// Read markers never go back: after the client reloads (and reads on), the earlier message
	// still counts as read by them on the therapist's screen.
	await reloadAndUnlock(c);
	await expect(messageWith(c, SECOND)).toHaveCount(1);
	await expect(messageWith(t, FIRST).getByTestId('read-by')).toContainText(client.name);
	await expect(messageWith(t, SECOND).getByTestId('read-by')).toContainText(client.name, { timeout: 30_000 });

	// Rename: the others see the new title, and search results carry it.
	await openMenu(t);
	await t.getByTestId('rename-button').click();
	await t.getByTestId('rename-input').fill(RENAMED);
	await t.getByTestId('rename-save').click();
	for (const page of [t, c, k]) {
		await expect(page.getByRole('heading', { level: 1, name: RENAMED })).toBeVisible({ timeout: 30_000 });
	}
	const conversationUrl = k.url();
	await k.getByTestId('composer-input').blur();
	await k.keyboard.press('Control+k');
	await k.getByTestId('search-input').fill('ferry timetable');
	const result = k.getByTestId('search-result');
	await expect(result).toHaveCount(1);
	await expect(result).toContainText(RENAMED);
	await expect(result).not.toContainText(TITLE);
	await result.click();
	await expect(k).toHaveURL(new RegExp(conversationUrl.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')));

	// The background notification: the client's page is hidden and a message arrives.
	await setHidden(c, true);
	await sendMessage(t, LATER);
	await expect.poll(() => notifications(c).then((n) => n.length), { timeout: 30_000 }).toBeGreaterThan(0);
	for (const shown of await notifications(c)) {
		expect(shown.title).toBe('New message in Tend');
		const said = JSON.stringify(shown);
		for (const secret of [LATER, therapist.name, RENAMED, TITLE, 'vending']) expect(said).not.toContain(secret);
	}
	await setHidden(c, false);

	// Mute and archive are this device's choices. Muted, the client is told nothing; unmuted
	// again, the next message brings exactly one notification (so the muted one brought none).
	await openMenu(c);
	await c.getByTestId('mute-button').click();
	await expect(c.getByTestId('mute-button')).toHaveText(/Turn notifications back on/);
	const before = (await notifications(c)).length;
	await setHidden(c, true);
	await sendMessage(t, 'A muted line nobody is told about.');
	await expect(messageWith(c, 'A muted line')).toHaveCount(1, { timeout: 30_000 });
	await c.getByTestId('mute-button').click();
	await expect(c.getByTestId('mute-button')).toHaveText(/Mute notifications/);
	await sendMessage(t, 'An unmuted line.');
	await expect.poll(() => notifications(c).then((n) => n.length), { timeout: 30_000 }).toBe(before + 1);
	await setHidden(c, false);
	await openMenu(c);
	await c.getByTestId('archive-button').click();
	await c.getByRole('link', { name: 'All conversations' }).first().click();
	await expect(c.getByTestId('conversation-item')).toHaveCount(0);
	await c.getByTestId('show-archived').click();
	await expect(c.getByTestId('conversation-item')).toContainText(RENAMED);

	// The colleague leaves: the others' member lists no longer name them.
	await k.getByTestId('composer-input').waitFor();
	await openMenu(k);
	await k.getByTestId('leave-button').click();
	await k.getByTestId('leave-confirm').click();
	await t.getByTestId('people-button').click();
	await expect(t.getByTestId('members-panel').getByTestId('member')).toHaveCount(2, { timeout: 30_000 });
	await expect(t.getByTestId('members-panel')).not.toContainText(colleague.name);

	await expectNoPlaintext(
		env.stack,
		[therapist, client, colleague],
		[FIRST, SECOND, RENAMED, TITLE, RESOURCE_TITLE, RESOURCE_URL, 'sertraline', 'onerror="window.__pwned=1"', LATER, client.name],
		['👍']
	);
});
