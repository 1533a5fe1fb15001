import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { readyCrypto } from '../../src/lib/crypto/sodium.js';
import { RelayProcess } from '../helpers/relayProcess.js';
import { loadMessages } from './corpus.js';
import { formatProfiles, profilePass } from './profilePass.js';
import { formatSections, rowsForJson, writeJson, type Section } from './report.js';
import {
	catchUpSection,
	cryptoSection,
	endToEndSection,
	openSection,
	relaySection,
	RELAY_ENV,
	type BenchConfig,
	type RelayRaw,
	type SectionContext
} from './sections.js';
import { presendSection } from './presendBench.js';
import { searchSection } from './searchBench.js';
import { periodsSection } from './periodsBench.js';
import { boardSection } from './boardBench.js';
import { round } from './stats.js';

/**
 * `npm run bench`: how fast Tend's relay and sync engine are, as ratios against baselines
 * measured in the same run on the same machine (absolute numbers drift between machines and
 * runs; ratios hold). Never part of `npm test` (TESTING.md: speed belongs here, as ratios).
 *
 * 1. Relay: 2 and 10 clients on one document pushing sealed entries, at a fixed offered load
 *    and as fast as acknowledgements allow; the Tend relay against a bare durable forwarder
 *    (baseline A, goal ≥ 0.8× its acknowledged pushes/s).
 *    1b. The same numbers of devices exchanging messages end to end: Tend devices through the
 *    Tend relay against automerge-repo clients through the stock sync server (baseline B).
 * 2. Catch-up: a device back after a week offline (5,000 entries in 20 documents) against a
 *    plain download of the same entries.
 * 3. Crypto: sealEntry / openEntry against raw XChaCha20-Poly1305.
 * 4. Opening a long conversation: 20,000 messages (50,000 with TEND_BENCH_OPEN_LARGE=50000)
 *    against 1,000: open time, memory, appending one message.
 *    4b. The same kept in period documents (rule 19): 50,000 messages against 1,000, with the
 *    longest synchronous block while opening and while applying a catch-up.
 * 5. Search: a 20,000-message on-device index (build, query p50/p99, memory) against a linear
 *    scan of the same messages.
 * 6. Pre-send check: the PHI detector's false-positive rate on the counsel-chat replies.
 * 7. Task boards: reading and building the view, a local move and a remote move on a 500-card
 *    board against a 50-card one.
 *
 * Prints a table and writes `bench-results/results.json` (git-ignored). About 3 minutes on a
 * 2-core machine. Options:
 * - `--quick`: one short run of each, to try the bench out (~1 minute);
 * - `--only relay,e2e,catchup,crypto,open,periods,search,presend,boards`: some sections only (e.g. `--only open`);
 * - `--profile`: afterwards, untimed runs under the CPU profiler showing where the time goes
 *   in both relays, in Tend devices exchanging messages and in a device catching up.
 *
 * Every server listens on 127.0.0.1 only.
 */

const RESULTS = fileURLToPath(new URL('../../bench-results/results.json', import.meta.url));

const FULL: BenchConfig = {
	runs: 3,
	relay: { warmupMs: 500, measureMs: 2000, fixedRate: 2000, window: 64 },
	e2e: { warmupMs: 1000, measureMs: 2000, window: 8 },
	catchUp: { docs: 20, entriesPerDoc: 250 },
	crypto: { loopMs: 250 },
	// 50,000 messages take ~5 minutes to build (each exchanged change costs more as the document
	// grows); TEND_BENCH_OPEN_LARGE=50000 measures them anyway.
	open: { small: 1000, large: Number(process.env.TEND_BENCH_OPEN_LARGE ?? 20_000), lastN: 50 },
	// Periods build independently: 50,000 messages in well under a minute.
	periods: { small: 1000, large: 50_000, catchUp: 1000 }
};

const QUICK: BenchConfig = {
	...FULL,
	runs: 1,
	relay: { ...FULL.relay, warmupMs: 300, measureMs: 800 },
	e2e: { ...FULL.e2e, warmupMs: 500, measureMs: 1000 },
	crypto: { loopMs: 100 }
};

const SECTIONS = ['relay', 'e2e', 'catchup', 'crypto', 'open', 'periods', 'search', 'presend', 'boards'] as const;
type SectionName = (typeof SECTIONS)[number];

async function main(): Promise<void> {
	const { values } = parseArgs({
		options: {
			quick: { type: 'boolean', default: false },
			only: { type: 'string' },
			profile: { type: 'boolean', default: false }
		}
	});
	const only = new Set(values.only?.split(',') ?? SECTIONS);
	for (const name of only) {
		if (!(SECTIONS as readonly string[]).includes(name)) {
			throw new Error(`--only: unknown section "${name}" (known: ${SECTIONS.join(', ')})`);
		}
	}
	const wants = (name: SectionName) => only.has(name);

	await readyCrypto();
	const started = performance.now();
	const startedAt = new Date().toISOString();
	const loadBefore = loadavg()[0];
	const ctx: SectionContext = {
		config: values.quick ? QUICK : FULL,
		texts: loadMessages(),
		log: (line) => process.stderr.write(`[bench ${formatDuration(since(started))}] ${line}\n`)
	};

	const sections: Section[] = [];
	const raw: Record<string, unknown> = {};
	if (wants('relay') || wants('e2e')) {
		const tend = await RelayProcess.start({ env: RELAY_ENV });
		try {
			if (wants('relay')) {
				const relay = await relaySection(tend, ctx);
				sections.push(relay.section);
				raw.relay = relay.raw;
			}
			if (wants('e2e')) {
				const e2e = await endToEndSection(tend, ctx, raw.relay as RelayRaw | undefined);
				sections.push(e2e.section);
				raw.endToEnd = e2e.raw;
			}
		} finally {
			await tend.dispose();
		}
	}
	if (wants('catchup')) {
		const catchUp = await catchUpSection(ctx);
		sections.push(catchUp.section);
		raw.catchUp = catchUp.raw;
	}
	if (wants('crypto')) {
		ctx.log('crypto');
		const crypto = cryptoSection(ctx);
		sections.push(crypto.section);
		raw.crypto = crypto.raw;
	}
	if (wants('open')) {
		const open = await openSection(ctx);
		sections.push(open.section);
		raw.open = open.raw;
	}
	if (wants('periods')) {
		const periods = await periodsSection(ctx);
		sections.push(periods.section);
		raw.periods = periods.raw;
	}
	if (wants('search')) {
		const search = searchSection({ texts: ctx.texts, runs: ctx.config.runs, log: ctx.log });
		sections.push(search.section);
		raw.search = search.raw;
	}
	if (wants('presend')) {
		const presend = presendSection();
		sections.push(presend.section);
		raw.presend = presend.raw;
	}
	if (wants('boards')) {
		const boards = boardSection({ texts: ctx.texts, runs: ctx.config.runs, log: ctx.log });
		sections.push(boards.section);
		raw.boards = boards.raw;
	}
	const durationS = since(started);
	const profiles = values.profile ? await profilePass(ctx) : undefined;

	const machine = {
		node: process.version,
		cpus: cpus().length,
		cpuModel: cpus()[0]?.model,
		loadAverage1m: { before: loadBefore, after: loadavg()[0] }
	};
	const runs = values.quick ? 'quick: one short run each' : `median of ${ctx.config.runs} runs`;
	console.log(
		`Tend bench ${startedAt}: node ${machine.node}, ${machine.cpus} CPUs, ${runs}, ` +
			`took ${formatDuration(durationS)}. 1-minute load average ${round(loadBefore, 2)} → ` +
			`${round(machine.loadAverage1m.after, 2)}: anything above ~2 means other work shared ` +
			'these cores and the figures are noisier.'
	);
	console.log(formatSections(sections));
	if (profiles) console.log(formatProfiles(profiles));
	writeJson(RESULTS, {
		startedAt,
		durationS,
		machine,
		config: { ...ctx.config, quick: values.quick },
		sections: rowsForJson(sections),
		raw,
		profiles
	});
	console.log(`\nResults written to ${join('bench-results', 'results.json')}`);
}

function since(started: number): number {
	return (performance.now() - started) / 1000;
}

function formatDuration(seconds: number): string {
	const m = Math.floor(seconds / 60);
	const s = Math.round(seconds % 60);
	return m > 0 ? `${m}m${String(s).padStart(2, '0')}s` : `${s}s`;
}

await main();
