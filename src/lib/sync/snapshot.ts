import { decodeCbor, encodeCbor } from '../protocol/cbor.js';
import { lowerByKnob } from '../knobs.js';

/**
 * The payload of a snapshot entry (`EntryKind.snapshot`, SECURITY-RULES.md rule 14), sealed
 * and signed like any entry by an administering device:
 *
 * - `heads`: the Automerge heads of `doc`;
 * - `upTo`: the last log seq it covers;
 * - `counters`: the last counter per author ‖ incarnation ‖ epoch (`hex:hex:n`) it covers; a
 *   loader checks that the tail of the log continues them, which catches a snapshot (or a
 *   relay) that leaves entries out;
 * - `actors`: actor (hex) → device key of its claim, the claims the admin vouches for;
 * - `doc`: `Automerge.save()` bytes.
 */
export interface SnapshotPayload {
	heads: string[];
	upTo: number;
	counters: Record<string, number>;
	actors: Record<string, Uint8Array>;
	doc: Uint8Array;
}

/** Log entries between two snapshots an administering device uploads. */
export const SNAPSHOT_EVERY = 500;

/**
 * Test knob (docs/protocol.md, "Snapshots"): snapshots after fewer entries (at least 2), so a
 * browser test sees a new device catch up from one. Only ever more often than
 * {@link SNAPSHOT_EVERY}; what a device accepts from a snapshot is checked the same.
 */
export const SNAPSHOT_EVERY_KNOB = 'tend-snapshot-every';

/** The log entries between snapshots in force: {@link SNAPSHOT_EVERY} or the knob's fewer. */
export function snapshotEvery(storage?: Pick<Storage, 'getItem'>): number {
	return lowerByKnob(SNAPSHOT_EVERY_KNOB, SNAPSHOT_EVERY, 2, storage);
}

const COUNTER_KEY = /^[0-9a-f]{64}:[0-9a-f]{32}:\d{1,10}$/;
const ACTOR = /^[0-9a-f]{2,64}$/;
const HEAD = /^[0-9a-f]{64}$/;

function isUint(value: unknown): value is number {
	return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

function isRecord(value: unknown): value is Record<string, unknown> {
	return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function encodeSnapshotPayload(payload: SnapshotPayload): Uint8Array {
	return encodeCbor(payload);
}

/** Decodes and checks the shape of a snapshot payload; undefined for anything malformed. */
export function decodeSnapshotPayload(bytes: Uint8Array): SnapshotPayload | undefined {
	let value: unknown;
	try {
		value = decodeCbor(bytes);
	} catch {
		return undefined;
	}
	if (!isRecord(value)) return undefined;
	const { heads, upTo, counters, actors, doc } = value;
	if (!Array.isArray(heads) || !heads.every((h) => typeof h === 'string' && HEAD.test(h))) {
		return undefined;
	}
	if (!isUint(upTo) || !(doc instanceof Uint8Array)) return undefined;
	if (!isRecord(counters) || !isRecord(actors)) return undefined;
	for (const [key, counter] of Object.entries(counters)) {
		if (!COUNTER_KEY.test(key) || !isUint(counter)) return undefined;
	}
	for (const [actor, device] of Object.entries(actors)) {
		if (!ACTOR.test(actor) || !(device instanceof Uint8Array) || device.length !== 32) {
			return undefined;
		}
	}
	return {
		heads,
		upTo,
		counters: counters as Record<string, number>,
		actors: actors as Record<string, Uint8Array>,
		doc
	};
}
