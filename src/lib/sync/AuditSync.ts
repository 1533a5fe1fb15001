import { AuditRecorder, type TrailInfo } from '../audit/AuditRecorder.js';
import { createOwnersRecord, openOwnersRecord } from '../audit/auditEntry.js';
import { deriveAccessKey } from '../crypto/documentKeys.js';
import { openFromSealedBox, type BoxKeyPair, type SignKeyPair } from '../crypto/primitives.js';
import { signAccessProof } from '../protocol/auth.js';
import { equalBytes, toBase64Url } from '../protocol/bytes.js';
import { decodeCbor, encodeCbor } from '../protocol/cbor.js';
import { RelayError } from '../protocol/errors.js';
import type { Item } from '../protocol/frames.js';
import type { InviteInfo } from '../protocol/invite.js';
import { isListed, openEnvelopeRecord, verifyChain, verifyEpochRecord } from '../protocol/records.js';
import type { SealedStore } from './SealedStore.js';
import { createAddWriterRecord, createEnvelope, createGenesis } from './documentRecords.js';
import type { RelayConnection } from './RelayConnection.js';

/**
 * Carries audit trails through the relay (docs/protocol.md, "Audit trails"; rule 21). A trail
 * is an audit document: the owner's device registers its genesis, lets member devices in as
 * writers (an epoch record and a key envelope, as for a conversation), and subscribes to read;
 * every writer opens it with the access key and pushes its sealed entries from the recorder's
 * outbox, the same bytes after every reconnect (rule 9).
 *
 * The relay sees opaque entries of kind `audit` in a document of kind `audit`.
 */

const EXPECT_PREFIX = ['tend', 'audit', 'expect'];
const CURSOR_PREFIX = ['tend', 'audit', 'cursor'];

/** What an invitee remembers about the trail its invite named, until the envelope arrives. */
interface ExpectedTrail {
	trail: Uint8Array;
	inviter: Uint8Array;
	ownersRecord: Uint8Array;
	doc: Uint8Array;
}

export interface AuditSyncParams {
	connection: RelayConnection;
	recorder: AuditRecorder;
	store: SealedStore;
	device: SignKeyPair;
	box: BoxKeyPair;
}

export class AuditSync {
	#connection: RelayConnection;
	#recorder: AuditRecorder;
	#store: SealedStore;
	#device: SignKeyPair;
	#box: BoxKeyPair;
	/** Trails opened (and, for owners, subscribed) on the current connection. */
	#live = new Set<string>();
	#inflight = new Set<string>();

	constructor(params: AuditSyncParams) {
		this.#connection = params.connection;
		this.#recorder = params.recorder;
		this.#store = params.store;
		this.#device = params.device;
		this.#box = params.box;
		this.#connection.on('status', (status) => {
			if (status !== 'online') {
				this.#live.clear();
				this.#inflight.clear();
			}
		});
		this.#recorder.on('outbox', this.#onOutbox);
	}

	#onOutbox = (trail: string): void => void this.#sendOutbox(trail);

	/**
	 * Stops listening to the recorder, which outlives the engine: its listener would keep this
	 * sync, the engine and the Repo (and the documents' text) alive after a lock (rule 17).
	 */
	stop(): void {
		this.#recorder.off('outbox', this.#onOutbox);
	}

	/** The trail this device owns (created it), if any. */
	ownTrail(): TrailInfo | undefined {
		return this.#recorder.trails().find((info) => {
			const chain = verifyChain(info.trail, info.chain);
			return chain.ok && equalBytes(chain.value[0].signer, this.#device.publicKey);
		});
	}

	/** Creates this device's own trail (an audit document it administers) unless it has one. */
	async ensureOwnTrail(): Promise<TrailInfo> {
		const existing = this.ownTrail();
		if (existing) return existing;
		const created = createGenesis(this.#device, 'audit');
		const owners = [{ device: this.#device.publicKey, box: this.#box.publicKey }];
		const info: TrailInfo = {
			trail: created.doc,
			secret: created.secret,
			owners,
			chain: [created.genesis],
			docs: [],
			ownersRecord: createOwnersRecord(this.#device, created.doc, owners, Date.now())
		};
		await this.#recorder.addTrail(info);
		if (this.#connection.status === 'online') void this.#connectTrail(info);
		return info;
	}

	/** Events about `docKey` go to this device's own trail, created if needed. */
	async linkToOwnTrail(docKey: string): Promise<void> {
		const own = await this.ensureOwnTrail();
		await this.#recorder.linkDocument(docKey, toBase64Url(own.trail));
	}

	/** How many records this device has written to the trail `docKey`'s events go to. */
	async writtenFor(docKey: string): Promise<number> {
		const trail = this.#recorder.trailOf(docKey);
		return trail ? this.#recorder.written(trail) : 0;
	}

	/** What an invite to `docKey` tells the invitee about the trail (undefined: none). */
	inviteInfoFor(docKey: string): Pick<InviteInfo, 'audit' | 'auditOwners'> {
		const trail = this.#recorder.trailOf(docKey);
		const info = trail ? this.#recorder.trail(trail) : undefined;
		if (!info?.ownersRecord || !this.#recorder.owns(trail!)) return {};
		return { audit: info.trail, auditOwners: info.ownersRecord };
	}

	// ----- Connecting -------------------------------------------------------------------------

	/** Called when the connection is ready: registers, opens and subscribes every trail. */
	async onReady(): Promise<void> {
		await Promise.all(this.#recorder.trails().map((info) => this.#connectTrail(info)));
	}

	async #connectTrail(info: TrailInfo): Promise<void> {
		const key = toBase64Url(info.trail);
		try {
			if (!info.registered && this.#recorder.owns(key)) {
				try {
					await this.#connection.request('doc.create', { genesis: info.chain[0] });
				} catch (error) {
					if (!(error instanceof RelayError && error.code === 'exists')) throw error;
				}
				await this.#recorder.addTrail({ ...info, registered: true });
			}
			await this.#open(info);
			this.#live.add(key);
			if (this.#recorder.owns(key)) {
				const cursor = await this.#cursor(key);
				await this.#connection.request('sub', { doc: info.trail, after: cursor });
			}
			await this.#sendOutbox(key);
		} catch {
			// Retried on the next connect.
		}
	}

	#open(info: TrailInfo) {
		const access = deriveAccessKey(info.secret, 0);
		const n = info.chain.length - 1;
		const sig = signAccessProof(access, this.#connection.origin, this.#connection.challenge, info.trail, n);
		return this.#connection.request('doc.open', { doc: info.trail, epoch: n, accessPk: access.publicKey, sig });
	}

	async #sendOutbox(trail: string): Promise<void> {
		if (!this.#live.has(trail)) return;
		const info = this.#recorder.trail(trail);
		if (!info) return;
		for (const item of await this.#recorder.outbox(trail)) {
			const key = `${trail}:${item.n}`;
			if (this.#inflight.has(key)) continue;
			this.#inflight.add(key);
			try {
				await this.#connection.request('push', { doc: info.trail, entry: item.entry });
				await this.#recorder.acknowledge(trail, item.n);
			} catch {
				// Sent again, unchanged, after the next reconnect.
				return;
			} finally {
				this.#inflight.delete(key);
			}
		}
	}

	/** Entries of an audit document this device owns; false if `doc` isn't a trail. */
	async receive(doc: Uint8Array, items: Item[]): Promise<boolean> {
		const key = toBase64Url(doc);
		if (!this.#recorder.trail(key)) return false;
		if (items.length === 0) return true;
		await this.#recorder.receive(key, items.map((item) => item.b));
		const last = items[items.length - 1].seq;
		await this.#store.write([{ key: [...CURSOR_PREFIX, key], data: encodeCbor(last) }], []);
		return true;
	}

	async #cursor(trail: string): Promise<number> {
		const bytes = await this.#store.load([...CURSOR_PREFIX, trail]);
		return bytes ? (decodeCbor(bytes) as number) : 0;
	}

	// ----- Letting a member's device write ----------------------------------------------------

	/**
	 * After letting `member` into `docKey`: lists the device as a writer of the trail the
	 * document belongs to, and seals the trail's secret to it (rules 2, 3, 7).
	 */
	async admit(docKey: string, member: { device: Uint8Array; boxPk: Uint8Array }): Promise<void> {
		const trail = this.#recorder.trailOf(docKey);
		let info = trail ? this.#recorder.trail(trail) : undefined;
		if (!info || !this.#recorder.owns(trail!)) return;
		if (!this.#live.has(trail!)) await this.#connectTrail(info);
		for (let attempt = 0; ; attempt++) {
			info = this.#recorder.trail(trail!)!;
			const chain = verifyChain(info.trail, info.chain);
			if (!chain.ok) throw new Error(`audit trail chain does not verify: ${chain.why}`);
			const head = chain.value[chain.value.length - 1];
			if (isListed(head.writers, member.device)) break;
			const record = createAddWriterRecord(this.#device, head, member.device);
			try {
				await this.#connection.request('epoch.append', { doc: info.trail, record });
				await this.#recorder.addTrail({ ...info, chain: [...info.chain, record] });
				break;
			} catch (error) {
				const conflict = error instanceof RelayError && error.code === 'conflict';
				if (!conflict || attempt >= 2) throw error;
				await this.#refreshChain(info);
			}
		}
		info = this.#recorder.trail(trail!)!;
		const chain = verifyChain(info.trail, info.chain);
		if (!chain.ok) return;
		const head = chain.value[chain.value.length - 1];
		const envelope = createEnvelope(this.#device, head, info.secret, member);
		await this.#connection.request('mail.send', { to: member.device, envelope });
	}

	async #refreshChain(info: TrailInfo): Promise<void> {
		const answer = await this.#connection.request('doc.chain', { doc: info.trail, from: 0 });
		const records = answer.records as Uint8Array[];
		if (verifyChain(info.trail, records).ok) await this.#recorder.addTrail({ ...info, chain: records });
	}

	// ----- Joining a trail (the invitee's side) -----------------------------------------------

	/** Remembers the trail an invite named, so its key envelope is accepted when it comes. */
	async expect(info: InviteInfo): Promise<void> {
		if (!info.audit || !info.auditOwners) return;
		const expected: ExpectedTrail = {
			trail: info.audit,
			inviter: info.inviter,
			ownersRecord: info.auditOwners,
			doc: info.doc
		};
		await this.#store.write([{ key: [...EXPECT_PREFIX, toBase64Url(info.audit)], data: encodeCbor(expected) }], []);
	}

	/**
	 * Accepts a key envelope for an expected trail: signed by the inviter, who administers the
	 * audit document in its verified chain; the genesis is of kind `audit`; the owners record
	 * verifies against the chain's admins. Returns false if the envelope isn't for a trail.
	 */
	async acceptEnvelope(bytes: Uint8Array): Promise<boolean> {
		const opened = openEnvelopeRecord(bytes);
		if (!opened.ok) return false;
		const { body, signer } = opened.value;
		const key = toBase64Url(body.doc);
		const stored = await this.#store.load([...EXPECT_PREFIX, key]);
		if (!stored) return false;
		const expected = decodeCbor(stored) as ExpectedTrail;
		if (!equalBytes(body.to, this.#device.publicKey) || !equalBytes(expected.inviter, signer)) return true;

		const secret = openFromSealedBox(this.#box, body.sealed);
		if (!secret || secret.length !== 32) return true;
		const access = deriveAccessKey(secret, body.gen);
		const sig = signAccessProof(access, this.#connection.origin, this.#connection.challenge, body.doc, body.n);
		await this.#connection.request('doc.open', { doc: body.doc, epoch: body.n, accessPk: access.publicKey, sig });
		const answer = await this.#connection.request('doc.chain', { doc: body.doc, from: 0 });
		const chain = answer.records as Uint8Array[];
		const verified = verifyChain(body.doc, chain);
		if (!verified.ok || verified.value[0].kind !== 'audit') return true;
		const head = verified.value[verified.value.length - 1];
		if (!isListed(head.admins, signer) || !equalBytes(head.accessPk, access.publicKey)) return true;
		const owners = openOwnersRecord(expected.ownersRecord, body.doc, head.admins);
		if (!owners) return true;

		await this.#recorder.addTrail({
			trail: body.doc,
			secret,
			owners: owners.owners,
			chain,
			docs: [toBase64Url(expected.doc)],
			ownersRecord: expected.ownersRecord,
			registered: true
		});
		await this.#store.write([], [[...EXPECT_PREFIX, key]]);
		void this.#connectTrail(this.#recorder.trail(key)!);
		return true;
	}

	/** A new head of a trail this device writes to (someone was let in): fetch the chain. */
	async onHead(doc: Uint8Array): Promise<boolean> {
		const info = this.#recorder.trail(toBase64Url(doc));
		if (!info) return false;
		try {
			const answer = await this.#connection.request('doc.chain', { doc, from: info.chain.length });
			const head = verifyChain(info.trail, info.chain);
			if (!head.ok) return true;
			const records = answer.records as Uint8Array[];
			let state = head.value[head.value.length - 1];
			for (const record of records) {
				const next = verifyEpochRecord(state, record);
				if (!next.ok) return true;
				state = next.value;
			}
			if (records.length > 0) await this.#recorder.addTrail({ ...info, chain: [...info.chain, ...records] });
		} catch {
			// Retried on the next head or connect.
		}
		return true;
	}
}
