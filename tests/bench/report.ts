import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { formatNumber, round } from './stats.js';

/**
 * The bench's output: a readable table on stdout and the same figures as JSON.
 *
 * Every row compares Tend with a baseline measured in the same run, as a ratio Tend / baseline.
 * `better` says which way is good (throughput: higher; latency, time, CPU per item: lower), and
 * `goal`, where there is one, the ratio Tend must reach.
 */

export interface Row {
	figure: string;
	unit: string;
	tend: number;
	baseline: number;
	better: 'higher' | 'lower';
	/** Required Tend / baseline ratio (≥ for `higher`, ≤ for `lower`). */
	goal?: number;
}

export interface Section {
	title: string;
	/** What the baseline column is. */
	baseline: string;
	notes: string[];
	rows: Row[];
}

/** A row where more is better (throughput), with an optional goal for Tend / baseline. */
export function higher(
	figure: string,
	unit: string,
	tend: number,
	baseline: number,
	goal?: number
): Row {
	return { figure, unit, tend, baseline, better: 'higher', goal };
}

/** A row where less is better (latency, time, CPU per item), with an optional goal. */
export function lower(
	figure: string,
	unit: string,
	tend: number,
	baseline: number,
	goal?: number
): Row {
	return { figure, unit, tend, baseline, better: 'lower', goal };
}

export function ratio(row: Row): number {
	return row.tend / row.baseline;
}

function meetsGoal(row: Row): boolean | undefined {
	if (row.goal === undefined) return undefined;
	return row.better === 'higher' ? ratio(row) >= row.goal : ratio(row) <= row.goal;
}

/** Renders the sections as aligned text tables. */
export function formatSections(sections: Section[]): string {
	const out: string[] = [];
	for (const section of sections) {
		out.push('', section.title, `  baseline: ${section.baseline}`);
		const header = ['figure', 'Tend', 'baseline', 'Tend/base', 'better', 'goal'];
		const lines = section.rows.map((row) => {
			const met = meetsGoal(row);
			const goal =
				row.goal === undefined
					? ''
					: `${row.better === 'higher' ? '≥' : '≤'} ${row.goal} ${met ? 'met' : 'MISSED'}`;
			return [
				row.figure,
				`${formatNumber(row.tend)} ${row.unit}`,
				`${formatNumber(row.baseline)} ${row.unit}`,
				`${formatNumber(ratio(row))}×`,
				row.better,
				goal
			];
		});
		const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i].length)));
		const render = (cells: string[]) =>
			'  ' + cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
		out.push(render(header), '  ' + widths.map((w) => '-'.repeat(w)).join('  '));
		for (const line of lines) out.push(render(line));
		for (const note of section.notes) out.push(`  · ${note}`);
	}
	return out.join('\n');
}

/** Writes `value` as JSON, numbers rounded to 4 significant digits. */
export function writeJson(path: string, value: unknown): void {
	mkdirSync(dirname(path), { recursive: true });
	const json = JSON.stringify(
		value,
		(_key, v: unknown) => (typeof v === 'number' ? round(v, 4) : v),
		2
	);
	writeFileSync(path, `${json}\n`);
}

/** The rows of every section with their ratio, for the JSON file. */
export function rowsForJson(sections: Section[]) {
	return sections.map((section) => ({
		title: section.title,
		baseline: section.baseline,
		notes: section.notes,
		rows: section.rows.map((row) => ({ ...row, ratio: ratio(row), goalMet: meetsGoal(row) }))
	}));
}
