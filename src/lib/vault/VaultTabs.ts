import { randomBytes } from '../crypto/primitives.js';
import { toBase64Url } from '../protocol/bytes.js';
import type { VaultPolicy, VaultStore } from './VaultStore.js';

/**
 * What the tabs of one origin say to each other about the vault, on BroadcastChannel
 * `tend-vault` (same origin only):
 * - `key-request` / `key`: a tab that opens while another is unlocked gets the storage key from
 *   it instead of asking for the passphrase again; the answer is sent only if the answering tab's
 *   lock generation is still the stored one (a lock raises it first);
 * - `unlocked`: tabs on the lock screen ask for the key (unlock once, every tab opens);
 * - `lock`: every tab locks (SECURITY-RULES.md rule 17);
 * - `alive`: the newest activity and visibility any tab saw, so the inactivity timer is shared.
 */
type TabMessage =
	| { t: 'key-request'; id: string }
	| { t: 'key'; id: string; key: Uint8Array; generation: number }
	| { t: 'unlocked' }
	| { t: 'lock' }
	| { t: 'alive'; activityAt: number; visibleAt: number };

export type LockReason = 'manual' | 'inactive' | 'background' | 'other-tab';

/**
 * Test and demo knobs, read from `localStorage` (documented in docs/security.md): they can only
 * make the timers shorter than the settings, never longer, so they can't weaken the lock.
 */
export const LOCK_AFTER_SECONDS_KNOB = 'tend-lock-after-seconds';
export const BACKGROUND_LOCK_SECONDS_KNOB = 'tend-background-lock-seconds';

export interface VaultTabsParams {
	store: VaultStore;
	/** Called when this tab must lock (a timer ran out here or a lock came from another tab). */
	onLock: (reason: LockReason) => void;
	/** Called on the lock screen when another tab unlocked. */
	onUnlockedElsewhere: () => void;
	now?: () => number;
}

/** How long a tab waits for an unlocked tab to answer a key request. */
const KEY_REQUEST_MS = 400;
/** How often each tab checks the shared timers (browsers throttle hidden tabs to ≥ 1 s anyway). */
const TICK_MS = 1000;

/**
 * The cross-tab side of the vault: key hand-over between tabs, the shared inactivity and
 * background timers, and locking every tab at once.
 */
export class VaultTabs {
	readonly #channel: BroadcastChannel | undefined;
	readonly #params: VaultTabsParams;
	readonly #now: () => number;
	#waiting = new Map<string, (answer: { key: Uint8Array; generation: number }) => void>();
	/** Set while this tab is unlocked. */
	#session: { key: Uint8Array; generation: number; policy: VaultPolicy } | undefined;
	#activityAt = 0;
	#visibleAt = 0;
	#lastSentAt = 0;
	#timer: ReturnType<typeof setInterval> | undefined;
	#teardown: (() => void)[] = [];
	#locked = false;

	constructor(params: VaultTabsParams) {
		this.#params = params;
		this.#now = params.now ?? Date.now;
		this.#channel =
			typeof BroadcastChannel === 'undefined' ? undefined : new BroadcastChannel('tend-vault');
		if (this.#channel) this.#channel.onmessage = (event) => void this.#receive(event.data);
	}

	/** Asks the other tabs for the storage key; undefined when no unlocked tab answers. */
	async requestKey(): Promise<{ key: Uint8Array; generation: number } | undefined> {
		if (!this.#channel) return undefined;
		const id = toBase64Url(randomBytes(12));
		return new Promise((resolve) => {
			const timer = setTimeout(() => {
				this.#waiting.delete(id);
				resolve(undefined);
			}, KEY_REQUEST_MS);
			this.#waiting.set(id, (answer) => {
				clearTimeout(timer);
				this.#waiting.delete(id);
				resolve(answer);
			});
			this.#post({ t: 'key-request', id });
		});
	}

	/**
	 * This tab is unlocked: it answers key requests and runs the shared timers. `key` is the
	 * caller's copy of the storage key (the caller wipes it when locking).
	 */
	startSession(key: Uint8Array, generation: number, policy: VaultPolicy, announce: boolean): void {
		this.#session = { key, generation, policy };
		this.#activityAt = this.#now();
		this.#visibleAt = this.#now();
		this.#listenForActivity();
		this.#timer = setInterval(() => this.#check(), TICK_MS);
		if (announce) this.#post({ t: 'unlocked' });
		this.#sendAlive(true);
	}

	/** New timer settings (from the settings screen). */
	setPolicy(policy: VaultPolicy): void {
		if (this.#session) this.#session.policy = policy;
	}

	/**
	 * Locks every tab: raises the stored lock generation first (so no tab hands the key out
	 * after this), then tells the others. The caller then locks itself.
	 */
	async lockAll(): Promise<void> {
		this.#endSession();
		await this.#params.store.updateState((state) => ({ ...state, generation: state.generation + 1 }));
		this.#post({ t: 'lock' });
	}

	/** Stops the timers and listeners; leaves the channel (rule 17). */
	close(): void {
		this.#endSession();
		this.#channel?.close();
	}

	/** The effective timers: the policy, shortened by the test knobs if they are set. */
	effectiveTimers(policy: VaultPolicy): { lockAfterMs: number; backgroundLockMs: number } {
		return {
			lockAfterMs: Math.min(policy.lockAfterMs, knobMs(LOCK_AFTER_SECONDS_KNOB)),
			backgroundLockMs: Math.min(policy.backgroundLockMs, knobMs(BACKGROUND_LOCK_SECONDS_KNOB))
		};
	}

	#endSession(): void {
		this.#session = undefined;
		if (this.#timer) clearInterval(this.#timer);
		this.#timer = undefined;
		for (const stop of this.#teardown) stop();
		this.#teardown = [];
	}

	#check(): void {
		const session = this.#session;
		if (!session || this.#locked) return;
		const now = this.#now();
		if (isVisible()) this.#visibleAt = now;
		const { lockAfterMs, backgroundLockMs } = this.effectiveTimers(session.policy);
		if (now - this.#activityAt >= lockAfterMs) return this.#lockFromHere('inactive');
		if (now - this.#visibleAt >= backgroundLockMs) return this.#lockFromHere('background');
		this.#sendAlive(false);
	}

	#lockFromHere(reason: LockReason): void {
		this.#locked = true;
		this.#params.onLock(reason);
	}

	/** Marks activity in this tab; the other tabs hear of it (throttled). */
	activity(): void {
		if (!this.#session) return;
		this.#activityAt = this.#now();
		this.#visibleAt = this.#activityAt;
		this.#sendAlive(false);
	}

	#sendAlive(force: boolean): void {
		const session = this.#session;
		if (!session) return;
		const { lockAfterMs } = this.effectiveTimers(session.policy);
		const every = Math.min(5_000, lockAfterMs / 4);
		const now = this.#now();
		if (!force && now - this.#lastSentAt < every) return;
		this.#lastSentAt = now;
		this.#post({ t: 'alive', activityAt: this.#activityAt, visibleAt: this.#visibleAt });
	}

	#listenForActivity(): void {
		if (typeof window === 'undefined' || typeof document === 'undefined') return;
		const onActivity = () => this.activity();
		const events = ['pointerdown', 'keydown', 'wheel', 'touchstart', 'input'] as const;
		for (const name of events) window.addEventListener(name, onActivity, { passive: true, capture: true });
		const onVisibility = () => {
			// Coming back after a long time in the background: lock before anything else runs.
			if (isVisible()) this.#check();
		};
		document.addEventListener('visibilitychange', onVisibility);
		this.#teardown.push(() => {
			for (const name of events) window.removeEventListener(name, onActivity, { capture: true });
			document.removeEventListener('visibilitychange', onVisibility);
		});
	}

	async #receive(message: TabMessage): Promise<void> {
		if (typeof message !== 'object' || message === null) return;
		switch (message.t) {
			case 'key-request':
				return this.#answerKeyRequest(message.id);
			case 'key':
				if (message.key instanceof Uint8Array && message.key.length === 32) {
					this.#waiting.get(message.id)?.({ key: message.key, generation: message.generation });
				}
				return;
			case 'unlocked':
				if (!this.#session) this.#params.onUnlockedElsewhere();
				return;
			case 'lock':
				if (this.#session || !this.#locked) {
					this.#endSession();
					this.#lockFromHere('other-tab');
				}
				return;
			case 'alive':
				if (Number.isFinite(message.activityAt) && Number.isFinite(message.visibleAt)) {
					this.#activityAt = Math.max(this.#activityAt, Math.min(message.activityAt, this.#now()));
					this.#visibleAt = Math.max(this.#visibleAt, Math.min(message.visibleAt, this.#now()));
				}
				return;
		}
	}

	async #answerKeyRequest(id: string): Promise<void> {
		const session = this.#session;
		if (!session) return;
		const { generation } = await this.#params.store.loadState();
		if (this.#session !== session) return;
		if (generation !== session.generation) {
			// A lock happened that this tab didn't hear of: lock now, hand nothing out.
			this.#endSession();
			this.#lockFromHere('other-tab');
			return;
		}
		this.#post({ t: 'key', id, key: session.key, generation });
	}

	#post(message: TabMessage): void {
		try {
			this.#channel?.postMessage(message);
		} catch {
			// A closed channel: this tab is going away.
		}
	}
}

function isVisible(): boolean {
	return typeof document === 'undefined' || document.visibilityState !== 'hidden';
}

function knobMs(name: string): number {
	try {
		const value = Number(globalThis.localStorage?.getItem(name));
		return Number.isFinite(value) && value > 0 ? value * 1000 : Infinity;
	} catch {
		return Infinity;
	}
}
