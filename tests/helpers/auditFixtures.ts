import {
	generateBoxKeyPair,
	generateSignKeyPair,
	randomBytes,
	type BoxKeyPair,
	type SignKeyPair
} from '../../src/lib/crypto/primitives.js';
import { createAuditRecord, NO_PREV, type ChainPosition } from '../../src/lib/audit/auditRecord.js';
import type { AuditDetails } from '../../src/lib/audit/kinds.js';
import { verifyEpochRecord, verifyGenesis } from '../../src/lib/protocol/records.js';
import { createAddWriterRecord, createGenesis } from '../../src/lib/sync/documentRecords.js';

/** Devices and audit trails for tests, made with the real record code. */

export interface TestDevice {
	sign: SignKeyPair;
	box: BoxKeyPair;
	incarnation: Uint8Array;
}

export function testDevice(): TestDevice {
	return { sign: generateSignKeyPair(), box: generateBoxKeyPair(), incarnation: randomBytes(16) };
}

export interface TestTrail {
	trail: Uint8Array;
	secret: Uint8Array;
	chain: Uint8Array[];
}

/** An audit document created by `owner`, with `members` added as writers (real epoch records). */
export function testTrail(owner: TestDevice, members: TestDevice[] = []): TestTrail {
	const created = createGenesis(owner.sign, 'audit');
	const first = verifyGenesis(created.genesis);
	if (!first.ok) throw new Error(first.why);
	const chain = [created.genesis];
	let head = first.value;
	for (const member of members) {
		const record = createAddWriterRecord(owner.sign, head, member.sign.publicKey);
		const next = verifyEpochRecord(head, record);
		if (!next.ok) throw new Error(next.why);
		chain.push(record);
		head = next.value;
	}
	return { trail: created.doc, secret: created.secret, chain };
}

/** `count` records of one device's chain in `trail`. */
export function testChain(
	trail: Uint8Array,
	device: TestDevice,
	count: number,
	details: (n: number) => AuditDetails = (n) => ({ doc: `doc-${n}` }),
	kind = 'sign-in'
): Uint8Array[] {
	const out: Uint8Array[] = [];
	let after: ChainPosition = { n: 0, prev: NO_PREV };
	for (let i = 0; i < count; i++) {
		const made = createAuditRecord({
			trail,
			device: device.sign,
			incarnation: device.incarnation,
			after,
			at: 1_700_000_000_000 + after.n * 1000,
			kind,
			details: details(after.n + 1)
		});
		out.push(made.bytes);
		after = made.position;
	}
	return out;
}
