import { expect, type BrowserContext, type Page } from '@playwright/test';
import {
	onboard,
	openPerson,
	removeDir,
	setUpVault,
	type PersonOptions,
	type Stack
} from './stack.js';

/**
 * Two people in two persistent Chromium profiles, connected the way the app does it: the
 * therapist creates a conversation and an invite, the client joins, the therapist lets them in.
 */

export interface Person {
	context: BrowserContext;
	page: Page;
	dir: string;
}

/** Sets up a fresh profile: the passphrase (vault), then the name. */
export async function createProfile(page: Page, appUrl: string, name: string): Promise<void> {
	await onboard(page, appUrl, name);
	await expect(page.getByTestId('new-conversation').first()).toBeVisible();
}

export async function createConversation(
	page: Page,
	title: string,
	kind?: 'direct' | 'group' | 'announcements'
): Promise<string> {
	await page.getByTestId('new-conversation').first().click();
	await page.getByTestId('title-input').fill(title);
	if (kind) await page.getByTestId(`kind-${kind}`).check();
	await page.getByTestId('create-conversation').click();
	await expect(page.getByTestId('composer-input')).toBeVisible();
	return page.url();
}

export async function readInviteLink(page: Page): Promise<string> {
	const field = page.getByTestId('invite-link');
	await expect(field).toBeVisible();
	const value = await field.evaluate((node) =>
		node instanceof HTMLInputElement || node instanceof HTMLTextAreaElement
			? node.value
			: (node.textContent ?? '')
	);
	return value.trim();
}

/** The therapist (already on the conversation page) invites `client`, who joins and is let in. */
export async function inviteAndAdmit(therapist: Page, client: Page, clientName: string): Promise<void> {
	await expect(therapist.getByTestId('connection-status')).toHaveAttribute('data-state', 'online');
	await therapist.getByTestId('invite-button').click();
	const link = await readInviteLink(therapist);
	await therapist.getByTestId('invite-button').click();
	await client.goto(link);
	// A fresh device chooses its passphrase first; one that has a vault is already unlocked
	// (another tab) or shows the lock screen, which the caller unlocks.
	const setup = client.getByTestId('vault-setup');
	await expect(setup.or(client.getByTestId('join-phase'))).toBeVisible({ timeout: 30_000 });
	if (await setup.isVisible()) await setUpVault(client);
	await expect(client.getByTestId('join-phase')).toHaveAttribute('data-phase', 'ready');
	await client.getByTestId('join-name-input').fill(clientName);
	await client.getByTestId('join-button').click();
	await expect(client.getByTestId('join-phase')).toHaveAttribute('data-phase', 'waiting');
	await therapist.getByTestId('admit-button').click();
	await expect(client.getByTestId('composer-input')).toBeVisible();
}

/** Sends `text` and waits until it shows as this person's newest message. */
export async function sendMessage(page: Page, text: string): Promise<void> {
	await page.getByTestId('composer-input').fill(text);
	await page.getByTestId('send-button').click();
	await expect(
		page.locator('[data-testid="message"][data-mine="true"]').last().getByTestId('message-text')
	).toHaveText(text);
}

/** Opens a therapist and a client in one conversation titled `title`. */
export async function openPair(
	stack: Stack,
	names: { therapist: string; client: string; title: string; kind?: 'direct' | 'group' | 'announcements' },
	options: { client?: PersonOptions } = {}
): Promise<{ therapist: Person; client: Person; close: () => Promise<void> }> {
	const therapist = await openPerson();
	const client = await openPerson(options.client);
	const close = async () => {
		for (const person of [therapist, client]) {
			await person.context.close().catch(() => {});
			removeDir(person.dir);
		}
	};
	try {
		await createProfile(therapist.page, stack.appUrl, names.therapist);
		await createConversation(therapist.page, names.title, names.kind);
		await inviteAndAdmit(therapist.page, client.page, names.client);
	} catch (error) {
		await close();
		throw error;
	}
	return { therapist, client, close };
}
