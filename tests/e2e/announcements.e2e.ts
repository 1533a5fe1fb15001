import { expect, test } from '@playwright/test';
import {
	expectNoPlaintext,
	messageWith,
	perTestStack,
	sendMessage,
	startConversation
} from './people.js';

/**
 * Announcements (SECURITY-RULES.md, rule 7) with three people: the owner, a client let in as a
 * reader, and a colleague the owner marked "may post". The reader has no composer but a calm
 * explanation, reacts and marks as read through the sibling document; the owner sees both; the
 * colleague posts. The owner lets the reader post from the People panel and stops them again;
 * the reader's screen follows. Neither the relay nor any browser's storage holds the text, the
 * names or the reaction in the clear.
 */

const env = perTestStack();

const TITLE = 'Harbour Street practice news';
const FIRST = 'The waiting room reopens on Monday with the new lamps.';
const SECOND = 'Reminder from Dr. Lee: bring your mood diary to group.';
const THIRD = 'Thank you all, the lamps are lovely.';

test('readers react and mark as read but cannot post; a colleague marked "may post" posts', async () => {
	const owner = await env.person('Dr. Amara Quist');
	const reader = await env.person('Tomasz Wielgosz');
	const colleague = await env.person('Dr. Lee Okonkwo');
	await startConversation(env.stack, owner, [reader, colleague], {
		title: TITLE,
		kind: 'announcements',
		posters: [colleague.name]
	});
	const o = owner.page;
	const r = reader.page;
	const c = colleague.page;

	// The reader gets no composer, only the explanation; the colleague may post.
	await expect(r.getByTestId('readers-only')).toBeVisible();
	await expect(r.getByTestId('composer-input')).toHaveCount(0);
	await expect(c.getByTestId('composer-input')).toBeVisible();

	// The owner posts; the reader reads it, which marks it read (through the sibling).
	await sendMessage(o, FIRST);
	await expect(messageWith(r, FIRST)).toHaveCount(1, { timeout: 30_000 });
	await expect(messageWith(o, FIRST).getByTestId('read-by')).toContainText(reader.name, { timeout: 30_000 });

	// The reader reacts; everybody sees it with the reader's name.
	await messageWith(r, FIRST).getByTestId('message-more').click();
	await expect(messageWith(r, FIRST).getByTestId('reply-button')).toHaveCount(0);
	await messageWith(r, FIRST).getByTestId('react-🙏').click();
	for (const page of [o, c, r]) {
		const reaction = messageWith(page, FIRST).getByTestId('reaction');
		await expect(reaction).toHaveAttribute('data-emoji', '🙏', { timeout: 30_000 });
		await expect(reaction).toHaveAttribute('aria-label', new RegExp(reader.name));
	}

	// The colleague marked "may post" posts; the reader gets it and the unread count clears.
	await sendMessage(c, SECOND);
	await expect(messageWith(r, SECOND)).toHaveCount(1, { timeout: 30_000 });
	await expect(messageWith(o, SECOND)).toHaveCount(1, { timeout: 30_000 });
	await expect(messageWith(c, SECOND).getByTestId('read-by')).toContainText(reader.name, { timeout: 30_000 });

	// "May post" after admission: the owner's People panel shows the colleague allowed, the
	// reader not, and nothing to change for the owner (administrators always post).
	await o.getByTestId('people-button').click();
	const memberBox = (name: string) => o.getByTestId('member').filter({ hasText: name }).getByTestId('member-can-post');
	await expect(memberBox(colleague.name)).toBeChecked();
	await expect(memberBox(owner.name)).toHaveCount(0);
	await expect(memberBox(reader.name)).not.toBeChecked();
	await memberBox(reader.name).check();
	await expect(r.getByTestId('composer-input')).toBeVisible({ timeout: 30_000 });
	await expect(r.getByTestId('readers-only')).toHaveCount(0);
	await sendMessage(r, THIRD);
	await expect(messageWith(o, THIRD)).toHaveCount(1, { timeout: 30_000 });
	await expect(messageWith(c, THIRD)).toHaveCount(1, { timeout: 30_000 });
	await memberBox(reader.name).uncheck();
	await expect(r.getByTestId('readers-only')).toBeVisible({ timeout: 30_000 });
	await expect(r.getByTestId('composer-input')).toHaveCount(0);

	// The reader's list shows the announcements with nothing unread, and no sibling entry.
	await r.getByRole('link', { name: 'All conversations' }).first().click();
	const items = r.getByTestId('conversation-item');
	await expect(items).toHaveCount(1);
	await expect(items.first()).toContainText(TITLE);
	await expect(items.first().getByTestId('unread-badge')).toHaveCount(0);

	await expectNoPlaintext(env.stack, [owner, reader, colleague], [FIRST, SECOND, THIRD, TITLE, reader.name, colleague.name], ['🙏']);
});
