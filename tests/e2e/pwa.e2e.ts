import { expect, test, type BrowserContext, type Page } from '@playwright/test';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
	onboard,
	openPerson,
	reloadAndUnlock,
	removeDir,
	startStack,
	unlock,
	type Stack
} from './stack.js';

/**
 * Tend as an installed, offline app: the web app manifest and its icons, the service worker
 * taking control, the app and its WebAssembly opening from the precache with the network gone,
 * and an update that names the new build and waits for consent (SECURITY-RULES.md, rule 18).
 */

let stack: Stack;

test.beforeEach(async () => {
	stack = await startStack();
});

test.afterEach(async () => {
	await stack.close();
});

function builtId(dir: string): string {
	return (JSON.parse(readFileSync(join(dir, 'build-info.json'), 'utf8')) as { id: string }).id;
}

/** Width and height from a PNG's IHDR chunk, after checking the signature. */
function pngSize(bytes: Buffer): { width: number; height: number } {
	const signature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
	expect(bytes.subarray(0, 8).equals(signature), 'PNG signature').toBe(true);
	expect(bytes.subarray(12, 16).toString('latin1')).toBe('IHDR');
	return { width: bytes.readUInt32BE(16), height: bytes.readUInt32BE(20) };
}

async function createProfile(page: Page, name: string) {
	await onboard(page, stack.appUrl, name);
	await expect(page.getByTestId('new-conversation').first()).toBeVisible();
}

/**
 * Waits until the service worker has activated (`ready` resolves while it is still
 * "activating"); returns its state, which only a broken worker leaves other than "activated".
 */
async function workerActive(page: Page): Promise<string> {
	return page.evaluate(async () => {
		const worker = (await navigator.serviceWorker.ready).active;
		if (worker?.state === 'activating') {
			await new Promise((resolve) => worker.addEventListener('statechange', resolve));
		}
		return worker?.state ?? 'none';
	});
}

async function controllerUrl(page: Page): Promise<string | null> {
	return page.evaluate(() => navigator.serviceWorker.controller?.scriptURL ?? null);
}

/**
 * Goes offline with an empty HTTP cache, so whatever still loads came from the service worker:
 * hashed files are cached for a year (scripts/serveApp.ts) and would load offline without it.
 * Returns the number of requests that reach the app server from then on, and a way back.
 */
async function goOffline(person: { context: BrowserContext; page: Page }) {
	const cdp = await person.context.newCDPSession(person.page);
	await cdp.send('Network.clearBrowserCache');
	await cdp.detach();
	let served = 0;
	const count = (request: { url?: string }) => {
		// Chromium checks for a new service worker after navigations (the worker script and its
		// imports), from the browser process, which Playwright's offline emulation doesn't
		// cover. That check is not the app loading from the network; with the unlock step
		// between navigations it now falls inside this window, so it isn't counted.
		const path = new URL(request.url ?? '/', 'http://x').pathname;
		if (/^\/(sw\.js|sw-build-info\.js|workbox-[\w-]+\.js)$/.test(path)) return;
		served++;
	};
	stack.appServer.on('request', count);
	await person.context.setOffline(true);
	return {
		served: () => served,
		async restore() {
			stack.appServer.off('request', count);
			await person.context.setOffline(false);
		}
	};
}

/** What the app does when it comes back into view: ask the server for a new build. */
async function checkForUpdate(page: Page) {
	await page.evaluate(() => document.dispatchEvent(new Event('visibilitychange')));
}

test('installs: the manifest and its icons are valid, and the service worker takes control', async () => {
	const person = await openPerson();
	try {
		const page = person.page;
		await page.goto(stack.appUrl);

		// The manifest is linked, served as a manifest, and has what an install needs.
		const href = await page.locator('link[rel="manifest"]').getAttribute('href');
		const manifestUrl = new URL(href ?? '', stack.appUrl).href;
		const response = await page.request.get(manifestUrl);
		expect(response.ok()).toBe(true);
		expect(response.headers()['content-type']).toBe('application/manifest+json');
		const manifest = JSON.parse(await response.text());
		expect(manifest).toMatchObject({
			name: 'Tend',
			short_name: 'Tend',
			start_url: '/',
			scope: '/',
			display: 'standalone'
		});
		expect(manifest.description).toBeTruthy();
		expect(manifest.theme_color).toMatch(/^#[0-9a-f]{6}$/i);
		expect(manifest.background_color).toMatch(/^#[0-9a-f]{6}$/i);

		// Every icon loads, is a PNG, and is the size it claims; the three an install needs exist.
		const icons = manifest.icons as { src: string; sizes: string; type: string; purpose: string }[];
		expect(icons.map((icon) => `${icon.sizes} ${icon.purpose}`).sort()).toEqual([
			'192x192 any',
			'512x512 any',
			'512x512 maskable'
		]);
		const apple = await page.locator('link[rel="apple-touch-icon"]').getAttribute('href');
		const images = [...icons, { src: apple ?? '', sizes: '180x180', type: 'image/png' }];
		for (const icon of images) {
			const image = await page.request.get(new URL(icon.src, manifestUrl).href);
			expect(image.ok(), icon.src).toBe(true);
			expect(image.headers()['content-type']).toBe(icon.type);
			const { width, height } = pngSize(await image.body());
			expect(`${width}x${height}`, icon.src).toBe(icon.sizes);
		}

		// The worker installs and activates, but controls the page only from the next load.
		expect(await workerActive(page)).toBe('activated');
		expect(await controllerUrl(page)).toBeNull();
		await expect(page.getByTestId('offline-ready')).toBeVisible();
		await page.getByTestId('offline-ready-dismiss').click();
		await expect(page.getByTestId('offline-ready')).toHaveCount(0);

		await page.reload();
		expect(await controllerUrl(page)).toBe(`${stack.appUrl}/sw.js`);
		// "Ready to work offline" is said once, on the first install only.
		await expect(page.getByTestId('vault-setup')).toBeVisible();
		await expect(page.getByTestId('offline-ready')).toHaveCount(0);

		// The Automerge WebAssembly and the build info are in the precache.
		const precached = await page.evaluate(async () => {
			const urls: string[] = [];
			for (const name of await caches.keys()) {
				for (const request of await (await caches.open(name)).keys()) urls.push(request.url);
			}
			return urls;
		});
		expect(precached.some((url) => /\.wasm(\?|$)/.test(url))).toBe(true);
		expect(precached.some((url) => new URL(url).pathname === '/build-info.json')).toBe(true);
	} finally {
		await person.context.close().catch(() => {});
		removeDir(person.dir);
	}
});

test('a first visit on a deep link registers the worker at the root, and it controls the app', async () => {
	// Every request for a worker script that reaches the app server, with its answer.
	const scripts: string[] = [];
	const record = (request: IncomingMessage, response: ServerResponse) => {
		const path = new URL(request.url ?? '/', 'http://x').pathname;
		if (!/sw\.js$/.test(path)) return;
		response.on('finish', () => scripts.push(`${response.statusCode} ${path}`));
	};
	stack.appServer.on('request', record);
	const person = await openPerson();
	try {
		const page = person.page;
		// The profile's very first navigation is a conversation's address (a bookmark, a link
		// in a notification): a worker URL relative to the page would be /c/sw.js, a 404.
		await page.goto(`${stack.appUrl}/c/2xKqN8vLmT4pR7wYcZ1aBd`);
		await expect(page.getByTestId('vault-setup')).toBeVisible();

		// One registration, for the whole app, whose worker gets active.
		await expect
			.poll(() =>
				page.evaluate(async () =>
					(await navigator.serviceWorker.getRegistrations()).map((registration) => ({
						scope: registration.scope,
						active: registration.active?.scriptURL ?? null
					}))
				)
			)
			.toEqual([{ scope: `${stack.appUrl}/`, active: `${stack.appUrl}/sw.js` }]);
		expect(await workerActive(page)).toBe('activated');

		// From the next load it controls the page, on this deep link and at the root.
		await page.reload();
		expect(await controllerUrl(page)).toBe(`${stack.appUrl}/sw.js`);
		await page.goto(stack.appUrl);
		expect(await controllerUrl(page)).toBe(`${stack.appUrl}/sw.js`);

		// The worker came from /sw.js (a revalidation may be a 304), and from nowhere else.
		expect(scripts).toContain('200 /sw.js');
		expect(scripts.filter((line) => !/^(200|304) \/sw\.js$/.test(line))).toEqual([]);
	} finally {
		stack.appServer.off('request', record);
		await person.context.close().catch(() => {});
		removeDir(person.dir);
	}
});

test('opens offline: reloads and deep links come from the precache, with the data', async () => {
	const person = await openPerson();
	try {
		const page = person.page;
		await createProfile(page, 'Dr. Wilhelmina Okonkwo-Reyes');
		await page.getByTestId('new-conversation').first().click();
		await page.getByTestId('title-input').fill('Sleep diary check-ins');
		await page.getByTestId('create-conversation').click();
		await page.getByTestId('composer-input').fill('Bring the diary on Tuesday, please.');
		await page.getByTestId('send-button').click();
		await expect(page.getByTestId('message-text')).toHaveText([
			'Bring the diary on Tuesday, please.'
		]);
		const conversationUrl = page.url();
		expect(await workerActive(page)).toBe('activated');

		// From here on, nothing may reach the app server, and nothing is in the HTTP cache.
		const offline = await goOffline(person);
		try {
			// Positive control: the network really is gone for this page.
			const reachable = await page.evaluate(() =>
				fetch(`/build-info.json?probe=${Date.now()}`, { cache: 'no-store' }).then(
					() => true,
					() => false
				)
			);
			expect(reachable).toBe(false);

			// A reload of the conversation: the app, libsodium and Automerge (WebAssembly) start
			// from the precache and decrypt what is stored on the device.
			await reloadAndUnlock(page);
			expect(await page.evaluate(() => navigator.onLine)).toBe(false);
			await expect(page.getByTestId('message-text')).toHaveText([
				'Bring the diary on Tuesday, please.'
			]);

			// Deep links get the SPA fallback from the precache.
			await page.goto(`${stack.appUrl}/settings`);
			await unlock(page);
			await expect(page.getByTestId('build-id')).toContainText(builtId('build'));
			await page.goto(conversationUrl);
			await unlock(page);
			await expect(page.getByTestId('message-text')).toHaveText([
				'Bring the diary on Tuesday, please.'
			]);

			// Writing still works: Automerge and the encrypted store run offline.
			await page.getByTestId('composer-input').fill('Offline note: reschedule if needed.');
			await page.getByTestId('send-button').click();
			await expect(page.getByTestId('message-text')).toHaveText([
				'Bring the diary on Tuesday, please.',
				'Offline note: reschedule if needed.'
			]);
			expect(offline.served()).toBe(0);
		} finally {
			await offline.restore();
		}
	} finally {
		await person.context.close().catch(() => {});
		removeDir(person.dir);
	}
});

test('an update names the new build, waits for consent, and then switches to it', async () => {
	test.setTimeout(240_000);
	const nextDir = mkdtempSync(join(tmpdir(), 'tend-next-build-'));
	const person = await openPerson();
	try {
		const page = person.page;
		const currentId = builtId('build');
		await createProfile(page, 'Dr. Ansel Thorvaldsen');
		expect(await workerActive(page)).toBe('activated');
		await page.goto(`${stack.appUrl}/settings`);
		await unlock(page);
		expect(await controllerUrl(page)).not.toBeNull();
		await expect(page.getByTestId('build-id')).toContainText(currentId);

		// A new deployment: a fresh build of the same source (its own build id), served in place
		// of the old one on the same origin. `--bypass-lock`: this build writes only `nextDir`
		// and .svelte-kit/, never the build/ the app server reads, so it can't race a build of it.
		const env: NodeJS.ProcessEnv = { ...process.env, TEND_BUILD_DIR: nextDir };
		delete env.TEND_BUILD_ID;
		delete env.TEND_BUILD_TIME;
		const build = spawnSync('npx', ['vite', 'build', '--bypass-lock'], { env, encoding: 'utf8' });
		expect(build.status, `${build.stdout}\n${build.stderr}`).toBe(0);
		const nextId = builtId(nextDir);
		expect(nextId).not.toBe(currentId);
		await stack.redeployApp(nextDir);

		// The app's check finds it: the prompt names the new build, and nothing changes yet.
		await checkForUpdate(page);
		const prompt = page.getByTestId('update-prompt');
		await expect(prompt).toContainText(`build ${nextId}`);
		await expect(prompt).not.toContainText(currentId);
		await expect(page.getByTestId('build-id')).toContainText(currentId);

		// "Later" puts it off until the next check, which offers it again.
		await page.getByTestId('update-later').click();
		await expect(prompt).toHaveCount(0);
		await checkForUpdate(page);
		await expect(prompt).toContainText(`build ${nextId}`);

		// ...and until the next start. Offline, so the id can only come from the waiting worker
		// (the server's build-info.json is out of reach), and the old build still runs.
		await page.getByTestId('update-later').click();
		const offline = await goOffline(person);
		try {
			await reloadAndUnlock(page);
			await expect(prompt).toContainText(`build ${nextId}`);
			await expect(page.getByTestId('build-id')).toContainText(currentId);
			expect(offline.served()).toBe(0);
		} finally {
			await offline.restore();
		}

		// "Update now": the new worker takes over and the page reloads into the new build.
		const reloaded = page.waitForEvent('load');
		await page.getByTestId('update-now').click();
		await reloaded;
		await unlock(page);
		await expect(page.getByTestId('build-id')).toContainText(nextId);
		await expect(prompt).toHaveCount(0);
		const precached = await page.evaluate(() => fetch('/build-info.json').then((r) => r.json()));
		expect(precached.id).toBe(nextId);
	} finally {
		await person.context.close().catch(() => {});
		removeDir(person.dir);
		removeDir(nextDir);
	}
});
