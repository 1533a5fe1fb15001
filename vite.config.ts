import { sveltekit } from '@sveltejs/kit/vite';
import { SvelteKitPWA } from '@vite-pwa/sveltekit';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import type { Plugin } from 'vite';
import { defineConfig } from 'vitest/config';
import { SERVICE_WORKER_FILE } from './src/lib/app/serviceWorkerFile.js';
import { BUILD_INFO_REQUEST } from './src/lib/app/waitingBuild.js';

/**
 * The build id the update prompt shows (SECURITY-RULES.md, rule 18): the first 7 hex digits of
 * SHA-256 over the git commit and the build time, so every build, even of the same commit, gets
 * its own id. SvelteKit loads this file again for its client build, in the same process, so the
 * id is kept in `TEND_BUILD_ID` to stay the same across both; setting it yourself gives a
 * reproducible id.
 */
function buildInfo(): { id: string; commit: string; builtAt: string } {
	let commit = 'unknown';
	try {
		commit = execFileSync('git', ['rev-parse', 'HEAD'], { encoding: 'utf8' }).trim();
	} catch {
		// Not a git checkout (a source tarball): the time alone makes the id.
	}
	const builtAt = (process.env.TEND_BUILD_TIME ??= new Date().toISOString());
	const id = (process.env.TEND_BUILD_ID ??= createHash('sha256')
		.update(`${commit}\n${builtAt}`)
		.digest('hex')
		.slice(0, 7));
	return { id, commit, builtAt };
}

const build = buildInfo();

/**
 * Writes what this build says about itself into the client output:
 * - `/build-info.json`, precached, and for anyone who wants to know what a server deploys;
 * - `/sw-build-info.js`, which the service worker imports (`workbox.importScripts` below): it
 *   answers a `TEND_BUILD_INFO` message with this build's info, so the update prompt can ask
 *   the waiting worker which build it holds (`src/lib/app/waitingBuild.ts` says why that way).
 */
function emitBuildInfo(): Plugin {
	let ssr = false;
	return {
		name: 'tend-build-info',
		apply: 'build',
		configResolved(config) {
			ssr = Boolean(config.build.ssr);
		},
		generateBundle() {
			if (ssr) return;
			const info = JSON.stringify(build);
			this.emitFile({ type: 'asset', fileName: 'build-info.json', source: `${info}\n` });
			this.emitFile({
				type: 'asset',
				fileName: 'sw-build-info.js',
				source: [
					'// Written by vite.config.ts (tend-build-info); imported by sw.js.',
					"self.addEventListener('message', (event) => {",
					`\tif (event.data?.type !== ${JSON.stringify(BUILD_INFO_REQUEST)}) return;`,
					`\tevent.ports[0]?.postMessage(${info});`,
					'});',
					''
				].join('\n')
			});
		}
	};
}

export default defineConfig({
	plugins: [
		sveltekit(),
		emitBuildInfo(),
		SvelteKitPWA({
			strategies: 'generateSW',
			registerType: 'prompt',
			filename: SERVICE_WORKER_FILE,
			// src/lib/app/AppUpdates.svelte.ts registers the worker itself, at an absolute path
			// (`virtual:pwa-register` would use `./sw.js`, relative to whatever page opened first).
			injectRegister: false,
			// The <link rel="manifest"> is in src/app.html: SvelteKit doesn't use Vite's index.html.
			manifest: {
				name: 'Tend',
				short_name: 'Tend',
				description: 'End-to-end encrypted messages for therapy practices, offline first.',
				id: '/',
				start_url: '/',
				scope: '/',
				display: 'standalone',
				// --surface (the header) and --bg of the light scheme in src/app.css.
				theme_color: '#ffffff',
				background_color: '#f5f5f2',
				icons: [
					{ src: '/icons/icon-192.png', sizes: '192x192', type: 'image/png', purpose: 'any' },
					{ src: '/icons/icon-512.png', sizes: '512x512', type: 'image/png', purpose: 'any' },
					{
						src: '/icons/icon-maskable-512.png',
						sizes: '512x512',
						type: 'image/png',
						purpose: 'maskable'
					}
				]
			},
			workbox: {
				globPatterns: [
					'client/**/*.{js,css,html,ico,png,svg,webp,woff2,wasm,webmanifest}',
					'client/build-info.json'
				],
				// The Automerge wasm is 3.6 MB; the default limit (2 MiB) would leave it out.
				maximumFileSizeToCacheInBytes: 8 * 1024 * 1024,
				importScripts: ['sw-build-info.js']
			},
			kit: { adapterFallback: 'index.html', spa: true }
		})
	],
	define: {
		__TEND_BUILD__: JSON.stringify(build.id)
	},
	optimizeDeps: { exclude: ['@automerge/automerge'] },
	server: { host: '127.0.0.1', port: 5173, strictPort: true },
	preview: { host: '127.0.0.1', port: 4173 },
	build: { target: 'es2022' },
	test: {
		environment: 'node',
		include: ['tests/unit/**/*.test.ts', 'tests/integration/**/*.test.ts'],
		testTimeout: 30_000,
		hookTimeout: 60_000,
		fileParallelism: false
	}
});
