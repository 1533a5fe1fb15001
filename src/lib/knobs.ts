/**
 * Test knobs (docs/security.md, "Testing knob"): numbers a browser test puts in `localStorage`
 * so that something which normally takes hundreds of messages happens after a few. A knob can
 * only lower a limit, never raise it, and it never decides who may read or write anything.
 */

/** `limit`, or the knob's value when it is a whole number from `least` up to `limit`. */
export function lowerByKnob(
	name: string,
	limit: number,
	least: number,
	storage: Pick<Storage, 'getItem'> | undefined = browserStorage()
): number {
	const raw = storage?.getItem(name);
	const value = raw ? Number(raw) : NaN;
	if (!Number.isSafeInteger(value) || value < least) return limit;
	return Math.min(value, limit);
}

function browserStorage(): Pick<Storage, 'getItem'> | undefined {
	try {
		return typeof localStorage === 'undefined' ? undefined : localStorage;
	} catch {
		return undefined;
	}
}
