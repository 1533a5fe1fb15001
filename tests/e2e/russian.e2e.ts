import { expect, test, type Page } from '@playwright/test';
import { en } from '../../src/lib/ui/locales/en.js';
import { ru } from '../../src/lib/ui/locales/ru.js';
import {
	PASSPHRASE,
	openPerson,
	removeDir,
	setUpVault,
	startStack,
	unlock,
	type Stack
} from './stack.js';

/**
 * The main job in Russian: a therapist and a client whose browsers prefer Russian get Tend in
 * Russian from the first screen, through onboarding, a new conversation, the invite, the join
 * request and a Russian exchange, with no English string of the table on any of those screens.
 * The therapist also switches language in Settings: the page changes at once, without a
 * reload, and the choice outlasts a reload even against the browser's language.
 */

const THERAPIST = 'Ирина Соколова';
const CLIENT = 'Михаил Орлов';
const TITLE = 'Встречи по четвергам';
const QUESTION = 'Здравствуйте! Можно перенести встречу на среду?';
const ANSWER = 'Да, конечно. Среда в 10:00 подходит?';

/**
 * The English table's text, in pieces no Russian screen may show: every message without
 * plurals, split at its placeholders, keeping pieces with a word of three Latin letters or
 * more. Messages that read the same in Russian ("Tend") are left out.
 */
const englishPieces = (Object.keys(en) as (keyof typeof en)[])
	.filter((key) => en[key] !== ru[key] && !en[key].includes(', plural,'))
	.flatMap((key) => en[key].split(/\{[^}]*\}/))
	.map((piece) => piece.trim())
	.filter((piece) => /[A-Za-z]{3}/.test(piece));

/** The English pieces on screen: visible text, the page title and accessible labels. */
async function englishOnScreen(page: Page): Promise<string[]> {
	const shown = await page.evaluate(() => {
		const labels = [...document.querySelectorAll('[aria-label], [placeholder], [title]')].map(
			(node) =>
				['aria-label', 'placeholder', 'title'].map((name) => node.getAttribute(name) ?? '')
		);
		return [document.title, document.body.innerText, ...labels.flat()].join('\n');
	});
	return englishPieces.filter((piece) => shown.includes(piece));
}

async function expectRussianScreen(page: Page): Promise<void> {
	await expect(page.locator('html')).toHaveAttribute('lang', 'ru');
	expect(await englishOnScreen(page)).toEqual([]);
}

let stack: Stack;

test.beforeEach(async () => {
	stack = await startStack();
});

test.afterEach(async () => {
	await stack.close();
});

test('a therapist and a client use Tend in Russian from start to a first exchange', async () => {
	expect(englishPieces.length).toBeGreaterThan(100);
	const therapist = await openPerson({ locale: 'ru-RU' });
	const client = await openPerson({ locale: 'ru-RU' });
	try {
		// Onboarding, in Russian because the browser prefers it.
		const t = therapist.page;
		await t.goto(stack.appUrl);
		// The passphrase first: the setup screen, its strength meter and the recovery key.
		await expect(t.getByRole('heading', { name: 'Защитите Tend на этом устройстве' })).toBeVisible();
		await t.getByLabel('Парольная фраза', { exact: true }).fill(PASSPHRASE);
		await t.getByLabel('Введите парольную фразу ещё раз').fill(PASSPHRASE);
		await expect(t.getByTestId('passphrase-strength')).toContainText('Надёжность:');
		await expectRussianScreen(t);
		await t.getByRole('button', { name: 'Защитить устройство' }).click();
		await expect(t.getByRole('heading', { name: 'Ваш ключ восстановления' })).toBeVisible({
			timeout: 30_000
		});
		await expectRussianScreen(t);
		await t.getByLabel('Я распечатал(а) или записал(а) ключ восстановления').check();
		await t.getByRole('button', { name: 'Продолжить' }).click();
		await expect(t.getByRole('heading', { name: 'Добро пожаловать в Tend' })).toBeVisible();
		await expectRussianScreen(t);
		await t.getByLabel('Ваше имя').fill(THERAPIST);
		await t.getByRole('button', { name: 'Продолжить' }).click();

		await expect(t.getByRole('heading', { name: 'Беседы', level: 1 })).toBeVisible();
		await expect(t.getByRole('heading', { name: 'Бесед пока нет' })).toBeVisible();
		await expect(t).toHaveTitle('Беседы – Tend');
		await expectRussianScreen(t);

		// Settings: switching re-renders at once (the page is not reloaded) and is kept.
		await t.getByRole('link', { name: 'Настройки' }).click();
		await expect(t.getByRole('heading', { name: 'Настройки', level: 1 })).toBeVisible();
		await expect(t.getByRole('radio', { name: 'Русский' })).toBeChecked();
		await expectRussianScreen(t);
		await t.evaluate(() => ((window as { notReloaded?: boolean }).notReloaded = true));
		await t.getByRole('radio', { name: 'English' }).check();
		await expect(t.getByRole('heading', { name: 'Settings', level: 1 })).toBeVisible();
		await expect(t.getByRole('heading', { name: 'Language', level: 2 })).toBeVisible();
		await expect(t.locator('html')).toHaveAttribute('lang', 'en');
		expect(await t.evaluate(() => (window as { notReloaded?: boolean }).notReloaded)).toBe(true);
		expect(await t.evaluate(() => localStorage.getItem('tend-locale'))).toBe('en');
		// The leak check's positive control: it finds English when there is some.
		expect(await englishOnScreen(t)).toEqual(expect.arrayContaining(['Settings', 'Language']));

		await t.reload();
		await expect(t.getByRole('heading', { name: 'Tend is locked' })).toBeVisible();
		await unlock(t);
		await expect(t.getByRole('heading', { name: 'Settings', level: 1 })).toBeVisible();
		await t.getByRole('radio', { name: 'Русский' }).check();
		await expect(t.getByRole('heading', { name: 'Настройки', level: 1 })).toBeVisible();
		await expectRussianScreen(t);

		// A new conversation and an invite link.
		await t.getByRole('link', { name: 'Tend, перейти к беседам' }).click();
		await t.getByRole('link', { name: 'Новая беседа' }).click();
		await expect(t.getByRole('heading', { name: 'Новая беседа' })).toBeVisible();
		await expectRussianScreen(t);
		await t.getByLabel('Название беседы').fill(TITLE);
		await t.getByRole('button', { name: 'Создать беседу' }).click();

		await expect(t.getByRole('heading', { name: TITLE })).toBeVisible();
		await expect(t.getByTestId('connection-status')).toHaveText(/В сети/);
		await expect(t.getByText('Здесь пока никого нет.', { exact: false })).toBeVisible();
		await t.getByRole('button', { name: 'Пригласить' }).click();
		await expect(t.getByRole('heading', { name: 'Пригласить в беседу' })).toBeVisible();
		await expect(t.getByText('Ещё не использована')).toBeVisible();
		await expect(t.getByRole('img', { name: /^QR-код ссылки-приглашения/ })).toBeVisible();
		await expectRussianScreen(t);
		const link = (await t.getByLabel('Ссылка-приглашение').inputValue()).trim();

		// The client joins in Russian and waits with a code.
		const c = client.page;
		await c.goto(link);
		await setUpVault(c);
		await expect(
			c.getByRole('heading', { name: `${THERAPIST} приглашает вас в беседу «${TITLE}»` })
		).toBeVisible();
		await expectRussianScreen(c);
		await c.getByLabel('Ваше имя').fill(CLIENT);
		await c.getByRole('button', { name: 'Присоединиться' }).click();
		const waiting = `Ждём, пока ${THERAPIST} впустит вас.`;
		await expect(c.getByRole('heading', { name: waiting })).toBeVisible();
		await expect(c.getByText('Если вас спросят, ваш код:')).toBeVisible();
		await expectRussianScreen(c);
		const code = (await c.getByTestId('safety-code').textContent())?.trim();

		// The therapist compares the code and lets the client in.
		const request = t.getByTestId('join-request');
		await expect(request).toContainText(`${CLIENT} хочет присоединиться.`);
		await expect(request.getByTestId('safety-code')).toHaveText(code!);
		await expect(request).toContainText('Впускайте, только если код совпадает.');
		await expectRussianScreen(t);
		await request.getByRole('button', { name: 'Впустить' }).click();

		// A Russian exchange, both ways.
		await expect(c.getByRole('heading', { name: TITLE })).toBeVisible();
		await c.getByRole('textbox', { name: 'Сообщение' }).fill(QUESTION);
		await c.getByRole('button', { name: 'Отправить' }).click();
		await expect(t.getByTestId('message-text')).toHaveText([QUESTION], { timeout: 30_000 });
		await t.getByRole('textbox', { name: 'Сообщение' }).fill(ANSWER);
		await t.getByRole('button', { name: 'Отправить' }).click();
		await expect(c.getByTestId('message-text')).toHaveText([QUESTION, ANSWER], {
			timeout: 30_000
		});

		await expect(t.getByTestId('message').last().getByTestId('message-state')).toHaveText(
			'Отправлено',
			{ timeout: 30_000 }
		);
		await expect(c.getByText(`${THERAPIST} (владелец) и ${CLIENT} (вы)`)).toBeVisible();
		await expect(c.getByTestId('message').first()).toContainText('Вы');
		await expect(c.getByTestId('message').last()).toContainText(THERAPIST);
		await expectRussianScreen(t);
		await expectRussianScreen(c);

		// Back on the list: the preview and the time are Russian too.
		await c.getByRole('link', { name: 'Все беседы' }).click();
		await expect(c.getByTestId('conversation-item')).toContainText(`${THERAPIST}: ${ANSWER}`);
		await expect(c.getByTestId('conversation-item')).toContainText(`Участники: ${THERAPIST}`);
		await expectRussianScreen(c);
	} finally {
		await therapist.context.close().catch(() => {});
		await client.context.close().catch(() => {});
		removeDir(therapist.dir);
		removeDir(client.dir);
	}
});
