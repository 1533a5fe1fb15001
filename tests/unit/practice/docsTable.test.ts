import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ACCESS, AREAS, ROLES } from '../../../src/lib/practice/permissions.js';

/** docs/security.md shows the access table; it must say what the code decides. */

const ROW_NAMES: Record<string, (typeof AREAS)[number]> = {
	'practice directory': 'directory',
	announcements: 'announcements',
	'announcement reactions and read markers': 'announcement-reactions',
	'team channels': 'team',
	scheduling: 'scheduling',
	billing: 'billing',
	'client conversations': 'client',
	'clinical boards': 'clinical-board'
};

describe('docs/security.md permissions table', () => {
	it('lists every area with the access the module gives each role', () => {
		const text = readFileSync(new URL('../../../docs/security.md', import.meta.url), 'utf8');
		const start = text.indexOf('<!-- permissions-table');
		expect(start).toBeGreaterThan(0);
		const rows = text
			.slice(start)
			.split('\n')
			.slice(3)
			.filter((line) => line.startsWith('| '))
			.slice(0, AREAS.length)
			.map((line) => line.split('|').slice(1, -1).map((cell) => cell.trim()));

		expect(rows.map(([name]) => ROW_NAMES[name]).sort()).toEqual([...AREAS].sort());
		for (const [name, ...cells] of rows) {
			const area = ROW_NAMES[name];
			expect(cells, name).toEqual(ROLES.map((role) => ACCESS[role][area]));
		}
	});
});
