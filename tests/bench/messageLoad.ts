import type { DocHandle, DocHandleChangePayload } from '@automerge/automerge-repo';
import { ownCpuMs, treeCpuMs } from './processCpu.js';
import { percentile, sleep, waitUntil } from './stats.js';

/**
 * Messages between N devices that share one conversation document, end to end: a device
 * appends a message to its local Automerge document, and it counts as delivered when it shows
 * up in another device's document. Used for the stock automerge-repo server (baseline B) and for
 * Tend devices running the real SyncEngine through the real relay, so both sides pay the same
 * client-side Automerge costs.
 *
 * Figures, over a steady-state window after a warm-up:
 * - **messages/s**: messages that reached every other device, per second;
 * - **deliveries/s**: (message, receiving device) pairs per second, i.e. messages/s × (N − 1);
 * - **latency p50/p99**: from the sender's append to the message appearing in another
 *   device's document, in ms, over every delivery;
 * - **server CPU**: the server's CPU in the window, % of one core and ms per message.
 *
 * Load: closed loop. Each device keeps at most `window` of its messages not yet seen by every
 * other device, and sends the next as soon as one completes; there are no acknowledgements to
 * wait for in automerge-repo, so "seen by all" plays their part.
 */

/** One device taking part: its document handle, and how it appends a message. */
export interface Participant {
	handle: DocHandle<unknown>;
	/** Appends a message with this id and text the way the app would, and sends it. */
	send(id: string, text: string): Promise<void>;
}

export interface MessageLoadParams {
	participants: Participant[];
	serverPid: number;
	texts: string[];
	window: number;
	warmupMs: number;
	measureMs: number;
}

export interface MessageLoadResult {
	devices: number;
	messagesPerSecond: number;
	deliveriesPerSecond: number;
	latencyP50Ms: number;
	latencyP99Ms: number;
	serverCpuPercent: number;
	serverCpuMsPerMessage: number;
	loaderCpuPercent: number;
}

/** Wall-clock ms with sub-ms precision: what `sentAt` holds, comparable across handles. */
const now = () => performance.timeOrigin + performance.now();

export async function runMessageLoad(params: MessageLoadParams): Promise<MessageLoadResult> {
	const { participants } = params;
	const others = participants.length - 1;
	const window = { from: Infinity, to: Infinity };
	const inWindow = (t: number) => t >= window.from && t < window.to;
	let running = true;
	let completed = 0;
	let deliveries = 0;
	const latencies: number[] = [];
	/** Message id → devices that haven't seen it yet. */
	const remaining = new Map<string, number>();

	const senders = participants.map((participant, index) => {
		let sent = 0;
		let chain = Promise.resolve();
		const sender = {
			outstanding: 0,
			send() {
				const id = `${index}:${sent}:${now()}`;
				const text = params.texts[(index * 7919 + sent++) % params.texts.length];
				sender.outstanding++;
				remaining.set(id, others);
				chain = chain.then(() => participant.send(id, text));
			},
			idle: () => chain
		};
		return sender;
	});

	const listeners = participants.map((participant, index) => {
		const seen = new Set<string>();
		const listener = (payload: DocHandleChangePayload<unknown>) => {
			const at = now();
			for (const patch of payload.patches) {
				const [field, , key] = patch.path;
				if (patch.action !== 'put' || field !== 'messages' || key !== 'id') continue;
				const id = String((patch as { value: unknown }).value);
				const [from, , sentAt] = id.split(':');
				if (Number(from) === index || seen.has(id)) continue;
				seen.add(id);
				if (inWindow(at)) {
					deliveries++;
					latencies.push(at - Number(sentAt));
				}
				const left = (remaining.get(id) ?? 1) - 1;
				if (left > 0) {
					remaining.set(id, left);
					continue;
				}
				remaining.delete(id);
				const sender = senders[Number(from)];
				sender.outstanding--;
				if (inWindow(at)) completed++;
				if (running) sender.send();
			}
		};
		participant.handle.on('change', listener);
		return listener;
	});

	for (const sender of senders) for (let i = 0; i < params.window; i++) sender.send();
	await sleep(params.warmupMs);
	const cpuFrom = { server: treeCpuMs(params.serverPid), loader: ownCpuMs() };
	window.from = now();
	window.to = window.from + params.measureMs;
	await sleep(params.measureMs);
	const cpuTo = { server: treeCpuMs(params.serverPid), loader: ownCpuMs() };
	const elapsed = now() - window.from;

	// Let what is in flight arrive, so that the next run starts from a quiet document.
	running = false;
	await Promise.all(senders.map((s) => s.idle()));
	await waitUntil(() => senders.every((s) => s.outstanding === 0), 60_000, 'messages in flight');
	participants.forEach((p, i) => p.handle.off('change', listeners[i]));

	const seconds = elapsed / 1000;
	const serverMs = cpuTo.server - cpuFrom.server;
	return {
		devices: participants.length,
		messagesPerSecond: completed / seconds,
		deliveriesPerSecond: deliveries / seconds,
		latencyP50Ms: percentile(latencies, 50),
		latencyP99Ms: percentile(latencies, 99),
		serverCpuPercent: (serverMs / elapsed) * 100,
		serverCpuMsPerMessage: serverMs / Math.max(1, completed),
		loaderCpuPercent: ((cpuTo.loader - cpuFrom.loader) / elapsed) * 100
	};
}
