import { expect, test } from '@playwright/test';
import { onboard, openPerson, removeDir, setUpVault, startStack, unlock, type Stack } from './stack.js';

/**
 * A therapist declines someone who claimed an invite (the wrong person had the link, or the
 * safety codes didn't match): the person waiting is told, is not let in, and can stop waiting.
 */
let stack: Stack;

test.beforeEach(async () => {
	stack = await startStack();
});

test.afterEach(async () => {
	await stack.close();
});

test('a declined request tells the person waiting and lets nobody in', async () => {
	const therapist = await openPerson();
	const stranger = await openPerson();
	try {
		const t = therapist.page;
		await onboard(t, stack.appUrl, 'Dr. Ada Okonkwo');
		await t.getByTestId('new-conversation').first().click();
		await t.getByTestId('title-input').fill('Sleep diary');
		await t.getByTestId('create-conversation').click();
		await t.getByTestId('invite-button').click();
		const link = (await t.getByTestId('invite-link').inputValue()).trim();

		const s = stranger.page;
		await s.goto(link);
		await setUpVault(s);
		await s.getByTestId('join-name-input').fill('Not The Client');
		await s.getByTestId('join-button').click();
		await expect(s.getByTestId('join-phase')).toHaveAttribute('data-phase', 'waiting');

		await expect(t.getByTestId('join-request')).toContainText('Not The Client');
		await t.getByTestId('decline-button').click();
		await expect(t.getByTestId('join-request')).toHaveCount(0);

		await expect(s.getByTestId('join-phase')).toHaveAttribute('data-phase', 'revoked', {
			timeout: 30_000
		});
		await s.goto(stack.appUrl);
		await unlock(s);
		await expect(s.getByTestId('pending-join')).toHaveCount(0);
		await expect(s.getByTestId('conversation-item')).toHaveCount(0);
	} finally {
		await therapist.context.close().catch(() => {});
		await stranger.context.close().catch(() => {});
		removeDir(therapist.dir);
		removeDir(stranger.dir);
	}
});
