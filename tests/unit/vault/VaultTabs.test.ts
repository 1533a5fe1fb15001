import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { readyCrypto } from '../../../src/lib/crypto/sodium.js';
import { VaultTabs, type LockReason } from '../../../src/lib/vault/VaultTabs.js';
import { DEFAULT_POLICY, MemoryVaultStore } from '../../../src/lib/vault/VaultStore.js';

/**
 * The vault's cross-tab side over a real BroadcastChannel (Node's, between instances in one
 * process): shared timers, locking every tab, and the key hand-over that a lock revokes.
 */

beforeAll(async () => {
	await readyCrypto();
});

const open: VaultTabs[] = [];
afterEach(() => {
	for (const tabs of open.splice(0)) tabs.close();
	vi.unstubAllGlobals();
});

async function until(condition: () => boolean, timeoutMs = 5000): Promise<void> {
	const start = Date.now();
	while (!condition()) {
		if (Date.now() - start > timeoutMs) throw new Error('condition not met in time');
		await new Promise((resolve) => setTimeout(resolve, 10));
	}
}

function tab(store: MemoryVaultStore, clock: { now: number }) {
	const locks: LockReason[] = [];
	const unlockedElsewhere = vi.fn();
	const tabs = new VaultTabs({
		store,
		onLock: (reason) => locks.push(reason),
		onUnlockedElsewhere: unlockedElsewhere,
		now: () => clock.now
	});
	open.push(tabs);
	return { tabs, locks, unlockedElsewhere };
}

const KEY = new Uint8Array(32).fill(9);
const POLICY = { ...DEFAULT_POLICY, lockAfterMs: 60_000, backgroundLockMs: 30_000 };

describe('VaultTabs', () => {
	it('a tab opening while another is unlocked gets the key; none when no tab is unlocked', async () => {
		const store = new MemoryVaultStore();
		const clock = { now: 1_000_000 };
		const a = tab(store, clock);
		const b = tab(store, clock);

		expect(await b.tabs.requestKey()).toBeUndefined();
		a.tabs.startSession(KEY, 0, POLICY, true);
		const answer = await b.tabs.requestKey();

		expect(answer?.key).toEqual(KEY);
		expect(answer?.generation).toBe(0);
	});

	it('after a lock raised the generation, an unlocked tab that missed it hands out nothing and locks', async () => {
		const store = new MemoryVaultStore();
		const clock = { now: 1_000_000 };
		const stale = tab(store, clock);
		const asker = tab(store, clock);
		stale.tabs.startSession(KEY, 0, POLICY, false);
		// Another tab locked while this message was lost: only the stored generation moved.
		await store.updateState((state) => ({ ...state, generation: state.generation + 1 }));

		const answer = await asker.tabs.requestKey();

		expect(answer).toBeUndefined();
		expect(stale.locks).toEqual(['other-tab']);
	});

	it('one tab locking locks every other tab', async () => {
		const store = new MemoryVaultStore();
		const clock = { now: 1_000_000 };
		const a = tab(store, clock);
		const b = tab(store, clock);
		const c = tab(store, clock);
		for (const t of [a, b, c]) t.tabs.startSession(KEY, 0, POLICY, false);

		await a.tabs.lockAll();

		await until(() => b.locks.length > 0 && c.locks.length > 0);
		expect([b.locks, c.locks]).toEqual([['other-tab'], ['other-tab']]);
		expect((await store.loadState()).generation).toBe(1);
	});

	it('locks after the inactivity timeout, and activity in another tab postpones it', async () => {
		const store = new MemoryVaultStore();
		const clock = { now: 1_000_000 };
		const a = tab(store, clock);
		const b = tab(store, clock);
		a.tabs.startSession(KEY, 0, POLICY, false);
		b.tabs.startSession(KEY, 0, POLICY, false);

		// 50 s idle, then a touch in b: a hears of it and doesn't lock at 60 s.
		clock.now += 50_000;
		b.tabs.activity();
		await new Promise((resolve) => setTimeout(resolve, 50));
		clock.now += 15_000;
		await new Promise((resolve) => setTimeout(resolve, 1200));
		expect(a.locks).toEqual([]);

		// Another 50 s with nothing: a tab's timer runs out.
		clock.now += 50_000;
		await until(() => a.locks.length + b.locks.length > 0);
		expect([...a.locks, ...b.locks][0]).toBe('inactive');
	});

	it('locks when no tab has been visible for the background timeout', async () => {
		const doc = Object.assign(new EventTarget(), { visibilityState: 'hidden' });
		vi.stubGlobal('document', doc);
		vi.stubGlobal('window', new EventTarget());
		const store = new MemoryVaultStore();
		const clock = { now: 1_000_000 };
		const a = tab(store, clock);
		a.tabs.startSession(KEY, 0, POLICY, false);
		a.tabs.activity();

		clock.now += 31_000;
		await until(() => a.locks.length > 0);

		expect(a.locks).toEqual(['background']);
	});

	it('the localStorage knob can shorten the timeout but not lengthen it', () => {
		const storage = new Map<string, string>();
		vi.stubGlobal('localStorage', { getItem: (k: string) => storage.get(k) ?? null });
		const { tabs } = tab(new MemoryVaultStore(), { now: 0 });

		storage.set('tend-lock-after-seconds', '4');
		expect(tabs.effectiveTimers(POLICY).lockAfterMs).toBe(4000);
		storage.set('tend-lock-after-seconds', '86400');
		expect(tabs.effectiveTimers(POLICY).lockAfterMs).toBe(60_000);
		storage.set('tend-lock-after-seconds', 'nonsense');
		expect(tabs.effectiveTimers(POLICY).lockAfterMs).toBe(60_000);
	});

	it('tells tabs on the lock screen when another tab unlocked', async () => {
		const store = new MemoryVaultStore();
		const clock = { now: 1_000_000 };
		const locked = tab(store, clock);
		const unlocking = tab(store, clock);

		unlocking.tabs.startSession(KEY, 0, POLICY, true);

		await until(() => locked.unlockedElsewhere.mock.calls.length > 0);
	});
});
