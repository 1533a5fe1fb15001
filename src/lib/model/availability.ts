import * as A from '@automerge/automerge';

/**
 * A therapist's office hours, expected reply time and emergency line, as published in their
 * own member record of each conversation they administer, so the client's device can show them
 * before the client sends a message outside those hours.
 *
 * @remarks
 * The record lives at `members[device].availability.record`: an `ImmutableString` holding JSON,
 * replaced whole on every update. The `availability` map is created with the member record (at
 * genesis for the creator, on admission for others), so no device ever creates it lazily
 * (rule 19). Only the member's own devices may write it; that is checked when it is displayed
 * (rule 7): the op id of the winning value names the actor, and the actor's claim names the
 * device (rule 12). A record written by anyone else is ignored, never shown.
 */

export interface WeeklyInterval {
	/** 0 = Sunday … 6 = Saturday, in the record's time zone. */
	day: number;
	/** Minutes after midnight, 0–1439; `end` > `start` (an interval never crosses midnight). */
	start: number;
	end: number;
}

export interface AvailabilityRecord {
	v: 1;
	/** IANA time zone the hours are in, e.g. "America/Chicago". */
	timeZone: string;
	hours: WeeklyInterval[];
	/** Expected reply time during office hours, in hours. */
	replyHours: number;
	/** The line shown to clients in crisis; '' means the default line in the reader's language. */
	emergency: string;
	updatedAt: number;
}

/** The part of Automerge's document backend used here: every value of a key, with op ids. */
interface BackendReader {
	getAll(objectId: string, prop: string): [type: string, value: unknown, opId: string][];
}

export interface AvailabilityContainer {
	record?: A.ImmutableString;
}

/** The longest emergency line accepted (a sentence or two with a number). */
export const MAX_EMERGENCY_LENGTH = 300;

/** Checks a record read from a document or storage; undefined if it isn't a well-formed one. */
export function parseAvailability(json: string): AvailabilityRecord | undefined {
	let value: unknown;
	try {
		value = JSON.parse(json);
	} catch {
		return undefined;
	}
	if (typeof value !== 'object' || value === null) return undefined;
	const r = value as Record<string, unknown>;
	if (r.v !== 1 || typeof r.timeZone !== 'string' || !validTimeZone(r.timeZone)) return undefined;
	if (typeof r.replyHours !== 'number' || !(r.replyHours > 0 && r.replyHours <= 24 * 14)) return undefined;
	if (typeof r.emergency !== 'string' || r.emergency.length > MAX_EMERGENCY_LENGTH) return undefined;
	if (typeof r.updatedAt !== 'number' || !Array.isArray(r.hours) || r.hours.length > 70) return undefined;
	const hours: WeeklyInterval[] = [];
	for (const item of r.hours) {
		const i = item as Record<string, unknown>;
		if (!Number.isInteger(i.day) || !Number.isInteger(i.start) || !Number.isInteger(i.end)) return undefined;
		const [day, start, end] = [i.day as number, i.start as number, i.end as number];
		if (day < 0 || day > 6 || start < 0 || end > 1440 || end <= start) return undefined;
		hours.push({ day, start, end });
	}
	return {
		v: 1,
		timeZone: r.timeZone,
		hours,
		replyHours: r.replyHours,
		emergency: r.emergency,
		updatedAt: r.updatedAt
	};
}

export function validTimeZone(timeZone: string): boolean {
	try {
		new Intl.DateTimeFormat('en-US', { timeZone });
		return true;
	} catch {
		return false;
	}
}

/** Writes (replaces) this member's record. Creates the container only for an old document. */
export function writeAvailability(doc: { members: Record<string, { availability?: AvailabilityContainer }> }, deviceHex: string, record: AvailabilityRecord): void {
	const member = doc.members[deviceHex];
	if (!member) throw new Error('not a member of this conversation');
	// Documents created before this field existed: only this member's own devices ever write
	// here, so two devices can't race to create it (rule 19's danger is two writers).
	if (!member.availability) member.availability = {};
	member.availability.record = new A.ImmutableString(JSON.stringify(record));
}

/**
 * The member's record if, and only if, the winning value was written by one of the member's
 * own devices. `deviceOf` maps an actor to the device (hex) that claimed it (rule 12).
 */
export function readAvailability(
	doc: A.Doc<{ members?: Record<string, { availability?: AvailabilityContainer }> }>,
	deviceHex: string,
	deviceOf: (actor: string) => string | undefined
): { record?: AvailabilityRecord; forged: boolean } {
	const container = doc.members?.[deviceHex]?.availability;
	if (!container || typeof container !== 'object') return { forged: false };
	const objectId = A.getObjectId(container);
	if (!objectId) return { forged: false };
	// Every value the key holds (several after concurrent writes), each with the op id that
	// wrote it: `counter@actor`. `getConflicts` hides the op id when there is only one value.
	const values = (A.getBackend(doc) as unknown as BackendReader).getAll(objectId, 'record');
	let best: AvailabilityRecord | undefined;
	let forged = false;
	for (const [, value, opId] of values) {
		const actor = /^\d+@([0-9a-f]+)$/.exec(opId)?.[1];
		if (!actor || deviceOf(actor) !== deviceHex) {
			forged = true;
			continue;
		}
		const record = typeof value === 'string' ? parseAvailability(value) : undefined;
		if (record && (!best || record.updatedAt > best.updatedAt)) best = record;
	}
	return { record: best, forged };
}
