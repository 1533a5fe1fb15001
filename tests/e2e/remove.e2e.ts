import { expect, test, type Page } from '@playwright/test';
import {
	onboard,
	openPerson,
	reloadAndUnlock,
	removeDir,
	setUpVault,
	startStack,
	type Stack
} from './stack.js';

/**
 * A therapist removes one of two clients from a group (SECURITY-RULES.md, rule 2): a
 * confirmation first; then the new epoch's key reaches only the one who stays. The removed
 * client's screen says so, and what is written afterwards never reaches it.
 */
let stack: Stack;

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

async function join(page: Page, link: string, name: string, therapist: Page) {
	await page.goto(link);
	await setUpVault(page);
	await page.getByTestId('join-name-input').fill(name);
	await page.getByTestId('join-button').click();
	await expect(therapist.getByTestId('join-request')).toContainText(name);
	await therapist.getByTestId('admit-button').click();
	await expect(page.getByTestId('composer-input')).toBeVisible({ timeout: 30_000 });
}

test('removing a member asks first, then new messages reach only those who stay', async () => {
	const therapist = await openPerson();
	const stays = await openPerson();
	const leaves = await openPerson();
	try {
		const t = therapist.page;
		await onboard(t, stack.appUrl, 'Dr. Ada Okonkwo');
		await t.getByTestId('new-conversation').first().click();
		await t.getByTestId('title-input').fill('Thursday group');
		// A group: three people (a direct conversation stays between two).
		await t.getByTestId('kind-group').check();
		await t.getByTestId('create-conversation').click();

		for (const [person, name] of [
			[stays.page, 'Sam Stays'],
			[leaves.page, 'Lee Leaves']
		] as const) {
			if (await t.locator('#invite-panel').isVisible()) await t.getByTestId('invite-button').click();
			await t.getByTestId('invite-button').click();
			const link = (await t.getByTestId('invite-link').first().inputValue()).trim();
			await join(person, link, name, t);
		}
		await send(t, 'Welcome, both of you');
		await expect(leaves.page.getByTestId('message-text')).toContainText(['Welcome, both of you']);
		await expect(stays.page.getByTestId('message-text')).toContainText(['Welcome, both of you']);

		// A client sees the people but can't remove anyone.
		await stays.page.getByTestId('people-button').click();
		await expect(stays.page.getByTestId('member')).toHaveCount(3);
		await expect(stays.page.getByTestId('remove-member')).toHaveCount(0);

		// The therapist asks to remove Lee; cancelling changes nothing.
		await t.getByTestId('people-button').click();
		const lee = t.getByTestId('member').filter({ hasText: 'Lee Leaves' });
		await lee.getByTestId('remove-member').click();
		await expect(lee.getByRole('alertdialog')).toContainText('Remove Lee Leaves from this conversation?');
		await lee.getByRole('button', { name: 'Cancel' }).click();
		await expect(t.getByTestId('member')).toHaveCount(3);

		await lee.getByTestId('remove-member').click();
		await lee.getByTestId('confirm-remove').click();
		await expect(t.getByTestId('member')).toHaveCount(2, { timeout: 30_000 });

		// Lee's device learns it from the signed chain: the notice, and no composer.
		await expect(leaves.page.getByTestId('removed-notice')).toBeVisible({ timeout: 30_000 });
		await expect(leaves.page.getByTestId('composer-input')).toHaveCount(0);

		await send(t, 'Only for those still here');
		await expect(stays.page.getByTestId('message-text')).toContainText(['Only for those still here'], {
			timeout: 30_000
		});
		await send(stays.page, 'Sam is still here');
		await expect(t.getByTestId('message-text')).toContainText(['Sam is still here'], { timeout: 30_000 });
		// Sam's list no longer shows Lee once the change arrives.
		await expect(stays.page.getByTestId('member')).toHaveCount(2, { timeout: 30_000 });

		// Lee still has the history, and nothing written after the removal (a reload too).
		await reloadAndUnlock(leaves.page);
		await expect(leaves.page.getByTestId('removed-notice')).toBeVisible({ timeout: 30_000 });
		await expect(leaves.page.getByTestId('message-text')).toHaveText(['Welcome, both of you']);
	} finally {
		for (const person of [therapist, stays, leaves]) {
			await person.context.close().catch(() => {});
			removeDir(person.dir);
		}
	}
});
