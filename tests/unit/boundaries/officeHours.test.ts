import * as A from '@automerge/automerge';
import { describe, expect, it } from 'vitest';
import { officeStatus, zonedTime } from '../../../src/lib/boundaries/officeHours.js';
import {
	parseAvailability,
	readAvailability,
	writeAvailability,
	type AvailabilityRecord
} from '../../../src/lib/model/availability.js';

// Monday to Friday, 9:00–17:00.
const WEEKDAYS = [1, 2, 3, 4, 5].map((day) => ({ day, start: 9 * 60, end: 17 * 60 }));

describe('officeStatus', () => {
	it('is open inside the hours, in the therapist\'s time zone', () => {
		// Wednesday 2026-12-02 10:00 in Chicago is 16:00 UTC.
		const now = Date.UTC(2026, 11, 2, 16, 0);

		expect(officeStatus(WEEKDAYS, 'America/Chicago', now)).toEqual({ open: true });
		// The same instant is 19:00 in Moscow: closed until Thursday 9:00 Moscow (06:00 UTC).
		expect(officeStatus(WEEKDAYS, 'Europe/Moscow', now)).toEqual({
			open: false,
			nextStart: Date.UTC(2026, 11, 3, 6, 0)
		});
	});

	it('skips the weekend to Monday morning', () => {
		// Friday 2026-12-04 18:00 in Chicago (Saturday 00:00 UTC).
		const now = Date.UTC(2026, 11, 5, 0, 0);

		expect(officeStatus(WEEKDAYS, 'America/Chicago', now)).toEqual({
			open: false,
			nextStart: Date.UTC(2026, 11, 7, 15, 0)
		});
	});

	it('finds the right instant across a daylight-saving change', () => {
		// Saturday 2026-03-07 in New York; on Sunday 8 March clocks go forward (UTC-5 → UTC-4).
		const now = Date.UTC(2026, 2, 7, 20, 0);

		expect(officeStatus(WEEKDAYS, 'America/New_York', now).nextStart).toBe(
			Date.UTC(2026, 2, 9, 13, 0)
		);
		expect(zonedTime(2026, 3, 9, 9 * 60, 'America/New_York')).toBe(Date.UTC(2026, 2, 9, 13, 0));
	});

	it('is closed with no next time when no hours are set', () => {
		expect(officeStatus([], 'UTC', Date.UTC(2026, 0, 1))).toEqual({ open: false });
	});
});

const RECORD: AvailabilityRecord = {
	v: 1,
	timeZone: 'Europe/Moscow',
	hours: WEEKDAYS,
	replyHours: 4,
	emergency: 'Call 112',
	updatedAt: 1
};

type Doc = { members: Record<string, { name: string; availability?: { record?: A.ImmutableString } }> };

describe('availability in the member record', () => {
	const THERAPIST = 'aa'.repeat(32);
	const CLIENT = 'bb'.repeat(32);

	function setup() {
		const therapistActor = 'a1'.repeat(16);
		const clientActor = 'b2'.repeat(16);
		let doc = A.change(A.init<Doc>({ actor: therapistActor }), (d) => {
			d.members = {
				[THERAPIST]: { name: 'T', availability: {} },
				[CLIENT]: { name: 'C', availability: {} }
			};
		});
		const devices: Record<string, string> = { [therapistActor]: THERAPIST, [clientActor]: CLIENT };
		return { doc, clientActor, deviceOf: (actor: string) => devices[actor] };
	}

	it("shows the record the member's own device wrote", () => {
		let { doc, deviceOf } = setup();

		doc = A.change(doc, (d) => writeAvailability(d, THERAPIST, RECORD));

		expect(readAvailability(doc, THERAPIST, deviceOf)).toEqual({ record: RECORD, forged: false });
	});

	it('ignores a record another member wrote into the therapist\'s member record', () => {
		let { doc, clientActor, deviceOf } = setup();
		doc = A.change(doc, (d) => writeAvailability(d, THERAPIST, RECORD));

		// The client's device overwrites the therapist's emergency line.
		let forged = A.clone(doc, { actor: clientActor });
		forged = A.change(forged, (d) =>
			writeAvailability(d, THERAPIST, { ...RECORD, emergency: 'Call this premium number', updatedAt: 2 })
		);

		expect(readAvailability(forged, THERAPIST, deviceOf)).toEqual({ record: undefined, forged: true });
	});

	it('keeps the own record when another device writes concurrently', () => {
		let { doc, clientActor, deviceOf } = setup();
		let other = A.clone(doc, { actor: clientActor });
		doc = A.change(doc, (d) => writeAvailability(d, THERAPIST, RECORD));
		other = A.change(other, (d) => writeAvailability(d, THERAPIST, { ...RECORD, emergency: 'x', updatedAt: 9 }));

		const merged = A.merge(doc, other);

		expect(readAvailability(merged, THERAPIST, deviceOf)).toEqual({ record: RECORD, forged: true });
	});

	it('rejects malformed records', () => {
		expect(parseAvailability('not json')).toBeUndefined();
		expect(parseAvailability(JSON.stringify({ ...RECORD, timeZone: 'Mars/Olympus' }))).toBeUndefined();
		expect(parseAvailability(JSON.stringify({ ...RECORD, hours: [{ day: 8, start: 0, end: 10 }] }))).toBeUndefined();
		expect(parseAvailability(JSON.stringify({ ...RECORD, hours: [{ day: 1, start: 600, end: 500 }] }))).toBeUndefined();
		expect(parseAvailability(JSON.stringify({ ...RECORD, emergency: 'x'.repeat(301) }))).toBeUndefined();
		expect(parseAvailability(JSON.stringify(RECORD))).toEqual(RECORD);
	});
});
