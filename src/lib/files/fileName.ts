/**
 * A received file's name as it may be shown and saved. The sender chooses the name, so it can
 * carry characters that change how the rest reads: a right-to-left override turns
 * "invoice‮fdp.exe" into what looks like "invoiceexe.pdf". Direction marks, embeddings,
 * overrides and isolates, other invisible format characters (the zero-width joiner, which emoji
 * need, stays), control characters and path separators are removed.
 */
const HIDDEN = /[\u0000-\u001f\u007f-\u009f\u061c\u200b\u200c\u200e\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff\ufff9-\ufffb/\\]/g;

/** The longest name shown or saved, in characters. */
const MAX_NAME = 200;

export function safeFileName(name: string, fallback = 'file'): string {
	const cleaned = [...name.replace(HIDDEN, '').trim()].slice(0, MAX_NAME).join('');
	return cleaned.length > 0 && cleaned !== '.' && cleaned !== '..' ? cleaned : fallback;
}
