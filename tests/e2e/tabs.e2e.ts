import { expect, test } from '@playwright/test';
import { openPerson, removeDir, startStack, type Stack } from './stack.js';

/**
 * Two tabs of one browser: only the leader tab talks to the relay and writes; the other says
 * Tend is open in another tab, stays read-only and follows the leader's changes; when the leader
 * closes, the other takes over.
 */
let stack: Stack;

test.beforeEach(async () => {
	stack = await startStack();
});

test.afterEach(async () => {
	await stack.close();
});

test('a second tab is read-only, follows the first, and takes over when it closes', async () => {
	const person = await openPerson();
	try {
		const first = person.page;
		await first.goto(stack.appUrl);
		await first.getByTestId('name-input').fill('Dr. Noor Halvorsen');
		await first.getByTestId('create-profile').click();
		await first.getByTestId('new-conversation').first().click();
		await first.getByTestId('title-input').fill('Intake follow-ups');
		await first.getByTestId('create-conversation').click();
		await expect(first.getByTestId('composer-input')).toBeEnabled();
		const conversationUrl = first.url();

		const second = await person.context.newPage();
		await second.goto(conversationUrl);
		await expect(second.getByTestId('read-only-banner')).toBeVisible();
		await expect(second.getByTestId('composer-input')).toBeDisabled();
		await expect(second.getByTestId('offline-banner')).toHaveCount(0);

		await first.getByTestId('composer-input').fill('Call the new client back on Monday.');
		await first.getByTestId('send-button').click();
		await expect(second.getByTestId('message-text')).toHaveText([
			'Call the new client back on Monday.'
		]);

		// The leader closes: the second tab becomes the leader and can write.
		await first.close();
		await expect(second.getByTestId('read-only-banner')).toHaveCount(0, { timeout: 30_000 });
		await expect(second.getByTestId('composer-input')).toBeEnabled();
		await second.getByTestId('composer-input').fill('Done: left a voicemail.');
		await second.getByTestId('send-button').click();
		await expect(second.locator('[data-testid="message"][data-state="delivered"]')).toHaveCount(2);

		// A conversation this device doesn't hold says so instead of loading forever.
		await second.goto(`${stack.appUrl}/c/not-a-conversation-on-this-device`);
		await expect(second.getByTestId('conversation-missing')).toBeVisible({ timeout: 15_000 });
	} finally {
		await person.context.close().catch(() => {});
		removeDir(person.dir);
	}
});
