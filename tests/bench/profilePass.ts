import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { RelayProcess } from '../helpers/relayProcess.js';
import { buildBacklog, deviceCatchUp, uploadBacklog } from './catchUp.js';
import {
	profileThisProcess,
	readProfile,
	summarizeProfile,
	type ProfileSummary
} from './cpuProfile.js';
import { sealedTemplates } from './entryPool.js';
import { runMessageLoad } from './messageLoad.js';
import { tendParticipants } from './participants.js';
import { runRelayLoad } from './relayLoad.js';
import { RELAY_ENV, type SectionContext } from './sections.js';
import { ServerProcess } from './serverProcess.js';

/**
 * `npm run bench -- --profile`: after the timed sections, the same workloads once more under
 * V8's sampling profiler, to explain the figures. Nothing here is timed or compared.
 *
 * - the Tend relay and the bare relay under the max load of section 1 with 10 clients
 *   (profiled in their own processes through profileHook.mjs);
 * - 10 Tend devices exchanging messages (section 1b) and a device catching up (section 2),
 *   profiled in this process.
 */

export interface Profiles {
	tendRelayUnderLoad: ProfileSummary;
	bareRelayUnderLoad: ProfileSummary;
	devicesEndToEnd: ProfileSummary;
	deviceCatchUp: ProfileSummary;
}

const TITLES: Record<keyof Profiles, string> = {
	tendRelayUnderLoad: 'Tend relay, 10 clients at max load (whole process life)',
	bareRelayUnderLoad: 'bare relay, same load',
	devicesEndToEnd: '10 Tend devices exchanging messages',
	deviceCatchUp: 'a device catching up on the backlog (its setup included)'
};

const PROFILE_HOOK = fileURLToPath(new URL('./profileHook.mjs', import.meta.url));

export async function profilePass({ config, texts, log }: SectionContext): Promise<Profiles> {
	const templates = sealedTemplates(texts, 256);
	const profileRelay = async (kind: 'tend' | 'bare'): Promise<ProfileSummary> => {
		log(`profile: ${kind} relay, 10 clients at max load`);
		const dir = mkdtempSync(join(tmpdir(), 'tend-bench-profile-'));
		const nodeOptions = `${process.env.NODE_OPTIONS ?? ''} --import ${PROFILE_HOOK}`.trim();
		const env = { ...RELAY_ENV, NODE_OPTIONS: nodeOptions, TEND_BENCH_PROFILE_DIR: dir };
		try {
			const server =
				kind === 'tend'
					? await RelayProcess.start({ env })
					: await ServerProcess.start('bareRelay.ts', env);
			try {
				await runRelayLoad({
					url: server.url,
					serverPid: server.pid ?? 0,
					clients: 10,
					shape: { kind: 'max', window: config.relay.window },
					templates,
					warmupMs: 500,
					measureMs: 3000
				});
			} finally {
				await (server instanceof RelayProcess ? server.dispose() : server.stop());
			}
			// The tsx CLI writes a small profile too; the server's own is the largest.
			const files = readdirSync(dir).map((name) => join(dir, name));
			const largest = files.sort((a, b) => statSync(b).size - statSync(a).size)[0];
			if (!largest) throw new Error(`the ${kind} relay wrote no CPU profile`);
			return summarizeProfile(readProfile(largest));
		} finally {
			rmSync(dir, { recursive: true, force: true });
		}
	};
	const tendRelayUnderLoad = await profileRelay('tend');
	const bareRelayUnderLoad = await profileRelay('bare');

	const relay = await RelayProcess.start({ env: RELAY_ENV });
	try {
		log('profile: 10 Tend devices end to end');
		const group = await tendParticipants(relay.url, 10);
		const serverPid = relay.pid ?? 0;
		const e2e = await profileThisProcess(() =>
			runMessageLoad({ participants: group.participants, serverPid, texts, ...config.e2e })
		);
		await group.close();

		log('profile: device catch-up');
		const backlog = buildBacklog(config.catchUp, texts);
		await uploadBacklog(relay.url, backlog);
		const catchUp = await profileThisProcess(() => deviceCatchUp(relay.url, backlog));
		return {
			tendRelayUnderLoad,
			bareRelayUnderLoad,
			devicesEndToEnd: summarizeProfile(e2e.profile),
			deviceCatchUp: summarizeProfile(catchUp.profile)
		};
	} finally {
		await relay.dispose();
	}
}

/** The profiles as text: areas, then Tend's functions by inclusive share of busy time. */
export function formatProfiles(profiles: Profiles): string {
	const out = ['', 'Where the CPU goes (--profile: untimed runs, sampled every 250 µs)'];
	for (const key of Object.keys(TITLES) as (keyof Profiles)[]) {
		const summary = profiles[key];
		const areas = summary.areas
			.filter((a) => a.percent >= 1)
			.map((a) => `${a.area} ${Math.round(a.percent)}%`)
			.join(', ');
		const seconds = (summary.totalMs / 1000).toFixed(1);
		out.push(
			'',
			`  ${TITLES[key]}: busy ${Math.round(summary.busyPercent)}% of ${seconds} s`,
			`    busy time by area: ${areas}`,
			'    by function, inclusive:'
		);
		for (const fn of summary.functions) {
			out.push(`      ${fn.percent.toFixed(1).padStart(5)}%  ${fn.name}`);
		}
	}
	return out.join('\n');
}
