import * as A from '@automerge/automerge';
import { Repo, type DocumentId } from '@automerge/automerge-repo';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomBytes } from '../../src/lib/crypto/primitives.js';
import { initialConversation, type ConversationDoc } from '../../src/lib/model/conversation.js';
import { markRead, setPin } from '../../src/lib/model/messageOps.js';
import { PERIOD_SIZE, periodGenesis, periodLocalId } from '../../src/lib/model/period.js';
import { toHex } from '../../src/lib/protocol/bytes.js';
import { periodDocId } from '../../src/lib/protocol/period.js';
import { EncryptedStorageAdapter } from '../../src/lib/storage/EncryptedStorageAdapter.js';
import { MemoryBackend } from '../../src/lib/storage/MemoryBackend.js';
import { RECEIVE_CHUNK } from '../../src/lib/sync/DocSync.js';
import { lower, type Section } from './report.js';
import type { SectionContext } from './sections.js';
import { medianBy, round } from './stats.js';

/**
 * Section 4b: opening a long conversation kept in period documents (rule 19), 50,000 messages
 * against 1,000.
 *
 * Each conversation is a conversation document (members, a few pins, read markers; format v3,
 * no messages of its own) plus period documents of {@link PERIOD_SIZE} messages each, every one
 * grown from the deterministic genesis the app imports, with one change per message and authors
 * alternating between two devices that exchange each change. All periods are saved through one
 * Repo over EncryptedStorageAdapter + MemoryBackend. A child process (periodsChild.ts) opens the
 * conversation the way the app does: the conversation document and the newest period, plus the
 * previous one when the newest holds fewer than a screen of messages. It reports the time, the
 * memory, the longest synchronous block (event-loop delay) while opening, and the block of
 * applying a catch-up of remote messages in one batch, as DocSync does.
 *
 * Every period builds on its own, so 50,000 messages build in well under a minute instead of the
 * ~5 minutes of one 50,000-message document.
 */

export interface PeriodsConfig {
	small: number;
	large: number;
	/** Remote messages applied in one batch for the catch-up figure. */
	catchUp: number;
}

interface BuiltPeriods {
	messages: number;
	conversationId: DocumentId;
	periods: { n: number; localId: DocumentId; messages: number }[];
	storageKey: Uint8Array;
	records: { key: string; value: Uint8Array }[];
	storedBytes: number;
	buildMs: number;
}

export interface PeriodsOpenResult {
	messages: number;
	loadedMessages: number;
	loadedPeriods: number;
	coldOpenMs: number;
	memory: { heapPlusExternal: number; rss: number };
	runs: { openMs: number; maxBlockMs: number }[];
	catchUp: { messages: number; applyMs: number; warmApplyMs: number; longestPartMs: number; partsMs: number };
}

const ACTORS = ['a1'.repeat(16), 'b2'.repeat(16)];
const START = Date.UTC(2026, 0, 5, 9);

function conversationDoc(authors: string[]): A.Doc<ConversationDoc> {
	let doc = A.change(
		A.init<ConversationDoc>({ actor: ACTORS[0] }),
		{ time: Math.floor(START / 1000) },
		initialConversation('Client', authors[0], 'Dr. B', START)
	);
	doc = A.change(doc, (d) => {
		d.v = 3 as ConversationDoc['v'];
		d.members[authors[1]] = { name: 'Sam', role: 'member', addedAt: START, availability: {} };
		for (let i = 0; i < 5; i++) setPin(d, crypto.randomUUID(), true, START + i);
		markRead(d, authors[0], authors[0], crypto.randomUUID(), START);
		markRead(d, authors[1], authors[1], crypto.randomUUID(), START);
	});
	return doc;
}

/** One period of `count` messages, grown from the app's genesis through the low-level API. */
function buildPeriod(conv: Uint8Array, n: number, count: number, first: number, texts: string[], authors: string[]): Uint8Array {
	const genesis = periodGenesis(periodDocId(conv, n), n).saved;
	const handles = [0, 1].map((i) => A.getBackend(A.load(genesis, { actor: ACTORS[i] })));
	const list = handles[0].getWithType('_root', 'messages')![1] as string;
	for (let k = 0; k < count; k++) {
		const i = first + k;
		const h = handles[i % 2];
		const obj = h.insertObject(list, h.length(list), {});
		h.put(obj, 'author', authors[i % 2], 'str');
		h.put(obj, 'id', crypto.randomUUID(), 'str');
		h.put(obj, 'sentAt', START + i * 45_000, 'int');
		h.put(obj, 'text', texts[i % texts.length], 'str');
		h.commit(null, Math.floor((START + i * 45_000) / 1000));
		handles[1 - (i % 2)].applyChanges([h.getLastLocalChange()!]);
	}
	return handles[0].save();
}

export async function buildPeriods(count: number, texts: string[]): Promise<BuiltPeriods> {
	const started = performance.now();
	const authors = [toHex(randomBytes(32)), toHex(randomBytes(32))];
	const convRelayId = randomBytes(32);
	const backend = new MemoryBackend();
	const storageKey = randomBytes(32);
	const storage = new EncryptedStorageAdapter({ backend, storageKey });
	const repo = new Repo({ storage, network: [] });
	const conv = repo.import<ConversationDoc>(A.save(conversationDoc(authors)));
	const periods: BuiltPeriods['periods'] = [];
	for (let n = 1, done = 0; done < count; n++) {
		const size = Math.min(PERIOD_SIZE, count - done);
		const localId = periodLocalId(conv.documentId, n);
		repo.import(buildPeriod(convRelayId, n, size, done, texts, authors), { docId: localId });
		periods.push({ n, localId, messages: size });
		done += size;
		await repo.flush();
	}
	const conversationId = conv.documentId;
	await repo.shutdown();
	const records = await backend.range('');
	storage.close();
	return {
		messages: count,
		conversationId,
		periods,
		storageKey,
		records,
		storedBytes: records.reduce((sum, r) => sum + r.value.length, 0),
		buildMs: performance.now() - started
	};
}

const BENCH_DIR = fileURLToPath(new URL('.', import.meta.url));
const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));

async function measure(built: BuiltPeriods, runs: number, catchUp: number): Promise<PeriodsOpenResult> {
	const dir = mkdtempSync(join(tmpdir(), 'tend-bench-periods-'));
	try {
		const file = join(dir, 'records.json');
		writeFileSync(
			file,
			JSON.stringify({
				conversationId: built.conversationId,
				periods: built.periods,
				storageKey: Buffer.from(built.storageKey).toString('base64'),
				messages: built.messages,
				runs,
				catchUp,
				records: built.records.map((r) => [r.key, Buffer.from(r.value).toString('base64')])
			})
		);
		const args = ['--expose-gc', '--import', 'tsx', join(BENCH_DIR, 'periodsChild.ts'), file];
		const child = spawn(process.execPath, args, { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
		let stdout = '';
		let stderr = '';
		child.stdout.setEncoding('utf8').on('data', (text: string) => (stdout += text));
		child.stderr.setEncoding('utf8').on('data', (text: string) => (stderr += text));
		const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
		if (code !== 0) throw new Error(`periodsChild.ts exited (${code})\n${stderr}`);
		return JSON.parse(stdout.trim().split('\n').at(-1)!) as PeriodsOpenResult;
	} finally {
		rmSync(dir, { recursive: true, force: true });
	}
}

/** Section 4b: 50,000 messages in periods against 1,000. */
export async function periodsSection({ config, texts, log }: SectionContext) {
	const { small, large, catchUp } = config.periods;
	const built: BuiltPeriods[] = [];
	const results: PeriodsOpenResult[] = [];
	for (const count of [small, large]) {
		log(`periods: building ${count} messages`);
		const conversation = await buildPeriods(count, texts);
		built.push(conversation);
		log(`periods: measuring ${count} messages (${conversation.periods.length} periods, built in ${Math.round(conversation.buildMs)} ms)`);
		results.push(await measure(conversation, config.runs, catchUp));
		conversation.records = [];
	}
	const [s, l] = results;
	const mid = (r: PeriodsOpenResult, key: (run: PeriodsOpenResult['runs'][number]) => number) => key(medianBy(r.runs, key));
	const fmt = (n: number) => n.toLocaleString('en-US');
	const mb = (bytes: number) => bytes / 1e6;
	const section: Section = {
		title: `4b. Opening a conversation kept in periods: ${fmt(large)} messages (Tend column) vs ${fmt(small)}`,
		baseline: `the same with ${fmt(small)} messages (one period); Tend/base is the cost ratio`,
		notes: [
			`Period size ${fmt(PERIOD_SIZE)}; ${fmt(large)} messages = ${built[1].periods.length} periods, ` +
				`stored ${round(built[1].storedBytes / 1e6)} MB sealed, built in ${Math.round(built[1].buildMs)} ms ` +
				`(${fmt(small)}: ${round(built[0].storedBytes / 1e6)} MB, ${Math.round(built[0].buildMs)} ms).`,
			'"open": repo.find(conversation) + repo.find(newest period) (+ the previous one if the newest ' +
				'holds fewer than 50 messages) + readMessages of what was loaded, in a fresh Repo over the ' +
				`same sealed records, child process with --expose-gc; median of ${config.runs} runs. Loaded ` +
				`${fmt(l.loadedMessages)} messages in ${l.loadedPeriods} period(s) for ${fmt(large)}.`,
			'"longest synchronous block": the event loop\'s maximum delay (perf_hooks, 1 ms resolution) ' +
				'while opening: how long a UI thread would freeze. "catch-up apply": applying ' +
				`${catchUp} remote messages to the newest period in one batch (one handle.update). ` +
				`"catch-up in parts": the same messages applied as DocSync.receive does, ${RECEIVE_CHUNK} ` +
				'entries per update with the event loop free between them, compared with one batch ' +
				'applied right after the parts (equally warm) to a fresh copy of the same period.'
		],
		rows: [
			lower('open: conversation + newest period', 'ms', mid(l, (r) => r.openMs), mid(s, (r) => r.openMs), 1.3),
			lower('longest synchronous block while opening', 'ms', mid(l, (r) => r.maxBlockMs), mid(s, (r) => r.maxBlockMs)),
			lower('first open in a fresh process', 'ms', l.coldOpenMs, s.coldOpenMs),
			lower('memory: heap + external', 'MB', mb(l.memory.heapPlusExternal), mb(s.memory.heapPlusExternal)),
			lower('memory: rss', 'MB', mb(l.memory.rss), mb(s.memory.rss)),
			lower(`catch-up apply (${catchUp} messages, one block)`, 'ms', l.catchUp.applyMs, s.catchUp.applyMs),
			lower(`catch-up in parts: longest part vs one warm block (${fmt(large)})`, 'ms', l.catchUp.longestPartMs, l.catchUp.warmApplyMs),
			lower(`catch-up in parts: all parts vs one warm block (${fmt(large)})`, 'ms', l.catchUp.partsMs, l.catchUp.warmApplyMs)
		]
	};
	const raw = {
		built: built.map(({ messages, storedBytes, buildMs, periods }) => ({ messages, storedBytes, buildMs, periods: periods.length })),
		results
	};
	return { section, raw };
}
