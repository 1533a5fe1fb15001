import { expect, test, type Page } from '@playwright/test';
import { onboard, openPerson, removeDir, setUpVault, startStack, unlock, type Stack } from './stack.js';

/**
 * A therapist declines someone who claimed an invite (the wrong person had the link, or the
 * safety codes didn't match): the person waiting is told that the practice didn't confirm their
 * device (not that the invite was cancelled), is not let in, and can stop waiting.
 */
let stack: Stack;

test.beforeEach(async () => {
	stack = await startStack();
});

test.afterEach(async () => {
	await stack.close();
});

/** The therapist's new conversation, with its first invite link. */
async function therapistWithInvite(t: Page): Promise<string> {
	await onboard(t, stack.appUrl, 'Dr. Ada Okonkwo');
	await t.getByTestId('new-conversation').first().click();
	await t.getByTestId('title-input').fill('Sleep diary');
	await t.getByTestId('create-conversation').click();
	await expect(t.getByTestId('connection-status')).toHaveAttribute('data-state', 'online');
	await t.getByTestId('invite-button').click();
	return (await t.getByTestId('invite-link').inputValue()).trim();
}

test('a declined request tells the person waiting and lets nobody in', async () => {
	const therapist = await openPerson();
	const stranger = await openPerson();
	try {
		const t = therapist.page;
		const link = await therapistWithInvite(t);

		const s = stranger.page;
		await s.goto(link);
		await setUpVault(s);
		await s.getByTestId('join-name-input').fill('Not The Client');
		await s.getByTestId('join-button').click();
		await expect(s.getByTestId('join-phase')).toHaveAttribute('data-phase', 'waiting');

		await expect(t.getByTestId('join-request')).toContainText('Not The Client');
		await t.getByTestId('decline-button').click();
		await expect(t.getByTestId('join-request')).toHaveCount(0);

		// Told that this device wasn't confirmed, not that the invite was cancelled.
		const phase = s.getByTestId('join-phase');
		await expect(phase).toHaveAttribute('data-phase', 'declined', { timeout: 30_000 });
		await expect(phase.getByRole('heading')).toHaveText("This device wasn't confirmed");
		await expect(phase).toContainText("The practice didn't confirm this device");
		await expect(phase).toContainText('Dr. Ada Okonkwo can send you a new link');
		await expect(phase).not.toContainText('cancelled');

		// Nothing left waiting, nothing joined.
		await s.goto(stack.appUrl);
		await unlock(s);
		await expect(s.getByTestId('pending-join')).toHaveCount(0);
		await expect(s.getByTestId('conversation-item')).toHaveCount(0);

		// Opening the link again later says the same (the relay tells this device alone).
		await s.goto(link);
		await unlock(s);
		await expect(phase).toHaveAttribute('data-phase', 'declined');
		await expect(phase.getByRole('heading')).toHaveText("This device wasn't confirmed");

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
