import * as A from '@automerge/automerge';
import { Repo, type DocHandle, type DocumentId } from '@automerge/automerge-repo';
import { readFileSync } from 'node:fs';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { readyCrypto } from '../../src/lib/crypto/sodium.js';
import {
	appendMessage,
	readMessages,
	type ConversationDoc
} from '../../src/lib/model/conversation.js';
import { EncryptedStorageAdapter } from '../../src/lib/storage/EncryptedStorageAdapter.js';
import { MemoryBackend } from '../../src/lib/storage/MemoryBackend.js';
import type { OpenResult } from './longConversation.js';
import { median, medianBy } from './stats.js';

/**
 * Section 4's measuring process (see longConversation.ts): `node --expose-gc --import tsx
 * openChild.ts <records.json>`. Fills a MemoryBackend with the sealed records, opens the
 * conversation once cold (memory figures), then `runs` times warm, each in a fresh Repo over the
 * same backend; prints one JSON line ({@link OpenResult}).
 */

interface Input {
	documentId: DocumentId;
	storageKey: string;
	messages: number;
	runs: number;
	lastN: number;
	records: [string, string][];
}

const gc: () => void =
	(globalThis as { gc?: () => void }).gc ??
	(() => {
		setFlagsFromString('--expose-gc');
		return runInNewContext('gc') as () => void;
	})();

function collect(): void {
	for (let i = 0; i < 3; i++) gc();
}

/** The last `n` messages, read with the app's readMessages over the tail of the list only. */
function readLast(doc: A.Doc<ConversationDoc>, n: number) {
	return readMessages({ messages: doc.messages.slice(-n) } as A.Doc<ConversationDoc>);
}

async function main(): Promise<void> {
	const input = JSON.parse(readFileSync(process.argv[2], 'utf8')) as Input;
	await readyCrypto();
	const storageKey = new Uint8Array(Buffer.from(input.storageKey, 'base64'));
	const backend = new MemoryBackend();
	const stored = input.records.map(([key, value]) => ({
		key,
		value: new Uint8Array(Buffer.from(value, 'base64'))
	}));
	input.records = [];
	// Every run starts from the records as saved: the appended message is taken out again.
	const restore = async () => {
		await backend.deleteRange('');
		await backend.write({ put: stored });
	};
	await restore();
	const id = input.documentId;
	const fresh = () => {
		const storage = new EncryptedStorageAdapter({ backend, storageKey });
		return { storage, repo: new Repo({ storage, network: [] }) };
	};
	const expect = (count: number, what: string) => {
		if (count !== input.messages && count !== input.lastN) {
			throw new Error(`${what}: read ${count} messages, expected ${input.messages}`);
		}
	};

	// Cold: the first open in this process, memory measured around it with the result held.
	collect();
	const before = process.memoryUsage();
	let t0 = performance.now();
	const cold = fresh();
	const coldHandle: DocHandle<ConversationDoc> = await cold.repo.find<ConversationDoc>(id);
	const coldMessages = readMessages(coldHandle.doc());
	const coldOpenMs = performance.now() - t0;
	expect(coldMessages.length, 'cold open');
	collect();
	const after = process.memoryUsage();
	const memory = {
		heapPlusExternal: after.heapUsed + after.external - (before.heapUsed + before.external),
		arrayBuffers: after.arrayBuffers - before.arrayBuffers,
		rss: after.rss - before.rss
	};
	// One untimed append, so the timed ones don't pay for compiling the change and save paths.
	coldHandle.change((doc) =>
		appendMessage(doc, { id: 'warm-up', author: 'c3'.repeat(32), sentAt: 0, text: 'warm-up' })
	);
	await cold.repo.flush([id]);
	await cold.repo.shutdown();
	await restore();

	const runs: OpenResult['runs'] = [];
	const parts: OpenResult['parts'][] = [];
	for (let run = 0; run < input.runs; run++) {
		collect();
		// Open, then every message.
		const all = fresh();
		t0 = performance.now();
		const handle = await all.repo.find<ConversationDoc>(id);
		const t1 = performance.now();
		expect(readMessages(handle.doc()).length, 'open');
		const t2 = performance.now();

		// Append one message to the open conversation: the change, then the save.
		const message = {
			id: crypto.randomUUID(),
			author: 'c3'.repeat(32),
			sentAt: Date.now(),
			text: 'Thank you, that helps. See you on Thursday.'
		};
		const t3 = performance.now();
		handle.change((doc) => appendMessage(doc, message));
		const t4 = performance.now();
		await all.repo.flush([id]);
		const t5 = performance.now();
		await all.repo.shutdown();
		await restore();
		collect();

		// Open, then only the last N for display.
		const last = fresh();
		const t6 = performance.now();
		const lastHandle = await last.repo.find<ConversationDoc>(id);
		const t7 = performance.now();
		expect(readLast(lastHandle.doc(), input.lastN).length, 'last');
		const t8 = performance.now();
		await last.repo.shutdown();
		runs.push({
			findMs: t1 - t0,
			readAllMs: t2 - t1,
			openAllMs: t2 - t0,
			findLastMs: t7 - t6,
			readLastMs: t8 - t7,
			openLastMs: t8 - t6,
			appendChangeMs: t4 - t3,
			appendFlushMs: t5 - t4,
			appendMs: t5 - t3
		});
		collect();

		// Where the time goes, outside the Repo: decrypting the chunks, loading them into
		// Automerge (which also builds the JS document), reading every message.
		const { storage } = fresh();
		const p0 = performance.now();
		const chunks = [
			...(await storage.loadRange([id, 'snapshot'])),
			...(await storage.loadRange([id, 'incremental']))
		];
		const p1 = performance.now();
		const binary = Buffer.concat(chunks.map((c) => c.data!));
		const p2 = performance.now();
		const doc = A.loadIncremental(A.init<ConversationDoc>(), binary);
		const p3 = performance.now();
		expect(readMessages(doc).length, 'parts');
		const p4 = performance.now();
		parts.push({
			storageLoadMs: p1 - p0,
			automergeLoadMs: p3 - p2,
			readAllMs: p4 - p3,
			chunks: chunks.length
		});
	}
	const result: OpenResult = {
		messages: input.messages,
		coldOpenMs,
		memory,
		runs,
		parts: {
			storageLoadMs: median(parts.map((p) => p.storageLoadMs)),
			automergeLoadMs: median(parts.map((p) => p.automergeLoadMs)),
			readAllMs: median(parts.map((p) => p.readAllMs)),
			chunks: medianBy(parts, (p) => p.chunks).chunks
		}
	};
	process.stdout.write(`${JSON.stringify(result)}\n`);
}

await main();
