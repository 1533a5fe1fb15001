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

/** @type {import('@sveltejs/kit').Config} */
const config = {
	preprocess: vitePreprocess(),
	kit: {
		adapter: adapter({ fallback: 'index.html', strict: false }),
		alias: { $protocol: 'src/lib/protocol' },
		csp: {
			mode: 'hash',
			directives: {
				'default-src': ['self'],
				'script-src': ['self', 'wasm-unsafe-eval'],
				'style-src': ['self', 'unsafe-inline'],
				'img-src': ['self', 'data:', 'blob:'],
				'worker-src': ['self'],
				'connect-src': ['self', ...relayOrigins],
				'object-src': ['none'],
				'base-uri': ['none'],
				'form-action': ['self']
			}
		}
	}
};

export default config;
