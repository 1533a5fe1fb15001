import { generateSignKeyPair } from '../../src/lib/crypto/primitives.js';
import { makeDoc } from '../integration/relay/fixtures.js';
import { readStamp, stampEntry } from './entryPool.js';
import { LoadClient } from './loadClient.js';
import { ownCpuMs, treeCpuMs } from './processCpu.js';
import { percentile, sleep, waitUntil } from './stats.js';

/**
 * Benchmark 1: N clients subscribed to one document, all pushing sealed entries, against a
 * relay that speaks docs/protocol.md (the Tend relay, or the bare baseline).
 *
 * Figures, all taken in a steady-state window after a warm-up:
 * - **acked pushes/s**: pushes answered `ok` (durably committed) per second, over all clients;
 * - **deliveries/s**: entries received by clients other than their sender, per second (each
 *   push fans out to N − 1 others; echoes to the sender are sent by both relays but not counted);
 * - **delivery latency p50/p99**: from `push` sent to `entries` received at another client, in
 *   ms, over every such delivery in the window (sender and receivers share one clock);
 * - **ack latency p50**: from `push` sent to its `ok` (the durable-commit wait);
 * - **server CPU**: the relay process tree's CPU over the window, as % of one core and µs per
 *   acked push. Near 100% means the relay is the bottleneck.
 *
 * Two load shapes: `fixed` offers a set total rate, spread evenly (latency at a load both relays
 * sustain); `max` keeps `window` pushes outstanding per client and sends the next one as soon
 * as an answer arrives (throughput as fast as acknowledgements allow).
 */

export type LoadShape =
	| { kind: 'fixed'; pushesPerSecond: number }
	| { kind: 'max'; window: number };

export interface RelayLoadParams {
	url: string;
	/** The process we spawned for the relay; its whole tree is measured for CPU. */
	serverPid: number;
	clients: number;
	shape: LoadShape;
	/** Sealed entry templates (see entryPool.ts). */
	templates: Uint8Array[];
	warmupMs: number;
	measureMs: number;
}

export interface RelayLoadResult {
	clients: number;
	shape: LoadShape;
	ackedPerSecond: number;
	deliveriesPerSecond: number;
	latencyP50Ms: number;
	latencyP99Ms: number;
	ackP50Ms: number;
	serverCpuPercent: number;
	serverCpuUsPerPush: number;
	loaderCpuPercent: number;
	meanEntryBytes: number;
}

/** Fixed load: pushes still unanswered beyond this stop the sender (an overloaded relay). */
const MAX_OUTSTANDING = 5000;
/** How often the fixed-load pacer wakes (ms). */
const PACE_MS = 5;

export async function runRelayLoad(params: RelayLoadParams): Promise<RelayLoadResult> {
	const devices = Array.from({ length: params.clients }, () => generateSignKeyPair());
	const doc = makeDoc(devices[0], { writers: devices });
	const clients: LoadClient[] = [];
	for (const [i, device] of devices.entries()) {
		const client = await LoadClient.connect(params.url);
		await client.hello(device);
		if (i === 0) await client.request('doc.create', { genesis: doc.genesis });
		await client.openAndSubscribe(doc.id, doc.access);
		clients.push(client);
	}

	const window = { from: Infinity, to: Infinity };
	const inWindow = (t: number) => t >= window.from && t < window.to;
	let sending = true;
	let acked = 0;
	let deliveries = 0;
	let bytes = 0;
	let sentTotal = 0;
	const latencies: number[] = [];
	const ackLatencies: number[] = [];

	const senders = clients.map((client, index) => {
		const sentAt: number[] = [];
		const sender = { sent: 0, answered: 0, outstanding: () => sender.sent - sender.answered, send };
		function send(): void {
			const now = performance.now();
			const template = params.templates[(index * 7919 + sender.sent) % params.templates.length];
			const entry = stampEntry(template, doc.id, { sender: index, counter: sender.sent, sentAt: now });
			client.sendPush(doc.id, entry);
			sentAt.push(now);
			sender.sent++;
			sentTotal++;
			bytes += entry.length;
		}
		client.onPushAnswer = (ok) => {
			const now = performance.now();
			const started = sentAt[sender.answered++];
			if (ok && inWindow(now)) {
				acked++;
				ackLatencies.push(now - started);
			}
			if (sending && params.shape.kind === 'max') send();
		};
		client.onItems = (_doc, items) => {
			const now = performance.now();
			if (!inWindow(now)) return;
			for (const item of items) {
				const stamp = readStamp(item.b);
				if (stamp.sender === index) continue;
				deliveries++;
				latencies.push(now - stamp.sentAt);
			}
		};
		return sender;
	});

	// Start the load, then open the measured window after the warm-up.
	const started = performance.now();
	let pacer: ReturnType<typeof setInterval> | undefined;
	if (params.shape.kind === 'max') {
		for (const sender of senders) for (let i = 0; i < params.shape.window; i++) sender.send();
	} else {
		const perClient = params.shape.pushesPerSecond / params.clients;
		pacer = setInterval(() => {
			const due = Math.floor(((performance.now() - started) / 1000) * perClient);
			for (const sender of senders) {
				while (sending && sender.sent < due && sender.outstanding() < MAX_OUTSTANDING) sender.send();
			}
		}, PACE_MS);
	}
	await sleep(params.warmupMs);
	const cpuFrom = { server: treeCpuMs(params.serverPid), loader: ownCpuMs() };
	window.from = performance.now();
	window.to = window.from + params.measureMs;
	await sleep(params.measureMs);
	const cpuTo = { server: treeCpuMs(params.serverPid), loader: ownCpuMs() };
	const elapsed = performance.now() - window.from;

	// Stop sending and let every push be answered before the relay is reused.
	sending = false;
	clearInterval(pacer);
	await waitUntil(() => senders.every((s) => s.outstanding() === 0), 30_000, 'answers to pushes');
	for (const client of clients) {
		if (client.errors.size > 0) {
			throw new Error(`the relay refused pushes: ${JSON.stringify([...client.errors])}`);
		}
		client.close();
	}

	const seconds = elapsed / 1000;
	return {
		clients: params.clients,
		shape: params.shape,
		ackedPerSecond: acked / seconds,
		deliveriesPerSecond: deliveries / seconds,
		latencyP50Ms: percentile(latencies, 50),
		latencyP99Ms: percentile(latencies, 99),
		ackP50Ms: percentile(ackLatencies, 50),
		serverCpuPercent: ((cpuTo.server - cpuFrom.server) / elapsed) * 100,
		serverCpuUsPerPush: ((cpuTo.server - cpuFrom.server) * 1000) / Math.max(1, acked),
		loaderCpuPercent: ((cpuTo.loader - cpuFrom.loader) / elapsed) * 100,
		meanEntryBytes: bytes / Math.max(1, sentTotal)
	};
}
