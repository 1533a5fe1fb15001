import { expect, test, type Page } from '@playwright/test';
import { onboard, openPerson, removeDir, setUpVault, startStack, unlock, type Stack } from './stack.js';

/**
 * Invites that don't end with someone let in. A therapist declines someone who claimed an invite
 * (the wrong person had the link, or the safety codes didn't match): the person waiting is told
 * that the practice didn't confirm their device (not that the invite was cancelled), is not let
 * in, and can stop waiting. And a new device opening a link that was already used, cancelled, or
 * can't be checked right now learns it before choosing a passphrase.
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

/** Creates another invite link in the open invite panel and returns it. */
async function newLink(t: Page): Promise<string> {
	await t.getByRole('button', { name: 'Create invite link' }).click();
	const field = t.locator('[data-testid="invite"][data-state="open"]').getByTestId('invite-link');
	await expect(field).toHaveCount(1);
	return (await field.inputValue()).trim();
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

test('a new device learns that a link was used or cancelled, or cannot be checked, before its passphrase', async () => {
	const therapist = await openPerson();
	const client = await openPerson();
	const latecomer = await openPerson();
	try {
		const t = therapist.page;
		const used = await therapistWithInvite(t);

		// The client uses the link (and waits to be let in).
		const c = client.page;
		await c.goto(used);
		await setUpVault(c);
		await c.getByTestId('join-name-input').fill('Sam Ortiz');
		await c.getByTestId('join-button').click();
		await expect(c.getByTestId('join-phase')).toHaveAttribute('data-phase', 'waiting');

		// Someone else opens the same link on a new device: told at once, no passphrase asked.
		const l = latecomer.page;
		const precheck = l.getByTestId('invite-precheck');
		await l.goto(used);
		await expect(precheck).toHaveAttribute('data-state', 'claimed');
		await expect(precheck.getByRole('heading')).toHaveText('This invite link was already used');
		await expect(precheck).toContainText('Ask Dr. Ada Okonkwo for a new link');
		await expect(l.getByTestId('vault-setup')).toHaveCount(0);
		// The secret left the address bar before anything else (rule 1).
		expect(new URL(l.url()).hash).toBe('');

		// A link the therapist cancelled before anyone used it (the used one stays, claimed).
		const openInvites = t.locator('[data-testid="invite"][data-state="open"]');
		await expect(t.locator('[data-testid="invite"][data-state="claimed"]')).toHaveCount(1);
		await expect(openInvites).toHaveCount(0);
		const cancelled = await newLink(t);
		expect(cancelled).not.toBe(used);
		await openInvites.getByRole('button', { name: 'Cancel this link' }).click();
		await expect(openInvites).toHaveCount(0);
		await l.goto(cancelled);
		await expect(precheck).toHaveAttribute('data-state', 'revoked');
		await expect(precheck.getByRole('heading')).toHaveText('This invite was cancelled');
		await expect(l.getByTestId('vault-setup')).toHaveCount(0);

		// An open link while the relay can't be reached: said calmly, with a way to try again.
		const open = await newLink(t);
		stack.proxy.cut();
		await l.goto(open);
		await expect(precheck).toHaveAttribute('data-state', 'offline', { timeout: 30_000 });
		await expect(precheck.getByRole('heading')).toHaveText("Can't reach Tend right now");
		await expect(l.getByTestId('vault-setup')).toHaveCount(0);
		// Still cut: trying again says the same.
		await l.getByTestId('invite-precheck-retry').click();
		await expect(precheck).toHaveAttribute('data-state', 'offline', { timeout: 30_000 });

		stack.proxy.restore();
		await l.getByTestId('invite-precheck-retry').click();
		await expect(l.getByTestId('vault-setup')).toBeVisible({ timeout: 30_000 });
		// The open invite goes on as before: passphrase, then the join form.
		await setUpVault(l);
		await expect(l.getByTestId('join-phase')).toHaveAttribute('data-phase', 'ready');
	} finally {
		for (const person of [therapist, client, latecomer]) {
			await person.context.close().catch(() => {});
			removeDir(person.dir);
		}
	}
});
