import { sign, verify, Tag, type SignKeyPair } from '../crypto/primitives.js';
import { fromBase64Url, fromHex, toBase64Url, toHex, utf8 } from '../protocol/bytes.js';
import { isListed, verifyChain } from '../protocol/records.js';

/**
 * "Export for the record" (issue 8): a conversation or a task board as a readable, signed
 * archive for the clinical record. Two files:
 *
 * - `…​.json`: `{ format: 'tend-archive/v1', archive, chain, signature }`. `archive` is plain
 *   JSON a person can read; `signature` is the exporting device's Ed25519 signature under
 *   `tend/archive/v1` over the archive in canonical JSON (keys sorted, no spaces); `chain` is
 *   the document's signed genesis and epoch records, so a verifier can tell whether the signer
 *   administers or writes the document (`npm run audit:verify -- FILE`).
 * - `…​.html`: a printable view of the same archive. Every piece of user text is escaped, the
 *   page has no script and a Content-Security-Policy that allows none, so no message is ever
 *   interpreted as HTML.
 *
 * A board's archive has `columns` instead of `messages`: each card with its description,
 * assignee, due date, labels, checklist and comments, then the archived and deleted cards.
 */

export const ARCHIVE_FORMAT = 'tend-archive/v1';

export interface ArchiveMessage {
	id: string;
	/** Author's device key, hex. */
	author: string;
	authorName: string;
	sentAt: number;
	text: string;
	/** Files attached to the message: listed by name, size (bytes) and type; their bytes stay out. */
	attachments?: { name: string; size: number; mime: string }[];
}

export interface ArchiveCard {
	id: string;
	title: string;
	/** The description. */
	text: string;
	assigneeName?: string;
	/** YYYY-MM-DD. */
	due?: string;
	labels?: string[];
	checklist?: { text: string; done: boolean }[];
	comments?: { authorName: string; at: number; text: string }[];
	/** Files attached to the card: listed by name, size (bytes) and type; their bytes stay out. */
	attachments?: { name: string; size: number; mime: string }[];
}

export interface ArchiveColumn {
	title: string;
	cards: ArchiveCard[];
}

export interface ArchiveContent {
	kind: 'conversation' | 'board';
	/** The document's relay id, base64url. */
	doc: string;
	title: string;
	exportedAt: number;
	/** The exporting device's key (hex) and its person's name. */
	exportedBy: { device: string; name: string };
	members: { device: string; name: string; role: string }[];
	messages?: ArchiveMessage[];
	columns?: ArchiveColumn[];
}

export interface ArchiveFile {
	format: typeof ARCHIVE_FORMAT;
	archive: ArchiveContent;
	chain: string[];
	signature: { device: string; sig: string };
}

/** JSON with object keys sorted at every level: the bytes the signature covers. */
export function canonicalJson(value: unknown): string {
	if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
	if (value !== null && typeof value === 'object') {
		const entries = Object.entries(value as Record<string, unknown>)
			.filter(([, v]) => v !== undefined)
			.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
		return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
	}
	return JSON.stringify(value);
}

export function createArchiveFile(device: SignKeyPair, content: ArchiveContent, chain: Uint8Array[]): ArchiveFile {
	// Signed as it will read back from the file: values that don't survive JSON as they are
	// (a document's own string or list types, anything with its own toJSON) are settled first.
	const archive = JSON.parse(JSON.stringify(content)) as ArchiveContent;
	const bytes = utf8.encode(canonicalJson(archive));
	return {
		format: ARCHIVE_FORMAT,
		archive,
		chain: chain.map(toBase64Url),
		signature: { device: toHex(device.publicKey), sig: toBase64Url(sign(device.privateKey, Tag.archive, bytes)) }
	};
}

export type ArchiveVerification =
	| { ok: true; archive: ArchiveContent; signer: string; role: 'admin' | 'writer' }
	| { ok: false; why: string };

/** Checks an archive file's signature and that its signer administers or writes the document. */
export function verifyArchiveFile(text: string): ArchiveVerification {
	let file: ArchiveFile;
	let signer: Uint8Array;
	let sig: Uint8Array;
	let chain: Uint8Array[];
	let doc: Uint8Array;
	try {
		file = JSON.parse(text) as ArchiveFile;
		if (file?.format !== ARCHIVE_FORMAT || typeof file.archive !== 'object') {
			return { ok: false, why: 'not a Tend archive' };
		}
		signer = fromHex(file.signature.device);
		sig = fromBase64Url(file.signature.sig);
		chain = file.chain.map(fromBase64Url);
		doc = fromBase64Url(file.archive.doc);
	} catch {
		return { ok: false, why: 'not a Tend archive (unreadable)' };
	}
	const bytes = utf8.encode(canonicalJson(file.archive));
	if (!verify(signer, sig, Tag.archive, bytes)) {
		return { ok: false, why: 'the signature does not verify: the archive was changed after it was signed, or the signature is forged' };
	}
	const verified = verifyChain(doc, chain);
	if (!verified.ok) return { ok: false, why: "the document's own records do not verify" };
	const admin = verified.value.some((epoch) => isListed(epoch.admins, signer));
	const writer = verified.value.some((epoch) => isListed(epoch.writers, signer));
	if (!admin && !writer) return { ok: false, why: 'the signer is not a member of the document' };
	return { ok: true, archive: file.archive, signer: toHex(signer), role: admin ? 'admin' : 'writer' };
}

const ESCAPES: Record<string, string> = {
	'&': '&amp;',
	'<': '&lt;',
	'>': '&gt;',
	'"': '&quot;',
	"'": '&#39;'
};

/** Escapes text for HTML element content and attribute values. */
export function escapeHtml(text: string): string {
	return text.replace(/[&<>"']/g, (c) => ESCAPES[c]);
}

/** Labels for the printable view, in the exporting person's language. */
export interface ArchiveLabels {
	heading: string;
	exportedAt: string;
	exportedBy: string;
	members: string;
	messages: string;
	/** Words for a card's details in the printable view of a board. */
	card?: { assignee: string; due: string; labels: string; checklist: string; comments: string };
	signature: string;
	verifyHint: string;
	formatTime: (ms: number) => string;
}

/**
 * The printable view. Only escaped text goes into the page; the page loads nothing and runs
 * nothing (`default-src 'none'`).
 */
export function renderArchiveHtml(file: ArchiveFile, labels: ArchiveLabels, lang: string): string {
	const a = file.archive;
	const e = escapeHtml;
	const members = a.members.map((m) => `<li>${e(m.name)} <span class="id">${e(m.device.slice(0, 8))}</span></li>`).join('');
	const messages = (a.messages ?? [])
		.map(
			(m) =>
				`<article><header><strong>${e(m.authorName)}</strong> <time>${e(labels.formatTime(m.sentAt))}</time></header><p>${e(m.text)}</p>${(m.attachments ?? []).map((a) => `<p class="file">📎 ${e(a.name)} (${e(String(a.size))} B)</p>`).join('')}</article>`
		)
		.join('\n');
	const words = labels.card;
	const cardHtml = (card: ArchiveCard) => {
		const facts = [
			card.assigneeName && words ? `${e(words.assignee)}: ${e(card.assigneeName)}` : '',
			card.due && words ? `${e(words.due)}: ${e(card.due)}` : '',
			card.labels?.length && words ? `${e(words.labels)}: ${card.labels.map(e).join(', ')}` : ''
		].filter(Boolean);
		const checklist = (card.checklist ?? [])
			.map((item) => `<li>${item.done ? '☑' : '☐'} ${e(item.text)}</li>`)
			.join('');
		const comments = (card.comments ?? [])
			.map((c) => `<li><strong>${e(c.authorName)}</strong> <time>${e(labels.formatTime(c.at))}</time><p>${e(c.text)}</p></li>`)
			.join('');
		return `<article><strong>${e(card.title)}</strong>${facts.length ? `<p class="facts">${facts.join(' · ')}</p>` : ''}${card.text ? `<p>${e(card.text)}</p>` : ''}${checklist ? `<ul class="checklist" aria-label="${e(words?.checklist ?? '')}">${checklist}</ul>` : ''}${comments ? `<ul class="comments" aria-label="${e(words?.comments ?? '')}">${comments}</ul>` : ''}${(card.attachments ?? []).map((f) => `<p class="file">📎 ${e(f.name)} (${e(String(f.size))} B)</p>`).join('')}</article>`;
	};
	const columns = (a.columns ?? [])
		.map((c) => `<section><h3>${e(c.title)}</h3>${c.cards.map(cardHtml).join('')}</section>`)
		.join('\n');
	return `<!doctype html>
<html lang="${e(lang)}">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<title>${e(labels.heading)}</title>
<style>
body{font:15px/1.5 system-ui,sans-serif;max-width:46rem;margin:2rem auto;padding:0 1rem;color:#111}
article{border-top:1px solid #ccc;padding:.4rem 0}
p{white-space:pre-wrap;overflow-wrap:anywhere;margin:.2rem 0}
time,.id,dd{color:#444}
.sig{font-family:monospace;overflow-wrap:anywhere;font-size:12px}
.facts{color:#444}
ul.checklist,ul.comments{list-style:none;padding-left:1rem}
</style>
</head>
<body>
<h1>${e(labels.heading)}</h1>
<h2>${e(a.title)}</h2>
<dl>
<dt>${e(labels.exportedAt)}</dt><dd>${e(labels.formatTime(a.exportedAt))}</dd>
<dt>${e(labels.exportedBy)}</dt><dd>${e(a.exportedBy.name)} <span class="id">${e(a.exportedBy.device.slice(0, 8))}</span></dd>
</dl>
<h2>${e(labels.members)}</h2>
<ul>${members}</ul>
${a.messages ? `<h2>${e(labels.messages)}</h2>\n${messages}` : ''}
${columns}
<h2>${e(labels.signature)}</h2>
<p class="sig">${e(file.signature.device)}<br>${e(file.signature.sig)}</p>
<p>${e(labels.verifyHint)}</p>
</body>
</html>
`;
}
