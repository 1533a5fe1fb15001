import { EventEmitter } from 'eventemitter3';
import type { BoxKeyPair, SignKeyPair } from '../crypto/primitives.js';
import { equalBytes, toBase64Url, toHex } from '../protocol/bytes.js';
import { decodeCbor, encodeCbor } from '../protocol/cbor.js';
import { isListed, verifyChain } from '../protocol/records.js';
import { SerialQueue, type SealedStore } from '../sync/SealedStore.js';
import { headsOf } from './auditFile.js';
import {
	chainKeyOf,
	createAuditRecord,
	NO_PREV,
	openAuditRecord,
	type ChainPosition
} from './auditRecord.js';
import { openAuditEntry, sealAuditEntry, type AuditOwner } from './auditEntry.js';
import { AuditKind, LOCKED_KINDS, type AuditDetails } from './kinds.js';
import { verifyAuditTrail, type AuditVerification } from './verifyAuditTrail.js';

/**
 * The audit recorder: the one object the rest of the app calls to put something on the record
 * (issue 8, rule 21).
 *
 * ```ts
 * app.audit.record(AuditKind.memberInvited, { doc: docKey, invite: inviteId });
 * ```
 *
 * - `record(kind, details)` never throws and never waits: it works before the app is unlocked
 *   (queued in memory; kinds in `LOCKED_KINDS` also in a small clear queue that survives the
 *   reload a lock ends with, holding only the kind, the time and numbers) and after (signed,
 *   chained, sealed to the owners and put in the outbox).
 * - `attach(env)` is called once the device keys and the sealed store are available (after the
 *   unlock); it signs everything queued, oldest first. `detach()` drops the keys (at lock).
 * - Records go to the trail the details' `doc` belongs to (`linkDocument`), or to every trail
 *   this device writes to when they name no document (sign-in, failed unlock). A device that
 *   belongs to no trail yet keeps them in its sealed store until it joins one.
 * - On an owner's device the recorder is also the inbox: `receive` opens entries sealed to this
 *   device and stores the records; `records`/`verify` read them; after records from other
 *   devices arrive it countersigns their chain heads (`heads-seen`), which is how a cut-off end
 *   is caught later.
 *
 * Storage (all in the sealed store, rule 16), per trail id `T` in base64url:
 * `['tend','audit','trail',T]` what the device knows of the trail, `['tend','audit','pos',T]`
 * its chain position, `['tend','audit','out',T,n]` sealed entries not yet acknowledged by the
 * relay, `['tend','audit','rec',T,chain,n]` readable records (owners only),
 * `['tend','audit','pending',id]` records waiting for a trail.
 */

/** What a device knows about one trail. */
export interface TrailInfo {
	/** The trail id (the audit document's relay id). */
	trail: Uint8Array;
	/** The audit document's secret: opens the relay and the entries' outer layer. */
	secret: Uint8Array;
	/** Owner devices, from a verified owners record. */
	owners: AuditOwner[];
	/** The audit document's chain (genesis and epoch records): owners and members, signed. */
	chain: Uint8Array[];
	/** Conversations (and later boards) whose events go to this trail, base64url ids. */
	docs: string[];
	/** The signed owners record (`createOwnersRecord`), passed on in invites. */
	ownersRecord?: Uint8Array;
	/** The relay has the audit document's genesis (set by the sync once `doc.create` succeeded). */
	registered?: boolean;
}

export interface AuditEnv {
	store: SealedStore;
	device: SignKeyPair;
	box: BoxKeyPair;
	incarnation: Uint8Array;
}

/** Keeps locked-time events outside the sealed store (e.g. localStorage): kind, time, numbers. */
export interface LockedQueue {
	load(): QueuedEvent[];
	save(events: QueuedEvent[]): void;
}

export interface QueuedEvent {
	kind: string;
	at: number;
	details: AuditDetails;
}

export interface AuditRecorderEvents {
	/** A sealed entry waits in the outbox of this trail (base64url). */
	outbox: (trail: string) => void;
	/** Readable records of this trail changed (owner devices). */
	records: (trail: string) => void;
}

export interface AuditRecorderOptions {
	now?: () => number;
	locked?: LockedQueue;
	/** How long an owner waits after new records before countersigning heads (ms). */
	countersignDelay?: number;
	/** Least time between two `checkpoint` records of one trail (ms); a day by default; `Infinity`: none. */
	checkpointEvery?: number;
}

const PREFIX = ['tend', 'audit'];
const MAX_PENDING = 500;
const MAX_LOCKED = 100;

export class AuditRecorder extends EventEmitter<AuditRecorderEvents> {
	#env: AuditEnv | undefined;
	#memory: QueuedEvent[] = [];
	#queue = new SerialQueue();
	#trails = new Map<string, TrailInfo>();
	#now: () => number;
	#locked: LockedQueue | undefined;
	#countersignDelay: number;
	#countersignTimer = new Map<string, ReturnType<typeof setTimeout>>();
	#checkpointEvery: number;

	constructor(options: AuditRecorderOptions = {}) {
		super();
		this.#now = options.now ?? (() => Date.now());
		this.#locked = options.locked;
		this.#countersignDelay = options.countersignDelay ?? 3000;
		this.#checkpointEvery = options.checkpointEvery ?? 24 * 60 * 60 * 1000;
	}

	get attached(): boolean {
		return this.#env !== undefined;
	}

	/** Puts an event on the record; see the class comment. Never throws. */
	record(kind: AuditKind | string, details: AuditDetails = {}): void {
		const event: QueuedEvent = { kind, at: this.#now(), details };
		if (!this.#env) {
			this.#queueLocked(event);
			return;
		}
		void this.#queue.run(() => this.#write(event)).catch(() => {
			// A store failure loses this one event; the chain stays consistent (nothing was written).
		});
	}

	/** Waits until everything recorded so far is written. */
	async flush(): Promise<void> {
		await this.#queue.run(async () => {});
	}

	#queueLocked(event: QueuedEvent): void {
		this.#memory.push(event);
		if (this.#memory.length > MAX_PENDING) this.#memory.shift();
		if (!this.#locked || !LOCKED_KINDS.includes(event.kind as AuditKind)) return;
		try {
			const numbers = Object.fromEntries(
				Object.entries(event.details).filter(([, v]) => typeof v === 'number')
			);
			const saved = this.#locked.load();
			saved.push({ kind: event.kind, at: event.at, details: numbers });
			this.#locked.save(saved.slice(-MAX_LOCKED));
			// It is in the clear queue now; don't sign it twice.
			this.#memory.pop();
		} catch {
			// No clear storage: the event stays in memory only.
		}
	}

	/** Keys and store are available: load what the device knows and sign everything queued. */
	async attach(env: AuditEnv): Promise<void> {
		this.#env = env;
		await this.#queue.run(async () => {
			for (const row of await env.store.loadRange([...PREFIX, 'trail'])) {
				if (!row.data) continue;
				const info = decodeCbor(row.data) as TrailInfo;
				this.#trails.set(toBase64Url(info.trail), info);
			}
			let locked: QueuedEvent[] = [];
			try {
				locked = this.#locked?.load() ?? [];
				this.#locked?.save([]);
			} catch {
				// Nothing queued in the clear.
			}
			const queued = [...locked, ...this.#memory].sort((a, b) => a.at - b.at);
			this.#memory = [];
			for (const event of queued) await this.#write(event);
			await this.#checkpointIfDue();
		});
		for (const trail of this.#trails.keys()) {
			if (this.outboxSize(trail) !== 0) this.emit('outbox', trail);
		}
	}

	/** Drops the keys (the app locked); later events queue until the next `attach`. */
	detach(): void {
		this.#env = undefined;
		this.#trails.clear();
		this.#written.clear();
		for (const timer of this.#countersignTimer.values()) clearTimeout(timer);
		this.#countersignTimer.clear();
	}

	// ----- Trails ---------------------------------------------------------------------------

	trails(): TrailInfo[] {
		return [...this.#trails.values()];
	}

	trail(id: string): TrailInfo | undefined {
		return this.#trails.get(id);
	}

	/** This device owns `trail` (it receives and reads its records). */
	owns(trail: string): boolean {
		const info = this.#trails.get(trail);
		const env = this.#env;
		return !!info && !!env && info.owners.some((o) => equalBytes(o.device, env.device.publicKey));
	}

	/**
	 * Adds or updates a trail this device writes to. The chain must verify and every owner must
	 * administer it; records waiting for a trail are then written to it.
	 */
	async addTrail(info: TrailInfo): Promise<void> {
		const chain = verifyChain(info.trail, info.chain);
		if (!chain.ok) throw new Error(`audit trail chain does not verify: ${chain.why}`);
		const admins = chain.value[chain.value.length - 1].admins;
		if (info.owners.length === 0 || !info.owners.every((o) => isListed(admins, o.device))) {
			throw new Error('audit trail owners must administer the trail');
		}
		const key = toBase64Url(info.trail);
		await this.#queue.run(async () => {
			const env = this.#require();
			const known = this.#trails.get(key);
			const merged: TrailInfo = {
				...info,
				docs: [...new Set([...(known?.docs ?? []), ...info.docs])]
			};
			this.#trails.set(key, merged);
			await env.store.write([{ key: [...PREFIX, 'trail', key], data: encodeCbor(merged) }], []);
			const pending = await env.store.loadRange([...PREFIX, 'pending']);
			const events = pending
				.flatMap((row) => (row.data ? [decodeCbor(row.data) as QueuedEvent] : []))
				.sort((a, b) => a.at - b.at);
			if (events.length > 0) {
				await env.store.write([], pending.map((row) => row.key));
				for (const event of events) await this.#write(event);
			}
			await this.#checkpointIfDue();
		});
	}

	/** Events about `docKey` go to `trail` from now on. */
	async linkDocument(docKey: string, trail: string): Promise<void> {
		const info = this.#trails.get(trail);
		if (!info || info.docs.includes(docKey)) return;
		await this.addTrail({ ...info, docs: [...info.docs, docKey] });
	}

	trailOf(docKey: string): string | undefined {
		for (const [key, info] of this.#trails) if (info.docs.includes(docKey)) return key;
		return undefined;
	}

	/** The documents whose events go to `trail`. */
	documentsOf(trail: string): string[] {
		return [...(this.#trails.get(trail)?.docs ?? [])];
	}

	/**
	 * How many records this device has written to `trail` (its chain position): what it tells
	 * the trail's owners in presence frames, so a relay holding records back is noticed (rule 21).
	 */
	async written(trail: string): Promise<number> {
		const env = this.#env;
		if (!env) return 0;
		// Asked for every presence frame: read from storage once, then kept by `#writeTo`.
		const known = this.#written.get(trail);
		if (known !== undefined) return known;
		const stored = await env.store.load([...PREFIX, 'pos', trail]);
		const n = stored ? (decodeCbor(stored) as ChainPosition).n : 0;
		if (this.#env === env && !this.#written.has(trail)) this.#written.set(trail, n);
		return this.#written.get(trail) ?? n;
	}

	/** Records written per trail, as far as {@link written} has read or `#writeTo` has written. */
	#written = new Map<string, number>();

	// ----- Writing --------------------------------------------------------------------------

	async #write(event: QueuedEvent): Promise<void> {
		const env = this.#require();
		const doc = typeof event.details.doc === 'string' ? event.details.doc : undefined;
		const linked = doc ? this.trailOf(doc) : undefined;
		const targets = linked ? [linked] : [...this.#trails.keys()];
		if (targets.length === 0) {
			const pending = await env.store.loadRange([...PREFIX, 'pending']);
			if (pending.length >= MAX_PENDING) return;
			const id = `${event.at}-${toHex(crypto.getRandomValues(new Uint8Array(6)))}`;
			await env.store.write([{ key: [...PREFIX, 'pending', id], data: encodeCbor(event) }], []);
			return;
		}
		for (const trail of targets) await this.#writeTo(trail, event);
	}

	async #writeTo(trail: string, event: QueuedEvent): Promise<void> {
		const env = this.#require();
		const info = this.#trails.get(trail);
		if (!info) return;
		const posKey = [...PREFIX, 'pos', trail];
		const stored = await env.store.load(posKey);
		const after = stored ? (decodeCbor(stored) as ChainPosition) : { n: 0, prev: NO_PREV };
		const { bytes, position } = createAuditRecord({
			trail: info.trail,
			device: env.device,
			incarnation: env.incarnation,
			after,
			at: event.at,
			kind: event.kind,
			details: event.details
		});
		const entry = sealAuditEntry(info, bytes, info.owners);
		// The position, the outbox entry and (for an owner) the readable copy in one write (rule 10).
		const puts = [
			{ key: posKey, data: encodeCbor(position) },
			{ key: [...PREFIX, 'out', trail, seqKey(position.n)], data: entry }
		];
		const owner = this.owns(trail);
		if (owner) puts.push({ key: this.#recordKey(trail, bytes), data: bytes });
		await env.store.write(puts, []);
		this.#written.set(trail, position.n);
		this.#outboxCount.set(trail, this.outboxSize(trail) + 1);
		this.emit('outbox', trail);
		if (owner) this.emit('records', trail);
	}

	#recordKey(trail: string, bytes: Uint8Array): string[] {
		const record = openAuditRecord(bytes);
		if (!record) throw new Error('not an audit record');
		return [...PREFIX, 'rec', trail, chainKeyOf(record.body), seqKey(record.body.n)];
	}

	#outboxCount = new Map<string, number>();

	/** Entries waiting for the relay (-1: not counted yet). */
	outboxSize(trail: string): number {
		return this.#outboxCount.get(trail) ?? -1;
	}

	/** Sealed entries of a trail not yet acknowledged, oldest first. */
	async outbox(trail: string): Promise<{ n: string; entry: Uint8Array }[]> {
		const env = this.#require();
		const rows = await env.store.loadRange([...PREFIX, 'out', trail]);
		const items = rows
			.flatMap((row) => (row.data ? [{ n: row.key[row.key.length - 1], entry: row.data }] : []))
			.sort((a, b) => (a.n < b.n ? -1 : a.n > b.n ? 1 : 0));
		this.#outboxCount.set(trail, items.length);
		return items;
	}

	/** The relay stored the entry: forget it. */
	async acknowledge(trail: string, n: string): Promise<void> {
		const env = this.#require();
		await env.store.write([], [[...PREFIX, 'out', trail, n]]);
		this.#outboxCount.set(trail, Math.max(0, this.outboxSize(trail) - 1));
	}

	/**
	 * A `checkpoint` record in every trail whose last one is older than `checkpointEvery`
	 * (called at attach and when a trail is added, inside the queue): rule 21's periodic record
	 * of the device's latest counter.
	 */
	async #checkpointIfDue(): Promise<void> {
		if (!Number.isFinite(this.#checkpointEvery)) return;
		const env = this.#require();
		const now = this.#now();
		for (const trail of this.#trails.keys()) {
			const key = [...PREFIX, 'checkpointAt', trail];
			const last = await env.store.load(key);
			if (last && now - (decodeCbor(last) as number) < this.#checkpointEvery) continue;
			const stored = await env.store.load([...PREFIX, 'pos', trail]);
			const n = stored ? (decodeCbor(stored) as ChainPosition).n : 0;
			await this.#writeTo(trail, { kind: AuditKind.checkpoint, at: now, details: { written: n } });
			await env.store.write([{ key, data: encodeCbor(now) }], []);
		}
	}

	/** Records a checkpoint: "this device has written n records to each trail" (rule 21). */
	checkpoint(): void {
		void this.#queue.run(async () => {
			const env = this.#require();
			for (const trail of this.#trails.keys()) {
				const stored = await env.store.load([...PREFIX, 'pos', trail]);
				const n = stored ? (decodeCbor(stored) as ChainPosition).n : 0;
				await this.#writeTo(trail, { kind: AuditKind.checkpoint, at: this.#now(), details: { written: n } });
			}
		}).catch(() => {});
	}

	// ----- Reading (owner devices) ----------------------------------------------------------

	/**
	 * Opens entries from the relay that are sealed to this device and stores their records.
	 * Entries that aren't for this device, or don't open, are skipped; returns how many records
	 * were new.
	 */
	async receive(trail: string, entries: Uint8Array[]): Promise<number> {
		return this.#queue.run(async () => {
			const env = this.#require();
			const info = this.#trails.get(trail);
			if (!info || !this.owns(trail)) return 0;
			const puts: { key: string[]; data: Uint8Array }[] = [];
			let fromOthers = false;
			for (const entry of entries) {
				const opened = openAuditEntry(info, entry, { device: env.device.publicKey, box: env.box });
				if (!opened.ok) continue;
				const record = openAuditRecord(opened.record);
				// Records of another trail are refused; bad signatures are kept, so they can be shown.
				if (!record || !equalBytes(record.body.trail, info.trail)) continue;
				const key = this.#recordKey(trail, opened.record);
				const existing = await env.store.load(key);
				if (existing && equalBytes(existing, opened.record)) continue;
				// A second, different record with the same number is kept beside the first (a fork).
				if (existing) key.push(toHex(record.hash).slice(0, 16));
				puts.push({ key, data: opened.record });
				const mine = equalBytes(record.body.device, env.device.publicKey);
				if (!mine && record.body.kind !== AuditKind.headsSeen) fromOthers = true;
			}
			if (puts.length > 0) await env.store.write(puts, []);
			if (puts.length > 0) this.emit('records', trail);
			if (fromOthers) this.#scheduleCountersign(trail);
			return puts.length;
		});
	}

	/** Every readable record of a trail this device owns, grouped by chain in counter order. */
	async records(trail: string): Promise<Uint8Array[]> {
		const env = this.#require();
		const rows = await env.store.loadRange([...PREFIX, 'rec', trail]);
		return rows
			.sort((a, b) => compareKeys(a.key, b.key))
			.flatMap((row) => (row.data ? [row.data] : []));
	}

	/** Checks the trail's records: signatures, chains, countersigned heads. */
	async verify(trail: string): Promise<AuditVerification> {
		const info = this.#trails.get(trail);
		const records = await this.records(trail);
		const chain = info ? verifyChain(info.trail, info.chain) : undefined;
		const epochs = chain?.ok ? chain.value : [];
		return verifyAuditTrail(records, {
			trail: info?.trail,
			owners: epochs.flatMap((e) => e.admins),
			members: epochs.length > 0 ? epochs.flatMap((e) => e.writers) : undefined
		});
	}

	#scheduleCountersign(trail: string): void {
		if (this.#countersignTimer.has(trail)) return;
		const timer = setTimeout(() => {
			this.#countersignTimer.delete(trail);
			void this.countersign(trail);
		}, this.#countersignDelay);
		this.#countersignTimer.set(trail, timer);
	}

	/** Records a `heads-seen` record naming the head of every other device's chain. */
	async countersign(trail: string): Promise<void> {
		const env = this.#env;
		if (!env || !this.owns(trail)) return;
		const me = toHex(env.device.publicKey);
		const heads = headsOf(await this.records(trail)).filter((head) => head.device !== me);
		if (heads.length === 0) return;
		await this.#queue.run(() =>
			this.#writeTo(trail, { kind: AuditKind.headsSeen, at: this.#now(), details: { heads } })
		);
	}

	#require(): AuditEnv {
		if (!this.#env) throw new Error('the audit recorder is not attached (locked)');
		return this.#env;
	}
}

/** Counters as fixed-width strings, so stored keys sort like numbers. */
function seqKey(n: number): string {
	return n.toString().padStart(12, '0');
}

function compareKeys(a: string[], b: string[]): number {
	const x = a.join('/');
	const y = b.join('/');
	return x < y ? -1 : x > y ? 1 : 0;
}

/** A `LockedQueue` over `localStorage` (browser). */
export function localStorageQueue(name = 'tend-audit-locked'): LockedQueue {
	return {
		load() {
			const text = localStorage.getItem(name);
			if (!text) return [];
			const parsed = JSON.parse(text) as unknown;
			return Array.isArray(parsed) ? (parsed as QueuedEvent[]) : [];
		},
		save(events) {
			if (events.length === 0) localStorage.removeItem(name);
			else localStorage.setItem(name, JSON.stringify(events));
		}
	};
}
