import { Session } from 'node:inspector';
import { readFileSync } from 'node:fs';

/**
 * Where CPU time goes, from V8's sampling profiler: for the `--profile` pass of `npm run bench`,
 * which explains the figures (it is never part of a timed run; profiling slows code down).
 *
 * @remarks
 * Each sample is charged to the innermost frame that belongs to a known area (Automerge,
 * libsodium, SQLite…), so WebAssembly frames, whose URLs name no package, count for the JS
 * that called them. Functions are also ranked by inclusive time (a function's own samples plus
 * those of everything it called), which shows which step of the relay or the sync engine
 * spends it.
 */

/** Areas by the path of the code's file, most specific first. */
const AREAS: [string, RegExp][] = [
	['automerge-repo', /@automerge\/automerge-repo/],
	['automerge', /@automerge\/automerge\//],
	['libsodium', /libsodium/],
	['cbor-x', /cbor-x/],
	['sqlite', /better-sqlite3/],
	['ws', /node_modules\/ws\//],
	['pino', /pino|sonic-boom/],
	['tend sync', /src\/lib\/sync\//],
	['tend storage', /src\/lib\/storage\//],
	['tend crypto', /src\/lib\/crypto\//],
	['tend protocol', /src\/lib\/protocol\//],
	['tend relay', /sync-server\//],
	['bench', /tests\/(bench|helpers)\//],
	['node', /^node:/]
];

interface ProfileNode {
	id: number;
	callFrame: { functionName: string; url: string; lineNumber: number };
	children?: number[];
}

export interface CpuProfile {
	nodes: ProfileNode[];
	samples: number[];
	timeDeltas: number[];
}

export interface ProfileSummary {
	/** Sampled time in ms, busy and idle. */
	totalMs: number;
	/** Share of the sampled time the thread was busy (not waiting in the event loop), %. */
	busyPercent: number;
	/** Share of busy time (%) per area, largest first. */
	areas: { area: string; percent: number }[];
	/** Functions of Tend's and the bench's code by inclusive share of busy time (%). */
	functions: { name: string; percent: number }[];
}

/** Profiles this process while `work` runs. */
export async function profileThisProcess<T>(
	work: () => Promise<T>
): Promise<{ result: T; profile: CpuProfile }> {
	const session = new Session();
	session.connect();
	const post = (method: string, params?: object) =>
		new Promise<unknown>((resolve, reject) =>
			session.post(method, params ?? {}, (error, answer) => (error ? reject(error) : resolve(answer)))
		);
	await post('Profiler.enable');
	await post('Profiler.setSamplingInterval', { interval: 250 });
	await post('Profiler.start');
	try {
		const result = await work();
		const { profile } = (await post('Profiler.stop')) as { profile: CpuProfile };
		return { result, profile };
	} finally {
		session.disconnect();
	}
}

/** Reads a `.cpuprofile` written by profileHook.mjs in a server process. */
export function readProfile(path: string): CpuProfile {
	return JSON.parse(readFileSync(path, 'utf8')) as CpuProfile;
}

export function summarizeProfile(profile: CpuProfile, top = 12): ProfileSummary {
	const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
	const parents = new Map<number, number>();
	for (const node of profile.nodes) {
		for (const child of node.children ?? []) parents.set(child, node.id);
	}

	const selfTime = new Map<number, number>();
	let total = 0;
	profile.samples.forEach((id, i) => {
		const delta = profile.timeDeltas[i] ?? 0;
		selfTime.set(id, (selfTime.get(id) ?? 0) + delta);
		total += delta;
	});

	const areas = new Map<string, number>();
	const inclusive = new Map<string, number>();
	let idle = 0;
	for (const [id, time] of selfTime) {
		const stack = stackOf(id, nodes, parents);
		const area = areaOf(stack);
		if (area === 'idle') {
			idle += time;
			continue;
		}
		areas.set(area, (areas.get(area) ?? 0) + time);
		const counted = new Set<string>();
		for (const node of stack) {
			const name = nameOf(node);
			if (!name || counted.has(name)) continue;
			counted.add(name);
			inclusive.set(name, (inclusive.get(name) ?? 0) + time);
		}
	}
	const busy = Math.max(1, total - idle);
	const ranked = (map: Map<string, number>) =>
		[...map].sort((a, b) => b[1] - a[1]).map(([key, time]) => [key, (time / busy) * 100] as const);
	return {
		totalMs: total / 1000,
		busyPercent: (busy / Math.max(1, total)) * 100,
		areas: ranked(areas).map(([area, percent]) => ({ area, percent })),
		functions: ranked(inclusive)
			.slice(0, top)
			.map(([name, percent]) => ({ name, percent }))
	};
}

/** The node and its callers, innermost first. */
function stackOf(id: number, nodes: Map<number, ProfileNode>, parents: Map<number, number>) {
	const stack: ProfileNode[] = [];
	for (let cur: number | undefined = id; cur !== undefined; cur = parents.get(cur)) {
		const node = nodes.get(cur);
		if (node) stack.push(node);
	}
	return stack;
}

/**
 * Native functions (no URL) that are worth their own area: better-sqlite3's statement calls
 * (the database work itself, including the fsync of a commit) and socket writes.
 */
const NATIVE_AREAS = new Map([
	['run', 'sqlite'],
	['get', 'sqlite'],
	['all', 'sqlite'],
	['iterate', 'sqlite'],
	['writev', 'socket writes'],
	['writeBuffer', 'socket writes']
]);

function areaOf(stack: ProfileNode[]): string {
	const leaf = stack[0]?.callFrame.functionName ?? '';
	if (leaf === '(idle)') return 'idle';
	if (leaf === '(garbage collector)') return 'gc';
	const native = !stack[0]?.callFrame.url && NATIVE_AREAS.get(leaf);
	// `get` and `run` are common names: count them as SQLite only when a store called them.
	const caller = stack[1]?.callFrame.url ?? '';
	const store = /sync-server\/store\/|bareRelay|better-sqlite3/;
	if (native === 'sqlite' && store.test(caller)) return native;
	if (native && native !== 'sqlite') return native;
	for (const node of stack) {
		const url = node.callFrame.url;
		if (!url) continue;
		for (const [area, pattern] of AREAS) if (pattern.test(url)) return area;
	}
	return 'other';
}

/** `receive (src/lib/sync/DocSync.ts)` for Tend's and the bench's functions; else undefined. */
function nameOf(node: ProfileNode): string | undefined {
	const { functionName, url } = node.callFrame;
	const match = /(src\/lib\/.*|sync-server\/.*|tests\/bench\/.*)$/.exec(url);
	if (!match || !functionName) return undefined;
	return `${functionName} (${match[1]})`;
}
