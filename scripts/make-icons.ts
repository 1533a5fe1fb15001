import { chromium } from 'playwright-core';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * `npm run icons`: rasterises `static/favicon.svg` into the PNG icons the web app manifest and
 * iOS need, under `static/icons/`, with Debian's Chromium (TOOLCHAIN.md). Run it again after
 * changing the favicon and commit the PNGs.
 *
 * - `icon-192.png`, `icon-512.png` (purpose `any`): the favicon as it is, rounded corners and all.
 * - `icon-maskable-512.png`: full bleed in the favicon's green, the mark scaled to 80% so that it
 *   stays inside the maskable safe zone (a centred circle of 80% diameter, W3C appmanifest).
 * - `apple-touch-icon-180.png`: full bleed too, because iOS rounds the corners itself and fills
 *   transparent pixels with black.
 */
const svg = readFileSync('static/favicon.svg', 'utf8');
const green = /<rect[^>]*fill="(#[0-9a-f]{6})"/i.exec(svg)?.[1];
if (!green) throw new Error('static/favicon.svg: no <rect fill="#rrggbb"> to take the background from');

interface IconSpec {
	file: string;
	size: number;
	/** Share of the canvas the favicon covers; the rest is `background`. */
	scale: number;
	background?: string;
}

const icons: IconSpec[] = [
	{ file: 'icon-192.png', size: 192, scale: 1 },
	{ file: 'icon-512.png', size: 512, scale: 1 },
	{ file: 'icon-maskable-512.png', size: 512, scale: 0.8, background: green },
	{ file: 'apple-touch-icon-180.png', size: 180, scale: 1, background: green }
];

const outDir = join('static', 'icons');
mkdirSync(outDir, { recursive: true });

const browser = await chromium.launch({
	executablePath: '/usr/bin/chromium',
	args: ['--no-sandbox', '--disable-gpu', '--no-first-run']
});
try {
	const dataUrl = `data:image/svg+xml;base64,${Buffer.from(svg).toString('base64')}`;
	for (const icon of icons) {
		const page = await browser.newPage({
			viewport: { width: icon.size, height: icon.size },
			deviceScaleFactor: 1
		});
		const inner = Math.round(icon.size * icon.scale);
		await page.setContent(`<!doctype html>
<style>
	html, body { margin: 0; width: 100%; height: 100%; background: ${icon.background ?? 'transparent'}; }
	body { display: grid; place-items: center; }
	img { width: ${inner}px; height: ${inner}px; display: block; }
</style>
<img src="${dataUrl}" alt="">`);
		await page.locator('img').evaluate((img: HTMLImageElement) => img.decode());
		const png = await page.screenshot({ omitBackground: !icon.background, type: 'png' });
		writeFileSync(join(outDir, icon.file), png);
		await page.close();
		console.log(`${join(outDir, icon.file)}: ${icon.size}×${icon.size}`);
	}
} finally {
	await browser.close();
}
