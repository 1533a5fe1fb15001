import { expect, test, type Page } from '@playwright/test';
import Database from 'better-sqlite3';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { crc32, deflateSync } from 'node:zlib';
import { fakeMediaArgs } from './chromium.js';
import {
	dumpIndexedDb,
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
 * Files end to end, two people in two persistent Chromium profiles through the real relay:
 * a photo with its thumbnail, a voice note recorded from Chromium's fake microphone and played
 * with its waveform, a file queued while the relay is cut off and one whose upload resumes
 * after the connection dropped mid-way, a downloaded photo opening again offline, and no byte
 * of any file's plaintext in the relay's files or either browser's storage.
 */

const THERAPIST = 'Dr. Philippa Aldous';
const CLIENT = 'Wendell Okonkwo';
const TITLE = 'Worksheets and voice notes';

let stack: Stack;

test.beforeEach(async () => {
	stack = await startStack();
});

test.afterEach(async () => {
	await stack.close();
});

/** A valid PNG (w×h, a colour gradient), carrying `marker` in a text chunk when given. */
function makePng(width: number, height: number, marker?: string): Buffer {
	const chunk = (type: string, data: Buffer) => {
		const length = Buffer.alloc(4);
		length.writeUInt32BE(data.length);
		const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
		const crc = Buffer.alloc(4);
		crc.writeUInt32BE(crc32(body));
		return Buffer.concat([length, body, crc]);
	};
	const header = Buffer.alloc(13);
	header.writeUInt32BE(width, 0);
	header.writeUInt32BE(height, 4);
	header[8] = 8; // bit depth
	header[9] = 2; // RGB
	const rows = Buffer.alloc((width * 3 + 1) * height);
	for (let y = 0; y < height; y++) {
		const row = y * (width * 3 + 1);
		for (let x = 0; x < width; x++) {
			rows[row + 1 + x * 3] = (x * 255) / width;
			rows[row + 2 + x * 3] = (y * 255) / height;
			rows[row + 3 + x * 3] = 140;
		}
	}
	return Buffer.concat([
		Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
		chunk('IHDR', header),
		...(marker === undefined ? [] : [chunk('tEXt', Buffer.from(`Comment\0${marker}`, 'latin1'))]),
		chunk('IDAT', deflateSync(rows)),
		chunk('IEND', Buffer.alloc(0))
	]);
}

/**
 * A JPEG as a phone camera writes one: Chromium encodes a 640×400 gradient, then an EXIF block
 * is put in front holding orientation 6 (turn 90° clockwise to display) and `marker` where a
 * camera puts its GPS position and serial number.
 */
async function makeCameraJpeg(page: Page, marker: string): Promise<Buffer> {
	const encoded = await page.evaluate(async () => {
		const canvas = document.createElement('canvas');
		canvas.width = 640;
		canvas.height = 400;
		const ctx = canvas.getContext('2d')!;
		const gradient = ctx.createLinearGradient(0, 0, 640, 400);
		gradient.addColorStop(0, '#2a6f97');
		gradient.addColorStop(1, '#f4a261');
		ctx.fillStyle = gradient;
		ctx.fillRect(0, 0, 640, 400);
		const blob = await new Promise<Blob>((resolve) => canvas.toBlob((b) => resolve(b!), 'image/jpeg', 0.9));
		return [...new Uint8Array(await blob.arrayBuffer())];
	});
	const jpeg = Buffer.from(encoded);
	const text = Buffer.from(`${marker}\0`, 'latin1');
	// Little-endian TIFF, IFD0 with two entries: Orientation = 6 and ImageDescription → text.
	const ifd = Buffer.alloc(2 + 2 * 12 + 4);
	ifd.writeUInt16LE(2, 0);
	ifd.writeUInt16LE(0x0112, 2);
	ifd.writeUInt16LE(3, 4);
	ifd.writeUInt32LE(1, 6);
	ifd.writeUInt16LE(6, 10);
	ifd.writeUInt16LE(0x010e, 14);
	ifd.writeUInt16LE(2, 16);
	ifd.writeUInt32LE(text.length, 18);
	ifd.writeUInt32LE(8 + ifd.length, 22);
	const tiff = Buffer.concat([Buffer.from([0x49, 0x49, 0x2a, 0, 8, 0, 0, 0]), ifd, text]);
	const payload = Buffer.concat([Buffer.from('Exif\0\0', 'latin1'), tiff]);
	const app1 = Buffer.concat([Buffer.from([0xff, 0xe1, (payload.length + 2) >> 8, (payload.length + 2) & 0xff]), payload]);
	return Buffer.concat([jpeg.subarray(0, 2), app1, jpeg.subarray(2)]);
}

/** A text document of `size` bytes with `marker` on every line and random filler. */
function makeDocument(size: number, marker: string): Buffer {
	const lines: string[] = [];
	let length = 0;
	while (length < size) {
		const line = `${marker} ${randomBytes(24).toString('hex')}\n`;
		lines.push(line);
		length += line.length;
	}
	return Buffer.from(lines.join('')).subarray(0, size);
}

/** Clicks a Save button and returns the bytes the browser saved. */
async function saveBytes(page: Page, button: ReturnType<Page['getByTestId']>): Promise<{ name: string; bytes: Buffer }> {
	const download = page.waitForEvent('download');
	await button.click();
	const saved = await download;
	return { name: saved.suggestedFilename(), bytes: readFileSync((await saved.path())!) };
}

/** Which of the binary needles occur in any of the files. */
function filesContaining(files: string[], needles: Buffer[]): string[] {
	const hits: string[] = [];
	for (const file of files) {
		let content: Buffer;
		try {
			content = readFileSync(file);
		} catch {
			continue;
		}
		for (const needle of needles) if (content.includes(needle)) hits.push(file);
	}
	return hits;
}

function blobRows(stack: Stack): { complete: number; parts: number }[] {
	const db = new Database(join(stack.relay.dataDir, 'relay.sqlite'), { readonly: true });
	try {
		return db
			.prepare(
				'SELECT complete, (SELECT count(*) FROM blob_parts p WHERE p.doc = b.doc AND p.blob = b.id) AS parts FROM blobs b'
			)
			.all() as { complete: number; parts: number }[];
	} finally {
		db.close();
	}
}

async function connectPair(t: Page, c: Page) {
	await onboard(t, stack.appUrl, THERAPIST);
	await t.getByTestId('new-conversation').first().click();
	await t.getByTestId('title-input').fill(TITLE);
	await t.getByTestId('create-conversation').click();
	await expect(t.getByTestId('connection-status')).toHaveAttribute('data-state', 'online');
	await t.getByTestId('invite-button').click();
	const field = t.getByTestId('invite-link');
	await expect(field).toBeVisible();
	const link = (await field.evaluate((node) => (node as HTMLInputElement).value ?? node.textContent)).trim();

	await c.goto(link);
	await setUpVault(c);
	await expect(c.getByTestId('join-phase')).toHaveAttribute('data-phase', 'ready');
	await c.getByTestId('join-name-input').fill(CLIENT);
	await c.getByTestId('join-button').click();
	await expect(t.getByTestId('join-request')).toContainText(CLIENT);
	await t.getByTestId('admit-button').click();
	await expect(c.getByTestId('composer-input')).toBeVisible();
}

async function attach(page: Page, files: { name: string; mimeType: string; buffer: Buffer }[]) {
	const before = await page.getByTestId('pending-file').count();
	await page.getByTestId('file-input').setInputFiles(files);
	await expect(page.getByTestId('pending-file')).toHaveCount(before + files.length);
}

async function sendPending(page: Page, text = '') {
	const before = await page.getByTestId('message').count();
	if (text) await page.getByTestId('composer-input').fill(text);
	await page.getByTestId('send-button').click();
	await expect(page.getByTestId('message')).toHaveCount(before + 1);
	await expect(page.getByTestId('pending-file')).toHaveCount(0);
}

test('a photo and a voice note go both ways, offline files queue and resume, and no plaintext is stored', async () => {
	// Many steps and two large storage dumps: on a busy 2-core machine this takes minutes.
	test.setTimeout(360_000);
	const therapist = await openPerson();
	const client = await openPerson({ args: fakeMediaArgs });
	const t = therapist.page;
	const c = client.page;
	try {
		await connectPair(t, c);

		// A photo: the sender makes the thumbnail; the receiver sees it before downloading, and
		// the full image after every chunk and the hash checked out.
		const photoMarker = `photo-plaintext-${randomBytes(6).toString('hex')}`;
		const png = makePng(640, 400, photoMarker);
		await attach(t, [{ name: 'receipt-march.png', mimeType: 'image/png', buffer: png }]);
		await expect(t.getByTestId('pending-file')).toHaveAttribute('data-kind', 'image');
		await sendPending(t, 'The receipt from March');
		const sentPhoto = t.locator('[data-testid="attachment"][data-kind="image"]').first();
		await expect(sentPhoto).toHaveAttribute('data-status', 'saved', { timeout: 30_000 });

		const photo = c.locator('[data-testid="attachment"][data-kind="image"]').first();
		await expect(photo).toBeVisible({ timeout: 30_000 });
		await expect(photo.getByTestId('attachment-thumbnail')).toHaveAttribute('src', /^data:image\/jpeg;base64,/);
		await expect(photo).toHaveAttribute('data-status', 'remote');
		await photo.getByTestId('attachment-photo').click();
		const full = c.getByTestId('photo-full');
		await expect(full).toBeVisible();
		await expect.poll(() => full.evaluate((img) => (img as HTMLImageElement).naturalWidth)).toBe(640);
		expect(await full.getAttribute('src')).toMatch(/^blob:/);
		const savedPhoto = await saveBytes(c, c.getByTestId('photo-save'));
		expect(savedPhoto.name).toBe('receipt-march.png');
		// The same PNG, pixels byte for byte, without its text chunk (metadata is stripped).
		expect(savedPhoto.bytes.equals(makePng(640, 400))).toBe(true);
		await c.keyboard.press('Escape');
		await expect(photo).toHaveAttribute('data-status', 'saved');

		// A camera photo: its GPS-like EXIF never leaves the sender's device, its orientation does.
		const gpsMarker = `gps-plaintext-${randomBytes(6).toString('hex')}`;
		const cameraJpeg = await makeCameraJpeg(t, gpsMarker);
		expect(cameraJpeg.includes(gpsMarker)).toBe(true);
		await attach(t, [{ name: 'worksheet-photo.jpg', mimeType: 'image/jpeg', buffer: cameraJpeg }]);
		await sendPending(t);
		const cameraPhoto = c.locator('[data-testid="attachment"][data-kind="image"]').nth(1);
		await expect(cameraPhoto).toBeVisible({ timeout: 30_000 });
		await cameraPhoto.getByTestId('attachment-photo').click();
		// Shown upright: orientation 6 turns the 640×400 picture into a 400×640 one.
		await expect.poll(() => c.getByTestId('photo-full').evaluate((img) => (img as HTMLImageElement).naturalWidth)).toBe(400);
		const savedCamera = await saveBytes(c, c.getByTestId('photo-save'));
		await c.keyboard.press('Escape');
		expect(savedCamera.bytes.includes(gpsMarker)).toBe(false);
		expect(savedCamera.bytes.includes(Buffer.from('Exif\0\0', 'latin1'))).toBe(true);
		const jpegScan = cameraJpeg.subarray(cameraJpeg.length - 300, cameraJpeg.length - 268);
		expect(savedCamera.bytes.includes(jpegScan)).toBe(true);

		// Deleted for everyone: the file goes from the relay too, not only from the screen.
		const storedBefore = blobRows(stack).length;
		const cameraMessage = t.getByTestId('message').last();
		await cameraMessage.getByTestId('message-more').click();
		await cameraMessage.getByTestId('delete-button').click();
		await cameraMessage.getByTestId('delete-confirm').click();
		await expect(c.locator('[data-testid="attachment"][data-kind="image"]')).toHaveCount(1, { timeout: 30_000 });
		await expect.poll(() => blobRows(stack).length, { timeout: 30_000 }).toBe(storedBefore - 1);
		expect(stack.relay.logRecords().filter((r) => r.msg === 'blob deleted')).toHaveLength(1);

		// A voice note from the client's fake microphone, with duration and waveform.
		await c.getByTestId('record-button').click();
		await expect(c.getByTestId('recording-time')).toBeVisible();
		await c.waitForTimeout(2200);
		await c.getByTestId('record-stop').click();
		await expect(c.getByTestId('pending-file')).toHaveAttribute('data-kind', 'voice');
		await sendPending(c);
		const voice = t.locator('[data-testid="attachment"][data-kind="voice"]');
		await expect(voice).toBeVisible({ timeout: 30_000 });
		const durationText = (await voice.getByTestId('voice-time').textContent())?.trim() ?? '';
		expect(durationText).toMatch(/^0:0[1-9]$/);
		const bars = await voice.locator('svg.wave rect').count();
		expect(bars).toBeGreaterThanOrEqual(32);
		await voice.getByTestId('voice-play').click();
		const audio = voice.getByTestId('voice-audio');
		await expect(audio).toHaveAttribute('src', /^blob:/);
		await expect.poll(() => audio.evaluate((a) => (a as HTMLAudioElement).currentTime), { timeout: 15_000 }).toBeGreaterThan(0.2);
		// Scrubbing moves the playhead.
		await voice.getByTestId('voice-play').click();
		await voice.getByTestId('voice-scrub').fill('1.5');
		await expect.poll(() => audio.evaluate((a) => (a as HTMLAudioElement).currentTime)).toBeGreaterThan(1.3);
		const voiceBytes = (await saveBytes(t, voice.getByTestId('attachment-save'))).bytes;
		expect(voiceBytes.length).toBeGreaterThan(2000);

		// Offline: the therapist attaches a worksheet while the relay is cut off. It is sealed
		// and queued on the device; nothing reaches the client until the connection returns.
		stack.proxy.cut();
		await expect(t.getByTestId('connection-status')).not.toHaveAttribute('data-state', 'online');
		const sheetMarker = `worksheet-plaintext-${randomBytes(6).toString('hex')}`;
		const sheet = makeDocument(300_000, sheetMarker);
		await attach(t, [{ name: 'grounding-worksheet.txt', mimeType: 'text/plain', buffer: sheet }]);
		await sendPending(t, 'Worksheet for this week');
		const queued = t.locator('[data-testid="attachment"][data-kind="file"]');
		await expect(queued).toHaveAttribute('data-status', 'queued');
		// Queued across a reload, too (sealed in IndexedDB).
		await reloadAndUnlock(t);
		await expect(t.locator('[data-testid="attachment"][data-kind="file"]')).toHaveAttribute('data-status', 'queued');
		await c.waitForTimeout(1000);
		await expect(c.locator('[data-testid="attachment"][data-kind="file"]')).toHaveCount(0);
		stack.proxy.restore();
		await expect(t.locator('[data-testid="attachment"][data-kind="file"]')).toHaveAttribute('data-status', 'saved', { timeout: 45_000 });
		const received = c.locator('[data-testid="attachment"][data-kind="file"]');
		await expect(received).toBeVisible({ timeout: 45_000 });
		await expect(received.getByTestId('attachment-name')).toHaveText('grounding-worksheet.txt');
		const savedSheet = await saveBytes(c, received.getByTestId('attachment-save'));
		expect(savedSheet.name).toBe('grounding-worksheet.txt');
		expect(savedSheet.bytes.equals(sheet)).toBe(true);

		// A large file whose upload is cut off mid-way resumes from the parts the relay holds.
		const bigMarker = `big-plaintext-${randomBytes(6).toString('hex')}`;
		const big = makeDocument(8_000_000, bigMarker);
		const completeBefore = blobRows(stack).filter((row) => row.complete === 1).length;
		await attach(t, [{ name: 'session-recording-notes.txt', mimeType: 'text/plain', buffer: big }]);
		await sendPending(t);
		await expect.poll(() => blobRows(stack).some((row) => row.complete === 0 && row.parts >= 2), { timeout: 60_000, intervals: [20] }).toBe(true);
		stack.proxy.cut();
		const during = blobRows(stack).find((row) => row.complete === 0);
		expect(during, 'the upload was cut before it finished').toBeDefined();
		const partsAtCut = during!.parts;
		await expect(t.locator('[data-testid="attachment"][data-kind="file"]').last()).toHaveAttribute('data-status', 'queued');
		stack.proxy.restore();
		await expect(t.locator('[data-testid="attachment"][data-kind="file"]').last()).toHaveAttribute('data-status', 'saved', { timeout: 90_000 });
		expect(blobRows(stack).filter((row) => row.complete === 1).length).toBe(completeBefore + 1);
		// One upload, started once: the relay's log has one start for it, so the resumed
		// connection continued from the stored parts instead of starting over.
		const bigStarts = stack.relay
			.logRecords()
			.filter((r) => r.msg === 'blob upload started' && typeof r.size === 'number' && r.size > 8_000_000);
		expect(bigStarts).toHaveLength(1);
		expect(partsAtCut).toBeGreaterThanOrEqual(2);

		// A downloaded photo opens again with the relay stopped, after a reload: kept sealed.
		await stack.relay.stop();
		await reloadAndUnlock(c);
		const again = c.locator('[data-testid="attachment"][data-kind="image"]').first();
		await expect(again).toHaveAttribute('data-status', 'saved', { timeout: 30_000 });
		await again.getByTestId('attachment-photo').click();
		await expect.poll(() => c.getByTestId('photo-full').evaluate((img) => (img as HTMLImageElement).naturalWidth)).toBe(640);
		await c.keyboard.press('Escape');

		// No plaintext of any file in the relay's files, either profile or a raw IndexedDB dump;
		// a marker written in clear is found by the same scans.
		const markers = [photoMarker, gpsMarker, sheetMarker, bigMarker];
		const voiceSlices = [voiceBytes.length >> 1, voiceBytes.length - 40].map((at) => voiceBytes.subarray(at, at + 32));
		const pngSlice = png.subarray(png.length - 200, png.length - 160);
		const relayFiles = filesUnder(stack.relay.dataDir);
		expect([...findInFiles(relayFiles, markers).keys()]).toEqual([]);
		expect(filesContaining(relayFiles, [...voiceSlices, pngSlice, jpegScan])).toEqual([]);

		const control = `files-positive-control-${Date.now()}-Ω`;
		for (const person of [therapist, client]) {
			const dump = await dumpIndexedDb(person.page);
			expect(dump.length).toBeGreaterThan(100_000);
			expect(markers.filter((m) => dump.includes(m))).toEqual([]);
			await writeControlMarker(person.page, control);
		}
		await therapist.context.close();
		await client.context.close();
		for (const person of [therapist, client]) {
			const files = filesUnder(person.dir);
			const hits = findInFiles(files, [control, ...markers]);
			expect(hits.has(control), 'the profile scan finds the positive control').toBe(true);
			hits.delete(control);
			expect(Object.fromEntries(hits)).toEqual({});
			expect(filesContaining(files, [...voiceSlices, pngSlice, jpegScan])).toEqual([]);
		}
	} finally {
		await therapist.context.close().catch(() => {});
		await client.context.close().catch(() => {});
		removeDir(therapist.dir);
		removeDir(client.dir);
	}
});
