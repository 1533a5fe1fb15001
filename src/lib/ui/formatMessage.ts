import { safeUrl } from '../model/messageOps.js';

/**
 * Simple formatting for message text: **bold**, *italic* or _italic_, lists (lines starting
 * with "- ", "* " or "1. "), [links](https://…) and bare http(s) and mailto addresses, and
 * @mentions of members. The text is parsed into this tree and the tree is rendered with Svelte
 * elements and text nodes (`FormattedText.svelte`), so nothing in a message is ever parsed as
 * HTML; a link whose address isn't http(s) or mailto stays text.
 */

export type Inline =
	| { t: 'text'; text: string }
	| { t: 'strong'; children: Inline[] }
	| { t: 'em'; children: Inline[] }
	| { t: 'link'; href: string; children: Inline[] }
	| { t: 'mention'; text: string; me: boolean };

export type Block =
	| { t: 'p'; children: Inline[] }
	| { t: 'ul'; items: Inline[][] }
	| { t: 'ol'; items: Inline[][]; start: number };

/** A member that can be mentioned: `@name` in the text. */
export interface Mentionable {
	name: string;
	me: boolean;
}

const BULLET = /^[ \t]*[-*•][ \t]+(.*)$/;
const NUMBERED = /^[ \t]*(\d{1,6})[.)][ \t]+(.*)$/;
/** How deep emphasis may nest: hostile input can't make the renderer recurse without end. */
const MAX_DEPTH = 4;

export function parseMessage(text: string, mentionable: Mentionable[] = []): Block[] {
	const names = [...mentionable].filter((m) => m.name.trim()).sort((a, b) => b.name.length - a.name.length);
	const blocks: Block[] = [];
	let paragraph: string[] = [];
	const flush = () => {
		if (paragraph.length > 0) blocks.push({ t: 'p', children: parseInline(paragraph.join('\n'), names, 0) });
		paragraph = [];
	};

	// Whether the previous line was a list item: the next item continues the same list.
	let inList = false;
	for (const line of text.split('\n')) {
		const bullet = BULLET.exec(line);
		const numbered = bullet ? null : NUMBERED.exec(line);
		const last = blocks[blocks.length - 1];
		if (bullet) {
			flush();
			const item = parseInline(bullet[1], names, 0);
			if (inList && last?.t === 'ul') last.items.push(item);
			else blocks.push({ t: 'ul', items: [item] });
		} else if (numbered) {
			flush();
			const item = parseInline(numbered[2], names, 0);
			if (inList && last?.t === 'ol') last.items.push(item);
			else blocks.push({ t: 'ol', items: [item], start: Number(numbered[1]) });
		} else if (line.trim() === '') {
			flush();
		} else {
			paragraph.push(line);
		}
		inList = !!(bullet || numbered);
	}
	flush();
	return blocks;
}

/** The text a rendered tree shows (what the DOM's textContent is), for tests and previews. */
export function plainText(blocks: Block[]): string {
	const inline = (nodes: Inline[]): string =>
		nodes.map((n) => (n.t === 'text' || n.t === 'mention' ? n.text : inline(n.children))).join('');
	return blocks
		.map((b) => (b.t === 'p' ? inline(b.children) : b.items.map(inline).join('')))
		.join('');
}

const URL_START = /(https?:\/\/|mailto:)/i;

function parseInline(text: string, names: Mentionable[], depth: number): Inline[] {
	const out: Inline[] = [];
	let plain = '';
	const push = (node: Inline) => {
		if (plain) out.push({ t: 'text', text: plain });
		plain = '';
		out.push(node);
	};

	let i = 0;
	while (i < text.length) {
		const rest = text.slice(i);
		const c = text[i];

		// **bold**
		if (c === '*' && rest.startsWith('**') && depth < MAX_DEPTH) {
			const end = text.indexOf('**', i + 2);
			if (end > i + 2) {
				push({ t: 'strong', children: parseInline(text.slice(i + 2, end), names, depth + 1) });
				i = end + 2;
				continue;
			}
		}
		// *italic* or _italic_ (not inside a word, so snake_case stays as it is)
		if ((c === '*' || c === '_') && depth < MAX_DEPTH && !/\w/.test(text[i - 1] ?? '')) {
			const end = text.indexOf(c, i + 1);
			if (end > i + 1 && text[i + 1] !== ' ' && !/\w/.test(text[end + 1] ?? '')) {
				push({ t: 'em', children: parseInline(text.slice(i + 1, end), names, depth + 1) });
				i = end + 1;
				continue;
			}
		}
		// [label](address)
		if (c === '[') {
			const match = /^\[([^\]\n]{1,500})\]\(([^)\s]{1,2000})\)/.exec(rest);
			if (match) {
				const href = safeUrl(match[2]);
				if (href) {
					push({ t: 'link', href, children: [{ t: 'text', text: match[1] }] });
					i += match[0].length;
					continue;
				}
			}
		}
		// Bare address
		if ((c === 'h' || c === 'H' || c === 'm' || c === 'M') && URL_START.test(rest.slice(0, 8))) {
			const match = /^(?:https?:\/\/|mailto:)[^\s<>"]+/i.exec(rest);
			if (match && !/\w/.test(text[i - 1] ?? '')) {
				const address = match[0].replace(/[.,;:!?)\]]+$/, '');
				const href = safeUrl(address);
				if (href) {
					push({ t: 'link', href, children: [{ t: 'text', text: address }] });
					i += address.length;
					continue;
				}
			}
		}
		// @mention of a member's name
		if (c === '@' && !/\w/.test(text[i - 1] ?? '')) {
			const who = names.find(
				(m) =>
					rest.slice(1, 1 + m.name.length).toLowerCase() === m.name.toLowerCase() &&
					!/[\p{L}\p{N}]/u.test(rest[1 + m.name.length] ?? '')
			);
			if (who) {
				push({ t: 'mention', text: `@${rest.slice(1, 1 + who.name.length)}`, me: who.me });
				i += 1 + who.name.length;
				continue;
			}
		}
		plain += c;
		i++;
	}
	if (plain) out.push({ t: 'text', text: plain });
	return out;
}

/** Which members a text mentions (`@name`), for the message's mention list. */
export function mentionedIn<T extends { name: string }>(text: string, members: T[]): T[] {
	const found = new Set<T>();
	const visit = (nodes: Inline[]) => {
		for (const node of nodes) {
			if (node.t === 'mention') {
				const name = node.text.slice(1).toLowerCase();
				for (const m of members) if (m.name.toLowerCase() === name) found.add(m);
			} else if (node.t !== 'text') visit(node.children);
		}
	};
	for (const block of parseMessage(text, members.map((m) => ({ name: m.name, me: false })))) {
		if (block.t === 'p') visit(block.children);
		else block.items.forEach(visit);
	}
	return [...found];
}
