import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { detectCrisis } from '../../../src/lib/boundaries/crisis.js';
import { detectPhi, phiKinds, type PhiKind } from '../../../src/lib/boundaries/phi.js';

const NOW = Date.UTC(2026, 11, 4);

const edge = readFileSync(
	new URL('../../../../shared/corpus/edge-messages.jsonl', import.meta.url),
	'utf8'
)
	.split('\n')
	.filter((line) => line.trim())
	.map((line) => JSON.parse(line) as { id: number; kind: string; text: string });

function flagged(text: string, names?: string[]): [PhiKind, string][] {
	return detectPhi(text, { names, now: NOW }).map((f) => [f.kind, text.slice(f.start, f.end)]);
}

describe('detectPhi on the edge corpus', () => {
	it('flags every identifier in the PHI message', () => {
		const phi = edge.find((e) => e.kind === 'phi')!;

		expect(flagged(phi.text)).toEqual([
			['name', 'Jane Roe'],
			['birthDate', 'DOB 04/12/1988'],
			['recordNumber', 'MRN 55512'],
			['medicationDose', '50mg'],
			['diagnosisCode', 'F41.1']
		]);
	});

	it('flags nothing in the other edge messages (times, emoji, scripts, markup, a long letter)', () => {
		const others = edge.filter((e) => e.kind !== 'phi');

		expect(others.length).toBeGreaterThan(10);
		expect(others.filter((e) => detectPhi(e.text, { now: NOW }).length > 0).map((e) => e.kind)).toEqual([]);
	});
});

describe('detectPhi', () => {
	it.each([
		['Call her at (555) 123-4567 after six.', [['phone', '(555) 123-4567']]],
		['Her mobile is +7 912 345-67-89.', [['phone', '+7 912 345-67-89']]],
		['Office line 555-0134.', [['phone', '555-0134']]],
		['SSN 123-45-6789 on file', [['recordNumber', 'SSN 123-45-6789']]],
		['Chart #A-20931 updated', [['recordNumber', 'Chart #A-20931']]],
		['Полис 7700123456 продлён', [['recordNumber', 'Полис 7700123456']]],
		['Ref 48213377 in the system', [['recordNumber', '48213377']]],
		['Dx: F32 recurrent', [['diagnosisCode', 'F32']]],
		['ICD-10 code G47 for insomnia', [['diagnosisCode', 'ICD-10 code G47']]],
		['Диагноз F43.1, наблюдение', [['diagnosisCode', 'F43.1']]],
		['МКБ-10: G47 подтверждён', [['diagnosisCode', 'МКБ-10: G47']]],
		['Started lithium 300 mg twice daily', [['medicationDose', '300 mg']]],
		['Назначен сертралин 25 мг утром', [['medicationDose', '25 мг']]],
		['Born on 3 March 1979 in Ohio', [['birthDate', 'Born on 3 March 1979']]],
		['Дата рождения: 12.04.1990', [['birthDate', 'Дата рождения: 12.04.1990']]],
		['Date of birth 1985-07-30', [['birthDate', 'Date of birth 1985-07-30']]],
		['Client Marisol Vega missed today', [['name', 'Marisol Vega']]],
		['Spoke with Mrs. Okafor', [['name', 'Mrs. Okafor']]],
		['Пациентка Иванова перенесла приём', [['name', 'Иванова']]]
	] as [string, [PhiKind, string][]][])('flags %s', (text, expected) => {
		expect(flagged(text).sort()).toEqual(expected.sort());
	});

	it('flags the names of people from other conversations, whole words only', () => {
		const names = ['Bartholomew Quince'];

		expect(flagged('Did Bartholomew seem okay to you?', names)).toEqual([['name', 'Bartholomew']]);
		expect(flagged('bartholomews and quinces', names)).toEqual([]);
		expect(flagged('Bartholomew Quince asked to reschedule', names)).toEqual([
			['name', 'Bartholomew Quince']
		]);
	});

	it.each([
		'Team meeting moved to 15:00 on Thursday, room 204.',
		'Встреча в четверг в 15:00, кабинет 12.',
		'Please read chapter 3 of Dialectical Behavior Therapy before Friday.',
		'We will review the 2026 schedule on 12/03/2026.',
		'I have 20 minutes between sessions.',
		'Reminder: supervision on Monday at 9:30.',
		'Version 1.2.3 of the intake form is out.'
	])('leaves ordinary team messages alone: %s', (text) => {
		expect(flagged(text)).toEqual([]);
	});

	it('lists the kinds found once each, in a fixed order', () => {
		const flags = detectPhi('Jane Roe, DOB 04/12/1988, 50 mg, 20 mg', { now: NOW });

		expect(phiKinds(flags)).toEqual(['name', 'birthDate', 'medicationDose']);
	});
});

describe('detectCrisis', () => {
	it('recognises the crisis message of the edge corpus and nothing else there', () => {
		expect(edge.filter((e) => detectCrisis(e.text)).map((e) => e.kind)).toEqual(['crisis-keyword']);
	});

	it.each([
		'I want to kill myself',
		'sometimes I think about suicide',
		"I don't want to live anymore",
		'I cant go on like this',
		'everyone would be better off without me',
		'I have been cutting myself again',
		'Я не хочу больше жить',
		'думаю о том, чтобы покончить с собой',
		'Иногда хочу умереть'
	])('flags %s', (text) => {
		expect(detectCrisis(text)).toBe(true);
	});

	it.each([
		'I am dying to see the new film',
		'Can we move our session to Friday?',
		'The exercise killed my back but I feel calmer',
		'Спасибо, до встречи в четверг'
	])('leaves alone %s', (text) => {
		expect(detectCrisis(text)).toBe(false);
	});
});
