import type { FileTransfers } from '../files/FileTransfers.js';
import type { AttachmentInput } from '../model/attachment.js';
import { toHex } from '../protocol/bytes.js';
import type { AttachmentStatus, AttachmentView } from './types.js';
import { safeFileName } from '../files/fileName.js';

/**
 * Raster image and audio types a browser may render from a blob URL. Anything else (HTML, SVG,
 * PDF, scripts) is handed out as `application/octet-stream`, so opening an attachment can only
 * ever download it, never run it in the app's origin.
 */
const SHOWN_IMAGES = new Set(['image/jpeg', 'image/png', 'image/gif', 'image/webp', 'image/avif']);
const PLAYED_AUDIO = /^audio\/(webm|ogg|mp4|mpeg|aac|wav|x-wav)(;.*)?$/;

export function safeBlobType(kind: string, mime: string): string {
	if (kind === 'image' && SHOWN_IMAGES.has(mime)) return mime;
	if (kind === 'voice' && PLAYED_AUDIO.test(mime)) return mime;
	return 'application/octet-stream';
}

/** `data:` URLs of thumbnails, made once per blob (they never change). */
const thumbnails = new Map<string, string>();

function thumbnailUrl(id: string, thumb: Uint8Array): string {
	let url = thumbnails.get(id);
	if (!url) {
		let binary = '';
		for (const byte of thumb) binary += String.fromCharCode(byte);
		url = `data:image/jpeg;base64,${btoa(binary)}`;
		thumbnails.set(id, url);
	}
	return url;
}

/** What the UI shows of one attachment, with its transfer state on this device. */
export function attachmentView(
	a: AttachmentInput,
	files: FileTransfers | undefined,
	docKey: string
): AttachmentView {
	const id = toHex(a.blob);
	const transfer = files?.state(docKey, id);
	let status: AttachmentStatus = files?.has(docKey, id) ? 'saved' : 'remote';
	let progress: number | undefined;
	switch (transfer?.state) {
		case 'queued':
			status = 'queued';
			break;
		case 'uploading':
		case 'downloading':
			status = transfer.state;
			progress = transfer.progress;
			break;
		case 'refused':
			status = transfer.code === 'quota-exceeded' ? 'refused-quota' : 'refused-size';
			break;
		case 'unavailable':
			status = 'unavailable';
			break;
		case 'failed':
			status = transfer.code === 'offline' ? 'offline' : 'damaged';
			break;
	}
	const view: AttachmentView = {
		id,
		kind: a.kind,
		// The sender chose the name: shown and saved without characters that disguise it.
		name: safeFileName(a.name),
		mime: a.mime,
		size: a.size,
		status
	};
	if (progress !== undefined) view.progress = progress;
	if (a.kind === 'image' && a.thumb) view.thumbnail = thumbnailUrl(id, a.thumb);
	if (a.width) view.width = a.width;
	if (a.height) view.height = a.height;
	if (a.durationMs !== undefined) view.durationMs = a.durationMs;
	if (a.wave) view.wave = [...a.wave].map((v) => v / 255);
	return view;
}
