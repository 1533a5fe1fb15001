import { getContext, setContext } from 'svelte';

/**
 * How a message's attachments reach the open conversation: set by the conversation page, read
 * by attachment components, so the message list and items need no extra props.
 */
export interface AttachmentOpener {
	/** The attachment's checked content (see `ConversationHandle.openAttachment`). */
	open(id: string): Promise<Blob>;
}

const KEY = Symbol('tend-attachments');

export function setAttachmentOpener(opener: AttachmentOpener): void {
	setContext(KEY, opener);
}

export function getAttachmentOpener(): AttachmentOpener | undefined {
	return getContext<AttachmentOpener | undefined>(KEY);
}

/** "1.2 MB" in the UI language. */
export function formatSize(bytes: number, locale: string): string {
	const units = ['byte', 'kilobyte', 'megabyte', 'gigabyte'] as const;
	let value = bytes;
	let unit = 0;
	while (value >= 1000 && unit < units.length - 1) {
		value /= 1000;
		unit++;
	}
	return new Intl.NumberFormat(locale, {
		style: 'unit',
		unit: units[unit],
		// Short units read "85 byte" in English: bytes are written out ("85 bytes", "85 байт").
		unitDisplay: unit === 0 ? 'long' : 'short',
		maximumFractionDigits: unit === 0 ? 0 : 1
	}).format(value);
}

/** "1:05" for a duration in ms. */
export function formatDuration(ms: number): string {
	const seconds = Math.max(0, Math.round(ms / 1000));
	return `${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, '0')}`;
}
