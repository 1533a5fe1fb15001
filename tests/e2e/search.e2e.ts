import { expect, test } from '@playwright/test';
import { openPair, sendMessage } from './pair.js';
import {
	dumpIndexedDb,
	filesUnder,
	findInFiles,
	startStack,
	writeControlMarker,
	type Stack
} from './stack.js';

/**
 * Search end to end: a therapist and a client talk; each finds a message of the other's among
 * many, filtered by person and conversation, jumps to it in context, and nothing they typed
 * into search lands in their browser storage.
 */

let stack: Stack;

test.beforeEach(async () => {
	stack = await startStack();
});

test.afterEach(async () => {
	await stack.close();
});

const FILLER = [
	'Thanks for the session today.',
	'We can talk about sleep next week.',
	'Remember to drink water.',
	'See you on Thursday at ten.',
	'The breathing exercise helped a little.',
	'I wrote in the journal twice.'
];
const TARGET = 'The lighthouse visualisation from Zanzibar calmed me down before the meeting.';
const RUSSIAN = 'Упражнение с маяком ПОМОГЛО, всё получилось.';

test('finds a message among others, filters by person, and jumps to it in the conversation', async () => {
	const { therapist, client, close } = await openPair(stack, {
		therapist: 'Dr. Odile Marchetti',
		client: 'Casimir Wren',
		title: 'Weekly check-in'
	});
	try {
		const t = therapist.page;
		const c = client.page;
		for (const [i, text] of FILLER.entries()) await sendMessage(i % 2 ? t : c, text);
		await sendMessage(c, TARGET);
		await sendMessage(c, RUSSIAN);
		for (const text of FILLER.slice(0, 3)) await sendMessage(t, `${text} (again)`);
		for (const page of [t, c]) {
			await expect(page.getByTestId('message')).toHaveCount(FILLER.length + 5, { timeout: 20_000 });
		}

		// Ctrl+K opens search from the conversation.
		await t.getByTestId('composer-input').blur();
		await t.keyboard.press('Control+k');
		await expect(t).toHaveURL(/\/search$/);
		const input = t.getByTestId('search-input');
		await expect(input).toBeFocused();

		// Folded words, out of order and partly typed, find the one message; the match is marked.
		await input.fill('zanzib LIGHTHOUSE');
		await expect(t.getByTestId('search-result')).toHaveCount(1);
		const snippet = t.getByTestId('search-snippet');
		await expect(snippet).toContainText('The lighthouse visualisation from Zanzibar');
		await expect(snippet.locator('mark')).toHaveText(['lighthouse', 'Zanzibar']);
		await expect(t.getByTestId('search-status')).toContainText('1 message found');

		// Cyrillic, whatever the case and «ё».
		await input.fill('помогло все');
		await expect(t.getByTestId('search-result')).toHaveCount(1);
		await expect(t.getByTestId('search-snippet').locator('mark')).toHaveText(['ПОМОГЛО', 'всё']);

		// The person filter: "again" is only in the therapist's own messages.
		await input.fill('again');
		await expect(t.getByTestId('search-result')).toHaveCount(3);
		await t.getByTestId('search-person').selectOption({ label: 'Casimir Wren' });
		await expect(t.getByTestId('search-result')).toHaveCount(0);
		await expect(t.getByTestId('search-status')).toContainText('No messages match');
		await t.getByTestId('search-person').selectOption({ label: 'Dr. Odile Marchetti (you)' });
		await expect(t.getByTestId('search-result')).toHaveCount(3);

		// A date range that ends before today finds nothing.
		await t.getByTestId('search-to').fill('2020-01-01');
		await expect(t.getByTestId('search-result')).toHaveCount(0);

		// The search words never reach the address bar.
		expect(t.url()).not.toContain('again');

		// Jump: the client finds the therapist's message and lands on it, marked and focused.
		await c.keyboard.press('Control+k');
		await expect(c).toHaveURL(/\/search$/);
		await c.getByTestId('search-input').fill('journal');
		await c.getByTestId('search-result').first().click();
		await expect(c).toHaveURL(/\/c\/[^?]+\?m=/);
		const marked = c.locator('[data-testid="message"][data-highlighted]');
		await expect(marked).toHaveCount(1);
		await expect(marked).toContainText('I wrote in the journal twice.');
		await expect(marked).toBeFocused();
		await expect(marked).toBeInViewport();

		// What was typed into search is nowhere in storage: IndexedDB dump and the profile files.
		const typed = ['zanzib LIGHTHOUSE', 'помогло все'];
		const marker = `search-control-${Date.now()}`;
		const dump = await dumpIndexedDb(t);
		expect(dump.length).toBeGreaterThan(1000);
		expect(typed.filter((s) => dump.includes(s))).toEqual([]);
		await writeControlMarker(t, marker);
		expect(await dumpIndexedDb(t)).toContain(marker);
		await therapist.context.close();
		const hits = findInFiles(filesUnder(therapist.dir), [marker, ...typed, TARGET]);
		expect(hits.has(marker), 'the profile scan finds the positive control').toBe(true);
		hits.delete(marker);
		expect(Object.fromEntries(hits)).toEqual({});
	} finally {
		await close();
	}
});
