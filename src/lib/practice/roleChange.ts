import type { SignKeyPair } from '../crypto/primitives.js';
import { isListed, type EpochState } from '../protocol/records.js';
import {
	createRotationRecord,
	createWritersRecord,
	type Rotation
} from '../sync/documentRecords.js';
import { accessTo, epochChangeFor, type Area, type Role } from './permissions.js';

/**
 * The epoch record a role change needs in one document (rules 2 and 7), decided by
 * {@link epochChangeFor}:
 * - read access lost: a rotation that leaves the person's devices out (new secret, new relay
 *   access key), so they can't read anything written after it;
 * - write rights changed: the same secret with new writer and administrator lists;
 * - newly readable or unchanged: no record here (letting someone in seals the secret to them,
 *   and adds them as a writer through the usual admission).
 */
export type RoleChangeStep =
	| { kind: 'rotate'; rotation: Rotation }
	| { kind: 'writers'; record: Uint8Array; admins: Uint8Array[]; writers: Uint8Array[] }
	| { kind: 'admit'; write: boolean }
	| { kind: 'none' };

export interface RoleChangeParams {
	admin: SignKeyPair;
	head: EpochState;
	/** The secret of the head's generation (needed to seal it under a new one). */
	secret: Uint8Array;
	/** The person's devices (see `devicesOfPerson`). */
	devices: Uint8Array[];
	from: Role;
	to: Role;
	area: Area;
	/** The person takes part in this document (their own client conversation or board). */
	involved: boolean;
}

export function roleChangeStep(params: RoleChangeParams): RoleChangeStep {
	const { admin, head, devices, from, to, area, involved } = params;
	const change = epochChangeFor(from, to, area, involved);
	const after = accessTo(to, area, involved);
	if (change === 'none') return { kind: 'none' };
	if (change === 'admit') return { kind: 'admit', write: after === 'write' || after === 'admin' };

	// A reader is in no list but holds the secret: losing read access always needs a new one.
	if (change === 'rotate') {
		return { kind: 'rotate', rotation: createRotationRecord(admin, head, params.secret, devices) };
	}

	const others = (keys: Uint8Array[]) => keys.filter((k) => !isListed(devices, k));
	const admins = after === 'admin' ? [...others(head.admins), ...devices] : others(head.admins);
	const writers =
		after === 'write' || after === 'admin' ? [...others(head.writers), ...devices] : others(head.writers);
	const record = createWritersRecord(admin, head, {
		admins,
		writers: writers.length > 0 ? writers : admins
	});
	return { kind: 'writers', record, admins, writers };
}
