import { chromium, type BrowserContext, type Page } from '@playwright/test';
import { mkdtempSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startAppServer } from '../../scripts/serveApp.js';
import { RelayProcess } from '../helpers/relayProcess.js';
import { TcpProxy } from '../helpers/tcpProxy.js';
import { chromiumArgs, chromiumPath } from './chromium.js';

/**
 * Everything one browser test needs, on 127.0.0.1: a real relay process, a TCP proxy the test
 * can cut (what "offline" means for an open WebSocket), and the built app on its own server
 * whose `/config.json` points the app at the proxy.
 */
export interface Stack {
	relay: RelayProcess;
	proxy: TcpProxy;
	appUrl: string;
	/** The app's HTTP server, e.g. to count the requests that reach it. */
	readonly appServer: Server;
	/** Serves another build (`dir`) in place of the current one, on the same origin. */
	redeployApp(dir: string): Promise<void>;
	close(): Promise<void>;
}

export async function startStack(): Promise<Stack> {
	const relay = await RelayProcess.start({ logLevel: process.env.TEND_RELAY_LOG ?? 'info' });
	const proxy = await TcpProxy.start(relay.port);
	const relayUrl = `ws://localhost:${proxy.port}`;
	let app = await startAppServer({ port: 0, relayUrl });
	return {
		relay,
		proxy,
		appUrl: `http://localhost:${app.port}`,
		get appServer() {
			return app.server;
		},
		async redeployApp(dir) {
			await app.close();
			app = await startAppServer({ dir, port: app.port, relayUrl });
		},
		async close() {
			await app.close();
			await proxy.close();
			await relay.dispose();
		}
	};
}

export interface PersonOptions {
	/** The browser's language (`navigator.languages`, `Intl`), e.g. `ru-RU`; else Chromium's. */
	locale?: string;
	/** Extra Chromium flags, e.g. `fakeMediaArgs` for a test that records a voice note. */
	args?: string[];
}

/** A browser profile on disk (so the test can scan it), one per person. */
export async function openPerson(
	options: PersonOptions = {}
): Promise<{ context: BrowserContext; page: Page; dir: string }> {
	const dir = mkdtempSync(join(tmpdir(), 'tend-profile-'));
	const context = await chromium.launchPersistentContext(dir, {
		executablePath: chromiumPath,
		args: [...chromiumArgs, ...(options.args ?? [])],
		viewport: { width: 1024, height: 768 },
		...(options.locale ? { locale: options.locale } : {})
	});
	const page = context.pages()[0] ?? (await context.newPage());
	return { context, page, dir };
}

export function removeDir(dir: string): void {
	rmSync(dir, { recursive: true, force: true });
}

export { encodings, filesUnder, findInFiles } from '../helpers/scanFiles.js';

/**
 * Dumps every IndexedDB database, store, key and value of the page's origin through the raw
 * API, as strings: keys as their string form, values JSON-ish with bytes as Latin-1, so a
 * plaintext search covers what the app stored, whatever its shape.
 */
export async function dumpIndexedDb(page: Page): Promise<string> {
	return page.evaluate(async () => {
		const parts: string[] = [];
		const describe = (value: unknown): string => {
			if (value instanceof ArrayBuffer) value = new Uint8Array(value);
			if (value instanceof Uint8Array) {
				let text = '';
				for (const byte of value) text += String.fromCharCode(byte);
				const utf8 = new TextDecoder('utf-8', { fatal: false }).decode(value);
				return `${text}\n${utf8}`;
			}
			if (typeof value === 'string') return value;
			if (Array.isArray(value)) return value.map(describe).join('\n');
			if (value && typeof value === 'object') {
				return Object.entries(value)
					.map(([k, v]) => `${k}:${describe(v)}`)
					.join('\n');
			}
			return String(value);
		};
		for (const info of await indexedDB.databases()) {
			if (!info.name) continue;
			const db = await new Promise<IDBDatabase>((resolve, reject) => {
				const request = indexedDB.open(info.name!);
				request.onsuccess = () => resolve(request.result);
				request.onerror = () => reject(request.error);
			});
			parts.push(`db:${db.name}`);
			for (const storeName of Array.from(db.objectStoreNames)) {
				parts.push(`store:${storeName}`);
				const rows = await new Promise<{ key: unknown; value: unknown }[]>((resolve, reject) => {
					const out: { key: unknown; value: unknown }[] = [];
					const cursor = db.transaction(storeName).objectStore(storeName).openCursor();
					cursor.onsuccess = () => {
						const c = cursor.result;
						if (!c) return resolve(out);
						out.push({ key: c.key, value: c.value });
						c.continue();
					};
					cursor.onerror = () => reject(cursor.error);
				});
				for (const row of rows) parts.push(`${describe(row.key)}=${describe(row.value)}`);
			}
			db.close();
		}
		return parts.join('\n');
	});
}

/** Writes a marker in plain text into the origin's IndexedDB: the scans' positive control. */
export async function writeControlMarker(page: Page, marker: string): Promise<void> {
	await page.evaluate(async (text) => {
		const db = await new Promise<IDBDatabase>((resolve, reject) => {
			const request = indexedDB.open('tend-positive-control', 1);
			request.onupgradeneeded = () => request.result.createObjectStore('plain');
			request.onsuccess = () => resolve(request.result);
			request.onerror = () => reject(request.error);
		});
		await new Promise<void>((resolve, reject) => {
			const tx = db.transaction('plain', 'readwrite', { durability: 'strict' });
			tx.objectStore('plain').put({ text }, 'marker');
			tx.oncomplete = () => resolve();
			tx.onerror = () => reject(tx.error);
		});
		db.close();
	}, marker);
}

/** The passphrase every browser test sets (the vault refuses weak ones, so it is a real one). */
export const PASSPHRASE = 'amber kettle under seven quiet hills';

/**
 * Sets the device's passphrase on the vault's setup screen and acknowledges the recovery key,
 * which it returns. The page must be showing the setup screen (a fresh profile).
 */
export async function setUpVault(page: Page, passphrase = PASSPHRASE): Promise<string> {
	await page.getByTestId('passphrase-new').fill(passphrase);
	await page.getByTestId('passphrase-confirm').fill(passphrase);
	await page.getByTestId('vault-setup-submit').click();
	const key = page.getByTestId('recovery-key');
	await key.waitFor({ timeout: 30_000 });
	const recoveryKey = ((await key.textContent()) ?? '').trim();
	await page.getByTestId('recovery-key-saved').check();
	await page.getByTestId('recovery-key-done').click();
	return recoveryKey;
}

/** Opens the app on a fresh profile, sets the passphrase and the display name. */
export async function onboard(page: Page, appUrl: string, name: string): Promise<void> {
	await page.goto(appUrl);
	await setUpVault(page);
	await page.getByTestId('name-input').fill(name);
	await page.getByTestId('create-profile').click();
	await page.getByTestId('new-conversation').first().waitFor();
}

/** Unlocks the lock screen with the passphrase (and waits until it is gone). */
export async function unlock(page: Page, passphrase = PASSPHRASE): Promise<void> {
	await page.getByTestId('unlock-passphrase').fill(passphrase);
	await page.getByTestId('unlock-button').click();
	await page.getByTestId('lock-screen').waitFor({ state: 'detached', timeout: 30_000 });
}

/** Reloads a page and unlocks it again (a reload of the only open tab always locks). */
export async function reloadAndUnlock(page: Page, passphrase = PASSPHRASE): Promise<void> {
	await page.reload();
	await unlock(page, passphrase);
}
