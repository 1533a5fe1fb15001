import * as A from '@automerge/automerge';
import { Repo, type DocumentId } from '@automerge/automerge-repo';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomBytes } from '../../src/lib/crypto/primitives.js';
import {
	appendMessage,
	initialConversation,
	type ConversationDoc
} from '../../src/lib/model/conversation.js';
import { toHex } from '../../src/lib/protocol/bytes.js';
import { EncryptedStorageAdapter } from '../../src/lib/storage/EncryptedStorageAdapter.js';
import { MemoryBackend } from '../../src/lib/storage/MemoryBackend.js';

/**
 * Benchmark 4: opening a long conversation.
 *
 * A conversation of N messages (corpus sentences, authors alternating between two devices, one
 * Automerge change per message as the app writes them) is saved through a Repo over
 * EncryptedStorageAdapter + MemoryBackend. Then a child process (openChild.ts, run with
 * --expose-gc so its memory figures start from a clean heap and a fresh WebAssembly memory)
 * fills a MemoryBackend with exactly those sealed records and, in fresh Repos over it, times
 * `repo.find(id)` + `readMessages(handle.doc())`, the last 50 messages alone, and appending one
 * message (`handle.change` + `repo.flush`).
 *
 * @remarks
 * Building 50,000 messages with `A.change` takes far too long (each change on a long document
 * costs ~1 ms and more as it grows: that is what the append figure measures). So the builder makes the
 * same operations through the low-level handles of two documents (one per device, exchanging
 * each change): {@link assertSameAsApp} checks, every run, that this produces byte-for-byte the
 * document `A.change(doc, (d) => appendMessage(d, m))` produces for the same messages. Even so,
 * applying each change to the other device's document grows with the document: 20,000 messages
 * build in about a minute, 50,000 in about five, hence run.ts's default of 20,000.
 */

export interface BuiltConversation {
	messages: number;
	/** The document id in the Repo that saved it. */
	documentId: DocumentId;
	storageKey: Uint8Array;
	/** The backend's records after the save: hashed keys and sealed values. */
	records: { key: string; value: Uint8Array }[];
	storedBytes: number;
	buildMs: number;
}

interface PlannedMessage {
	id: string;
	author: string;
	sentAt: number;
	text: string;
}

const ACTORS = ['a1'.repeat(16), 'b2'.repeat(16)];
/** Two devices' signing keys in hex, as message authors (made once libsodium is ready). */
let authors: string[] | undefined;
const author = (i: number) => (authors ??= [toHex(randomBytes(32)), toHex(randomBytes(32))])[i];
const START = Date.UTC(2026, 0, 5, 9);

function plan(count: number, texts: string[]): PlannedMessage[] {
	return Array.from({ length: count }, (_, i) => ({
		id: crypto.randomUUID(),
		author: author(i % 2),
		sentAt: START + i * 45_000,
		text: texts[i % texts.length]
	}));
}

function created(): A.Doc<ConversationDoc> {
	return A.change(
		A.init<ConversationDoc>({ actor: ACTORS[0] }),
		{ time: Math.floor(START / 1000) },
		initialConversation('Client', author(0), 'Dr. B', START)
	);
}

/** The app's way: one `A.change` with `appendMessage` per message, changes exchanged. */
function buildWithChange(messages: PlannedMessage[]): Uint8Array {
	const first = created();
	const docs = [first, A.load<ConversationDoc>(A.save(first), { actor: ACTORS[1] })];
	messages.forEach((message, i) => {
		const w = i % 2;
		const time = Math.floor(message.sentAt / 1000);
		docs[w] = A.change(docs[w], { time }, (d) => appendMessage(d, message));
		docs[1 - w] = A.applyChanges(docs[1 - w], [A.getLastLocalChange(docs[w])!])[0];
	});
	return A.save(docs[0]);
}

/**
 * The same operations through the low-level API (no JS document kept up to date per change).
 * Keys are put in the order `A.change` writes them (sorted), strings as scalar `str`
 * (ImmutableString), `sentAt` as `int`.
 */
function buildLowLevel(messages: PlannedMessage[]): Uint8Array {
	const first = created();
	const second = A.load<ConversationDoc>(A.save(first), { actor: ACTORS[1] });
	const handles = [A.getBackend(first), A.getBackend(second)];
	const list = handles[0].getWithType('_root', 'messages')![1] as string;
	messages.forEach((message, i) => {
		const h = handles[i % 2];
		const obj = h.insertObject(list, h.length(list), {});
		h.put(obj, 'author', message.author, 'str');
		h.put(obj, 'id', message.id, 'str');
		h.put(obj, 'sentAt', message.sentAt, 'int');
		h.put(obj, 'text', message.text, 'str');
		h.commit(null, Math.floor(message.sentAt / 1000));
		handles[1 - (i % 2)].applyChanges([h.getLastLocalChange()!]);
	});
	return handles[0].save();
}

/** Throws unless the low-level builder writes exactly what the app's `A.change` path writes. */
export function assertSameAsApp(texts: string[]): void {
	const messages = plan(40, texts);
	const app = buildWithChange(messages);
	const low = buildLowLevel(messages);
	if (!Buffer.from(app).equals(Buffer.from(low))) {
		throw new Error('long conversation: low-level builder differs from appendMessage');
	}
}

/** Builds an N-message conversation and saves it through a Repo over encrypting storage. */
export async function buildConversation(count: number, texts: string[]): Promise<BuiltConversation> {
	const started = performance.now();
	const bytes = buildLowLevel(plan(count, texts));
	const backend = new MemoryBackend();
	const storageKey = randomBytes(32);
	const storage = new EncryptedStorageAdapter({ backend, storageKey });
	const repo = new Repo({ storage, network: [] });
	const handle = repo.import<ConversationDoc>(bytes);
	await repo.flush();
	const documentId = handle.documentId;
	await repo.shutdown();
	const records = await backend.range('');
	storage.close();
	return {
		messages: count,
		documentId,
		storageKey,
		records,
		storedBytes: records.reduce((sum, r) => sum + r.value.length, 0),
		buildMs: performance.now() - started
	};
}

/** What openChild.ts measures for one conversation (times in ms, memory in bytes). */
export interface OpenResult {
	messages: number;
	/** First open in the process: fresh heap, fresh WebAssembly memory. */
	coldOpenMs: number;
	memory: { heapPlusExternal: number; arrayBuffers: number; rss: number };
	/** Warm runs, each in a fresh Repo over the same backend. */
	runs: {
		findMs: number;
		readAllMs: number;
		openAllMs: number;
		findLastMs: number;
		readLastMs: number;
		openLastMs: number;
		appendChangeMs: number;
		appendFlushMs: number;
		appendMs: number;
	}[];
	/** Where the opening time goes, measured outside the Repo (median of the runs). */
	parts: { storageLoadMs: number; automergeLoadMs: number; readAllMs: number; chunks: number };
}

const BENCH_DIR = fileURLToPath(new URL('.', import.meta.url));
const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** Runs openChild.ts in a fresh `node --expose-gc` process over a copy of `built`'s records. */
export async function measureOpen(
	built: BuiltConversation,
	runs: number,
	lastN: number
): Promise<OpenResult> {
	const dir = mkdtempSync(join(tmpdir(), 'tend-bench-open-'));
	try {
		const file = join(dir, 'records.json');
		writeFileSync(
			file,
			JSON.stringify({
				documentId: built.documentId,
				storageKey: Buffer.from(built.storageKey).toString('base64'),
				messages: built.messages,
				runs,
				lastN,
				records: built.records.map((r) => [r.key, Buffer.from(r.value).toString('base64')])
			})
		);
		const args = ['--expose-gc', '--import', 'tsx', join(BENCH_DIR, 'openChild.ts'), file];
		const child = spawn(process.execPath, args, {
			cwd: REPO_ROOT,
			stdio: ['ignore', 'pipe', 'pipe']
		});
		let stdout = '';
		let stderr = '';
		child.stdout.setEncoding('utf8').on('data', (text: string) => (stdout += text));
		child.stderr.setEncoding('utf8').on('data', (text: string) => (stderr += text));
		const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
		if (code !== 0) throw new Error(`openChild.ts exited (${code})\n${stderr}`);
		return JSON.parse(stdout.trim().split('\n').at(-1)!) as OpenResult;
	} finally {
		rmSync(dir, { recursive: true, force: true });
	}
}
