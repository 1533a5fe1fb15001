import { EventEmitter } from 'eventemitter3';
import { openFromSealedBox, randomBytes, type BoxKeyPair, type SignKeyPair } from '../crypto/primitives.js';
import { deviceRecordsOf, publishDeviceRecords, unpublished } from '../model/deviceRecords.js';
import { equalBytes, fromBase64Url, fromHex, toBase64Url, toHex } from '../protocol/bytes.js';
import { decodeCbor, encodeCbor } from '../protocol/cbor.js';
import {
	createDeviceCert,
	createDeviceRevocation,
	deviceRecordHash,
	keepListFor,
	resolvePerson,
	type PersonDevices
} from '../protocol/deviceCert.js';
import {
	createHandover,
	openHandoverRecord,
	openLinkInfo,
	parseHandoverContents,
	sealLinkInfo,
	type HandoverContents,
	type HandoverDoc,
	type LinkInfo
} from '../protocol/deviceLink.js';
import type { InviteClaim } from '../protocol/frames.js';
import {
	deriveInviteKeys,
	formatInviteFragment,
	INVITE_ID_BYTES,
	INVITE_SECRET_BYTES,
	openProfile,
	parseInviteFragment,
	safetyCode,
	sealProfile,
	signClaimByDevice,
	signInviteProof,
	verifyClaimByDevice
} from '../protocol/invite.js';
import { isListed } from '../protocol/records.js';
import type { SealedStore } from './SealedStore.js';
import { siblingKeyOf } from './siblingKeyOf.js';
import type { DocSync } from './DocSync.js';
import type { RelayConnection } from './RelayConnection.js';

/**
 * A person's devices, run by the sync engine (SECURITY-RULES.md, rule 3; docs/protocol.md,
 * "People and devices"):
 *
 * - **Linking.** The existing device registers a link (an invite through the relay) and shows
 *   it as a QR code; the new device claims it with its keys and its label; both show the same
 *   six-digit code; on the person's confirmation the existing device signs a certificate and
 *   hands the new device its person key, name, device records and document list.
 * - **Acting on certificates.** Every device publishes its person's device records in each
 *   shared document (`members[person].devices`). An administering device that sees a valid
 *   certificate of a member's device that isn't listed yet adds it with the rights the person
 *   already has and seals the secret to it; one that sees a valid revocation of a listed device
 *   rotates the document's key without it. Nobody has to press anything.
 */

/** This device's view of its own person, sealed in the device's storage. */
export interface DeviceBook {
	person: Uint8Array;
	/** Every certificate and revocation of the person this device knows. */
	records: Uint8Array[];
	/** Labels the person typed for their devices ("Tablet"), by device key in hex. */
	labels: Record<string, string>;
}

/** A new device waiting to be confirmed on this one. */
export interface LinkRequest {
	inviteId: string;
	device: Uint8Array;
	boxPk: Uint8Array;
	label: string;
	safetyCode: string;
}

/** On the new device: the link it claimed and waits on. */
export interface PendingLink {
	invite: Uint8Array;
	secret: Uint8Array;
	info: LinkInfo;
	label: string;
}

export interface DeviceLinksEvents {
	/** A new device claimed one of this device's links: show its code and ask the person. */
	'link-request': (request: LinkRequest) => void;
	/** This (new) device was linked: it now knows its person, name and documents. */
	linked: (contents: HandoverContents) => void;
	/** The person's device list changed (a device added or revoked, labels learnt). */
	devices: () => void;
}

/** What the engine lets this module do to documents. */
export interface DeviceLinksHost {
	connection: RelayConnection;
	store: SealedStore;
	device: SignKeyPair;
	box: BoxKeyPair;
	docs(): DocSync[];
	addDevice(
		sync: DocSync,
		device: Uint8Array,
		boxPk: Uint8Array,
		rights: { admin: boolean; reader?: boolean }
	): Promise<void>;
	removeDevices(sync: DocSync, remove: Uint8Array[]): Promise<unknown>;
	rememberBoxKey(device: Uint8Array, boxPk: Uint8Array): Promise<void>;
}

const BOOK_KEY = ['tend', 'people', 'book'];
const LINK_OUT_PREFIX = ['tend', 'link', 'out'];
const LINK_IN_KEY = ['tend', 'link', 'in'];
const EXPECT_PREFIX = ['tend', 'link', 'expect'];

/** A link can be claimed for 15 minutes: it is meant for a device in the person's hand. */
export const LINK_LIFETIME_MS = 15 * 60_000;

export class DeviceLinks extends EventEmitter<DeviceLinksEvents> {
	#host: DeviceLinksHost;
	#requests = new Map<string, LinkRequest>();
	/** Documents being reconciled, so a burst of changes runs one pass at a time. */
	#busy = new Set<string>();
	#again = new Set<string>();
	#book: DeviceBook | undefined;
	/** Hashes of the device records seen published in documents this device administers. */
	#seen = new Set<string>();

	constructor(host: DeviceLinksHost) {
		super();
		this.#host = host;
	}

	// ----- The person's own devices ------------------------------------------------------

	/** The device book; a device that was never linked is its own person, with no records. */
	async book(): Promise<DeviceBook> {
		if (this.#book) return this.#book;
		const bytes = await this.#host.store.load(BOOK_KEY);
		const me = this.#host.device.publicKey;
		this.#book = bytes
			? (decodeCbor(bytes) as DeviceBook)
			: { person: me, records: [], labels: {} };
		return this.#book;
	}

	async #saveBook(book: DeviceBook): Promise<void> {
		this.#book = book;
		await this.#host.store.write([{ key: BOOK_KEY, data: encodeCbor(book) }], []);
		this.emit('devices');
	}

	/** The person key this device acts for. */
	async person(): Promise<Uint8Array> {
		return (await this.book()).person;
	}

	/** The person's current and revoked devices, as this device knows them. */
	async devices(): Promise<PersonDevices> {
		const book = await this.book();
		return resolvePerson(book.person, book.records);
	}

	/** Whether this device has been revoked by another of the person's devices. */
	async revoked(): Promise<boolean> {
		const state = await this.devices();
		return state.revoked.some((r) => equalBytes(r.device, this.#host.device.publicKey));
	}

	/** Sets this device's own label (sealed in storage; goes to other devices only sealed). */
	async setLabel(label: string): Promise<void> {
		const book = await this.book();
		const labels = { ...book.labels, [toHex(this.#host.device.publicKey)]: label.trim().slice(0, 80) };
		await this.#saveBook({ ...book, labels });
	}

	/** Adds records learnt from a document (another device of the person added or revoked one). */
	async #learn(records: Uint8Array[]): Promise<void> {
		const book = await this.book();
		const have = new Set(book.records.map(toHex));
		const fresh = records.filter((r) => !have.has(toHex(r)));
		if (fresh.length === 0) return;
		const before = resolvePerson(book.person, book.records);
		const after = resolvePerson(book.person, [...book.records, ...fresh]);
		// Keep only records that change something for this person (others are noise or forgeries).
		if (after.devices.length === before.devices.length && after.revoked.length === before.revoked.length) {
			return;
		}
		await this.#saveBook({ ...book, records: [...book.records, ...fresh] });
	}

	// ----- Linking, on the existing device -------------------------------------------------

	/** Registers a link with the relay; its fragment goes in the QR code and the link. */
	async startLink(): Promise<{ inviteId: string; fragment: string; expires: number }> {
		const invite = randomBytes(INVITE_ID_BYTES);
		const secret = randomBytes(INVITE_SECRET_BYTES);
		const keys = deriveInviteKeys(secret);
		const expires = Date.now() + LINK_LIFETIME_MS;
		const info = sealLinkInfo(keys, invite, {
			linker: this.#host.device.publicKey,
			person: await this.person()
		});
		await this.#host.connection.request('invite.create', { invite, authPk: keys.auth.publicKey, info, expires });
		const inviteId = toBase64Url(invite);
		await this.#host.store.write(
			[{ key: [...LINK_OUT_PREFIX, inviteId], data: encodeCbor({ invite, secret, expires }) }],
			[]
		);
		return { inviteId, fragment: formatInviteFragment(invite, secret), expires };
	}

	/** Link requests waiting for the person's confirmation on this device. */
	requests(): LinkRequest[] {
		return [...this.#requests.values()];
	}

	/** Reads claims of this device's links (at every connect, and when the relay pushes one). */
	async onReady(): Promise<void> {
		try {
			const answer = await this.#host.connection.request('invite.pending', {});
			await this.acceptClaims(answer.claims as InviteClaim[]);
		} catch {
			// Retried on the next connect.
		}
	}

	async acceptClaims(claims: InviteClaim[]): Promise<void> {
		const person = await this.person();
		for (const claim of claims) {
			const inviteId = toBase64Url(claim.invite);
			const stored = await this.#host.store.load([...LINK_OUT_PREFIX, inviteId]);
			if (!stored) continue;
			const { secret } = decodeCbor(stored) as { secret: Uint8Array };
			const signed = verifyClaimByDevice(claim.device, claim.deviceSig, claim.invite, claim.boxPk, claim.profile);
			const keys = deriveInviteKeys(secret);
			const profile = signed && openProfile(keys, claim.invite, claim.device, claim.profile);
			if (!profile) continue;
			const request: LinkRequest = {
				inviteId,
				device: claim.device,
				boxPk: claim.boxPk,
				label: profile.name.slice(0, 80),
				safetyCode: safetyCode(keys, person, this.#host.device.publicKey, claim.device, claim.boxPk)
			};
			this.#requests.set(inviteId, request);
			this.emit('link-request', request);
		}
	}

	/**
	 * The person confirmed that both devices show the same code: certify the new device, hand it
	 * what it needs, publish the certificate in every document and, where this device
	 * administers one, add the new device to it at once.
	 */
	async confirmLink(inviteId: string, name: string, kindOf: (doc: string) => HandoverDoc['kind'] = () => 'conversation'): Promise<void> {
		const request = this.#requests.get(inviteId);
		if (!request) throw new Error('no such device request');
		const book = await this.book();
		const cert = createDeviceCert(this.#host.device, book.person, request);
		const labels = { ...book.labels, [toHex(request.device)]: request.label };
		const updated: DeviceBook = { ...book, records: [...book.records, cert], labels };
		await this.#saveBook(updated);

		const docs = this.#host.docs().map((sync) => ({ doc: sync.doc, kind: kindOf(sync.docKey) }));
		const handover = createHandover(this.#host.device, fromBase64Url(inviteId), request, {
			person: book.person,
			name,
			records: updated.records,
			labels,
			docs
		});
		await this.#host.connection.request('mail.send', { to: request.device, envelope: handover });
		await this.#host.connection.request('invite.close', { invite: fromBase64Url(inviteId) }).catch(() => {});
		await this.#host.store.write([], [[...LINK_OUT_PREFIX, inviteId]]);
		this.#requests.delete(inviteId);
		for (const sync of this.#host.docs()) await this.reconcile(sync);
	}

	/** The person said no (or the codes differ): the link can't be claimed again. */
	async declineLink(inviteId: string): Promise<void> {
		await this.#host.connection.request('invite.revoke', { invite: fromBase64Url(inviteId) }).catch(() => {});
		await this.#host.store.write([], [[...LINK_OUT_PREFIX, inviteId]]);
		this.#requests.delete(inviteId);
	}

	// ----- Linking, on the new device -------------------------------------------------------

	/**
	 * Claims a link shown on the person's other device, with this device's keys and the label
	 * the person typed here. Returns the code both devices show.
	 */
	async claimLink(fragment: string, label: string): Promise<{ safetyCode: string }> {
		const parsed = parseInviteFragment(fragment);
		if (!parsed) throw new Error('not a device link');
		const { invite, secret } = parsed;
		const keys = deriveInviteKeys(secret);
		const answer = await this.#host.connection.request('invite.get', { invite });
		const info = openLinkInfo(keys, invite, answer.info as Uint8Array);
		if (!info) throw new Error('not a device link');
		const pending: PendingLink = { invite, secret, info, label: label.trim().slice(0, 80) };
		await this.#host.store.write([{ key: LINK_IN_KEY, data: encodeCbor(pending) }], []);

		const device = this.#host.device;
		const boxPk = this.#host.box.publicKey;
		const profile = sealProfile(keys, invite, device.publicKey, pending.label);
		const connection = this.#host.connection;
		await connection.request('invite.claim', {
			invite,
			device: device.publicKey,
			boxPk,
			profile,
			deviceSig: signClaimByDevice(device, invite, boxPk, profile),
			inviteSig: signInviteProof(keys, connection.origin, connection.challenge, invite, device.publicKey, boxPk, profile)
		});
		return { safetyCode: this.codeFor(pending) };
	}

	/** The code the new device shows for its pending link. */
	codeFor(pending: PendingLink): string {
		const keys = deriveInviteKeys(pending.secret);
		const me = this.#host.device.publicKey;
		return safetyCode(keys, pending.info.person, pending.info.linker, me, this.#host.box.publicKey);
	}

	async pendingLink(): Promise<PendingLink | undefined> {
		const bytes = await this.#host.store.load(LINK_IN_KEY);
		return bytes ? (decodeCbor(bytes) as PendingLink) : undefined;
	}

	async cancelLink(): Promise<void> {
		await this.#host.store.write([], [LINK_IN_KEY]);
	}

	/**
	 * A handover from the linking device. Accepted only for the link this device claimed, signed
	 * by the device that registered it, sealed to this device, for the person the link named,
	 * and with a certificate chain that makes this device (with this box key) one of theirs.
	 * Returns true when the item was a handover (used or dropped), false for other mail.
	 */
	async acceptMail(bytes: Uint8Array): Promise<boolean> {
		const opened = openHandoverRecord(bytes);
		if (!opened.ok) return false;
		const { body, signer } = opened.value;
		const pending = await this.pendingLink();
		const me = this.#host.device.publicKey;
		if (!pending || !equalBytes(body.invite, pending.invite) || !equalBytes(body.to, me)) return true;
		if (!equalBytes(signer, pending.info.linker)) return true;
		const plain = openFromSealedBox(this.#host.box, body.sealed);
		const contents = plain && parseHandoverContents(plain);
		if (!contents || !equalBytes(contents.person, pending.info.person)) return true;
		const state = resolvePerson(contents.person, contents.records);
		const mine = state.devices.find((d) => equalBytes(d.device, me));
		if (!mine?.boxPk || !equalBytes(mine.boxPk, this.#host.box.publicKey)) return true;

		const labels = { ...contents.labels, [toHex(me)]: pending.label };
		await this.#saveBook({ person: contents.person, records: contents.records, labels });
		await this.#host.store.write(
			contents.docs.map((d) => ({ key: [...EXPECT_PREFIX, toBase64Url(d.doc)], data: encodeCbor({ kind: d.kind }) })),
			[LINK_IN_KEY]
		);
		this.emit('linked', contents);
		return true;
	}

	/** What kind of document a link said this device will be given (undefined: none). */
	async expects(docKey: string): Promise<HandoverDoc['kind'] | undefined> {
		const bytes = await this.#host.store.load([...EXPECT_PREFIX, docKey]);
		return bytes ? (decodeCbor(bytes) as { kind: HandoverDoc['kind'] }).kind : undefined;
	}

	async forgetExpect(docKey: string): Promise<void> {
		await this.#host.store.write([], [[...EXPECT_PREFIX, docKey]]);
	}

	// ----- Revoking ------------------------------------------------------------------------

	/**
	 * Revokes one of the person's devices: signs a revocation (keeping what the device signed
	 * that is still in effect), publishes it in every document, and rotates the key of each
	 * document this device administers. Elsewhere the administering devices do the same when
	 * they see the revocation.
	 */
	async revoke(device: Uint8Array): Promise<void> {
		const book = await this.book();
		const state = resolvePerson(book.person, book.records);
		if (!state.devices.some((d) => equalBytes(d.device, device))) throw new Error('not one of your devices');
		const keep = keepListFor(book.person, device, book.records);
		const revocation = createDeviceRevocation(this.#host.device, book.person, device, keep);
		await this.#saveBook({ ...book, records: [...book.records, revocation] });
		for (const sync of this.#host.docs()) await this.reconcile(sync);
	}

	// ----- Acting on records in documents -------------------------------------------------

	/**
	 * One pass over a document: publish this person's records that are missing from it, learn
	 * records of this person published by their other devices, and, where this device
	 * administers the document, add certified devices and remove revoked ones.
	 */
	async reconcile(sync: DocSync): Promise<void> {
		if (this.#busy.has(sync.docKey)) {
			this.#again.add(sync.docKey);
			return;
		}
		this.#busy.add(sync.docKey);
		try {
			do {
				this.#again.delete(sync.docKey);
				await this.#reconcileOnce(sync);
			} while (this.#again.has(sync.docKey));
		} finally {
			this.#busy.delete(sync.docKey);
		}
		// The sibling of announcements has the announcements' members: it follows them.
		const sibling = this.#siblingOf(sync);
		if (sibling) await this.reconcile(sibling);
	}

	/** The sibling (rule 7) of an announcements conversation, when this device holds it. */
	#siblingOf(sync: DocSync): DocSync | undefined {
		const key = siblingKeyOf(sync);
		return key ? this.#host.docs().find((d) => d.docKey === key) : undefined;
	}

	/**
	 * The people a document's device records are acted on for: its members, and for the sibling
	 * of announcements, which has no member list, the members of its announcements.
	 */
	#membersOf(sync: DocSync): string[] {
		const own = (doc: unknown) => Object.keys((doc as { members?: object } | undefined)?.members ?? {});
		const people = new Set(own(sync.handle.doc()));
		for (const other of this.#host.docs()) {
			if (other !== sync && siblingKeyOf(other) === sync.docKey) {
				for (const person of own(other.handle.doc())) people.add(person);
			}
		}
		return [...people];
	}

	async #reconcileOnce(sync: DocSync): Promise<void> {
		const me = this.#host.device.publicKey;
		const book = await this.book();
		const personHex = toHex(book.person);
		const published = deviceRecordsOf(sync.handle.doc());
		await this.#learn(published.get(personHex) ?? []);

		const mine = (await this.book()).records;
		const missing = unpublished(sync.handle.doc(), personHex, mine);
		if (missing.length > 0 && isListed(sync.head.writers, me) && sync.holdsHeadSecret) {
			await sync.change((doc) => publishDeviceRecords(doc, personHex, missing));
		}
		if (!isListed(sync.head.admins, me) || !sync.holdsHeadSecret) return;
		if (this.#host.connection.status !== 'online') return;

		// A member's records from every document this device holds: a reader of this one
		// (announcements) can't publish here, but publishes where they write.
		const members = this.#membersOf(sync);
		const everywhere = this.#host.docs().map((d) => deviceRecordsOf(d.handle.doc()));
		for (const person of members) {
			if (!/^[0-9a-f]{64}$/.test(person)) continue;
			const list = everywhere.flatMap((m) => m.get(person) ?? []);
			if (list.length > 0) await this.#administer(sync, fromHex(person), list);
		}
		this.#spreadNew(sync, published);
	}

	/**
	 * Records published here that this device hadn't seen in any document yet: every other
	 * document goes through a pass too. A member publishes only where they write, so without
	 * this the documents they only read (announcements, and the sibling they write but where
	 * there is no member list to publish in) would wait for their own next change.
	 */
	#spreadNew(sync: DocSync, published: Map<string, Uint8Array[]>): void {
		let fresh = false;
		for (const record of [...published.values()].flat()) {
			const key = toHex(deviceRecordHash(record));
			if (this.#seen.has(key)) continue;
			this.#seen.add(key);
			fresh = true;
		}
		if (!fresh) return;
		for (const other of this.#host.docs()) {
			if (other !== sync) this.reconcile(other).catch(() => {});
		}
	}

	/** Brings the document's lists in line with one member's device records. */
	async #administer(sync: DocSync, person: Uint8Array, records: Uint8Array[]): Promise<void> {
		const me = this.#host.device.publicKey;
		const state = resolvePerson(person, records);
		const head = () => sync.head;
		const listed = (k: Uint8Array) =>
			isListed(head().writers, k) || isListed(head().admins, k) || isListed(head().readers, k);
		// Only a person who still has a listed device gets new ones: a removed member's new
		// tablet gets nothing.
		if (!state.devices.some((d) => listed(d.device))) return;
		const admin = state.devices.some((d) => isListed(head().admins, d.device));
		const writes = admin || state.devices.some((d) => isListed(head().writers, d.device));

		for (const device of state.devices) {
			if (!device.boxPk) continue;
			await this.#host.rememberBoxKey(device.device, device.boxPk);
			const missing = writes
				? !isListed(head().writers, device.device) || (admin && !isListed(head().admins, device.device))
				: !listed(device.device);
			if (missing) {
				await this.#host.addDevice(sync, device.device, device.boxPk, { admin, reader: !writes });
			}
		}
		const gone = state.revoked.map((r) => r.device).filter((d) => listed(d) && !equalBytes(d, me));
		if (gone.length > 0) await this.#host.removeDevices(sync, gone);
	}
}
