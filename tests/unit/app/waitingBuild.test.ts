import { describe, expect, test } from 'vitest';
import { parseBuildInfo } from '../../../src/lib/app/waitingBuild.js';

describe('parseBuildInfo', () => {
	const info = { id: '3fa9c21', commit: 'c955de2', builtAt: '2026-12-04T18:40:47.727Z' };

	test('accepts what the build writes', () => {
		expect(parseBuildInfo(info)).toEqual(info);
		expect(parseBuildInfo({ ...info, extra: true })).toEqual(info);
	});

	test('rejects anything else, so the prompt shows no id rather than a wrong one', () => {
		expect(parseBuildInfo(null)).toBeUndefined();
		expect(parseBuildInfo('3fa9c21')).toBeUndefined();
		expect(parseBuildInfo({ ...info, id: 42 })).toBeUndefined();
		expect(parseBuildInfo({ ...info, id: '' })).toBeUndefined();
		expect(parseBuildInfo({ ...info, id: '<img src=x>' })).toBeUndefined();
		expect(parseBuildInfo({ ...info, id: 'a'.repeat(65) })).toBeUndefined();
		expect(parseBuildInfo({ id: info.id, commit: info.commit })).toBeUndefined();
	});
});
