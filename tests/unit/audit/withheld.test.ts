import { describe, expect, it } from 'vitest';
import { withheldAudit } from '../../../src/lib/audit/withheld.js';

const A = 'a'.repeat(64);
const B = 'b'.repeat(64);
const GRACE = 60_000;

describe('audit records a device says it wrote but that never arrived', () => {
	it('names a device whose stated count runs ahead of the records held, once the grace period is over', () => {
		const held = new Map([[A, 7]]);
		const stated = [{ device: A, n: 9, since: 1_000 }];
		expect(withheldAudit(held, stated, 1_000 + GRACE - 1, GRACE)).toEqual({ problems: [], recheckAt: 1_000 + GRACE });
		expect(withheldAudit(held, stated, 1_000 + GRACE, GRACE).problems).toEqual([
			{ code: 'withheld', device: A, n: 7, to: 9 }
		]);
	});

	it('is satisfied by a count the held records meet, and by a device that stated nothing', () => {
		const held = new Map([
			[A, 9],
			[B, 3]
		]);
		expect(withheldAudit(held, [{ device: A, n: 9, since: 0 }], 10 * GRACE, GRACE)).toEqual({ problems: [] });
		expect(withheldAudit(held, [], 10 * GRACE, GRACE)).toEqual({ problems: [] });
	});

	it('counts a device with no record held as holding none', () => {
		const found = withheldAudit(new Map(), [{ device: B, n: 2, since: 0 }], GRACE, GRACE);
		expect(found.problems).toEqual([{ code: 'withheld', device: B, n: 0, to: 2 }]);
	});

	it('takes the highest count a device stated over its documents, timed from its first statement', () => {
		const held = new Map([[A, 4]]);
		const stated = [
			{ device: A, n: 5, since: 100 },
			{ device: A, n: 8, since: 5_000 },
			{ device: A, n: 8, since: 2_000 }
		];
		expect(withheldAudit(held, stated, 2_000 + GRACE - 1, GRACE).recheckAt).toBe(2_000 + GRACE);
		expect(withheldAudit(held, stated, 2_000 + GRACE, GRACE).problems).toEqual([
			{ code: 'withheld', device: A, n: 4, to: 8 }
		]);
	});
});
