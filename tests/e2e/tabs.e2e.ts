import { expect, test } from '@playwright/test';
import {
	onboard,
	openPerson,
	reloadAndUnlock,
	unlock,
	removeDir,
	startStack,
	type Stack
} from './stack.js';

/**
 * Two tabs of one browser (rule 11): only the leader tab talks to the relay; the other reads
 * and sends messages through the leader; when the leader closes, the other takes over without
 * losing or doubling anything.
 */
let stack: Stack;

test.beforeEach(async () => {
	stack = await startStack();
});

test.afterEach(async () => {
	await stack.close();
});

test('a second tab writes through the leader, and takes over when the leader closes', async () => {
	const person = await openPerson();
	try {
		const first = person.page;
		await onboard(first, stack.appUrl, 'Dr. Noor Halvorsen');
		await first.getByTestId('new-conversation').first().click();
		await first.getByTestId('title-input').fill('Intake follow-ups');
		await first.getByTestId('create-conversation').click();
		await expect(first.getByTestId('composer-input')).toBeEnabled();
		const conversationUrl = first.url();

		const second = await person.context.newPage();
		const secondSockets: string[] = [];
		second.on('websocket', (socket) => secondSockets.push(socket.url()));
		await second.goto(conversationUrl);
		await expect(second.getByTestId('other-tab-banner')).toBeVisible();
		await expect(second.getByTestId('offline-banner')).toHaveCount(0);

		// The second tab writes; the leader shows it and pushes it; both end up "sent".
		await second.getByTestId('composer-input').fill('Call the new client back on Monday.');
		await second.getByTestId('send-button').click();
		await expect(first.getByTestId('message-text')).toHaveText([
			'Call the new client back on Monday.'
		]);
		await expect(first.locator('[data-testid="message"][data-state="delivered"]')).toHaveCount(1);
		await expect(second.locator('[data-testid="message"][data-state="delivered"]')).toHaveCount(1);

		await first.getByTestId('composer-input').fill('Also send the intake form.');
		await first.getByTestId('send-button').click();
		await expect(second.getByTestId('message-text')).toHaveText([
			'Call the new client back on Monday.',
			'Also send the intake form.'
		]);
		expect(secondSockets, 'only the leader tab connects to the relay').toEqual([]);

		// The leader closes: the second tab takes over, connects and keeps everything once.
		await first.close();
		await expect(second.getByTestId('other-tab-banner')).toHaveCount(0, { timeout: 30_000 });
		await second.getByTestId('composer-input').fill('Done: left a voicemail.');
		await second.getByTestId('send-button').click();
		await expect(second.locator('[data-testid="message"][data-state="delivered"]')).toHaveCount(3);
		await expect(second.getByTestId('message-text')).toHaveText([
			'Call the new client back on Monday.',
			'Also send the intake form.',
			'Done: left a voicemail.'
		]);

		// An unsent draft survives a reload (kept sealed, like everything else on the device).
		await second.getByTestId('composer-input').fill('Draft: ask about the sleep diary');
		await second.waitForTimeout(800);
		await reloadAndUnlock(second);
		await expect(second.getByTestId('composer-input')).toHaveValue('Draft: ask about the sleep diary');
		await second.getByTestId('composer-input').fill('');

		// A conversation this device doesn't hold says so instead of loading forever.
		await second.goto(`${stack.appUrl}/c/not-a-conversation-on-this-device`);
		await unlock(second);
		await expect(second.getByTestId('conversation-missing')).toBeVisible({ timeout: 15_000 });
	} finally {
		await person.context.close().catch(() => {});
		removeDir(person.dir);
	}
});
