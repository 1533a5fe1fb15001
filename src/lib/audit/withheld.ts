import type { AuditProblem } from './verifyAuditTrail.js';

/**
 * Audit records a device says it wrote that never reached the owner (rule 21). Each device states
 * in its presence frames how many records it has written to the trail of the document; an owner
 * compares that with the records it holds from the device. A relay that drops or holds back the
 * newest records (so an owner never sees them, and no later record reveals the gap) is caught
 * this way. A count is given `graceMs` to be met, since records and presence travel separately.
 */

export interface StatedCount {
	/** Device signing key, hex. */
	device: string;
	/** Records the device says it has written to the trail. */
	n: number;
	/** When the owner first saw this count (ms). */
	since: number;
}

export interface WithheldCheck {
	problems: AuditProblem[];
	/** The earliest time (ms) a count still in its grace period becomes a problem, if any. */
	recheckAt?: number;
}

/**
 * @param held the highest record number held per device (hex), over its chains in the trail
 * @param stated what devices said, possibly several statements per device (the highest counts)
 */
export function withheldAudit(
	held: ReadonlyMap<string, number>,
	stated: Iterable<StatedCount>,
	now: number,
	graceMs: number
): WithheldCheck {
	const best = new Map<string, StatedCount>();
	for (const claim of stated) {
		const before = best.get(claim.device);
		if (!before || claim.n > before.n || (claim.n === before.n && claim.since < before.since)) {
			best.set(claim.device, claim);
		}
	}
	const problems: AuditProblem[] = [];
	let recheckAt: number | undefined;
	for (const claim of best.values()) {
		const have = held.get(claim.device) ?? 0;
		if (claim.n <= have) continue;
		const due = claim.since + graceMs;
		if (now < due) {
			recheckAt = Math.min(recheckAt ?? due, due);
			continue;
		}
		problems.push({ code: 'withheld', device: claim.device, n: have, to: claim.n });
	}
	return { problems, recheckAt };
}
