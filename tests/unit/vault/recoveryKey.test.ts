import { beforeAll, describe, expect, it } from 'vitest';
import { readyCrypto } from '../../../src/lib/crypto/sodium.js';
import {
	formatRecoveryKey,
	generateRecoveryKey,
	parseRecoveryKey
} from '../../../src/lib/vault/recoveryKey.js';

beforeAll(async () => {
	await readyCrypto();
});

describe('recovery key', () => {
	it('formats 160 bits as eight groups of four and reads them back', () => {
		for (let i = 0; i < 50; i++) {
			const key = generateRecoveryKey();

			const text = formatRecoveryKey(key);

			expect(text).toMatch(/^([0-9A-HJKMNP-TV-Z]{4}-){7}[0-9A-HJKMNP-TV-Z]{4}$/);
			expect(parseRecoveryKey(text)).toEqual(key);
		}
	});

	it('reads a key copied by hand: lower case, spaces, O for 0, I and L for 1', () => {
		const key = new Uint8Array(20).fill(0);
		key[19] = 33; // ends in "…0011" in base32: 0b00001 00001
		const text = formatRecoveryKey(key);
		expect(text.endsWith('0011')).toBe(true);

		const sloppy = text.toLowerCase().replace(/-/g, ' ').replace(/0/g, 'o').replace(/1/g, 'l');

		expect(parseRecoveryKey(sloppy)).toEqual(key);
	});

	it('rejects the wrong length and letters outside the alphabet', () => {
		const text = formatRecoveryKey(generateRecoveryKey());

		expect(parseRecoveryKey(text.slice(0, -1))).toBeUndefined();
		expect(parseRecoveryKey(`${text}0`)).toBeUndefined();
		expect(parseRecoveryKey(`U${text.slice(1)}`)).toBeUndefined();
		expect(parseRecoveryKey('')).toBeUndefined();
	});
});
