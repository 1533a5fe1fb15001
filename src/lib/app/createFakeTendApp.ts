import { FakeTendApp, scenarioFromUrl } from './FakeTendApp.svelte.js';
import type { TendApp } from './types.js';

/**
 * The development stand-in for `createTendApp()`: an in-memory {@link FakeTendApp}, configured
 * by `?fake=<scenario>` on the first URL. Only `vite.fake.config.ts` wires it in, so it never
 * reaches a production build.
 */
export function createTendApp(): TendApp {
	const fake = new FakeTendApp(scenarioFromUrl(location.href));
	// Lets a developer (or a Playwright script) flip the connection, deliver a join request and
	// so on from the console: `tendFake.setConnection('offline')`.
	(globalThis as { tendFake?: FakeTendApp }).tendFake = fake;
	return fake;
}
