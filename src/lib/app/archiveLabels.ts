import type { ArchiveLabels } from '../audit/archive.js';
import { formatFullDateTime } from '../ui/formatTime.js';
import { t } from '../ui/strings.js';

/**
 * What an exported archive is called and how its printable view is worded, in the exporting
 * person's language (conversations and boards share the archive format, `audit/archive.ts`).
 */

/** "Check-ins" → "check-ins"; only letters, digits and dashes reach a file name. */
export function fileSlug(title: string, fallback: string): string {
	const slug = title
		.normalize('NFKD')
		.toLowerCase()
		.replace(/[^\p{L}\p{N}]+/gu, '-')
		.replace(/^-+|-+$/g, '')
		.slice(0, 40);
	return slug || fallback;
}

/** `tend-<title>-<YYYY-MM-DD>`, the name both files of an export share. */
export function archiveBaseName(title: string, at: number, fallback: string): string {
	return `tend-${fileSlug(title, fallback)}-${new Date(at).toISOString().slice(0, 10)}`;
}

export function archiveLabels(kind: 'conversation' | 'board'): ArchiveLabels {
	return {
		heading: kind === 'board' ? t('archive.boardHeading') : t('archive.heading'),
		exportedAt: t('archive.exportedAt'),
		exportedBy: t('archive.exportedBy'),
		members: t('archive.members'),
		messages: t('archive.messages'),
		card: {
			assignee: t('archive.cardAssignee'),
			due: t('archive.cardDue'),
			labels: t('archive.cardLabels'),
			checklist: t('archive.cardChecklist'),
			comments: t('archive.cardComments')
		},
		signature: t('archive.signature'),
		verifyHint: t('archive.verifyHint'),
		formatTime: formatFullDateTime
	};
}
