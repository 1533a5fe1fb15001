import { openPresence, PRESENCE_MAX_VECTOR, sealPresence } from '../crypto/presence.js';
import type { SignKeyPair } from '../crypto/primitives.js';
import { equalBytes, toHex } from '../protocol/bytes.js';
import type { DocSync } from './DocSync.js';

/**
 * Presence of the other members' devices, from the sealed frames the relay forwards
 * (crypto/presence.ts), and the check that their counter vectors keep the relay honest
 * (SECURITY-RULES.md, rule 14): a device that says the relay holds entry n of some author, when
 * this device has not received it long after, was withheld from.
 *
 * @remarks
 * Nothing here is stored: presence is ephemeral. Frames that don't open, aren't signed by a
 * member of their epoch, come from this device, or are older than the last one from the same
 * device (a replay) are dropped without a word and counted ({@link PresenceTracker.dropped}).
 */

export interface PresenceOptions {
	/** A device counts as online this long after its last frame (it resends every 20 s). */
	onlineTtlMs: number;
	/** Typing shows this long after the last "typing" frame unless a frame clears it. */
	typingTtlMs: number;
	/** How long a claimed entry may take to arrive before it counts as withheld. */
	graceMs: number;
}

export const DEFAULT_PRESENCE_OPTIONS: PresenceOptions = {
	onlineTtlMs: 60_000,
	typingTtlMs: 6_000,
	graceMs: 20_000
};

export interface PeerPresence {
	/** The device's signing key in hex (members are keyed by it in the document). */
	device: string;
	online: boolean;
	typing: boolean;
}

interface Peer {
	onlineUntil: number;
	typingUntil: number;
	lastSentAt: number;
}

interface Claim {
	counter: number;
	since: number;
}

interface DocPresence {
	peers: Map<string, Peer>;
	/** author‖incarnation‖epoch → the highest counter a member says the relay holds. */
	claims: Map<string, Claim>;
	/** Claims still unmet after the grace period: reported as withheld. */
	overdue: Set<string>;
	/** Device (hex) → the most audit records it said it has written to the document's trail. */
	audit: Map<string, AuditClaim>;
	dropped: number;
}

/** A device's statement, in its presence frames, of how many audit records it has written. */
export interface AuditClaim {
	device: string;
	n: number;
	/** When this count was first stated (ms), so records in transit get time to arrive. */
	since: number;
}

export class PresenceTracker {
	readonly #device: SignKeyPair;
	readonly #options: PresenceOptions;
	readonly #docs = new Map<string, DocPresence>();
	/**
	 * The last `sentAt` this device sealed. Receivers drop a frame not newer than the sender's
	 * previous one (a replay), so two frames sealed in the same millisecond (coming online and
	 * starting to type) must still carry increasing times.
	 */
	#lastSentAt = 0;

	constructor(device: SignKeyPair, options: Partial<PresenceOptions> = {}) {
		this.#device = device;
		this.#options = { ...DEFAULT_PRESENCE_OPTIONS, ...options };
	}

	/** A frame saying this device is online (and maybe typing), with its counter vector. */
	seal(sync: DocSync, typing: boolean, now: number, auditCounter = 0): Uint8Array | undefined {
		const epoch = sync.head.n;
		const key = sync.presenceKey(epoch);
		if (!key) return undefined;
		const sentAt = Math.max(now, this.#lastSentAt + 1);
		this.#lastSentAt = sentAt;
		return sealPresence({
			key,
			doc: sync.doc,
			epoch,
			device: this.#device,
			online: true,
			typing,
			sentAt,
			auditCounter,
			vector: sync.counterVector(PRESENCE_MAX_VECTOR)
		});
	}

	/** Takes in a forwarded frame; true when what the UI shows changed. */
	receive(sync: DocSync, frame: Uint8Array, now: number): boolean {
		const state = this.#stateOf(sync.docKey);
		const opened = openPresence(frame, sync.doc, (epoch) => sync.presenceKey(epoch));
		if (!opened.ok) return this.#drop(state);
		const { presence, epoch } = opened;
		// A member of the frame's epoch who was removed since (a newer epoch leaves them out)
		// holds the old key but is no longer shown.
		const member = sync.isMemberOf(epoch, presence.device) && sync.isMemberOf(sync.head.n, presence.device);
		if (!member) return this.#drop(state);
		if (equalBytes(presence.device, this.#device.publicKey)) return this.#drop(state);
		const device = toHex(presence.device);
		const before = state.peers.get(device);
		if (before && presence.sentAt <= before.lastSentAt) return this.#drop(state);

		for (const entry of presence.vector) {
			// A claim about an author who can't write that epoch would name entries nobody accepts.
			if (!sync.isMemberOf(entry.epoch, entry.author)) continue;
			if (equalBytes(entry.author, this.#device.publicKey)) continue;
			const key = `${toHex(entry.author)}:${toHex(entry.incarnation)}:${entry.epoch}`;
			if (entry.counter <= sync.lastCounter(key)) continue;
			const claim = state.claims.get(key);
			if (!claim) state.claims.set(key, { counter: entry.counter, since: now });
			else claim.counter = Math.max(claim.counter, entry.counter);
		}

		const shownBefore = before && this.#shown(before, now);
		const peer: Peer = {
			lastSentAt: presence.sentAt,
			onlineUntil: presence.online ? now + this.#options.onlineTtlMs : 0,
			typingUntil: presence.online && presence.typing ? now + this.#options.typingTtlMs : 0
		};
		state.peers.set(device, peer);
		const audit = state.audit.get(device);
		if (presence.auditCounter > (audit?.n ?? 0)) {
			state.audit.set(device, { device, n: presence.auditCounter, since: now });
		}
		const shown = this.#shown(peer, now);
		return shown.online !== shownBefore?.online || shown.typing !== shownBefore?.typing;
	}

	/** What members' devices said in this document's presence frames about their audit records. */
	auditClaims(docKey: string): AuditClaim[] {
		return [...(this.#docs.get(docKey)?.audit.values() ?? [])];
	}

	/** Members' devices seen online (with typing) in the document, as of `now`. */
	peers(docKey: string, now: number): PeerPresence[] {
		const state = this.#docs.get(docKey);
		if (!state) return [];
		const out: PeerPresence[] = [];
		for (const [device, peer] of state.peers) {
			const shown = this.#shown(peer, now);
			if (shown.online) out.push({ device, ...shown });
		}
		return out;
	}

	/**
	 * Expires presence and promotes claims unmet after the grace period to "withheld" (only
	 * while `caughtUp`: the device has read the log up to where the relay said it ended).
	 * Returns which documents changed, for presence and for problems.
	 */
	check(syncs: DocSync[], now: number, caughtUp: (sync: DocSync) => boolean) {
		const presence: string[] = [];
		const problems: string[] = [];
		for (const sync of syncs) {
			const state = this.#docs.get(sync.docKey);
			if (!state) continue;
			for (const [device, peer] of state.peers) {
				const expired = peer.onlineUntil <= now || (peer.typingUntil > 0 && peer.typingUntil <= now);
				if (!expired) continue;
				if (peer.typingUntil > 0 && peer.typingUntil <= now) peer.typingUntil = 0;
				if (peer.onlineUntil <= now) state.peers.delete(device);
				presence.push(sync.docKey);
			}
			let reported = false;
			for (const [key, claim] of state.claims) {
				if (sync.lastCounter(key) >= claim.counter) {
					state.claims.delete(key);
					if (state.overdue.delete(key)) reported = true;
				} else if (caughtUp(sync) && now - claim.since >= this.#options.graceMs) {
					if (!state.overdue.has(key)) reported = true;
					state.overdue.add(key);
				}
			}
			if (reported) problems.push(sync.docKey);
		}
		return { presence: [...new Set(presence)], problems };
	}

	/** Devices (hex) whose entries a member says the relay holds and this device never got. */
	withheld(sync: DocSync): string[] {
		const state = this.#docs.get(sync.docKey);
		if (!state) return [];
		const authors = new Set<string>();
		for (const key of state.overdue) {
			const claim = state.claims.get(key);
			if (claim && sync.lastCounter(key) < claim.counter) authors.add(key.split(':')[0]);
		}
		return [...authors];
	}

	/** Frames dropped for the document: didn't verify, wrong sender, or replayed. */
	dropped(docKey: string): number {
		return this.#docs.get(docKey)?.dropped ?? 0;
	}

	/**
	 * Forgets who is online and restarts the claim clocks: while this device was offline it
	 * could receive nothing, and after a reconnect it catches up first.
	 */
	reset(): void {
		for (const state of this.#docs.values()) {
			state.peers.clear();
			for (const claim of state.claims.values()) claim.since = Number.POSITIVE_INFINITY;
		}
	}

	/** After a reconnect: claims start their grace period again from `now`. */
	restartClaims(now: number): void {
		for (const state of this.#docs.values()) {
			for (const claim of state.claims.values()) {
				if (claim.since === Number.POSITIVE_INFINITY) claim.since = now;
			}
		}
	}

	#shown(peer: Peer, now: number): { online: boolean; typing: boolean } {
		const online = peer.onlineUntil > now;
		return { online, typing: online && peer.typingUntil > now };
	}

	#drop(state: DocPresence): false {
		state.dropped++;
		return false;
	}

	#stateOf(docKey: string): DocPresence {
		let state = this.#docs.get(docKey);
		if (!state) {
			state = { peers: new Map(), claims: new Map(), overdue: new Set(), audit: new Map(), dropped: 0 };
			this.#docs.set(docKey, state);
		}
		return state;
	}
}
