import { BASE_62_DIGITS, generateKeyBetween } from 'fractional-indexing';

/**
 * Order keys for cards and columns: fractional indexing (`fractional-indexing`), with random
 * jitter appended so that two devices inserting between the same two neighbours offline almost
 * never pick the same key. Items are always sorted by (key, id), so even equal keys give the
 * same order on every device: the id breaks the tie.
 */

const JITTER_DIGITS = 3;

/** Whether `key` is a key `fractional-indexing` accepts (a document may hold anything). */
export function isOrderKey(key: unknown): key is string {
	if (typeof key !== 'string' || key.length === 0 || key.length > 200) return false;
	try {
		generateKeyBetween(key, null);
		return true;
	} catch {
		return false;
	}
}

function jitter(random: () => number): string {
	let out = '';
	for (let i = 0; i < JITTER_DIGITS; i++) {
		out += BASE_62_DIGITS[Math.floor(random() * BASE_62_DIGITS.length) % BASE_62_DIGITS.length];
	}
	// A valid key never ends in the zero digit.
	return out.endsWith('0') ? out.slice(0, -1) + '1' : out;
}

/**
 * A key strictly between `before` and `after` (either may be null for an end), with jitter.
 * Invalid or out-of-order bounds are dropped rather than thrown on, so a malformed document
 * never blocks a move: the item then lands at the nearer valid end.
 */
export function keyBetween(
	before: string | null,
	after: string | null,
	random: () => number = Math.random
): string {
	let lo = isOrderKey(before) ? before : null;
	let hi = isOrderKey(after) ? after : null;
	if (lo !== null && hi !== null && lo >= hi) hi = null;
	const base = generateKeyBetween(lo, hi);
	const jittered = base + jitter(random);
	if ((lo === null || jittered > lo) && (hi === null || jittered < hi)) return jittered;
	return base;
}

/** Compares two ordered items by (key, id): the same total order on every device. */
export function compareByKey(a: { key: string; id: string }, b: { key: string; id: string }): number {
	if (a.key !== b.key) return a.key < b.key ? -1 : 1;
	return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

/**
 * The key that puts an item at `index` of `list` (sorted by {@link compareByKey}, the item
 * itself left out). Neighbours with equal keys are stepped over, so the result is always
 * strictly between two distinct keys.
 */
export function keyForIndex(
	list: readonly { key: string }[],
	index: number,
	random: () => number = Math.random
): string {
	const i = Math.max(0, Math.min(index, list.length));
	const before = i > 0 ? list[i - 1].key : null;
	let j = i;
	while (before !== null && j < list.length && list[j].key <= before) j++;
	const after = j < list.length ? list[j].key : null;
	return keyBetween(before, after, random);
}
