import { expect, test, type Page } from '@playwright/test';
import { onboard, openPerson, removeDir, setUpVault, startStack, type Stack } from './stack.js';

/**
 * Presence between two browsers through the real relay: each sees the other online in the
 * conversation's member line, and "… is typing" (an aria-live region) while the other composes,
 * cleared when the message is sent or the text box is left. The frames themselves are sealed
 * and never stored (tests/integration/relay/presence.test.ts scans the relay's files).
 */

const THERAPIST = 'Dr. Noor Haddad';
const CLIENT = 'Ilse Jansen';
const TITLE = 'Between sessions';

let stack: Stack;

test.beforeEach(async () => {
	stack = await startStack();
});

test.afterEach(async () => {
	await stack.close();
});

/** The member entry for `name` in the conversation header. */
const member = (page: Page, name: string) =>
	page.getByTestId('header-member').filter({ hasText: name });

test('two people see each other online and typing, and typing clears on send and on blur', async () => {
	const therapist = await openPerson();
	const client = await openPerson();
	try {
		const t = therapist.page;
		await onboard(t, stack.appUrl, THERAPIST);
		await t.getByTestId('new-conversation').first().click();
		await t.getByTestId('title-input').fill(TITLE);
		await t.getByTestId('create-conversation').click();
		await expect(t.getByTestId('connection-status')).toHaveAttribute('data-state', 'online');
		await t.getByTestId('invite-button').click();
		const field = t.getByTestId('invite-link');
		await expect(field).toBeVisible();
		const link = (
			await field.evaluate((node) =>
				node instanceof HTMLInputElement || node instanceof HTMLTextAreaElement
					? node.value
					: (node.textContent ?? '')
			)
		).trim();

		const c = client.page;
		await c.goto(link);
		await setUpVault(c);
		await c.getByTestId('join-name-input').fill(CLIENT);
		await c.getByTestId('join-button').click();
		await expect(t.getByTestId('join-request')).toContainText(CLIENT);
		await t.getByTestId('admit-button').click();
		await expect(c.getByRole('heading', { name: TITLE })).toBeVisible();

		// Online, both ways: the dot is filled and says so to screen readers.
		await expect(member(t, CLIENT)).toHaveAttribute('data-online', 'true', { timeout: 30_000 });
		await expect(member(c, THERAPIST)).toHaveAttribute('data-online', 'true', { timeout: 30_000 });
		await expect(member(c, THERAPIST).getByRole('img', { name: 'online' })).toBeVisible();

		// Typing shows in a polite live region on the other side, and clears when sent.
		const typing = c.getByTestId('typing');
		await expect(typing).toHaveAttribute('aria-live', 'polite');
		await expect(typing).toHaveText('');
		await t.getByTestId('composer-input').pressSequentially('Running five minutes late', { delay: 20 });
		await expect(typing).toHaveText(`${THERAPIST} is typing…`);
		await t.getByTestId('send-button').click();
		await expect(c.getByTestId('message').last()).toContainText('Running five minutes late');
		await expect(typing).toHaveText('');

		// Leaving the text box clears it too, before the idle timeout would.
		await t.getByTestId('composer-input').pressSequentially('One more thing', { delay: 20 });
		await expect(typing).toHaveText(`${THERAPIST} is typing…`);
		await t.getByRole('heading', { name: TITLE }).click();
		await expect(typing).toHaveText('', { timeout: 4000 });
		// The client still sees the therapist online, and the therapist never sees themself typing.
		await expect(member(c, THERAPIST)).toHaveAttribute('data-online', 'true');
		await expect(t.getByTestId('typing')).toHaveText('');
	} finally {
		await therapist.context.close().catch(() => {});
		await client.context.close().catch(() => {});
		removeDir(therapist.dir);
		removeDir(client.dir);
	}
});
