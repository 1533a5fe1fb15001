import { describe, expect, it } from 'vitest';
import { safeFileName } from '../../../src/lib/files/fileName.js';

describe('safeFileName', () => {
	it('removes a right-to-left override that disguises the extension', () => {
		expect(safeFileName('invoice\u202Efdp.exe')).toBe('invoicefdp.exe');
		expect(safeFileName('photo\u2067gpj.exe\u2069')).toBe('photogpj.exe');
		expect(safeFileName('a\u200Fb\u200Ec\u061Cd')).toBe('abcd');
	});

	it('removes control characters, invisible spaces and path separators', () => {
		expect(safeFileName('../../etc/passwd')).toBe('....etcpasswd');
		expect(safeFileName('re\u0000port\u0007.pdf')).toBe('report.pdf');
		expect(safeFileName('zero\u200Bwidth\uFEFF.txt')).toBe('zerowidth.txt');
	});

	it('keeps names in any script, emoji sequences included', () => {
		expect(safeFileName('отчёт за май.pdf')).toBe('отчёт за май.pdf');
		expect(safeFileName('تقرير.pdf')).toBe('تقرير.pdf');
		expect(safeFileName('family 👨‍👩‍👧.jpg')).toBe('family 👨‍👩‍👧.jpg');
	});

	it('falls back when nothing is left, and shortens a very long name', () => {
		expect(safeFileName('\u202E\u202E')).toBe('file');
		expect(safeFileName('..')).toBe('file');
		expect([...safeFileName('a'.repeat(5000))]).toHaveLength(200);
	});
});

describe('attachment views', () => {
	it('show a received file under its cleaned name', async () => {
		const { attachmentView } = await import('../../../src/lib/app/attachmentViews.js');
		const view = attachmentView(
			{
				blob: new Uint8Array(32).fill(7),
				key: new Uint8Array(32),
				hash: new Uint8Array(32),
				size: 10,
				stored: 10,
				kind: 'file',
				mime: 'application/pdf',
				name: 'invoice\u202Efdp.exe'
			},
			undefined,
			'doc'
		);
		expect(view.name).toBe('invoicefdp.exe');
	});
});
