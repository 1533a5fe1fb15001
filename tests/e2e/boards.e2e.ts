import { expect, test, type Download, type Page } from '@playwright/test';
import {
	dumpIndexedDb,
	encodings,
	filesUnder,
	findInFiles,
	onboard,
	openPerson,
	reloadAndUnlock,
	removeDir,
	setUpVault,
	startStack,
	writeControlMarker,
	type Stack
} from './stack.js';
import { TcpProxy } from '../helpers/tcpProxy.js';
import { readFileSync } from 'node:fs';
import { verifyArchiveFile } from '../../src/lib/audit/archive.js';
import { readyCrypto } from '../../src/lib/crypto/sodium.js';

/**
 * Task boards end to end: a therapist and a colleague in two persistent Chromium profiles,
 * through the real relay. Create a board, add cards, invite the colleague, move cards with the
 * keyboard only and with the "Move to…" dialog, then both drag cards (the same card to two
 * different columns, among others) while the colleague is cut off from the relay; after the
 * connection returns both boards are identical and every card is in exactly one place. Card
 * text, labels and names are found nowhere in the relay's files or the browsers' storage.
 */

const THERAPIST = 'Dr. Philippa Ashgrove';
const COLLEAGUE = 'Ignatius Marlowe';
const BOARD = 'Intake steps for the Wednesday group';
const CARDS = ['Send consent form to Wren', 'Book room 4B', 'Call insurer about claim', 'Print worksheets'];
const LABEL = 'paperwork-urgent';
const DESCRIPTION = 'Wren prefers a call after 5pm; mention the sliding scale.';
const COMMENT = '**Bring the worksheet** <img src=x onerror="window.__pwned=1"> [x](javascript:window.__pwned=2)';
const FILE_NAME = 'wren-intake-questionnaire.txt';
const FILE_TEXT = 'Questionnaire answers: sleeps four hours, panic on the tram since March.';

let stack: Stack;

test.beforeAll(async () => {
	await readyCrypto();
});

test.beforeEach(async () => {
	stack = await startStack();
});

test.afterEach(async () => {
	await stack.close();
});

type Shown = { title: string; cards: string[] }[];

/** The board as a person sees it: each column's name and its card titles, in order. */
async function shownBoard(page: Page): Promise<Shown> {
	return page.getByTestId('column').evaluateAll((columns) =>
		columns.map((column) => ({
			title: column.querySelector('h2')?.firstChild?.textContent?.trim() ?? '',
			cards: Array.from(column.querySelectorAll('[data-testid="card-title"]')).map(
				(node) => node.textContent ?? ''
			)
		}))
	);
}

function cardTile(page: Page, title: string) {
	return page.locator(`[data-testid="card"][data-card-title="${title}"]`);
}

/** Drags a card with the mouse (pointer events) onto a column, above `before` or at its end. */
async function dragCard(page: Page, title: string, column: number, before?: string) {
	const from = await cardTile(page, title).locator('[data-testid="card-title"]').boundingBox();
	const columnBox = await page.getByTestId('column').nth(column).boundingBox();
	if (!from || !columnBox) throw new Error('nothing to drag');
	let to = { x: columnBox.x + columnBox.width / 2, y: columnBox.y + columnBox.height - 60 };
	if (before) {
		const target = await cardTile(page, before).boundingBox();
		if (!target) throw new Error('no drop target');
		to = { x: target.x + target.width / 2, y: target.y + 4 };
	}
	await page.mouse.move(from.x + 10, from.y + from.height / 2);
	await page.mouse.down();
	await page.mouse.move(from.x + 30, from.y + from.height / 2 + 10, { steps: 3 });
	await page.mouse.move(to.x, to.y, { steps: 8 });
	await page.mouse.up();
}

async function addCard(page: Page, column: number, title: string) {
	const input = page.getByTestId('column').nth(column).getByTestId('add-card');
	await input.fill(title);
	await input.press('Enter');
	await expect(cardTile(page, title)).toHaveCount(1);
}

function everyCardOnce(board: Shown): boolean {
	const all = board.flatMap((c) => c.cards);
	return new Set(all).size === all.length;
}

test('two people move cards on a shared board, one of them offline; boards end identical, nothing leaks', async () => {
	const therapist = await openPerson();
	const colleague = await openPerson();
	// The colleague reaches the relay through a proxy of their own, so cutting it takes only the
	// colleague offline (an open WebSocket ignores context.setOffline: TESTING.md).
	const colleagueProxy = await TcpProxy.start(stack.relay.port);
	await colleague.context.route('**/config.json', (route) =>
		route.fulfill({ json: { relayUrl: `ws://localhost:${colleagueProxy.port}` } })
	);
	try {
		const t = therapist.page;
		const c = colleague.page;
		await onboard(t, stack.appUrl, THERAPIST);
		await t.getByTestId('boards-link').click();
		await t.getByTestId('board-title-input').fill(BOARD);
		await t.getByTestId('create-board').click();
		await expect(t.getByTestId('board-title')).toHaveText(BOARD);
		// The starting columns come from the board's first change.
		expect((await shownBoard(t)).map((col) => col.title)).toEqual(['To do', 'Doing', 'Done']);
		for (const title of CARDS) await addCard(t, 0, title);
		const boardUrl = t.url();
		await expect(t.getByTestId('connection-status')).toHaveAttribute('data-state', 'online');

		// Keyboard only: Alt+→ moves a card to the next column, Alt+↑ up within it.
		await t.locator(`[data-card-id]`, { hasText: CARDS[3] }).focus();
		await t.keyboard.press('Alt+ArrowRight');
		await expect(t.getByTestId('board-announcement')).toContainText(CARDS[3]);
		await expect(t.locator(`[data-card-id]`, { hasText: CARDS[3] })).toBeFocused();
		await t.locator(`[data-card-id]`, { hasText: CARDS[2] }).focus();
		await t.keyboard.press('Alt+ArrowUp');
		await expect.poll(() => shownBoard(t)).toEqual([
			{ title: 'To do', cards: [CARDS[0], CARDS[2], CARDS[1]] },
			{ title: 'Doing', cards: [CARDS[3]] },
			{ title: 'Done', cards: [] }
		]);
		// The "Move to…" dialog, with the keyboard: Tab to the button, pick a column, confirm.
		await t.locator(`[data-card-id]`, { hasText: CARDS[1] }).focus();
		await t.keyboard.press('Tab');
		await expect(cardTile(t, CARDS[1]).getByTestId('move-menu')).toBeFocused();
		await t.keyboard.press('Enter');
		await expect(t.getByTestId('move-dialog')).toBeVisible();
		const columnSelect = t.getByTestId('move-dialog').getByLabel('Column');
		await expect(columnSelect).toBeFocused();
		await t.keyboard.press('ArrowDown');
		await t.keyboard.press('ArrowDown');
		await expect(columnSelect).toHaveValue(/.+/);
		for (let i = 0; i < 3; i++) await t.keyboard.press('Tab');
		await expect(t.getByTestId('move-confirm')).toBeFocused();
		await t.keyboard.press('Enter');
		await expect(t.getByTestId('move-dialog')).toBeHidden();
		await expect.poll(async () => (await shownBoard(t))[2].cards).toEqual([CARDS[1]]);

		// Card details on the therapist's side: a label, a description, a due date.
		await t.locator(`[data-card-id]`, { hasText: CARDS[0] }).click();
		await t.getByTestId('card-description').fill(DESCRIPTION);
		// A comment with formatting and hostile markup: formatted safely, nothing made from HTML.
		await t.getByTestId('comment-input').fill(COMMENT);
		await t.getByTestId('comment-add').click();
		await expect(t.getByTestId('comment-text')).toHaveCount(1);
		await t.getByTestId('label-input').fill(LABEL);
		await t.getByTestId('label-input').press('Enter');
		await t.getByTestId('card-due').fill('2026-12-31');
		// A file, through the same sealed blob path as messages' files.
		await t.getByTestId('card-file-input').setInputFiles({
			name: FILE_NAME,
			mimeType: 'text/plain',
			buffer: Buffer.from(FILE_TEXT)
		});
		const sent = t.getByTestId('card-detail').getByTestId('attachment');
		await expect(sent.getByTestId('attachment-name')).toHaveText(FILE_NAME);
		// Sealed on this device, then uploaded: "saved" once the relay holds the ciphertext.
		await expect(sent).toHaveAttribute('data-status', 'saved', { timeout: 30_000 });
		await t.getByTestId('show-history').click();
		await expect(t.getByTestId('card-history')).toContainText(THERAPIST);
		await t.keyboard.press('Escape');
		await expect(t.getByTestId('card-detail')).toBeHidden();

		// The colleague joins through an invite to the board.
		await t.getByRole('button', { name: 'Invite someone' }).click();
		const link = (await t.getByTestId('invite-link').inputValue()).trim();
		await c.goto(link);
		await setUpVault(c);
		await expect(c.getByTestId('join-phase')).toHaveAttribute('data-phase', 'ready');
		await c.getByTestId('join-name-input').fill(COLLEAGUE);
		await c.getByTestId('join-button').click();
		await expect(c.getByTestId('join-phase')).toHaveAttribute('data-phase', 'waiting');
		await t.getByTestId('admit-button').click();
		await expect(c.getByTestId('board-title')).toHaveText(BOARD, { timeout: 30_000 });
		await expect.poll(() => shownBoard(c), { timeout: 30_000 }).toEqual(await shownBoard(t));
		expect(new URL(c.url()).pathname).toBe(new URL(boardUrl).pathname);

		// The colleague goes offline: their relay connection is cut and the browser is offline.
		colleagueProxy.cut();
		await colleague.context.setOffline(true);
		await expect(c.getByTestId('connection-status')).not.toHaveAttribute('data-state', 'online');
		await expect(t.getByTestId('connection-status')).toHaveAttribute('data-state', 'online');
		await t.getByRole('button', { name: 'Close' }).click();

		// Both drag: the same card to different columns, plus other moves and a new card.
		await dragCard(c, CARDS[2], 2); // colleague: "Call insurer" → Done (end)
		await dragCard(t, CARDS[2], 1, CARDS[3]); // therapist: "Call insurer" → Doing, top
		await dragCard(c, CARDS[0], 1); // colleague: "Send consent form" → Doing
		await dragCard(t, CARDS[1], 0, CARDS[0]); // therapist: "Book room" → To do, top
		await addCard(c, 0, 'Offline card from the colleague');
		await expect.poll(async () => (await shownBoard(c))[2].cards).toContain(CARDS[2]);
		await expect.poll(async () => (await shownBoard(t))[1].cards[0]).toBe(CARDS[2]);
		await t.waitForTimeout(1500);
		expect((await shownBoard(t)).flatMap((col) => col.cards)).not.toContain(
			'Offline card from the colleague'
		);

		// Back online: identical boards, every card exactly once.
		await colleague.context.setOffline(false);
		colleagueProxy.restore();
		await expect
			.poll(async () => (await shownBoard(t)).flatMap((col) => col.cards).length, { timeout: 45_000 })
			.toBe(CARDS.length + 1);
		await expect.poll(() => shownBoard(c), { timeout: 45_000 }).toEqual(await shownBoard(t));
		const final = await shownBoard(t);
		expect(everyCardOnce(final)).toBe(true);
		expect(final.flatMap((col) => col.cards).sort()).toEqual(
			[...CARDS, 'Offline card from the colleague'].sort()
		);
		// The colleague sees the therapist's label and description.
		await c.locator('[data-card-id]', { hasText: CARDS[0] }).click();
		await expect(c.getByTestId('card-description')).toHaveValue(DESCRIPTION);
		const comment = c.getByTestId('card-detail').getByTestId('comment-text');
		await expect(comment).toContainText('<img src=x onerror="window.__pwned=1">');
		await expect(comment.locator('strong')).toHaveText('Bring the worksheet');
		await expect(comment.locator('img, script, a[href^="javascript"]')).toHaveCount(0);
		expect(await c.evaluate(() => (window as unknown as { __pwned?: number }).__pwned)).toBeUndefined();
		await expect(c.getByTestId('card-detail')).toContainText(LABEL);
		const file = c.getByTestId('card-detail').getByTestId('attachment');
		await expect(file.getByTestId('attachment-name')).toHaveText(FILE_NAME);
		await c.keyboard.press('Escape');

		// The colleague exports the board for the record: a signed archive that verifies, with
		// every card in its column, and its printable view.
		const downloads: Download[] = [];
		c.on('download', (d) => downloads.push(d));
		await c.getByTestId('board-export-button').click();
		await expect(c.getByTestId('board-export-note')).toBeVisible();
		await expect.poll(() => downloads.length).toBe(2);
		const json = downloads.find((d) => d.suggestedFilename().endsWith('.json'))!;
		const html = downloads.find((d) => d.suggestedFilename().endsWith('.html'))!;
		const exported = verifyArchiveFile(readFileSync((await json.path())!, 'utf8'));
		expect(exported.ok ? 'ok' : exported.why).toBe('ok');
		expect(exported).toMatchObject({ ok: true, role: 'writer' });
		if (exported.ok) {
			const columns = exported.archive.columns!.map((col) => ({ title: col.title, cards: col.cards.map((card) => card.title) }));
			expect(columns).toEqual(final);
			const described = exported.archive.columns!.flatMap((col) => col.cards).find((card) => card.title === CARDS[0])!;
			expect(described).toMatchObject({ text: DESCRIPTION, labels: [LABEL] });
			expect(described.attachments?.map((a) => a.name)).toEqual([FILE_NAME]);
		}
		expect(readFileSync((await html.path())!, 'utf8')).toContain(DESCRIPTION);

		// The colleague removes the file from the card; the therapist's card loses it too.
		await c.locator('[data-card-id]', { hasText: CARDS[0] }).click();
		await c.getByTestId('card-detail').getByRole('button', { name: `Remove ${FILE_NAME} from the card` }).click();
		await expect(c.getByTestId('card-detail').getByTestId('attachment')).toHaveCount(0);
		await c.keyboard.press('Escape');
		await t.keyboard.press('Escape');
		await t.locator('[data-card-id]', { hasText: CARDS[0] }).click();
		await expect(t.getByTestId('card-detail').getByTestId('attachment')).toHaveCount(0, { timeout: 30_000 });
		await expect(t.getByTestId('card-detail')).toContainText('No files.');
		await t.keyboard.press('Escape');

		// After a reload with the relay stopped, both still show the same board.
		await stack.relay.stop();
		for (const page of [t, c]) {
			await reloadAndUnlock(page);
			await expect.poll(() => shownBoard(page), { timeout: 30_000 }).toEqual(final);
		}

		// No plaintext: relay database files, each profile on disk, and a raw IndexedDB dump.
		const secrets = [
			THERAPIST,
			COLLEAGUE,
			BOARD,
			LABEL,
			DESCRIPTION,
			FILE_NAME,
			FILE_TEXT,
			...CARDS,
			'Offline card from the colleague'
		];
		const docId = Buffer.from(new URL(boardUrl).pathname.split('/').pop()!, 'base64url');
		const relayControl = String.fromCharCode(...docId);
		const relayHits = findInFiles(filesUnder(stack.relay.dataDir), [relayControl, ...secrets]);
		expect(relayHits.has(relayControl), 'the relay scan finds the stored document id').toBe(true);
		relayHits.delete(relayControl);
		expect(Object.fromEntries(relayHits)).toEqual({});

		const marker = `positive-control-${Date.now()}-Ω`;
		for (const person of [therapist, colleague]) {
			const dump = await dumpIndexedDb(person.page);
			expect(dump.length).toBeGreaterThan(1000);
			expect(secrets.filter((s) => dump.includes(s))).toEqual([]);
			await writeControlMarker(person.page, marker);
			expect(await dumpIndexedDb(person.page)).toContain(marker);
		}
		await therapist.context.close();
		await colleague.context.close();
		for (const person of [therapist, colleague]) {
			const hits = findInFiles(filesUnder(person.dir), [marker, ...secrets]);
			expect(hits.has(marker), 'the profile scan finds the positive control').toBe(true);
			hits.delete(marker);
			expect(Object.fromEntries(hits)).toEqual({});
		}
		expect(encodings(marker).length).toBe(2);
	} finally {
		await therapist.context.close().catch(() => {});
		await colleague.context.close().catch(() => {});
		removeDir(therapist.dir);
		removeDir(colleague.dir);
		await colleagueProxy.close();
	}
});
