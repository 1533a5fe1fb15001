import * as A from '@automerge/automerge';
import { Repo, type DocumentId } from '@automerge/automerge-repo';
import { readFileSync } from 'node:fs';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { readyCrypto } from '../../src/lib/crypto/sodium.js';
import { appendMessage, readMessages, type ConversationDoc } from '../../src/lib/model/conversation.js';
import type { PeriodDoc } from '../../src/lib/model/period.js';
import { EncryptedStorageAdapter } from '../../src/lib/storage/EncryptedStorageAdapter.js';
import { MemoryBackend } from '../../src/lib/storage/MemoryBackend.js';
import { RECEIVE_CHUNK } from '../../src/lib/sync/DocSync.js';
import type { PeriodsOpenResult } from './periodsBench.js';

/**
 * Section 4b's measuring process (periodsBench.ts): `node --expose-gc --import tsx
 * periodsChild.ts <records.json>`. Opens a conversation kept in periods as the app does, once
 * cold (memory) and `runs` times warm in fresh Repos, and applies a catch-up; prints one JSON line.
 */

interface Input {
	conversationId: DocumentId;
	periods: { n: number; localId: DocumentId; messages: number }[];
	storageKey: string;
	messages: number;
	runs: number;
	catchUp: number;
	records: [string, string][];
}

/** Fewer messages than this in the newest period: the previous one is loaded too (a screenful). */
const SHORT = 50;

const gc: () => void =
	(globalThis as { gc?: () => void }).gc ??
	(() => {
		setFlagsFromString('--expose-gc');
		return runInNewContext('gc') as () => void;
	})();

function collect(): void {
	for (let i = 0; i < 3; i++) gc();
}

async function open(repo: Repo, input: Input) {
	const conv = await repo.find<ConversationDoc>(input.conversationId);
	if (typeof conv.doc().title !== 'string') throw new Error('no conversation');
	const newest = input.periods[input.periods.length - 1];
	const handle = await repo.find<PeriodDoc>(newest.localId);
	let messages = readMessages(handle.doc() as unknown as A.Doc<ConversationDoc>);
	let periods = 1;
	if (messages.length < SHORT && input.periods.length > 1) {
		const previous = await repo.find<PeriodDoc>(input.periods[input.periods.length - 2].localId);
		messages = [...readMessages(previous.doc() as unknown as A.Doc<ConversationDoc>), ...messages];
		periods++;
	}
	if (messages.length === 0) throw new Error('nothing loaded');
	return { conv, handle, messages, periods };
}

async function main(): Promise<void> {
	const input = JSON.parse(readFileSync(process.argv[2], 'utf8')) as Input;
	await readyCrypto();
	const storageKey = new Uint8Array(Buffer.from(input.storageKey, 'base64'));
	const backend = new MemoryBackend();
	await backend.write({
		put: input.records.map(([key, value]) => ({ key, value: new Uint8Array(Buffer.from(value, 'base64')) }))
	});
	input.records = [];
	const fresh = () => new Repo({ storage: new EncryptedStorageAdapter({ backend, storageKey }), network: [] });

	collect();
	const before = process.memoryUsage();
	let t0 = performance.now();
	const cold = fresh();
	const coldOpened = await open(cold, input);
	const coldOpenMs = performance.now() - t0;
	collect();
	const after = process.memoryUsage();
	const memory = {
		heapPlusExternal: after.heapUsed + after.external - (before.heapUsed + before.external),
		rss: after.rss - before.rss
	};
	const loadedMessages = coldOpened.messages.length;
	const loadedPeriods = coldOpened.periods;

	// Catch-up: another device's messages, applied to the open newest period in one update.
	const base = coldOpened.handle.doc();
	let remote = A.clone(base, { actor: 'c3'.repeat(16) });
	for (let i = 0; i < input.catchUp; i++) {
		remote = A.change(remote, (d) =>
			appendMessage(d, { id: crypto.randomUUID(), author: 'c3'.repeat(32), sentAt: i, text: 'On my way, see you soon.' })
		);
	}
	const changes = A.getChangesSince(remote, A.getHeads(base));
	t0 = performance.now();
	coldOpened.handle.update((doc) => A.applyChanges(doc, changes)[0]);
	const applyMs = performance.now() - t0;

	// The same catch-up as DocSync.receive applies it: in parts, the event loop free between.
	const again = cold.import<PeriodDoc>(A.save(base as A.Doc<PeriodDoc>));
	let longestPartMs = 0;
	let partsMs = 0;
	for (let from = 0; from < changes.length; from += RECEIVE_CHUNK) {
		const part = changes.slice(from, from + RECEIVE_CHUNK);
		t0 = performance.now();
		again.update((doc) => A.applyChanges(doc, part)[0]);
		const ms = performance.now() - t0;
		longestPartMs = Math.max(longestPartMs, ms);
		partsMs += ms;
		await new Promise((resolve) => setTimeout(resolve, 0));
	}
	if (readMessages(again.doc() as unknown as A.Doc<ConversationDoc>).length < input.catchUp) {
		throw new Error('the catch-up in parts lost messages');
	}
	// One block again, after the parts (as warm as they were), for a fair comparison.
	const once = cold.import<PeriodDoc>(A.save(base as A.Doc<PeriodDoc>));
	t0 = performance.now();
	once.update((doc) => A.applyChanges(doc, changes)[0]);
	const warmApplyMs = performance.now() - t0;
	await cold.shutdown();

	const runs: PeriodsOpenResult['runs'] = [];
	for (let run = 0; run < input.runs; run++) {
		collect();
		const repo = fresh();
		const delay = monitorEventLoopDelay({ resolution: 1 });
		delay.enable();
		t0 = performance.now();
		await open(repo, input);
		const openMs = performance.now() - t0;
		// Let the histogram sample the block that just ended.
		await new Promise((resolve) => setTimeout(resolve, 5));
		delay.disable();
		runs.push({ openMs, maxBlockMs: delay.max / 1e6 });
		await repo.shutdown();
	}
	const result: PeriodsOpenResult = {
		messages: input.messages,
		loadedMessages,
		loadedPeriods,
		coldOpenMs,
		memory,
		runs,
		catchUp: { messages: input.catchUp, applyMs, warmApplyMs, longestPartMs, partsMs }
	};
	process.stdout.write(`${JSON.stringify(result)}\n`);
}

await main();
