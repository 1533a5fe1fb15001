import { expect, type BrowserContext, type Locator, type Page } from '@playwright/test';
import { onboard, openPerson, removeDir, unlock, type Stack } from './stack.js';

/**
 * The set-up most conversation tests share: an administering person creates a conversation and
 * lets one or more others in through invites, each in their own persistent browser profile.
 */
export interface Person {
	name: string;
	page: Page;
	context: BrowserContext;
	dir: string;
}

export async function createPerson(stack: Stack, name: string): Promise<Person> {
	const person = await openPerson();
	await onboard(person.page, stack.appUrl, name);
	await expect(person.page.getByTestId('new-conversation').first()).toBeVisible();
	return { name, ...person };
}

/** The admin creates a conversation of `kind` and lets each guest in; all end on its page. */
export async function startConversation(
	stack: Stack,
	admin: Person,
	guests: Person[],
	options: { title: string; kind?: 'direct' | 'group' | 'announcements' }
): Promise<void> {
	const a = admin.page;
	await a.getByTestId('new-conversation').first().click();
	await a.getByTestId('title-input').fill(options.title);
	if (options.kind) await a.getByTestId(`kind-${options.kind}`).check();
	await a.getByTestId('create-conversation').click();
	await expect(a.getByTestId('connection-status')).toHaveAttribute('data-state', 'online');
	const invite = a.getByTestId('invite-button');
	for (const guest of guests) {
		if ((await invite.getAttribute('aria-expanded')) !== 'true') await invite.click();
		const field = a.getByTestId('invite-link').first();
		await expect(field).toBeVisible();
		await expect(field).not.toHaveValue('');
		const link = (await field.inputValue()).trim();
		// Opening the link loads the page afresh, and a fresh page starts locked (the vault).
		await guest.page.goto(link);
		await unlock(guest.page);
		await guest.page.getByTestId('join-button').click();
		await expect(a.getByTestId('join-request')).toContainText(guest.name);
		await a.getByTestId('admit-button').click();
		await expect(guest.page.getByRole('heading', { name: options.title })).toBeVisible({ timeout: 30_000 });
		// A used link is gone from the panel; the next guest gets a fresh one.
		if ((await invite.getAttribute('aria-expanded')) === 'true') await invite.click();
	}
}

export async function closePeople(people: (Person | undefined)[]): Promise<void> {
	for (const person of people) {
		if (!person) continue;
		await person.context.close().catch(() => {});
		removeDir(person.dir);
	}
}

/** Sends a message from the main composer and waits until it shows. */
export async function sendMessage(page: Page, text: string): Promise<void> {
	const before = await page.getByTestId('message').count();
	await page.getByTestId('composer-input').fill(text);
	await page.getByTestId('send-button').click();
	await expect(page.getByTestId('message')).toHaveCount(before + 1);
}

/**
 * The message item whose text contains `text`: in the main list (the log labelled
 * "Messages"; the thread panel has its own), or within a given panel.
 */
export function messageWith(page: Page, text: string, within?: Locator) {
	const scope = within ?? page.getByRole('log', { name: 'Messages' });
	return scope.getByTestId('message').filter({ hasText: text });
}
