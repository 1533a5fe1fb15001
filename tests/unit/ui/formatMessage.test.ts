import { describe, expect, it } from 'vitest';
import { mentionedIn, parseMessage, plainText } from '../../../src/lib/ui/formatMessage.js';

describe('parseMessage', () => {
	it('parses bold, italic, links and lists into a tree', () => {
		expect(parseMessage('**Breathe** in, *slowly*, see https://example.org/box.')).toEqual([
			{
				t: 'p',
				children: [
					{ t: 'strong', children: [{ t: 'text', text: 'Breathe' }] },
					{ t: 'text', text: ' in, ' },
					{ t: 'em', children: [{ t: 'text', text: 'slowly' }] },
					{ t: 'text', text: ', see ' },
					{ t: 'link', href: 'https://example.org/box', children: [{ t: 'text', text: 'https://example.org/box' }] },
					{ t: 'text', text: '.' }
				]
			}
		]);
		expect(parseMessage('Steps:\n- one\n- two\n\n1. first\n2. second')).toEqual([
			{ t: 'p', children: [{ t: 'text', text: 'Steps:' }] },
			{ t: 'ul', items: [[{ t: 'text', text: 'one' }], [{ t: 'text', text: 'two' }]] },
			{ t: 'ol', start: 1, items: [[{ t: 'text', text: 'first' }], [{ t: 'text', text: 'second' }]] }
		]);
	});

	it('keeps hostile input as text: tags, javascript: and data: links, handlers, entities', () => {
		const hostile = [
			'<img src=x onerror=alert(1)> <script>alert(1)</script>',
			'[click](javascript:alert(1))',
			'[click](JaVaScRiPt:alert(1))',
			'[x](data:text/html;base64,PHNjcmlwdD4=)',
			'javascript:alert(1)',
			'<a href="https://x" onclick="alert(1)">x</a>',
			'&lt;script&gt;alert(1)&lt;/script&gt; &#60;b&#62;',
			'[x](https://example.org" onmouseover="alert(1))'
		];
		for (const text of hostile) {
			const blocks = parseMessage(text);
			const links = JSON.stringify(blocks).match(/"href":"[^"]*"/g) ?? [];
			for (const link of links) expect(link).toMatch(/^"href":"(https?:|mailto:)/);
			expect(plainText(blocks).replace(/\s/g, '')).toContain(text.includes('<') ? '<' : text.slice(0, 3).replace(/\s/g, ''));
		}
		expect(parseMessage('[click](javascript:alert(1))')).toEqual([{ t: 'p', children: [{ t: 'text', text: '[click](javascript:alert(1))' }] }]);
		expect(parseMessage('&lt;b&gt;')).toEqual([{ t: 'p', children: [{ t: 'text', text: '&lt;b&gt;' }] }]);
	});

	it('leaves snake_case and lone stars alone and bounds nesting', () => {
		expect(plainText(parseMessage('file_name_here 2 * 3 * 4'))).toBe('file_name_here 2 * 3 * 4');
		const deep = '**'.repeat(50) + 'x' + '**'.repeat(50);
		expect(() => parseMessage(deep)).not.toThrow();
		expect(parseMessage('*'.repeat(10_000))).toHaveLength(1);
	});

	it('marks @mentions of members, longest name first, and this device’s own', () => {
		const members = [
			{ name: 'Sam', me: false },
			{ name: 'Sam Rivera', me: true }
		];
		expect(parseMessage('Thanks @Sam Rivera and @sam!', members)).toEqual([
			{
				t: 'p',
				children: [
					{ t: 'text', text: 'Thanks ' },
					{ t: 'mention', text: '@Sam Rivera', me: true },
					{ t: 'text', text: ' and ' },
					{ t: 'mention', text: '@sam', me: false },
					{ t: 'text', text: '!' }
				]
			}
		]);
		expect(mentionedIn('hi @Samuel and me@Sam', [{ name: 'Sam' }])).toEqual([]);
		expect(mentionedIn('- ask **@Sam**', [{ name: 'Sam' }])).toEqual([{ name: 'Sam' }]);
	});

	it('shows the same text the message holds, minus markup and blank lines', () => {
		expect(plainText(parseMessage('a **b** _c_\n\n- d'))).toBe('a b cd');
	});
});
