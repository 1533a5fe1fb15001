import { beforeAll, describe, expect, it } from 'vitest';
import {
	createOwnersRecord,
	openAuditEntry,
	openOwnersRecord,
	sealAuditEntry
} from '../../../src/lib/audit/auditEntry.js';
import { readyCrypto } from '../../../src/lib/crypto/sodium.js';
import { equalBytes, utf8 } from '../../../src/lib/protocol/bytes.js';
import { EntryKind, parseEntryHeader } from '../../../src/lib/protocol/entry.js';
import { testChain, testDevice, testTrail, type TestDevice } from '../../helpers/auditFixtures.js';

/**
 * Sealing (rule 21): a record is readable by the trail's owner devices only. A member that
 * holds the trail's secret (as every writing device does) opens the outer layer and finds
 * nothing it can read, its own records included.
 */

let owner: TestDevice;
let owner2: TestDevice;
let client: TestDevice;

beforeAll(async () => {
	await readyCrypto();
	owner = testDevice();
	owner2 = testDevice();
	client = testDevice();
});

const ownerOf = (d: TestDevice) => ({ device: d.sign.publicKey, box: d.box.publicKey });
const me = (d: TestDevice) => ({ device: d.sign.publicKey, box: d.box });

describe('audit entries', () => {
	it('opens for each owner device and for nobody else', () => {
		const t = testTrail(owner, [client]);
		const record = testChain(t.trail, client, 1)[0];
		const entry = sealAuditEntry(t, record, [ownerOf(owner), ownerOf(owner2)]);

		for (const o of [owner, owner2]) {
			const opened = openAuditEntry(t, entry, me(o));
			expect(opened.ok && equalBytes(opened.record, record)).toBe(true);
		}
		// The client wrote it and holds the trail's secret, and still can't read it.
		expect(openAuditEntry(t, entry, me(client))).toEqual({ ok: false, why: 'not-for-me' });
	});

	it('refuses a non-owner that puts its own device id on a box', () => {
		const t = testTrail(owner, [client]);
		const record = testChain(t.trail, client, 1)[0];
		const entry = sealAuditEntry(t, record, [ownerOf(owner)]);
		// The client pretends to be the owner: the box is sealed to the owner's box key.
		const result = openAuditEntry(t, entry, { device: owner.sign.publicKey, box: client.box });
		expect(result).toEqual({ ok: false, why: 'box' });
	});

	it('is a relay entry of kind audit whose bytes hold no detail in the clear', () => {
		const t = testTrail(owner, [client]);
		const marker = 'doc-MARKER-2b7f';
		const record = testChain(t.trail, client, 1, () => ({ doc: marker }))[0];
		expect(Buffer.from(record).includes(Buffer.from(marker))).toBe(true); // positive control
		const entry = sealAuditEntry(t, record, [ownerOf(owner)]);
		expect(parseEntryHeader(entry)?.kind).toBe(EntryKind.audit);
		expect(Buffer.from(entry).includes(Buffer.from(utf8.encode(marker)))).toBe(false);
	});

	it('fails closed on a tampered entry or the wrong trail secret', () => {
		const t = testTrail(owner, [client]);
		const entry = sealAuditEntry(t, testChain(t.trail, client, 1)[0], [ownerOf(owner)]);
		const flipped = entry.slice();
		flipped[flipped.length - 5] ^= 1;
		expect(openAuditEntry(t, flipped, me(owner))).toEqual({ ok: false, why: 'malformed' });
		const other = testTrail(owner);
		expect(openAuditEntry({ ...t, secret: other.secret }, entry, me(owner)).ok).toBe(false);
	});

	it('accepts an owners record only from an admin, naming only admins', () => {
		const t = testTrail(owner, [client]);
		const admins = [owner.sign.publicKey];
		const good = createOwnersRecord(owner.sign, t.trail, [ownerOf(owner)], 1);
		expect(openOwnersRecord(good, t.trail, admins)?.owners.length).toBe(1);
		// A member signs itself in as an owner: refused.
		const bySelf = createOwnersRecord(client.sign, t.trail, [ownerOf(client)], 1);
		expect(openOwnersRecord(bySelf, t.trail, admins)).toBeUndefined();
		// An admin can't name a non-admin as owner either.
		const widened = createOwnersRecord(owner.sign, t.trail, [ownerOf(owner), ownerOf(client)], 1);
		expect(openOwnersRecord(widened, t.trail, admins)).toBeUndefined();
		expect(openOwnersRecord(good, testTrail(owner).trail, admins)).toBeUndefined();
	});
});
