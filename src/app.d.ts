// See https://svelte.dev/docs/kit/types#app.d.ts
declare global {
	namespace App {}

	/** The short id of this build (vite.config.ts), shown in settings and by the update prompt. */
	const __TEND_BUILD__: string;
}

export {};
