import { expect, test, type BrowserContext, type Locator, type Page } from '@playwright/test';
import { writeFileSync } from 'node:fs';
import {
	dumpIndexedDb,
	filesUnder,
	findInFiles,
	onboard,
	openPerson,
	removeDir,
	startStack,
	unlock,
	writeControlMarker,
	type Stack
} from './stack.js';

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
	options: {
		title: string;
		kind?: 'direct' | 'group' | 'announcements';
		/** Announcements: the guests (by name) the admin marks "may post" when letting them in. */
		posters?: string[];
	}
): Promise<void> {
	const a = admin.page;
	await a.getByTestId('new-conversation').first().click();
	await a.getByTestId('title-input').fill(options.title);
	if (options.kind) await a.getByTestId(`kind-${options.kind}`).check();
	await a.getByTestId('create-conversation').click();
	await expect(a.getByTestId('connection-status')).toHaveAttribute('data-state', 'online');
	const invite = a.getByTestId('invite-button');
	for (const guest of guests) {
		const mayPost = options.kind === 'announcements' && options.posters?.includes(guest.name);
		await letIn(admin, guest, options.title, { mayPost });
		// A used link is gone from the panel; the next guest gets a fresh one.
		if ((await invite.getAttribute('aria-expanded')) === 'true') await invite.click();
	}
}

/**
 * A fresh relay and app server for each test of the file, and the people a test makes with
 * `person()`, closed after it. Call once at the top of a spec file.
 */
export function perTestStack() {
	let current: Stack | undefined;
	const made: Person[] = [];
	test.beforeEach(async () => {
		current = await startStack();
	});
	test.afterEach(async ({}, info) => {
		// TEND_DEBUG_DUMP=FILE keeps the relay's log of a failed test (ids, sizes and timings only).
		if (info.status !== info.expectedStatus && process.env.TEND_DEBUG_DUMP && current) {
			writeFileSync(process.env.TEND_DEBUG_DUMP, current.relay.logs.join('\n'));
		}
		await closePeople(made.splice(0));
		await current?.close();
		current = undefined;
	});
	return {
		get stack(): Stack {
			if (!current) throw new Error('the stack exists only while a test runs');
			return current;
		},
		async person(name: string): Promise<Person> {
			const person = await createPerson(this.stack, name);
			made.push(person);
			return person;
		}
	};
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

/** The texts of the messages in the main list, in the order shown. */
export async function messageTexts(page: Page): Promise<string[]> {
	return page
		.getByRole('log', { name: 'Messages' })
		.getByTestId('message-text')
		.evaluateAll((nodes) => nodes.map((node) => node.textContent ?? ''));
}

/**
 * The admin, on an existing conversation's page, invites `guest` and lets them in; ends with
 * the guest on the conversation's page.
 */
export async function letIn(
	admin: Person,
	guest: Person,
	title: string,
	options: { mayPost?: boolean } = {}
): Promise<void> {
	const a = admin.page;
	const invite = a.getByTestId('invite-button');
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
	if (options.mayPost) await a.getByTestId('can-post').check();
	await a.getByTestId('admit-button').click();
	await expect(guest.page.getByRole('heading', { name: title })).toBeVisible({ timeout: 30_000 });
}

/**
 * The message item whose text contains `text`: in the main list (the log labelled
 * "Messages"; the thread panel has its own), or within a given panel.
 */
export function messageWith(page: Page, text: string, within?: Locator) {
	const scope = within ?? page.getByRole('log', { name: 'Messages' });
	return scope.getByTestId('message').filter({ hasText: text });
}

/**
 * The plaintext scans of ../shared/TESTING.md for a test's secrets: the relay's files, every
 * IndexedDB database of each person's origin (raw dump), then each closed profile on disk, with
 * a marker written in clear through IndexedDB as the positive control of both browser scans.
 * `storageOnly` are searched in the relay and the IndexedDB dump but not the profile files,
 * whose service-worker cache holds the app's own code (its emoji list, its strings).
 * Closes the people's browsers.
 */
export async function expectNoPlaintext(
	stack: Stack,
	people: Person[],
	secrets: string[],
	storageOnly: string[] = []
): Promise<void> {
	for (const person of people) {
		await expect(person.page.locator('[data-state="saving"], [data-state="saved"]')).toHaveCount(0, {
			timeout: 30_000
		});
	}
	const relayHits = findInFiles(filesUnder(stack.relay.dataDir), [...secrets, ...storageOnly]);
	expect([...relayHits.keys()], 'plaintext in the relay files').toEqual([]);
	const marker = `control-${Date.now()}-${Math.random().toString(36).slice(2)}`;
	for (const person of people) {
		const dump = await dumpIndexedDb(person.page);
		expect([...secrets, ...storageOnly].filter((s) => dump.includes(s)), `plaintext in ${person.name}'s IndexedDB`).toEqual([]);
		await writeControlMarker(person.page, marker);
		expect(await dumpIndexedDb(person.page), 'the IndexedDB dump finds the positive control').toContain(marker);
	}
	for (const person of people) {
		await person.context.close();
		const hits = findInFiles(filesUnder(person.dir), [marker, ...secrets]);
		expect(hits.has(marker), 'the profile scan finds the positive control').toBe(true);
		hits.delete(marker);
		expect(Object.fromEntries(hits), `plaintext in ${person.name}'s profile`).toEqual({});
	}
}
