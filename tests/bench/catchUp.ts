import * as A from '@automerge/automerge';
import { makeActorClaimMessage } from '../../src/lib/crypto/actorClaim.js';
import { deriveAccessKey, deriveContentKey } from '../../src/lib/crypto/documentKeys.js';
import { sealEntry, type EntryAuthor } from '../../src/lib/crypto/entry.js';
import { generateSignKeyPair, randomBytes } from '../../src/lib/crypto/primitives.js';
import { toHex } from '../../src/lib/protocol/bytes.js';
import { encodeCbor } from '../../src/lib/protocol/cbor.js';
import { EntryKind } from '../../src/lib/protocol/entry.js';
import {
	appendMessage,
	initialConversation,
	readMessages,
	type ConversationDoc
} from '../../src/lib/model/conversation.js';
import { DocSync } from '../../src/lib/sync/DocSync.js';
import { createGenesis } from '../../src/lib/sync/documentRecords.js';
import { nodeDevice } from '../helpers/nodeDevice.js';
import { LoadClient } from './loadClient.js';
import { ownCpuMs } from './processCpu.js';
import { waitUntil } from './stats.js';
import { monitorEventLoopDelay } from 'node:perf_hooks';

/**
 * Benchmark 2: a device back after a week offline catches up on everything it missed.
 *
 * The backlog is {@link BacklogParams.docs} conversations with
 * {@link BacklogParams.entriesPerDoc} entries each, written by another device and already on
 * the relay: real sealed entries, one Automerge change per message (corpus sentences), the
 * first carrying the conversation's containers and the writer's actor claim.
 *
 * Figures:
 * - **device catch-up**: a fresh Tend device (the real SyncEngine with its Repo and encrypting
 *   storage, tests/helpers/nodeDevice.ts) holding every document's secret and chain connects,
 *   opens and subscribes to every document, and verifies, decrypts and applies every entry,
 *   until each document's cursor is at its last entry and every message is readable. Timed
 *   from `engine.start()`.
 * - **plain download** (baseline): a bare WebSocket client opens and subscribes to the same
 *   documents and only receives the same entries. Timed from connecting.
 * - the ratio device / plain is the cost of making the entries usable on top of moving their
 *   bytes; entries/s is what the device applies per second.
 */

export interface BacklogParams {
	docs: number;
	entriesPerDoc: number;
}

export interface Backlog {
	author: EntryAuthor;
	docs: { id: Uint8Array; genesis: Uint8Array; secret: Uint8Array; entries: Uint8Array[] }[];
	totalEntries: number;
	totalBytes: number;
}

/** Writes the backlog's conversations and seals their entries (not yet on any relay). */
export function buildBacklog(params: BacklogParams, texts: string[]): Backlog {
	const author: EntryAuthor = { device: generateSignKeyPair(), incarnation: randomBytes(16) };
	const authorHex = toHex(author.device.publicKey);
	const docs: Backlog['docs'] = [];
	let next = 0;
	for (let d = 0; d < params.docs; d++) {
		const created = createGenesis(author.device, 'conversation');
		const contentKey = deriveContentKey(created.secret, created.doc, 0);
		let doc = A.init<ConversationDoc>();
		const actor = A.getActorId(doc);
		const claim = makeActorClaimMessage(author.device, created.doc, actor);
		const entries: Uint8Array[] = [];
		const weekAgo = Date.now() - 7 * 24 * 3600 * 1000;
		const create = initialConversation(`Client ${d}`, authorHex, 'Dr. B', weekAgo);
		for (let i = 0; i < params.entriesPerDoc; i++) {
			const message = {
				id: crypto.randomUUID(),
				author: authorHex,
				sentAt: weekAgo + i * 60_000,
				text: texts[next++ % texts.length]
			};
			doc =
				i === 0
					? A.change(doc, { message: claim }, create)
					: A.change(doc, (draft) => appendMessage(draft, message));
			const change = A.getLastLocalChange(doc);
			if (!change) throw new Error('the backlog change is empty');
			entries.push(
				sealEntry({
					contentKey,
					kind: EntryKind.changes,
					doc: created.doc,
					epoch: 0,
					author,
					counter: i + 1,
					payload: encodeCbor({ c: [change] })
				})
			);
		}
		docs.push({ id: created.doc, genesis: created.genesis, secret: created.secret, entries });
	}
	const all = docs.flatMap((d) => d.entries);
	return {
		author,
		docs,
		totalEntries: all.length,
		totalBytes: all.reduce((sum, entry) => sum + entry.length, 0)
	};
}

/** Registers the backlog's documents on the relay and pushes every entry (64 in flight). */
export async function uploadBacklog(url: string, backlog: Backlog): Promise<void> {
	const client = await LoadClient.connect(url);
	await client.hello(backlog.author.device);
	const queue: { doc: Uint8Array; entry: Uint8Array }[] = [];
	for (const doc of backlog.docs) {
		await client.request('doc.create', { genesis: doc.genesis });
		await client.open(doc.id, deriveAccessKey(doc.secret, 0));
		for (const entry of doc.entries) queue.push({ doc: doc.id, entry });
	}
	let answered = 0;
	let failed = 0;
	let sent = 0;
	const sendNext = () => {
		const next = queue[sent++];
		if (next) client.sendPush(next.doc, next.entry);
	};
	client.onPushAnswer = (ok) => {
		answered++;
		if (!ok) failed++;
		sendNext();
	};
	for (let i = 0; i < 64; i++) sendNext();
	await waitUntil(() => answered === queue.length, 60_000, 'the backlog upload');
	client.close();
	if (failed > 0) throw new Error(`${failed} backlog pushes were refused`);
}

export interface CatchUpResult {
	entries: number;
	bytes: number;
	ms: number;
	entriesPerSecond: number;
	/** CPU of this (the device's) process during the catch-up, % of one core. */
	deviceCpuPercent: number;
	/** The longest the event loop was blocked meanwhile (how long a screen would freeze). */
	maxBlockMs: number;
}

/** A fresh Tend device catches up on the whole backlog; checks every message arrived. */
export async function deviceCatchUp(url: string, backlog: Backlog): Promise<CatchUpResult> {
	const device = nodeDevice(url);
	const syncs: DocSync[] = [];
	for (const doc of backlog.docs) {
		syncs.push(
			await DocSync.create(device.ctx, {
				chain: [doc.genesis],
				secrets: { 0: doc.secret },
				initial: A.init(),
				myActors: [],
				registered: true
			})
		);
	}

	const cpuFrom = ownCpuMs();
	const delay = monitorEventLoopDelay({ resolution: 1 });
	delay.enable();
	const started = performance.now();
	for (const sync of syncs) device.engine.add(sync);
	device.engine.start();
	await waitUntil(
		() => syncs.every((sync, i) => sync.cursor >= backlog.docs[i].entries.length),
		120_000,
		'the device to catch up'
	);
	const ms = performance.now() - started;
	const cpu = ownCpuMs() - cpuFrom;
	delay.disable();
	device.stop();

	for (const [i, sync] of syncs.entries()) {
		const messages = readMessages(sync.handle.doc() as A.Doc<ConversationDoc>).length;
		const expected = backlog.docs[i].entries.length - 1;
		if (messages !== expected || sync.unverifiedCount > 0) {
			throw new Error(`document ${i}: ${messages} of ${expected} messages after catch-up`);
		}
	}
	return { ...result(backlog, ms, cpu), maxBlockMs: delay.max / 1e6 };
}

/** Baseline: the same entries received by a client that only subscribes and counts them. */
export async function plainDownload(url: string, backlog: Backlog): Promise<CatchUpResult> {
	const cpuFrom = ownCpuMs();
	const delay = monitorEventLoopDelay({ resolution: 1 });
	delay.enable();
	const started = performance.now();
	const client = await LoadClient.connect(url);
	let received = 0;
	client.onItems = (_doc, items) => (received += items.length);
	await Promise.all(
		backlog.docs.map((doc) => client.openAndSubscribe(doc.id, deriveAccessKey(doc.secret, 0)))
	);
	await waitUntil(() => received >= backlog.totalEntries, 60_000, 'the plain download', 1);
	const ms = performance.now() - started;
	const cpu = ownCpuMs() - cpuFrom;
	delay.disable();
	client.close();
	return { ...result(backlog, ms, cpu), maxBlockMs: delay.max / 1e6 };
}

function result(backlog: Backlog, ms: number, cpuMs: number): Omit<CatchUpResult, 'maxBlockMs'> {
	return {
		entries: backlog.totalEntries,
		bytes: backlog.totalBytes,
		ms,
		entriesPerSecond: backlog.totalEntries / (ms / 1000),
		deviceCpuPercent: (cpuMs / ms) * 100
	};
}
