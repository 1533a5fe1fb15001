import { expect, test, type Page } from '@playwright/test';
import { randomBytes } from 'node:crypto';
import { readyCrypto } from '../../src/lib/crypto/sodium.js';
import { decodeCbor } from '../../src/lib/protocol/cbor.js';
import { EncryptedStorageAdapter } from '../../src/lib/storage/EncryptedStorageAdapter.js';
import { MemoryBackend } from '../../src/lib/storage/MemoryBackend.js';
import {
	PASSPHRASE,
	dumpIndexedDb,
	filesUnder,
	findInFiles,
	openPerson,
	removeDir,
	setUpVault,
	startStack,
	unlock,
	writeControlMarker,
	type Stack
} from './stack.js';

/**
 * The vault in the browser (SECURITY-RULES.md rules 16 and 17): a passphrase set at onboarding;
 * every tab locks together after inactivity (timeout shortened through the documented
 * localStorage knob), reloading so no decrypted state survives; a wrong passphrase is refused and
 * repeated failures make the next attempt wait, across reloads; unlocking one tab opens the
 * others; before unlock the profile holds none of the plaintext, the passphrase, the recovery
 * key, the storage key or the device's secret keys; and a passkey (WebAuthn PRF, through
 * Chromium's virtual authenticator) becomes a second factor.
 */

let stack: Stack;

test.beforeEach(async () => {
	stack = await startStack();
});

test.afterEach(async () => {
	await stack.close();
});

const NAME = 'Dr. Rosalind Achterberg';
const TITLE = 'Wednesday exposure homework';
const MESSAGE = 'The ladder exercise went better than last week, stay with step four.';

async function createConversationWithMessage(page: Page): Promise<string> {
	await page.getByTestId('new-conversation').first().click();
	await page.getByTestId('title-input').fill(TITLE);
	await page.getByTestId('create-conversation').click();
	await page.getByTestId('composer-input').fill(MESSAGE);
	await page.getByTestId('send-button').click();
	await expect(page.getByTestId('message-text')).toHaveText([MESSAGE]);
	return page.url();
}

/** Marks the page's JavaScript world; a reload (rule 17) discards the mark. */
async function markWorld(page: Page): Promise<void> {
	await page.evaluate(() => ((window as { tendWorld?: number }).tendWorld = 1));
}

/**
 * Waits until the page shows the lock screen in a new JavaScript world (the lock reloaded it;
 * call {@link markWorld} before locking), then checks that nothing of the content is shown.
 */
async function expectLockedAndEmpty(page: Page): Promise<void> {
	await expect
		.poll(
			() =>
				page
					.evaluate(
						() =>
							(window as { tendWorld?: number }).tendWorld === undefined &&
							document.querySelector('[data-testid="lock-screen"]') !== null
					)
					.catch(() => false),
			{ timeout: 30_000 }
		)
		.toBe(true);
	const shown = await page.evaluate(() => `${document.title}\n${document.body.innerText}`);
	for (const secret of [NAME, TITLE, MESSAGE]) expect(shown).not.toContain(secret);
	await expect(page.getByTestId('settings-link')).toHaveCount(0);
}

test('onboarding with a passphrase; inactivity locks every tab; wrong passphrase; backoff; unlock', async () => {
	test.setTimeout(360_000);
	const person = await openPerson();
	try {
		const first = person.page;
		await first.goto(stack.appUrl);

		// A weak passphrase is refused before anything is set up.
		await first.getByTestId('passphrase-new').fill('password123');
		await first.getByTestId('passphrase-confirm').fill('password123');
		await expect(first.getByTestId('passphrase-strength')).toHaveAttribute('data-score', /[0-2]/);
		await first.getByTestId('vault-setup-submit').click();
		await expect(first.getByText('This passphrase is too easy to guess')).toBeVisible();
		await expect(first.getByTestId('vault-setup')).toBeVisible();

		// A good one: the recovery key is shown once, then the name.
		const recoveryKey = await setUpVault(first);
		expect(recoveryKey).toMatch(/^([0-9A-HJKMNP-TV-Z]{4}-){7}[0-9A-HJKMNP-TV-Z]{4}$/);
		await first.getByTestId('name-input').fill(NAME);
		await first.getByTestId('create-profile').click();
		const conversationUrl = await createConversationWithMessage(first);

		// The settings no longer say "not protected".
		await first.goto(`${stack.appUrl}/settings`);
		await unlock(first);
		await expect(first.getByTestId('protected-notice')).toBeVisible();
		await expect(first.getByTestId('not-protected-notice')).toHaveCount(0);

		// A second tab opens without the passphrase: the unlocked tab hands it the key.
		await first.goto(conversationUrl);
		await unlock(first);
		const second = await person.context.newPage();
		await second.goto(conversationUrl);
		await expect(second.getByTestId('message-text')).toHaveText([MESSAGE]);
		await expect(second.getByTestId('lock-screen')).toHaveCount(0);

		// Inactivity, shortened to 4 s through the documented knob: both tabs lock and reload.
		await markWorld(first);
		await markWorld(second);
		await first.evaluate(() => localStorage.setItem('tend-lock-after-seconds', '4'));
		await expectLockedAndEmpty(first);
		await expectLockedAndEmpty(second);
		await expect(first.getByTestId('lock-reason')).toBeVisible();
		await first.evaluate(() => localStorage.removeItem('tend-lock-after-seconds'));

		// A wrong passphrase is refused, calmly.
		await first.getByTestId('unlock-passphrase').fill('amber kettle under six quiet hills');
		await first.getByTestId('unlock-button').click();
		await expect(first.getByText('That did not open Tend.')).toBeVisible({ timeout: 30_000 });
		await expect(first.getByTestId('lock-screen')).toBeVisible();

		// Unlocking one tab opens the other too.
		await unlock(first);
		await expect(first.getByTestId('message-text')).toHaveText([MESSAGE]);
		await expect(second.getByTestId('message-text')).toHaveText([MESSAGE]);

		// The lock button locks both tabs at once.
		await markWorld(first);
		await markWorld(second);
		await first.getByTestId('lock-button').click();
		await expectLockedAndEmpty(first);
		await expectLockedAndEmpty(second);

		// Four wrong attempts: the fifth must wait, and the wait survives a reload.
		for (let i = 0; i < 4; i++) {
			await first.getByTestId('unlock-passphrase').fill(`wrong guess number ${i}`);
			await first.getByTestId('unlock-button').click();
			// The field empties only once the attempt has been decided.
			await expect(first.getByTestId('unlock-passphrase')).toHaveValue('', { timeout: 30_000 });
		}
		await expect(first.getByTestId('unlock-wait')).toBeVisible({ timeout: 30_000 });
		await expect(first.getByTestId('unlock-button')).toBeDisabled();
		await first.reload();
		await expect(first.getByTestId('unlock-wait')).toBeVisible();
		await expect(first.getByTestId('unlock-button')).toBeDisabled();

		// Once the wait is over, the right passphrase opens it.
		await expect(first.getByTestId('unlock-button')).toBeEnabled({ timeout: 30_000 });
		await unlock(first);
		await expect(first.getByTestId('message-text')).toHaveText([MESSAGE]);
	} finally {
		await person.context.close().catch(() => {});
		removeDir(person.dir);
	}
});

/** The storage key, asked of the unlocked tab over the vault's channel as a new tab would. */
async function storageKeyFrom(page: Page): Promise<Buffer> {
	const key = await page.evaluate(
		() =>
			new Promise<number[]>((resolve, reject) => {
				const channel = new BroadcastChannel('tend-vault');
				const timer = setTimeout(() => reject(new Error('no unlocked tab answered')), 5000);
				channel.onmessage = (event) => {
					if (event.data?.t === 'key' && event.data.id === 'scan-probe') {
						clearTimeout(timer);
						channel.close();
						resolve(Array.from(event.data.key as Uint8Array));
					}
				};
				channel.postMessage({ t: 'key-request', id: 'scan-probe' });
			})
	);
	return Buffer.from(key);
}

/** Every record of the documents database, raw. */
async function rawRecords(page: Page): Promise<{ key: string; value: number[] }[]> {
	return page.evaluate(async () => {
		const db = await new Promise<IDBDatabase>((resolve, reject) => {
			const request = indexedDB.open('tend');
			request.onsuccess = () => resolve(request.result);
			request.onerror = () => reject(request.error);
		});
		const tx = db.transaction('kv');
		const keys = tx.objectStore('kv').getAllKeys();
		const values = tx.objectStore('kv').getAll();
		await new Promise((resolve) => (tx.oncomplete = resolve));
		db.close();
		return (keys.result as string[]).map((key, i) => ({
			key,
			value: Array.from(values.result[i] as Uint8Array)
		}));
	});
}

/** The forms a secret byte string is searched in: raw, hex and base64(url). */
function byteForms(label: string, bytes: Buffer): [string, string][] {
	return [
		[`${label} (raw)`, bytes.toString('latin1')],
		[`${label} (hex)`, bytes.toString('hex')],
		[`${label} (base64)`, bytes.toString('base64').replace(/=+$/, '')],
		[`${label} (base64url)`, bytes.toString('base64url')]
	];
}

test('before unlock, the profile holds no plaintext, passphrase, recovery key or key bytes', async () => {
	await readyCrypto();
	const person = await openPerson();
	try {
		const page = person.page;
		await page.goto(stack.appUrl);
		const recoveryKey = await setUpVault(page);
		await page.getByTestId('name-input').fill(NAME);
		await page.getByTestId('create-profile').click();
		await createConversationWithMessage(page);

		// The keys, as the running app holds them: the storage key from the unlocked tab, the
		// device's secret keys by opening its sealed record with that key (outside the browser).
		const storageKey = await storageKeyFrom(page);
		expect(storageKey).toHaveLength(32);
		const backend = new MemoryBackend();
		await backend.put(
			(await rawRecords(page)).map(({ key, value }) => ({ key, value: Uint8Array.from(value) }))
		);
		const store = new EncryptedStorageAdapter({ backend, storageKey });
		const deviceBytes = await store.load(['tend', 'device']);
		expect(deviceBytes, 'the storage key opens the device record').toBeDefined();
		const device = decodeCbor(deviceBytes!) as { signSk: Uint8Array; boxSk: Uint8Array };
		const signSeed = Buffer.from(device.signSk.subarray(0, 32));
		const boxSk = Buffer.from(device.boxSk);

		// Lock, and look at what is left: the raw IndexedDB of the origin, then the files.
		await markWorld(page);
		await page.getByTestId('lock-button').click();
		await expectLockedAndEmpty(page);
		const secrets: [string, string][] = [
			['name', NAME],
			['title', TITLE],
			['message', MESSAGE],
			['passphrase', PASSPHRASE],
			['recovery key', recoveryKey],
			['recovery key (compact)', recoveryKey.replace(/-/g, '')],
			...byteForms('storage key', storageKey),
			...byteForms('signing key seed', signSeed),
			...byteForms('box secret key', boxSk)
		];
		const dump = await dumpIndexedDb(page);
		expect(dump.length).toBeGreaterThan(1000);
		expect(secrets.filter(([, s]) => dump.includes(s)).map(([label]) => label)).toEqual([]);

		// Positive controls: a text marker and 32 random bytes, stored in the clear on purpose.
		const marker = `vault-positive-control-${Date.now()}`;
		const controlBytes = randomBytes(32);
		await writeControlMarker(page, marker);
		await page.evaluate(async (bytes) => {
			const db = await new Promise<IDBDatabase>((resolve, reject) => {
				const request = indexedDB.open('tend-positive-control');
				request.onsuccess = () => resolve(request.result);
				request.onerror = () => reject(request.error);
			});
			const tx = db.transaction('plain', 'readwrite', { durability: 'strict' });
			tx.objectStore('plain').put(Uint8Array.from(bytes), 'bytes');
			await new Promise((resolve) => (tx.oncomplete = resolve));
			db.close();
		}, Array.from(controlBytes));
		await person.context.close();

		const controlRaw = controlBytes.toString('latin1');
		const hits = findInFiles(filesUnder(person.dir), [marker, controlRaw, ...secrets.map(([, s]) => s)]);
		expect(hits.has(marker), 'the scan finds the text control').toBe(true);
		expect(hits.has(controlRaw), 'the scan finds the byte control').toBe(true);
		const leaked = secrets.filter(([, s]) => hits.has(s)).map(([label]) => label);
		expect(leaked).toEqual([]);
	} finally {
		await person.context.close().catch(() => {});
		removeDir(person.dir);
	}
});

test('a passkey with PRF becomes a second factor (virtual authenticator)', async () => {
	const person = await openPerson();
	try {
		const page = person.page;
		const cdp = await person.context.newCDPSession(page);
		await cdp.send('WebAuthn.enable');
		const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
			options: {
				protocol: 'ctap2',
				ctap2Version: 'ctap2_1',
				transport: 'internal',
				hasResidentKey: true,
				hasUserVerification: true,
				isUserVerified: true,
				hasPrf: true,
				automaticPresenceSimulation: true
			}
		});
		await page.goto(stack.appUrl);
		const recoveryKey = await setUpVault(page);
		await page.getByTestId('name-input').fill(NAME);
		await page.getByTestId('create-profile').click();
		await createConversationWithMessage(page);

		// Add the passkey from the settings (it asks for the passphrase first).
		await page.getByTestId('settings-link').click();
		await expect(page.getByTestId('passkey-settings')).toHaveAttribute('data-enrolled', 'false');
		await page.getByTestId('add-passkey').click();
		await page.getByTestId('add-passkey-passphrase').fill(PASSPHRASE);
		await page.getByTestId('add-passkey-confirm').click();
		await expect(page.getByTestId('passkey-settings')).toHaveAttribute('data-enrolled', 'true', {
			timeout: 30_000
		});
		await expect(page.getByTestId('passkey-on')).toBeVisible();
		const { credentials } = await cdp.send('WebAuthn.getCredentials', { authenticatorId });
		expect(credentials).toHaveLength(1);

		// Locked: the passphrase plus the passkey (answered by the authenticator) unlock.
		await markWorld(page);
		await page.getByTestId('lock-button').click();
		await expectLockedAndEmpty(page);
		await expect(page.getByText('confirm with your passkey')).toBeVisible();
		await unlock(page);
		await expect(page.getByTestId('passkey-settings')).toHaveAttribute('data-enrolled', 'true');

		// Without that passkey (another authenticator, another credential), the passphrase
		// alone does not open the vault.
		await markWorld(page);
		await page.getByTestId('lock-button').click();
		await expectLockedAndEmpty(page);
		await cdp.send('WebAuthn.removeVirtualAuthenticator', { authenticatorId });
		await cdp.send('WebAuthn.addVirtualAuthenticator', {
			options: {
				protocol: 'ctap2',
				ctap2Version: 'ctap2_1',
				transport: 'internal',
				hasResidentKey: true,
				hasUserVerification: true,
				isUserVerified: true,
				hasPrf: true,
				automaticPresenceSimulation: true
			}
		});
		await page.getByTestId('unlock-passphrase').fill(PASSPHRASE);
		await page.getByTestId('unlock-button').click();
		await expect(page.getByText('The passkey was not used.')).toBeVisible({ timeout: 60_000 });
		await expect(page.getByTestId('lock-screen')).toBeVisible();

		// The printed recovery key still opens it (the lost passkey is dropped) and sets a new
		// passphrase, which alone then unlocks; the old passphrase no longer does.
		const NEW_PASSPHRASE = 'violet ferry beyond eleven narrow stairs';
		await page.getByTestId('forgot-passphrase').click();
		await page.getByTestId('recovery-input').fill(recoveryKey.toLowerCase().replace(/-/g, ' '));
		await page.getByTestId('passphrase-new').fill(NEW_PASSPHRASE);
		await page.getByTestId('passphrase-confirm').fill(NEW_PASSPHRASE);
		await page.getByTestId('recover-button').click();
		await expect(page.getByTestId('lock-screen')).toHaveCount(0, { timeout: 30_000 });
		await expect(page.getByTestId('passkey-settings')).toHaveAttribute('data-enrolled', 'false');
		await markWorld(page);
		await page.getByTestId('lock-button').click();
		await expectLockedAndEmpty(page);
		await page.getByTestId('unlock-passphrase').fill(PASSPHRASE);
		await page.getByTestId('unlock-button').click();
		await expect(page.getByText('That did not open Tend.')).toBeVisible({ timeout: 30_000 });
		await unlock(page, NEW_PASSPHRASE);
		await expect(page.getByTestId('passkey-settings')).toHaveAttribute('data-enrolled', 'false');
	} finally {
		await person.context.close().catch(() => {});
		removeDir(person.dir);
	}
});
