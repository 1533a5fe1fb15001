import { readWaitingBuildId } from './waitingBuild.js';

/** How often an open app asks for a new build; it also asks whenever it comes back into view. */
export const UPDATE_CHECK_INTERVAL_MS = 60 * 60 * 1000;

/**
 * The service worker's side of updates, as state for the update prompt.
 *
 * @remarks
 * The worker is generated with `registerType: 'prompt'` (vite.config.ts): a new build installs
 * in the background and then waits; nothing switches until the person chooses "Update now"
 * (SECURITY-RULES.md, rule 18). Registration goes through `virtual:pwa-register`, imported
 * dynamically so that the worker code stays out of the first chunk.
 */
export class AppUpdates {
	/** A new build is installed and waiting, and the person hasn't put it off. */
	needRefresh = $state(false);
	/** The waiting build's id, as the waiting worker reports it; undefined if it can't be read. */
	waitingBuild = $state<string | undefined>();
	/** The first install finished: the app now opens without a network. Shown once. */
	offlineReady = $state(false);

	#updateSW: ((reloadPage?: boolean) => Promise<void>) | undefined;
	#registration: ServiceWorkerRegistration | undefined;

	/**
	 * Registers the worker and starts the periodic check. Call once, from an `$effect`, and
	 * call the returned function on teardown. Does nothing where service workers don't exist.
	 */
	start(): () => void {
		if (!('serviceWorker' in navigator)) return () => {};

		let stopped = false;
		void import('virtual:pwa-register').then(({ registerSW }) => {
			if (stopped) return;
			this.#updateSW = registerSW({
				onNeedRefresh: () => void this.#showWaiting(),
				onOfflineReady: () => {
					this.offlineReady = true;
				},
				onRegisteredSW: (_url, registration) => {
					this.#registration = registration;
				}
			});
		});

		const timer = setInterval(() => void this.check(), UPDATE_CHECK_INTERVAL_MS);
		const onVisibility = () => {
			if (document.visibilityState === 'visible') void this.check();
		};
		document.addEventListener('visibilitychange', onVisibility);
		return () => {
			stopped = true;
			clearInterval(timer);
			document.removeEventListener('visibilitychange', onVisibility);
		};
	}

	/**
	 * Asks the server for a new build. A new one fires `onNeedRefresh` once installed; a build
	 * that was already waiting (the person chose "Later") is offered again here.
	 */
	async check(): Promise<void> {
		const registration = this.#registration;
		if (!registration || registration.installing || !navigator.onLine) return;

		// "Later" pressed while this check was on its way applies to it: the next check offers
		// the build again, this one doesn't bring the prompt straight back.
		const laters = this.#laters;
		try {
			await registration.update();
		} catch {
			return; // Server unreachable: the next check tries again.
		}
		if (laters !== this.#laters) return;
		if (registration.waiting && !this.needRefresh) await this.#showWaiting();
	}

	/** How often "Later" was chosen. */
	#laters = 0;

	/** Activates the waiting build; the page reloads into it once it controls the page. */
	async updateNow(): Promise<void> {
		await this.#updateSW?.(true);
	}

	/** Hides the prompt until the next check (or the next start of the app). */
	later(): void {
		this.#laters++;
		this.needRefresh = false;
	}

	dismissOfflineReady(): void {
		this.offlineReady = false;
	}

	async #showWaiting(): Promise<void> {
		// `onNeedRefresh` can come before `onRegisteredSW` when a worker was already waiting.
		const registration =
			this.#registration ?? (await navigator.serviceWorker.getRegistration()) ?? undefined;
		const id = await readWaitingBuildId(registration?.waiting);
		// A server that went back to the running build: nothing new to consent to.
		if (id === __TEND_BUILD__) return;

		this.offlineReady = false;
		this.waitingBuild = id;
		this.needRefresh = true;
	}
}
