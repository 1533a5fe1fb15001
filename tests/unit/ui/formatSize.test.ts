import { describe, expect, it } from 'vitest';
import { formatSize } from '../../../src/lib/ui/attachmentContext.js';

describe('formatSize', () => {
	it('writes bytes out and shortens larger units, in English and Russian', () => {
		expect(formatSize(85, 'en')).toBe('85 bytes');
		expect(formatSize(1, 'en')).toBe('1 byte');
		expect(formatSize(1_200_000, 'en')).toBe('1.2 MB');
		expect(formatSize(85, 'ru')).toBe('85 байт');
	});
});
