import { mergeConfig, type Plugin } from 'vite';
import base from './vite.config.js';

/**
 * The dev server with the in-memory fake app instead of the real one, for working on the UI
 * without a relay: `npx vite dev --config vite.fake.config.ts`, then open
 * `/?fake=demo` (see `scenarioFromUrl` in `src/lib/app/FakeTendApp.svelte.ts` for the others).
 * The production config never loads this file, so the fake can't end up in a build.
 */
const useFakeApp: Plugin = {
	name: 'tend-fake-app',
	enforce: 'pre',
	load(id) {
		if (id.endsWith('/src/lib/app/createTendApp.ts')) {
			return "export { createTendApp } from './createFakeTendApp.js';";
		}
	}
};

export default mergeConfig(base, {
	plugins: [useFakeApp],
	// A separate dependency cache, so this server and a normal one don't invalidate each other.
	cacheDir: 'node_modules/.vite-fake'
});
