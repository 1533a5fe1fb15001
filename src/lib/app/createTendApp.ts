import { RealTendApp } from './TendApp.svelte.js';
import type { TendApp } from './types.js';

/** Builds the app for the root layout. This is the only place a route gets a `TendApp` from. */
export function createTendApp(): TendApp {
	return new RealTendApp();
}
