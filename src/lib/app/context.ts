import { createContext } from 'svelte';
import type { TendApp } from './types.js';

const [get, set] = createContext<TendApp>();

/**
 * Makes `app` available to every component below the caller. The root layout calls it once,
 * during its initialisation, with the app from `createTendApp()`.
 */
export function setTendApp(app: TendApp): TendApp {
	return set(app);
}

/**
 * The app set by the nearest ancestor. Call during component initialisation; throws if no
 * ancestor called {@link setTendApp} (for example, a component test that forgot to provide one).
 */
export function getTendApp(): TendApp {
	return get();
}
