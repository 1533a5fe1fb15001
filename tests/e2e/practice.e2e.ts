import { expect, test, type Page } from '@playwright/test';
import { closePeople, messageWith, sendMessage, type Person } from './people.js';
import {
	dumpIndexedDb,
	filesUnder,
	findInFiles,
	openPerson,
	setUpVault,
	startStack,
	writeControlMarker,
	type Stack
} from './stack.js';

/**
 * A practice with three people in three browser profiles (issue 7): the owner starts a
 * practice, invites a clinician with the clinician role, and the clinician invites a client to
 * their own conversation. Each sees what their role allows. Then the owner makes the clinician
 * staff: the team channel's key is changed without them, announcements stop taking their
 * posts, every screen shows the new role, and they start no conversation and invite no one. As
 * staff they still react to the practice's announcements and mark them read (the sibling
 * document, rule 7), and the owner lets them post there and stops them again from the People
 * panel.
 */
let stack: Stack;
const people: (Person | undefined)[] = [];

test.beforeEach(async () => {
	stack = await startStack();
});

test.afterEach(async () => {
	await closePeople(people.splice(0));
	await stack.close();
});

const PRACTICE = 'Riverside Counselling';
const NEWS = 'The staff meeting moves to Thursday at noon.';
const FROM_DESK = 'The new scheduling forms are in the blue folder.';

async function person(name: string): Promise<Person> {
	const opened = await openPerson();
	const p = { name, ...opened };
	people.push(p);
	return p;
}

async function titles(page: Page): Promise<string[]> {
	const items = page.getByTestId('conversation-item');
	return (await items.allInnerTexts()).map((text) => text.split('\n')[0].trim()).sort();
}

/** In-app navigation: a page load would start locked (the vault). */
async function goHome(page: Page) {
	await page.getByRole('link', { name: 'Tend, go to conversations' }).click();
	await expect(page.getByRole('heading', { name: 'Conversations', level: 1 })).toBeVisible();
}

async function goSettings(page: Page) {
	await page.getByTestId('settings-link').click();
	await expect(page.getByRole('heading', { name: 'Settings', level: 1 })).toBeVisible();
}

async function openConversation(page: Page, title: string) {
	await goHome(page);
	await page.getByTestId('conversation-item').filter({ hasText: title }).click();
	await expect(page.getByRole('heading', { name: title })).toBeVisible();
}

test('owner, clinician and client each see what their role allows; a role change reaches every screen', async () => {
	test.setTimeout(240_000);
	const owner = await person('Ada Owner');
	const clinician = await person('Bo Clinician');
	const client = await person('Cy Client');
	const o = owner.page;
	const c = clinician.page;

	// The owner starts a practice at first run: the directory and three channels.
	await o.goto(stack.appUrl);
	await setUpVault(o);
	await o.getByTestId('name-input').fill(owner.name);
	await o.getByTestId('start-practice-choice').check();
	await o.getByTestId('onboarding-practice-name').fill(PRACTICE);
	await o.getByTestId('create-profile').click();
	await expect(o.getByTestId('conversation-item')).toHaveCount(3, { timeout: 30_000 });
	expect(await titles(o)).toEqual(['Announcements', 'Front desk', 'Team']);

	// Settings: the practice, the owner's role, the permissions table.
	await goSettings(o);
	await expect(o.getByTestId('practice-name')).toHaveText(PRACTICE);
	await expect(o.getByTestId('my-role')).toHaveAttribute('data-role', 'owner');
	await expect(o.getByTestId('permissions-area-team').locator('td[data-role="staff"]')).toHaveText('No access');

	// An invite with the clinician role; the role is shown to the invitee from the sealed details.
	await o.getByTestId('invite-role').selectOption('clinician');
	await o.getByTestId('create-practice-invite').click();
	const link = (await o.getByTestId('invite-link').inputValue()).trim();
	expect(link).not.toContain('clinician');
	await expect(o.getByTestId('practice-invites')).toBeVisible();

	await c.goto(link);
	await setUpVault(c);
	await expect(c.getByTestId('join-role')).toHaveAttribute('data-role', 'clinician');
	await c.getByTestId('join-name-input').fill(clinician.name);
	await c.getByTestId('join-button').click();

	// The practice asks colleagues' safety codes to be compared: letting in waits for it.
	await expect(o.getByTestId('practice-request')).toContainText(clinician.name);
	await o.getByTestId('practice-let-in').click();
	await expect(o.getByTestId('compare-first')).toBeVisible();
	await o.getByTestId('codes-match').check();
	await o.getByTestId('practice-let-in').click();
	await expect(o.getByTestId('practice-request')).toHaveCount(0, { timeout: 30_000 });

	// The clinician lands at home with the channels a clinician reads.
	await expect(c.getByTestId('conversation-item')).toHaveCount(3, { timeout: 30_000 });
	expect(await titles(c)).toEqual(['Announcements', 'Front desk', 'Team']);
	await goSettings(c);
	await expect(c.getByTestId('my-role')).toHaveAttribute('data-role', 'clinician', { timeout: 30_000 });
	await expect(c.getByTestId('member-role-select')).toHaveCount(0);
	await expect(c.getByTestId('create-practice-invite')).toHaveCount(0);
	await openConversation(c, 'Announcements');
	await expect(c.getByTestId('composer-input')).toBeVisible();

	// The clinician invites a client to their own conversation (the usual conversation invite).
	await goHome(c);
	await c.getByTestId('new-conversation').first().click();
	await c.getByTestId('title-input').fill('Cy');
	await c.getByTestId('create-conversation').click();
	await expect(c.getByTestId('connection-status')).toHaveAttribute('data-state', 'online');
	await c.getByTestId('invite-button').click();
	const clientLink = (await c.getByTestId('invite-link').first().inputValue()).trim();
	await client.page.goto(clientLink);
	await setUpVault(client.page);
	await expect(client.page.getByTestId('join-role')).toHaveAttribute('data-role', 'client');
	await client.page.getByTestId('join-name-input').fill(client.name);
	await client.page.getByTestId('join-button').click();
	await expect(c.getByTestId('join-request')).toContainText(client.name);
	await c.getByTestId('admit-button').click();
	await expect(client.page.getByRole('heading', { name: 'Cy' })).toBeVisible({ timeout: 30_000 });

	// The client has only that conversation, and no practice.
	await goHome(client.page);
	await expect(client.page.getByTestId('conversation-item')).toHaveCount(1);
	expect(await titles(client.page)).toEqual(['Cy']);
	await goSettings(client.page);
	await expect(client.page.getByTestId('practice-name')).toHaveCount(0);
	// The owner doesn't see the clinician's client conversation either.
	await goHome(o);
	expect(await titles(o)).toEqual(['Announcements', 'Front desk', 'Team']);

	// The owner asks clinicians for a passkey: the clinician's vault settings say so.
	await goSettings(o);
	await o.getByTestId('require-passkey-clinician').check();
	await goSettings(c);
	await expect(c.getByTestId('passkey-required')).toBeVisible({ timeout: 30_000 });

	// The owner makes the clinician staff.
	const row = o.getByTestId('practice-member').filter({ hasText: clinician.name });
	await row.getByTestId('member-role-select').selectOption('staff');
	await row.getByTestId('change-role').click();
	await expect(o.getByTestId('role-change-outcome')).toBeVisible({ timeout: 30_000 });
	await expect(row).toHaveAttribute('data-role', 'staff');

	// The former clinician's screens: the role, the team channel closed, announcements read-only.
	await goSettings(c);
	await expect(c.getByTestId('my-role')).toHaveAttribute('data-role', 'staff', { timeout: 30_000 });
	// Staff need no passkey here: the requirement follows the role.
	await expect(c.getByTestId('passkey-required')).toHaveCount(0);
	// Staff start no conversations and invite no one, not even into the one they made before.
	await goHome(c);
	await expect(c.getByTestId('new-by-clinicians')).toHaveText(
		'In your practice, clinicians start conversations with clients.'
	);
	await expect(c.getByTestId('new-conversation')).toHaveCount(0);
	await openConversation(c, 'Cy');
	await expect(c.getByTestId('composer-input')).toBeVisible();
	await expect(c.getByTestId('invite-button')).toHaveCount(0);
	await openConversation(c, 'Team');
	await expect(c.getByTestId('removed-notice')).toBeVisible({ timeout: 30_000 });
	await openConversation(c, 'Announcements');
	await expect(c.getByTestId('readers-only')).toBeVisible({ timeout: 30_000 });
	await expect(c.getByTestId('composer-input')).toHaveCount(0);

	// A reader of the practice's announcements reacts and marks them read (through the
	// sibling); the owner sees both, with the reader's name.
	await openConversation(o, 'Announcements');
	await sendMessage(o, NEWS);
	await expect(messageWith(c, NEWS)).toHaveCount(1, { timeout: 30_000 });
	await expect(messageWith(o, NEWS).getByTestId('read-by')).toContainText(clinician.name, { timeout: 30_000 });
	await messageWith(c, NEWS).getByTestId('message-more').click();
	await messageWith(c, NEWS).getByTestId('react-🙏').click();
	const reaction = messageWith(o, NEWS).getByTestId('reaction');
	await expect(reaction).toHaveAttribute('data-emoji', '🙏', { timeout: 30_000 });
	await expect(reaction).toHaveAttribute('aria-label', new RegExp(clinician.name));

	// The owner lets them post (People panel): the composer replaces the explanation, and what
	// they post arrives. Stopped again, the explanation is back.
	await o.getByTestId('people-button').click();
	const mayPost = o.getByTestId('member').filter({ hasText: clinician.name }).getByTestId('member-can-post');
	await expect(mayPost).not.toBeChecked();
	await expect(o.getByTestId('member').filter({ hasText: owner.name }).getByTestId('member-can-post')).toHaveCount(0);
	await mayPost.check();
	await expect(c.getByTestId('composer-input')).toBeVisible({ timeout: 30_000 });
	await sendMessage(c, FROM_DESK);
	await expect(messageWith(o, FROM_DESK)).toHaveCount(1, { timeout: 30_000 });
	await mayPost.uncheck();
	await expect(c.getByTestId('readers-only')).toBeVisible({ timeout: 30_000 });
	await expect(c.getByTestId('composer-input')).toHaveCount(0);
	await expect(mayPost).not.toBeChecked();
	// Scheduling is theirs in both roles.
	await openConversation(c, 'Front desk');
	await expect(c.getByTestId('composer-input')).toBeVisible();

	// What the team writes after the change doesn't reach them; the owner still reads and writes.
	await openConversation(o, 'Team');
	await o.getByTestId('composer-input').fill('After the role change');
	await o.getByTestId('send-button').click();
	await expect(o.getByTestId('message').filter({ hasText: 'After the role change' })).toBeVisible();
	// A later message in a channel they still read arrives: by then the team's would have too.
	await openConversation(o, 'Front desk');
	await o.getByTestId('composer-input').fill('Desk after the change');
	await o.getByTestId('send-button').click();
	await openConversation(c, 'Front desk');
	await expect(c.getByTestId('message').filter({ hasText: 'Desk after the change' })).toBeVisible({ timeout: 30_000 });
	await openConversation(c, 'Team');
	await expect(c.getByTestId('message').filter({ hasText: 'After the role change' })).toHaveCount(0);

	// The owner removes them from the practice, after a confirmation: every channel they read
	// gets a new key without them.
	await goSettings(o);
	await row.getByTestId('remove-member').click();
	await row.getByTestId('confirm-remove-member').click();
	await expect(o.getByTestId('remove-outcome')).toBeVisible({ timeout: 30_000 });
	await expect(o.getByTestId('practice-member').filter({ hasText: clinician.name })).toHaveCount(0);
	await openConversation(c, 'Front desk');
	await expect(c.getByTestId('removed-notice')).toBeVisible({ timeout: 30_000 });

	// No practice name, person name or role in clear: the relay's files, a raw IndexedDB dump
	// of each device, and each profile on disk; the same scans find a marker written in clear.
	// The reaction's emoji is searched in the relay and IndexedDB only: the profile's cache holds
	// the app's own emoji list.
	const names = [PRACTICE, owner.name, clinician.name, client.name, NEWS, FROM_DESK];
	const relayHits = findInFiles(filesUnder(stack.relay.dataDir), [...names, 'clinician', '🙏']);
	expect([...relayHits.keys()]).toEqual([]);
	const marker = `positive-control-${Date.now()}-Ω`;
	for (const page of [o, c]) {
		await writeControlMarker(page, marker);
		const dump = await dumpIndexedDb(page);
		expect(dump).toContain(marker);
		expect([...names, 'clinician', '🙏'].filter((text) => dump.includes(text))).toEqual([]);
	}
	for (const p of [owner, clinician]) {
		await p.context.close();
		// The role names are in the app's own code, which the profile caches: names only here.
		const hits = findInFiles(filesUnder(p.dir), [marker, ...names]);
		expect(hits.has(marker), 'the profile scan finds the positive control').toBe(true);
		hits.delete(marker);
		expect(Object.fromEntries(hits)).toEqual({});
	}
});
