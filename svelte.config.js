import adapter from '@sveltejs/adapter-static';
import { vitePreprocess } from '@sveltejs/vite-plugin-svelte';

/**
 * Where the relay may be reached from the app. The CSP allows only these WebSocket origins
 * (besides the app's own); a practice that runs its relay elsewhere sets TEND_RELAY_ORIGINS
 * (space separated, e.g. "wss://relay.example-practice.org") when it builds the app.
 */
const relayOrigins = (process.env.TEND_RELAY_ORIGINS ?? 'ws://localhost:* ws://127.0.0.1:*')
	.split(/\s+/)
	.filter(Boolean);

/**
 * Where the built app goes: `build/` unless TEND_BUILD_DIR says otherwise. The update-prompt
 * browser test builds a second version into a temporary folder, so that the `build/` the other
 * tests serve stays as it is. (SvelteKit's own `.svelte-kit/` can't move: @vite-pwa/sveltekit
 * looks for it there.)
 */
const buildOutDir = process.env.TEND_BUILD_DIR ?? 'build';

/** @type {import('@sveltejs/kit').Config} */
const config = {
	preprocess: vitePreprocess(),
	kit: {
		adapter: adapter({
			pages: buildOutDir,
			assets: buildOutDir,
			fallback: 'index.html',
			strict: false
		}),
		alias: { $protocol: 'src/lib/protocol' },
		csp: {
			mode: 'hash',
			directives: {
				'default-src': ['self'],
				'script-src': ['self', 'wasm-unsafe-eval'],
				'style-src': ['self', 'unsafe-inline'],
				'img-src': ['self', 'data:', 'blob:'],
				// Voice notes play from blob: URLs of their checked, decrypted bytes.
				'media-src': ['self', 'blob:'],
				'worker-src': ['self'],
				'manifest-src': ['self'],
				'connect-src': ['self', ...relayOrigins],
				'object-src': ['none'],
				'base-uri': ['none'],
				'form-action': ['self']
			}
		}
	}
};

export default config;
