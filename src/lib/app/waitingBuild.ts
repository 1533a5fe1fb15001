/**
 * What a build says about itself: `/build-info.json` and the `sw-build-info.js` that the service
 * worker imports, both written by `emitBuildInfo` in vite.config.ts.
 */
export interface BuildInfo {
	/** 7 hex digits unless the builder chose one; the running build's is `__TEND_BUILD__`. */
	id: string;
	commit: string;
	/** ISO 8601. */
	builtAt: string;
}

/** The message `sw-build-info.js` answers, on the port sent with it. */
export const BUILD_INFO_REQUEST = 'TEND_BUILD_INFO';

/** A worker that is waiting answers at once; this is only for one that never will. */
const ASK_TIMEOUT_MS = 5_000;

/**
 * The id of the build a waiting service worker would switch to, for the update prompt
 * (SECURITY-RULES.md, rule 18: an update shows the new build's hash and waits for consent).
 *
 * @remarks
 * The prompt must name exactly the build that "Update now" activates, so it asks the waiting
 * worker itself: each build's worker imports its own `sw-build-info.js`, which answers with the
 * build info baked into it. Two cheaper sources can name the wrong build:
 * - a `fetch('/build-info.json')` from the page goes through the *active* worker, which answers
 *   from its own, older precache whatever the `cache` mode;
 * - Workbox's precache (Cache Storage) holds the active and the waiting build's copy side by
 *   side, but also a copy from a worker that a later deployment replaced before it was applied,
 *   and nothing there says which copy belongs to the waiting worker.
 *
 * Only if the worker doesn't answer does it fall back to the server's copy, fetched with a query
 * the precache doesn't match and `cache: 'no-store'`; that is the build the server holds now,
 * normally the one just installed.
 *
 * @returns the waiting build's id, or `undefined` if none can be found.
 */
export async function readWaitingBuildId(
	waiting: ServiceWorker | null | undefined
): Promise<string | undefined> {
	const asked = waiting ? await askWorker(waiting) : undefined;
	if (asked) return asked.id;

	try {
		const fresh = `/build-info.json?fresh=${Date.now()}`;
		const response = await fetch(fresh, { cache: 'no-store' });
		return response.ok ? parseBuildInfo(await response.json())?.id : undefined;
	} catch {
		return undefined;
	}
}

function askWorker(worker: ServiceWorker): Promise<BuildInfo | undefined> {
	return new Promise((resolve) => {
		const channel = new MessageChannel();
		const timer = setTimeout(() => resolve(undefined), ASK_TIMEOUT_MS);
		channel.port1.onmessage = (event) => {
			clearTimeout(timer);
			channel.port1.close();
			resolve(parseBuildInfo(event.data));
		};
		worker.postMessage({ type: BUILD_INFO_REQUEST }, [channel.port2]);
	});
}

/** Checks the shape; anything else counts as no build info. */
export function parseBuildInfo(value: unknown): BuildInfo | undefined {
	if (!value || typeof value !== 'object') return undefined;
	const { id, commit, builtAt } = value as Record<string, unknown>;
	if (typeof id !== 'string' || !/^[\w.-]{1,64}$/.test(id)) return undefined;
	if (typeof commit !== 'string' || typeof builtAt !== 'string') return undefined;
	return { id, commit, builtAt };
}
