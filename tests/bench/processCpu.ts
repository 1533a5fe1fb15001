import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

/**
 * CPU time used by a server process tree, read from `/proc` (Linux). The servers run under
 * `tsx`, whose CLI starts the real node process as a child, so the whole tree below the
 * process we spawned is summed. Sampled before and after a measured window, it tells how busy
 * the server was: near 100% of a core means the server is the bottleneck; far below means the
 * load generator or the network path is.
 */

const TICKS_PER_SECOND = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());

/** User + system CPU time of `rootPid` and all its descendants, in milliseconds. */
export function treeCpuMs(rootPid: number): number {
	const stats = readStats();
	const children = new Map<number, number[]>();
	for (const stat of stats.values()) {
		const list = children.get(stat.ppid) ?? [];
		list.push(stat.pid);
		children.set(stat.ppid, list);
	}
	let ticks = 0;
	const pending = [rootPid];
	while (pending.length > 0) {
		const pid = pending.pop() as number;
		ticks += stats.get(pid)?.ticks ?? 0;
		pending.push(...(children.get(pid) ?? []));
	}
	return (ticks * 1000) / TICKS_PER_SECOND;
}

/** CPU time of this process (user + system), in milliseconds. */
export function ownCpuMs(): number {
	const usage = process.cpuUsage();
	return (usage.user + usage.system) / 1000;
}

function readStats(): Map<number, { pid: number; ppid: number; ticks: number }> {
	const stats = new Map<number, { pid: number; ppid: number; ticks: number }>();
	for (const name of readdirSync('/proc')) {
		if (!/^\d+$/.test(name)) continue;
		let text: string;
		try {
			text = readFileSync(`/proc/${name}/stat`, 'utf8');
		} catch {
			continue; // The process exited while we read.
		}
		// Fields after the parenthesised command name (which may contain spaces): state is 3rd,
		// ppid 4th, utime 14th, stime 15th (proc(5)).
		const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
		const pid = Number(name);
		stats.set(pid, { pid, ppid: Number(fields[1]), ticks: Number(fields[11]) + Number(fields[12]) });
	}
	return stats;
}
