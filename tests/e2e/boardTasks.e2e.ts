import { expect, test } from '@playwright/test';
import { onboard, openPerson, removeDir, startStack, unlock, type Stack } from './stack.js';

/**
 * "Make a task from this message": a card made from a message holds the conversation and the
 * message, the message shows the task and links to the board, the card links back, and the
 * home screen counts it when it is due today.
 */

let stack: Stack;

test.beforeEach(async () => {
	stack = await startStack();
});

test.afterEach(async () => {
	await stack.close();
});

test('a message becomes a task card, and each links to the other', async () => {
	const person = await openPerson();
	const page = person.page;
	const MESSAGE = 'Fax the referral letter to Dr. Okafor\nShe needs it before Monday.';
	try {
		await onboard(page, stack.appUrl, 'Dr. Rosalind Teague');
		await page.getByTestId('boards-link').click();
		await expect(page.getByTestId('boards-empty')).toBeVisible();
		await page.getByTestId('board-title-input').fill('Admin');
		await page.getByTestId('create-board').click();
		await expect(page.getByTestId('board-title')).toHaveText('Admin');
		const boardPath = new URL(page.url()).pathname;

		await page.goto(stack.appUrl);
		await unlock(page);
		await page.getByTestId('new-conversation').first().click();
		await page.getByTestId('title-input').fill('Referrals');
		await page.getByTestId('create-conversation').click();
		await page.getByTestId('composer-input').fill(MESSAGE);
		await page.getByTestId('send-button').click();
		await expect(page.getByTestId('message')).toHaveCount(1);
		const conversationPath = new URL(page.url()).pathname;

		await page.getByTestId('make-task').click();
		await expect(page.getByTestId('make-task-dialog')).toBeVisible();
		await page.getByTestId('make-task-confirm').click();
		const taskLink = page.getByTestId('message-task-link');
		await expect(taskLink).toHaveText('Task: Fax the referral letter to Dr. Okafor');

		await taskLink.click();
		await expect(page).toHaveURL(new RegExp(`${boardPath}$`));
		const card = page.locator('[data-card-id]', { hasText: 'Fax the referral letter' });
		await expect(card).toBeVisible();
		await card.click();
		await expect(page.getByTestId('card-description')).toHaveValue(MESSAGE);
		// Due today: the home screen's reminder counts it (and names nothing).
		const today = await page.evaluate(() => {
			const d = new Date();
			return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
		});
		await page.getByTestId('card-due').fill(today);
		await page.getByTestId('card-message-link').click();
		await expect(page).toHaveURL(new RegExp(`${conversationPath}$`));
		await expect(page.getByTestId('message-task-link')).toBeVisible();

		await page.goto(stack.appUrl);
		await unlock(page);
		await expect(page.getByTestId('due-reminder')).toContainText('1 task due today');
		await expect(page.getByTestId('due-reminder')).not.toContainText('Fax');
	} finally {
		await person.context.close().catch(() => {});
		removeDir(person.dir);
	}
});
