import { expect, test } from '@playwright/test';
import { closePeople, createPerson, messageWith, sendMessage, startConversation, type Person } from './people.js';
import { dumpIndexedDb, filesUnder, findInFiles, reloadAndUnlock, startStack, writeControlMarker, type Stack } from './stack.js';

/**
 * Threads, edits and delete for everyone between a therapist and a client, through the real
 * relay: replies land in the thread on both sides, an edit shows as edited with its earlier
 * version viewable, deletions take the text away on both sides (the client's own, and the
 * therapist's removal of a client's message as administrator), and neither the relay's files
 * nor either browser's storage holds any of that text in the clear.
 */

let stack: Stack;
let people: (Person | undefined)[] = [];

test.beforeEach(async () => {
	stack = await startStack();
});

test.afterEach(async () => {
	await closePeople(people);
	people = [];
	await stack.close();
});

const ROOT = 'Homework for this week: the five senses exercise.';
const REPLY = 'Thread reply: I tried it on the tram, it helped a little.';
const REPLY_EDITED = 'Thread reply edited: it helped quite a lot on the tram.';
const OWN_DELETE = 'Secret to retract: my neighbour knows about the diagnosis.';
const ADMIN_DELETE = 'Posted by mistake: full address 17 Larkspur Close.';

test('replies in a thread, edits keep history, deletions remove text everywhere, nothing in the clear', async () => {
	const therapist = await createPerson(stack, 'Dr. Hana Mirza');
	const client = await createPerson(stack, 'Oskar Lindqvist');
	people = [therapist, client];
	await startConversation(stack, therapist, [client], { title: 'Tuesday sessions' });
	const t = therapist.page;
	const c = client.page;

	// The therapist writes; the client replies in its thread.
	await sendMessage(t, ROOT);
	await messageWith(c, ROOT).getByTestId('message-more').click();
	await messageWith(c, ROOT).getByTestId('reply-button').click();
	const clientThread = c.getByTestId('thread-panel');
	await clientThread.getByTestId('thread-composer-input').fill(REPLY);
	await clientThread.getByTestId('thread-composer-send').click();
	await expect(clientThread.getByTestId('message')).toHaveCount(2);

	// The therapist sees "1 reply" on the message, not the reply in the main list.
	const replies = messageWith(t, ROOT).getByTestId('replies-button');
	await expect(replies).toBeVisible({ timeout: 30_000 });
	await expect(messageWith(t, REPLY)).toHaveCount(0);
	await replies.click();
	const therapistThread = t.getByTestId('thread-panel');
	await expect(messageWith(t, REPLY, therapistThread)).toHaveCount(1);

	// The client edits the reply: both see the new text, marked edited, with the old one kept.
	await messageWith(c, REPLY, clientThread).getByTestId('message-more').click();
	await messageWith(c, REPLY, clientThread).getByTestId('edit-button').click();
	await clientThread.getByTestId('edit-input').fill(REPLY_EDITED);
	await clientThread.getByTestId('edit-save').click();
	const edited = messageWith(t, REPLY_EDITED, therapistThread);
	await expect(edited).toHaveCount(1, { timeout: 30_000 });
	await edited.getByTestId('edited-label').click();
	await expect(edited.getByTestId('version-text')).toHaveText([REPLY]);
	// Only the author may edit: the therapist gets no edit button on it.
	await edited.getByTestId('message-more').click();
	await expect(edited.getByTestId('edit-button')).toHaveCount(0);
	await expect(edited.getByTestId('delete-button')).toHaveCount(1);

	// The client deletes their own message; the therapist removes one of the client's.
	await sendMessage(c, OWN_DELETE);
	await sendMessage(c, ADMIN_DELETE);
	await expect(messageWith(t, ADMIN_DELETE)).toHaveCount(1, { timeout: 30_000 });
	await messageWith(c, OWN_DELETE).getByTestId('message-more').click();
	await messageWith(c, OWN_DELETE).getByTestId('delete-button').click();
	await messageWith(c, OWN_DELETE).getByTestId('delete-confirm').click();
	await messageWith(t, ADMIN_DELETE).getByTestId('message-more').click();
	await messageWith(t, ADMIN_DELETE).getByTestId('delete-button').click();
	await messageWith(t, ADMIN_DELETE).getByTestId('delete-confirm').click();
	for (const page of [t, c]) {
		await expect(page.getByTestId('message-deleted')).toHaveCount(2, { timeout: 30_000 });
		await expect(page.locator('main')).not.toContainText(OWN_DELETE);
		await expect(page.locator('main')).not.toContainText(ADMIN_DELETE);
	}
	await expect(c.locator('[data-deleted="true"]').getByText(/administering member/)).toHaveCount(1);
	// The client can't delete the therapist's message.
	await messageWith(c, ROOT).getByTestId('message-more').click();
	await expect(messageWith(c, ROOT).getByTestId('delete-button')).toHaveCount(0);

	// Every device that has it shows it after a reload, too.
	await reloadAndUnlock(c);
	await expect(c.getByTestId('message-deleted')).toHaveCount(2, { timeout: 30_000 });
	await expect(messageWith(c, ROOT).getByTestId('replies-button')).toBeVisible();

	// No plaintext of replies, edits or earlier versions: relay files and both browsers.
	for (const page of [t, c]) {
		await expect(page.locator('[data-state="saving"], [data-state="saved"]')).toHaveCount(0);
	}
	const secrets = [REPLY, REPLY_EDITED, OWN_DELETE, ADMIN_DELETE, ROOT];
	expect([...findInFiles(filesUnder(stack.relay.dataDir), secrets).keys()]).toEqual([]);
	const marker = `control-${Date.now()}-thread`;
	for (const person of [therapist, client]) {
		const dump = await dumpIndexedDb(person.page);
		expect(secrets.filter((s) => dump.includes(s))).toEqual([]);
		await writeControlMarker(person.page, marker);
		expect(await dumpIndexedDb(person.page)).toContain(marker);
	}
	for (const person of [therapist, client]) {
		await person.context.close();
		const hits = findInFiles(filesUnder(person.dir), [marker, ...secrets]);
		expect(hits.has(marker), 'the profile scan finds the positive control').toBe(true);
		hits.delete(marker);
		expect(Object.fromEntries(hits)).toEqual({});
	}
});
