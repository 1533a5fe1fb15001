import { expect, test, type Page } from '@playwright/test';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseMessage, plainText } from '../../src/lib/ui/formatMessage.js';
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

/**
 * The main job, end to end: a therapist and a client in two persistent Chromium profiles on
 * localhost, through the real relay. Invite, wait, compare the safety code, let in, exchange
 * every awkward message from the corpus, keep writing while the relay is cut off, reload with
 * the relay stopped, and find no message text or name in the relay's files or the browsers'.
 */

const CORPUS = join(process.cwd(), '..', 'shared', 'corpus');

interface EdgeMessage {
	id: number;
	kind: string;
	text: string;
}

const edgeMessages: EdgeMessage[] = readFileSync(join(CORPUS, 'edge-messages.jsonl'), 'utf8')
	.split('\n')
	.filter(Boolean)
	.map((line) => JSON.parse(line));

const counselThread = JSON.parse(
	readFileSync(join(CORPUS, 'counsel-chat-threads.jsonl'), 'utf8').split('\n')[0]
) as { question: string; answers: string[] };

const THERAPIST = 'Dr. Imogen Calloway';
const CLIENT = 'Bartholomew Quince';
const TITLE = 'Thursday grounding practice';

let stack: Stack;

test.beforeEach(async () => {
	stack = await startStack();
});

test.afterEach(async () => {
	await stack.close();
});

async function messageTexts(page: Page): Promise<string[]> {
	return page
		.getByTestId('message-text')
		.evaluateAll((nodes) => nodes.map((node) => node.textContent ?? ''));
}

/** What a message shows: its text with the simple formatting applied (no markup characters). */
function shown(text: string): string {
	return plainText(parseMessage(text));
}

async function send(page: Page, text: string) {
	const before = await page.getByTestId('message').count();
	await page.getByTestId('composer-input').fill(text);
	await page.getByTestId('send-button').click();
	await expect(page.getByTestId('message')).toHaveCount(before + 1);
}

test('a therapist invites a client, they talk, offline work converges, nothing leaks', async () => {
	const therapist = await openPerson();
	const client = await openPerson();
	try {
		// The therapist sets up and creates a conversation.
		const t = therapist.page;
		if (process.env.TEND_DEBUG) {
			t.on('console', (m) => console.log('T>', m.type(), m.text()));
			client.page.on('console', (m) => console.log('C>', m.type(), m.text()));
			t.on('pageerror', (e) => console.log('T! ', e.message));
			client.page.on('pageerror', (e) => console.log('C! ', e.message));
		}
		await onboard(t, stack.appUrl, THERAPIST);
		await t.getByTestId('new-conversation').first().click();
		await t.getByTestId('title-input').fill(TITLE);
		await t.getByTestId('create-conversation').click();
		await expect(t.getByTestId('composer-input')).toBeVisible();
		await expect(t.getByTestId('connection-status')).toHaveAttribute('data-state', 'online');

		await t.getByTestId('invite-button').click();
		const link = await readInviteLink(t);
		expect(link).toMatch(/\/join#[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{22}$/);
		await expect(t.getByTestId('qr-code').locator('svg')).toBeVisible();

		// The client opens the link; the secret leaves the address bar at once.
		const c = client.page;
		await c.goto(link);
		await expect(c.getByTestId('vault-setup')).toBeVisible();
		expect(new URL(c.url()).hash).toBe('');
		await setUpVault(c);
		await expect(c.getByTestId('join-phase')).toHaveAttribute('data-phase', 'ready');
		await expect(c.getByRole('heading', { name: new RegExp(THERAPIST) })).toBeVisible();
		await c.getByTestId('join-name-input').fill(CLIENT);
		await c.getByTestId('join-button').click();
		await expect(c.getByTestId('join-phase')).toHaveAttribute('data-phase', 'waiting');
		const clientCode = (await c.getByTestId('safety-code').textContent())?.trim();
		expect(clientCode).toMatch(/^\d{3} \d{3}$/);

		// The therapist sees the request with the same code and lets the client in.
		await expect(t.getByTestId('join-request')).toContainText(CLIENT);
		await expect(t.getByTestId('join-request').getByTestId('safety-code')).toHaveText(clientCode!);
		await t.getByTestId('admit-button').click();
		await expect(c.getByTestId('composer-input')).toBeVisible();
		await expect(c.getByRole('heading', { name: TITLE })).toBeVisible();

		// Every awkward message shows as text and creates no element of its own.
		const sent: string[] = [];
		for (const message of edgeMessages) {
			if (message.text.trim() === '') {
				// A message of only white space is not sent (the composer keeps it).
				await t.getByTestId('composer-input').fill(message.text);
				await t.getByTestId('send-button').click();
				await expect(t.getByTestId('composer-input')).toHaveValue(message.text);
				await t.getByTestId('composer-input').fill('');
				continue;
			}
			await send(t, message.text);
			sent.push(message.text);
		}
		await expect.poll(() => messageTexts(c), { timeout: 30_000 }).toEqual(sent.map(shown));
		await send(c, counselThread.question.slice(0, 2000));
		sent.push(counselThread.question.slice(0, 2000));
		await expect.poll(() => messageTexts(t), { timeout: 30_000 }).toEqual(sent.map(shown));
		await send(t, counselThread.answers[0].slice(0, 2000));
		sent.push(counselThread.answers[0].slice(0, 2000));

		await expect.poll(() => messageTexts(c), { timeout: 30_000 }).toEqual(sent.map(shown));
		await expect.poll(() => messageTexts(t)).toEqual(sent.map(shown));
		for (const page of [t, c]) {
			// Formatting makes only these elements; nothing from a message's own markup.
			const injected = await page.evaluate(() => {
				const inside = Array.from(document.querySelectorAll('[data-testid="message-text"] *'));
				return {
					img: document.querySelectorAll('img').length,
					script: document.querySelectorAll('main script').length,
					jsLinks: document.querySelectorAll('a[href^="javascript"]').length,
					tags: [...new Set(inside.map((node) => node.tagName))].sort(),
					attributes: [...new Set(inside.flatMap((node) => node.getAttributeNames()))]
						.filter((name) => !name.startsWith('class') && !name.startsWith('start'))
						.sort()
				};
			});
			expect(injected).toMatchObject({ img: 0, script: 0, jsLinks: 0 });
			expect(injected.tags.every((tag) => ['P', 'UL', 'OL', 'LI', 'STRONG', 'EM', 'A', 'SPAN'].includes(tag))).toBe(true);
			expect(injected.attributes.every((name) => ['href', 'rel', 'target'].includes(name))).toBe(true);
		}
		await expect(t.locator('[data-testid="message"][data-state="delivered"]')).toHaveCount(
			sent.length
		);

		// The connection to the relay is cut: the client writes, nothing arrives.
		stack.proxy.cut();
		await expect(c.getByTestId('connection-status')).not.toHaveAttribute('data-state', 'online');
		const offline = ['Written in the basement, first.', 'Written in the basement, second.'];
		for (const text of offline) await send(c, text);
		await send(t, 'Therapist note while the client is away.');
		await expect(c.locator('[data-testid="message"][data-state="saved"]')).toHaveCount(2);
		await t.waitForTimeout(1500);
		expect(await messageTexts(t)).not.toContain(offline[0]);

		// The connection returns: both converge on the same messages in the same order.
		stack.proxy.restore();
		await expect
			.poll(async () => (await messageTexts(t)).length, { timeout: 45_000 })
			.toBe(sent.length + 3);
		await expect.poll(async () => (await messageTexts(c)).length).toBe(sent.length + 3);
		const therapistView = await messageTexts(t);
		expect(await messageTexts(c)).toEqual(therapistView);
		expect(new Set(therapistView.slice(sent.length)).size).toBe(3);
		await expect(c.locator('[data-testid="message"][data-state="delivered"]')).toHaveCount(
			sent.length + 3
		);

		// With the relay stopped, a reload still shows the whole conversation.
		await stack.relay.stop();
		for (const page of [t, c]) {
			await reloadAndUnlock(page);
			await expect.poll(() => messageTexts(page), { timeout: 30_000 }).toEqual(therapistView);
		}

		// An unsent draft is kept on the device too, sealed like the rest.
		const DRAFT = 'Unsent draft about the panic attack on the bus';
		await c.getByTestId('composer-input').fill(DRAFT);
		await c.waitForTimeout(800);

		// No plaintext anywhere: relay database files, each profile, and a raw IndexedDB dump.
		const secrets = [
			THERAPIST,
			CLIENT,
			TITLE,
			DRAFT,
			...therapistView.filter((text) => text.trim().length >= 8),
			...sent.filter((text) => text.trim().length >= 8)
		];
		const relayHits = findInFiles(filesUnder(stack.relay.dataDir), secrets);
		expect([...relayHits.keys()]).toEqual([]);

		const marker = `positive-control-${Date.now()}-Ω`;
		for (const person of [therapist, client]) {
			const dump = await dumpIndexedDb(person.page);
			expect(dump.length).toBeGreaterThan(1000);
			expect(secrets.filter((s) => dump.includes(s))).toEqual([]);
			await writeControlMarker(person.page, marker);
			expect(await dumpIndexedDb(person.page)).toContain(marker);
		}
		await therapist.context.close();
		await client.context.close();
		for (const person of [therapist, client]) {
			const files = filesUnder(person.dir);
			const hits = findInFiles(files, [marker, ...secrets]);
			expect(hits.has(marker), 'the profile scan finds the positive control').toBe(true);
			hits.delete(marker);
			expect(Object.fromEntries(hits)).toEqual({});
		}
		expect(encodings(marker).length).toBe(2);
	} finally {
		await therapist.context.close().catch(() => {});
		await client.context.close().catch(() => {});
		removeDir(therapist.dir);
		removeDir(client.dir);
	}
});

async function readInviteLink(page: Page): Promise<string> {
	const field = page.getByTestId('invite-link');
	await expect(field).toBeVisible();
	const value = await field.evaluate((node) =>
		node instanceof HTMLInputElement || node instanceof HTMLTextAreaElement
			? node.value
			: (node.textContent ?? '')
	);
	return value.trim();
}
