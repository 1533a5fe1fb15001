import Database from 'better-sqlite3';
import { Buffer } from 'node:buffer';
import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import { decodeCbor, encodeCbor } from '../../src/lib/protocol/cbor.js';

/**
 * Baseline A: the least a durable relay can do, speaking the same frames as Tend's relay.
 *
 * @remarks
 * It answers the `challenge`, accepts any request without checking anything (no signatures,
 * no access proofs, no writer lists, no entry header, no entry id or dedup, no rate limit), and
 * handles only what a load needs: `sub` (live only, no backlog) and `push`. Pushes of one
 * event-loop turn are inserted in one SQLite transaction (better-sqlite3, WAL,
 * `synchronous=FULL`, so an fsync per commit); only then is each push answered `ok { seq }`
 * and the batch fanned out, one `entries` frame per document, to every subscriber (the sender
 * too, as Tend's relay does). That is the design DESIGN.md ("Performance facts") measured at
 * 0.67–1.06× of a relay that doesn't store at all, so the Tend relay's ratio against this
 * baseline is the cost of everything Tend adds on top of durable forwarding.
 *
 * Run as its own process, like the real relay: `tsx tests/bench/bareRelay.ts --data DIR
 * --port 0`; it prints `{"msg":"listening","port":N}` once ready and exits on SIGTERM.
 */

interface DocLog {
	id: Uint8Array;
	lastSeq: number;
	subs: Set<WebSocket>;
}

interface Pending {
	ws: WebSocket;
	rid: number;
	doc: DocLog;
	entry: Uint8Array;
}

export interface BareRelay {
	port: number;
	close(): Promise<void>;
}

export async function startBareRelay(options: { dataDir: string; port?: number }) {
	mkdirSync(options.dataDir, { recursive: true });
	const db = new Database(join(options.dataDir, 'bare.sqlite'));
	db.pragma('journal_mode = WAL');
	db.pragma('synchronous = FULL');
	db.exec(`CREATE TABLE IF NOT EXISTS entries (
		doc BLOB NOT NULL, seq INTEGER NOT NULL, bytes BLOB NOT NULL, PRIMARY KEY (doc, seq))`);
	const insert = db.prepare('INSERT INTO entries (doc, seq, bytes) VALUES (?, ?, ?)');
	const insertAll = db.transaction((batch: Pending[]) => {
		return batch.map((push) => {
			const seq = ++push.doc.lastSeq;
			insert.run(push.doc.id, seq, push.entry);
			return seq;
		});
	});

	const docs = new Map<string, DocLog>();
	const docOf = (id: Uint8Array): DocLog => {
		const key = Buffer.from(id).toString('hex');
		let doc = docs.get(key);
		if (!doc) docs.set(key, (doc = { id, lastSeq: 0, subs: new Set() }));
		return doc;
	};

	let queue: Pending[] = [];
	let scheduled = false;
	const flush = () => {
		scheduled = false;
		const batch = queue;
		queue = [];
		if (batch.length === 0) return;
		const seqs = insertAll(batch);
		const fresh = new Map<DocLog, { seq: number; b: Uint8Array }[]>();
		batch.forEach((push, i) => {
			send(push.ws, encodeCbor({ t: 'ok', rid: push.rid, seq: seqs[i], dup: false }));
			const items = fresh.get(push.doc) ?? [];
			items.push({ seq: seqs[i], b: push.entry });
			fresh.set(push.doc, items);
		});
		for (const [doc, items] of fresh) {
			const frame = encodeCbor({ t: 'entries', doc: doc.id, items });
			for (const ws of doc.subs) send(ws, frame);
		}
	};

	const wss = new WebSocketServer({ port: options.port ?? 0, host: '127.0.0.1' });
	await new Promise<void>((resolve) => wss.once('listening', () => resolve()));
	wss.on('connection', (ws) => {
		send(ws, encodeCbor({ t: 'challenge', nonce: randomBytes(32), v: 1 }));
		const subscribed = new Set<DocLog>();
		ws.on('message', (data: RawData) => {
			let frame: { t?: unknown; rid?: unknown; doc?: unknown; entry?: unknown };
			try {
				frame = decodeCbor(data as Buffer) as typeof frame;
			} catch {
				return;
			}
			const rid = typeof frame.rid === 'number' ? frame.rid : 0;
			if (frame.t === 'push' && frame.doc instanceof Uint8Array && frame.entry instanceof Uint8Array) {
				queue.push({ ws, rid, doc: docOf(frame.doc), entry: frame.entry });
				if (!scheduled) {
					scheduled = true;
					setImmediate(flush);
				}
				return;
			}
			if (frame.t === 'sub' && frame.doc instanceof Uint8Array) {
				const doc = docOf(frame.doc);
				doc.subs.add(ws);
				subscribed.add(doc);
				send(ws, encodeCbor({ t: 'ok', rid, seq: doc.lastSeq }));
				return;
			}
			send(ws, encodeCbor({ t: 'ok', rid }));
		});
		ws.on('close', () => {
			for (const doc of subscribed) doc.subs.delete(ws);
		});
	});

	return {
		port: (wss.address() as AddressInfo).port,
		async close() {
			flush();
			for (const ws of wss.clients) ws.terminate();
			await new Promise<void>((resolve) => wss.close(() => resolve()));
			db.close();
		}
	} satisfies BareRelay;
}

function send(ws: WebSocket, bytes: Uint8Array): void {
	if (ws.readyState === ws.OPEN) ws.send(bytes);
}

async function main(): Promise<void> {
	const { values } = parseArgs({
		options: { data: { type: 'string' }, port: { type: 'string' } }
	});
	if (!values.data) throw new Error('usage: bareRelay.ts --data DIR [--port N]');
	const relay = await startBareRelay({ dataDir: values.data, port: Number(values.port ?? 0) });
	console.log(JSON.stringify({ msg: 'listening', port: relay.port }));
	process.on('SIGTERM', () => void relay.close().then(() => process.exit(0)));
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
	await main();
}
