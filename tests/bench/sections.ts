import { RelayProcess } from '../helpers/relayProcess.js';
import { buildBacklog, deviceCatchUp, plainDownload, uploadBacklog } from './catchUp.js';
import { runCryptoBench } from './cryptoBench.js';
import { sealedTemplates } from './entryPool.js';
import {
	assertSameAsApp,
	buildConversation,
	measureOpen,
	type BuiltConversation,
	type OpenResult
} from './longConversation.js';
import { runMessageLoad, type MessageLoadResult } from './messageLoad.js';
import { stockParticipants, tendParticipants, type Participants } from './participants.js';
import { runRelayLoad, type LoadShape, type RelayLoadResult } from './relayLoad.js';
import { higher, lower, type Row, type Section } from './report.js';
import { ServerProcess } from './serverProcess.js';
import { median, medianBy, round } from './stats.js';
import { RECEIVE_CHUNK } from '../../src/lib/sync/DocSync.js';

/**
 * The bench's sections: each runs Tend and its baseline alternately (so that noise from other
 * work on the machine falls on both alike), keeps the median run of each, and turns them into
 * table rows. run.ts calls them in order.
 */

export interface BenchConfig {
	/** Repetitions of each measurement; the median run is reported. */
	runs: number;
	relay: { warmupMs: number; measureMs: number; fixedRate: number; window: number };
	e2e: { warmupMs: number; measureMs: number; window: number };
	catchUp: { docs: number; entriesPerDoc: number };
	crypto: { loopMs: number };
	/** Section 4: conversation lengths (small one is the baseline) and messages shown. */
	open: { small: number; large: number; lastN: number };
	/** Section 4b: conversations kept in period documents (periodsBench.ts). */
	periods: { small: number; large: number; catchUp: number };
}

export interface SectionContext {
	config: BenchConfig;
	texts: string[];
	log: (line: string) => void;
}

/**
 * Environment for every Tend relay of the bench: the per-connection and per-device rate limits raised so the
 * limiter doesn't cap the load (its cost, a token-bucket take per frame, is still paid).
 */
export const RELAY_ENV = {
	TEND_RATE_PER_SECOND: '1000000000',
	TEND_RATE_BURST: '1000000000',
	TEND_DEVICE_RATE_PER_SECOND: '1000000000',
	TEND_DEVICE_RATE_BURST: '1000000000'
};

export const CLIENT_COUNTS = [2, 10];

// ----- 1. Relay ---------------------------------------------------------------------------

export interface RelayRaw {
	entryBytes: number;
	cases: { clients: number; shape: LoadShape; tend: RelayLoadResult[]; bare: RelayLoadResult[] }[];
}

/** Section 1: the Tend relay against the bare forwarder (baseline A). */
export async function relaySection(tend: RelayProcess, { config, texts, log }: SectionContext) {
	const templates = sealedTemplates(texts, 256);
	const bare = await ServerProcess.start('bareRelay.ts');
	const shapes: LoadShape[] = [
		{ kind: 'fixed', pushesPerSecond: config.relay.fixedRate },
		{ kind: 'max', window: config.relay.window }
	];
	const rows: Row[] = [];
	const raw: RelayRaw = { entryBytes: 0, cases: [] };
	try {
		for (const clients of CLIENT_COUNTS) {
			for (const shape of shapes) {
				log(`relay: ${clients} clients, ${describeShape(shape)}`);
				const load = (url: string, serverPid: number) =>
					runRelayLoad({ url, serverPid, clients, shape, templates, ...config.relay });
				const tendRuns: RelayLoadResult[] = [];
				const bareRuns: RelayLoadResult[] = [];
				for (let run = 0; run < config.runs; run++) {
					tendRuns.push(await load(tend.url, tend.pid ?? 0));
					bareRuns.push(await load(bare.url, bare.pid));
				}
				raw.cases.push({ clients, shape, tend: tendRuns, bare: bareRuns });
				raw.entryBytes = tendRuns[0].meanEntryBytes;
				rows.push(...relayRows(clients, shape, tendRuns, bareRuns));
			}
		}
	} finally {
		await bare.stop();
	}

	const busy = (runs: RelayLoadResult[]) =>
		Math.round(median(runs.map((r) => r.serverCpuPercent)));
	const busiest = raw.cases
		.filter((c) => c.shape.kind === 'max')
		.map((c) => `${c.clients} clients Tend ${busy(c.tend)}%, bare ${busy(c.bare)}%`);
	const { fixedRate, window } = config.relay;
	const section: Section = {
		title:
			'1. Relay: N clients on one document pushing sealed entries ' +
			`(mean ${Math.round(raw.entryBytes)} B)`,
		baseline:
			'A, bare ws forwarder (bareRelay.ts): one durable SQLite commit per turn ' +
			'(WAL, FULL), then ack and broadcast',
		notes: [
			`fixed: ${fixedRate} pushes/s offered in total; max: ${window} pushes outstanding ` +
				'per client, the next sent on each answer.',
			'delivery: push sent → entries frame received at another client; relay CPU: its ' +
				'process tree, per acknowledged push.',
			`relay CPU under max load (median, % of one core): ${busiest.join('; ')}.`
		],
		rows
	};
	return { section, raw };
}

function relayRows(
	clients: number,
	shape: LoadShape,
	tendRuns: RelayLoadResult[],
	bareRuns: RelayLoadResult[]
): Row[] {
	const key = (r: RelayLoadResult) => (shape.kind === 'max' ? r.ackedPerSecond : r.latencyP50Ms);
	const t = medianBy(tendRuns, key);
	const b = medianBy(bareRuns, key);
	const label = `${clients} clients, ${describeShape(shape)}:`;
	const rows: Row[] = [];
	if (shape.kind === 'max') {
		rows.push(
			higher(`${label} acked pushes`, '/s', t.ackedPerSecond, b.ackedPerSecond, 0.8),
			higher(`${label} deliveries`, '/s', t.deliveriesPerSecond, b.deliveriesPerSecond)
		);
	}
	rows.push(
		lower(`${label} delivery p50`, 'ms', t.latencyP50Ms, b.latencyP50Ms),
		lower(`${label} delivery p99`, 'ms', t.latencyP99Ms, b.latencyP99Ms),
		lower(`${label} relay CPU per push`, 'µs', t.serverCpuUsPerPush, b.serverCpuUsPerPush)
	);
	return rows;
}

function describeShape(shape: LoadShape): string {
	return shape.kind === 'fixed' ? `fixed ${shape.pushesPerSecond}/s` : 'max';
}

// ----- 1b. End to end against the stock automerge-repo server ------------------------------

export interface EndToEndRaw {
	devices: number;
	tend: MessageLoadResult[];
	stock: MessageLoadResult[];
}

/** Section 1b: Tend devices through the Tend relay against stock automerge-repo (baseline B). */
export async function endToEndSection(
	tend: RelayProcess,
	{ config, texts, log }: SectionContext,
	relayRaw: RelayRaw | undefined
) {
	const stock = await ServerProcess.start('stockSyncServer.ts');
	const rows: Row[] = [];
	const raw: EndToEndRaw[] = [];
	try {
		for (const devices of CLIENT_COUNTS) {
			log(`end to end: ${devices} devices`);
			const measure = async (
				setup: (url: string, count: number) => Promise<Participants>,
				url: string,
				serverPid: number
			) => {
				const group = await setup(url, devices);
				try {
					const { participants } = group;
					return await runMessageLoad({ participants, serverPid, texts, ...config.e2e });
				} finally {
					await group.close();
				}
			};
			const result: EndToEndRaw = { devices, tend: [], stock: [] };
			for (let run = 0; run < config.runs; run++) {
				result.stock.push(await measure(stockParticipants, stock.url, stock.pid));
				result.tend.push(await measure(tendParticipants, tend.url, tend.pid ?? 0));
			}
			raw.push(result);
			const relayMax = relayRaw?.cases.find(
				(c) => c.clients === devices && c.shape.kind === 'max'
			);
			rows.push(...endToEndRows(result, relayMax?.tend));
		}
	} finally {
		await stock.stop();
	}

	const section: Section = {
		title: '1b. End to end: N devices writing one conversation',
		baseline:
			'B, stock automerge-repo sync server (Repo, WebSocketServerAdapter, file storage ' +
			'with fsync) and automerge-repo clients (storage in memory)',
		notes: [
			'Tend: real SyncEngine devices (nodeDevice, storage in memory) through the Tend ' +
				`relay. Each device keeps ${config.e2e.window} messages not yet seen by every ` +
				`other device; ${config.e2e.measureMs} ms windows.`,
			'All devices of a run share this process and so one core: "device CPU per ' +
				'delivery" is its CPU per (message, receiving device).',
			'"Tend relay pushes vs stock": the relay alone (section 1, max) against the stock ' +
				'stack end to end, as asked; the rows above it compare like with like.'
		],
		rows
	};
	return { section, raw };
}

function endToEndRows(result: EndToEndRaw, relayMax: RelayLoadResult[] | undefined): Row[] {
	const t = medianBy(result.tend, (r) => r.messagesPerSecond);
	const s = medianBy(result.stock, (r) => r.messagesPerSecond);
	const label = `${result.devices} devices:`;
	const rows = [
		higher(`${label} messages seen by all`, '/s', t.messagesPerSecond, s.messagesPerSecond),
		lower(`${label} delivery p50`, 'ms', t.latencyP50Ms, s.latencyP50Ms),
		lower(`${label} delivery p99`, 'ms', t.latencyP99Ms, s.latencyP99Ms),
		lower(`${label} server CPU per message`, 'ms', t.serverCpuMsPerMessage, s.serverCpuMsPerMessage),
		lower(`${label} device CPU per delivery`, 'ms', cpuPerDelivery(t), cpuPerDelivery(s))
	];
	if (relayMax) {
		const pushes = medianBy(relayMax, (r) => r.ackedPerSecond).ackedPerSecond;
		rows.push(higher(`${label} Tend relay pushes vs stock`, '/s', pushes, s.messagesPerSecond));
	}
	return rows;
}

/** CPU ms of the devices' process per delivered (message, receiving device) pair. */
function cpuPerDelivery(result: MessageLoadResult): number {
	return (result.loaderCpuPercent * 10) / Math.max(1e-9, result.deliveriesPerSecond);
}

// ----- 2. Catch-up ------------------------------------------------------------------------

/** Section 2: a device catching up on a week of entries against a plain download. */
export async function catchUpSection({ config, texts, log }: SectionContext) {
	const { docs, entriesPerDoc } = config.catchUp;
	log(`catch-up: sealing ${docs * entriesPerDoc} entries`);
	const backlog = buildBacklog({ docs, entriesPerDoc }, texts);
	const relay = await RelayProcess.start({ env: RELAY_ENV });
	try {
		await uploadBacklog(relay.url, backlog);
		const device: Awaited<ReturnType<typeof deviceCatchUp>>[] = [];
		const plain: Awaited<ReturnType<typeof plainDownload>>[] = [];
		for (let run = 0; run < config.runs; run++) {
			log(`catch-up: run ${run + 1}`);
			plain.push(await plainDownload(relay.url, backlog));
			device.push(await deviceCatchUp(relay.url, backlog));
		}
		const d = medianBy(device, (r) => r.ms);
		const p = medianBy(plain, (r) => r.ms);
		const entries = backlog.totalEntries.toLocaleString('en-US');
		const section: Section = {
			title:
				`2. Catch-up after a week offline: ${entries} entries ` +
				`(${round(backlog.totalBytes / 1e6)} MB) in ${docs} documents`,
			baseline: 'a plain ws client that opens, subscribes and only receives the same entries',
			notes: [
				'Tend: a fresh device (SyncEngine, Repo, encrypting storage) verifies, decrypts ' +
					'and applies every entry; timed from engine.start() until every cursor is at the end.',
				'CPU of this process during catch-up (% of one core): ' +
					`Tend device ${Math.round(d.deviceCpuPercent)}%, plain ${Math.round(p.deviceCpuPercent)}%.`,
				'"longest block": the event loop\'s maximum delay meanwhile (perf_hooks, 1 ms resolution), ' +
					'how long a screen would freeze; the device applies entries in parts of ' +
					`${RECEIVE_CHUNK} (DocSync.receive), one part per task across all documents (pacer.ts).`
			],
			rows: [
				lower('time to catch up', 'ms', d.ms, p.ms),
				higher('entries per second', '/s', d.entriesPerSecond, p.entriesPerSecond),
				lower('longest block of the event loop', 'ms', d.maxBlockMs, p.maxBlockMs)
			]
		};
		return { section, raw: { device, plain } };
	} finally {
		await relay.dispose();
	}
}

// ----- 3. Crypto --------------------------------------------------------------------------

/** Section 3: sealEntry and openEntry against the raw AEAD. */
export function cryptoSection({ config }: SectionContext) {
	const result = runCryptoBench(config.runs, config.crypto.loopMs);
	const components = Object.entries(result.componentsUs)
		.map(([name, us]) => `${name} ${round(us)} µs`)
		.join('; ');
	const section: Section = {
		title: `3. Crypto: one entry with a ${result.payloadBytes} B payload`,
		baseline: 'raw XChaCha20-Poly1305 (libsodium) of the same bytes, fixed nonce',
		notes: [`per call: ${components}.`],
		rows: [
			higher('sealEntry vs encrypt', '/s', result.sealPerSecond, result.rawEncryptPerSecond),
			higher('openEntry vs decrypt', '/s', result.openPerSecond, result.rawDecryptPerSecond)
		]
	};
	return { section, raw: result };
}

// ----- 4. Opening a long conversation -----------------------------------------------------

/** Section 4: opening a long conversation against a 1,000-message one. */
export async function openSection({ config, texts, log }: SectionContext) {
	const { small, large, lastN } = config.open;
	assertSameAsApp(texts);
	const built: BuiltConversation[] = [];
	const results: OpenResult[] = [];
	for (const count of [small, large]) {
		log(`open: building ${count} messages`);
		const conversation = await buildConversation(count, texts);
		built.push(conversation);
		log(`open: measuring ${count} messages (built in ${Math.round(conversation.buildMs)} ms)`);
		results.push(await measureOpen(conversation, config.runs, lastN));
		conversation.records = [];
	}
	const [s, l] = results;
	const mid = (r: OpenResult, key: (run: OpenResult['runs'][number]) => number) =>
		key(medianBy(r.runs, key));
	const ratio = (key: (run: OpenResult['runs'][number]) => number) =>
		[mid(l, key), mid(s, key)] as const;
	const mb = (bytes: number) => bytes / 1e6;
	const fmt = (n: number) => n.toLocaleString('en-US');
	const describe = (b: BuiltConversation, r: OpenResult) =>
		`${fmt(b.messages)}: stored ${round(b.storedBytes / 1e6)} MB sealed in ${r.parts.chunks} ` +
		`chunk(s); decrypt ${round(r.parts.storageLoadMs)} ms, Automerge load ` +
		`${round(r.parts.automergeLoadMs)} ms, readMessages ${round(r.parts.readAllMs)} ms, ` +
		`built in ${Math.round(b.buildMs)} ms`;
	const section: Section = {
		title: `4. A long conversation in one document (before periods): ${fmt(large)} messages (Tend column) vs ${fmt(small)}`,
		baseline: `the same kind of conversation with ${fmt(small)} messages; Tend/base is the cost ratio`,
		notes: [
			'Conversations made before format 3 keep every message in the conversation document; ' +
				'this section measures that layout, which period documents (section 4b, where the ' +
				'1.3× goal is measured) replace for new conversations. ' +
				'One Automerge document, one change per message, authors ' +
				'alternating between two devices; saved by a Repo over EncryptedStorageAdapter + ' +
				'MemoryBackend, opened in fresh Repos over the same records in a child process ' +
				`(node --expose-gc); median of ${config.runs} warm runs.`,
			`"open": repo.find(id) resolved + readMessages(handle.doc()); "open, last ${lastN}": ` +
				`repo.find + readMessages over the last ${lastN} list items only.`,
			'memory: first open in a fresh process, result held, after gc; heap+external ' +
				'(includes array buffers) and rss (includes the WebAssembly memory).',
			`where the time goes (outside the Repo): ${describe(built[0], s)}; ${describe(built[1], l)}.`
		],
		rows: [
			lower('open: find + all messages', 'ms', ...ratio((r) => r.openAllMs)),
			lower(`open: find + last ${lastN} messages`, 'ms', ...ratio((r) => r.openLastMs)),
			lower('repo.find(id) alone', 'ms', ...ratio((r) => r.findMs)),
			lower('readMessages, all', 'ms', ...ratio((r) => r.readAllMs)),
			lower('first open in a fresh process', 'ms', l.coldOpenMs, s.coldOpenMs),
			lower('memory: heap + external', 'MB', mb(l.memory.heapPlusExternal), mb(s.memory.heapPlusExternal)),
			lower('memory: rss', 'MB', mb(l.memory.rss), mb(s.memory.rss)),
			lower('append 1 message: change + flush', 'ms', ...ratio((r) => r.appendMs)),
			lower('append: handle.change alone', 'ms', ...ratio((r) => r.appendChangeMs))
		]
	};
	const raw = {
		built: built.map(({ messages, storedBytes, buildMs, documentId }) => ({
			messages,
			storedBytes,
			buildMs,
			documentId
		})),
		results
	};
	return { section, raw };
}
