import { resolve } from '$app/paths';
import { SERVICE_WORKER_FILE } from './serviceWorkerFile.js';
import { readWaitingBuildId } from './waitingBuild.js';

/** How often an open app asks for a new build; it also asks whenever it comes back into view. */
export const UPDATE_CHECK_INTERVAL_MS = 60 * 60 * 1000;

/**
 * Where the worker is registered: its script and scope are absolute paths under SvelteKit's base,
 * so a first visit on a deep link (`/c/<id>`) registers the same worker for the whole app. A
 * relative `./sw.js` would resolve against that page's path (`/c/sw.js`, which isn't there).
 */
export function serviceWorkerLocation(): { script: string; scope: string } {
	const scope = resolve('/');
	return { script: `${scope}${SERVICE_WORKER_FILE}`, scope };
}

/**
 * The service worker's side of updates, as state for the update prompt.
 *
 * @remarks
 * The worker is generated with `registerType: 'prompt'` (vite.config.ts): a new build installs
 * in the background and then waits; nothing switches until the person chooses "Update now"
 * (SECURITY-RULES.md, rule 18). Registration goes through workbox-window, imported dynamically
 * so that it stays out of the first chunk, at {@link serviceWorkerLocation}.
 */
export class AppUpdates {
	/** A new build is installed and waiting, and the person hasn't put it off. */
	needRefresh = $state(false);
	/** The waiting build's id, as the waiting worker reports it; undefined if it can't be read. */
	waitingBuild = $state<string | undefined>();
	/** The first install finished: the app now opens without a network. Shown once. */
	offlineReady = $state(false);

	#workbox: import('workbox-window').Workbox | undefined;
	#registration: ServiceWorkerRegistration | undefined;
	/** "Update now" was chosen: the next change of controlling worker reloads the page. */
	#switching = false;

	/**
	 * Registers the worker and starts the periodic check. Call once, from an `$effect`, and
	 * call the returned function on teardown. Does nothing where service workers don't exist.
	 */
	start(): () => void {
		if (!('serviceWorker' in navigator)) return () => {};

		let stopped = false;
		void import('workbox-window').then(async ({ Workbox }) => {
			if (stopped) return;
			const { script, scope } = serviceWorkerLocation();
			const workbox = new Workbox(script, { scope });
			// The first install (nothing controlled the page): the app now opens offline.
			workbox.addEventListener('installed', (event) => {
				if (!event.isUpdate && !event.isExternal) this.offlineReady = true;
			});
			// A new build installed and waits: this page's own check found it, another tab's
			// did (external), or it was already waiting when this page opened.
			workbox.addEventListener('waiting', () => void this.#showWaiting());
			workbox.addEventListener('controlling', () => {
				if (this.#switching) location.reload();
			});
			this.#workbox = workbox;
			try {
				this.#registration = await workbox.register();
			} catch {
				// No worker (the script couldn't be fetched, e.g. offline on a first visit): the
				// app runs as a page, and registers again the next time it opens.
			}
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
	 * Asks the server for a new build. A new one is offered once installed (`waiting`); a build
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
	updateNow(): void {
		if (!this.#workbox) return;
		this.#switching = true;
		this.#workbox.messageSkipWaiting();
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
			this.#registration ??
			(await navigator.serviceWorker.getRegistration(serviceWorkerLocation().scope)) ??
			undefined;
		const id = await readWaitingBuildId(registration?.waiting);
		// A server that went back to the running build: nothing new to consent to.
		if (id === __TEND_BUILD__) return;

		this.offlineReady = false;
		this.waitingBuild = id;
		this.needRefresh = true;
	}
}
