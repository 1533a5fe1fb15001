import type { AttachmentDraft } from '../app/types.js';
import { MAX_THUMB_BYTES, MAX_WAVE_POINTS } from '../model/attachment.js';
import { stripImageMetadata } from './imageMetadata.js';

/**
 * Preparing files on the sender's device, in the browser: thumbnails for photos and waveforms
 * for voice notes. Both are made here, from the plaintext, and travel encrypted inside the
 * document, so receivers see them before (or without) downloading the file itself.
 */

/** Types shown as photos (with a thumbnail); anything else is sent as a plain file. */
const PHOTO_TYPES = new Set(['image/jpeg', 'image/png', 'image/gif', 'image/webp', 'image/avif']);

/** Longest side of a thumbnail in CSS pixels. */
const THUMB_SIDE = 320;

/** JPEG quality when a photo has to be re-encoded to shed its metadata. */
const REENCODE_QUALITY = 0.92;

/** Points in a voice note's waveform. */
const WAVE_POINTS = 64;

/** A picked, dropped or pasted file, ready to send. */
export async function draftFromFile(file: File): Promise<AttachmentDraft> {
	const bytes = new Uint8Array(await file.arrayBuffer());
	const mime = file.type || 'application/octet-stream';
	const name = file.name || 'file';
	if (PHOTO_TYPES.has(mime)) {
		const image = await thumbnail(file).catch(() => undefined);
		if (image) return { kind: 'image', ...(await withoutMetadata(file, name, mime, bytes)), ...image };
	}
	return { kind: 'file', name, mime, bytes };
}

/**
 * A photo's bytes without its location, device and editing metadata (`imageMetadata.ts`).
 * GIFs have no place for camera metadata and go as they are (re-encoding would stop an
 * animation); a photo the stripper can't clean (AVIF, or a file it doesn't understand) is
 * re-encoded from its pixels as a JPEG, which carries nothing else.
 */
async function withoutMetadata(
	file: Blob,
	name: string,
	mime: string,
	bytes: Uint8Array
): Promise<{ name: string; mime: string; bytes: Uint8Array }> {
	if (mime === 'image/gif') return { name, mime, bytes };
	const stripped = stripImageMetadata(bytes, mime);
	if (stripped.ok) return { name, mime, bytes: stripped.bytes };
	const bitmap = await createImageBitmap(file);
	try {
		const canvas = document.createElement('canvas');
		canvas.width = bitmap.width;
		canvas.height = bitmap.height;
		const ctx = canvas.getContext('2d');
		if (!ctx) throw new Error('no 2d canvas to re-encode the photo');
		ctx.drawImage(bitmap, 0, 0);
		const blob = await new Promise<Blob | null>((resolve) =>
			canvas.toBlob(resolve, 'image/jpeg', REENCODE_QUALITY)
		);
		if (!blob) throw new Error('the photo could not be re-encoded');
		const jpegName = name.replace(/\.[^./]*$/, '') + '.jpg';
		return { name: jpegName, mime: 'image/jpeg', bytes: new Uint8Array(await blob.arrayBuffer()) };
	} finally {
		bitmap.close();
	}
}

/** A thumbnail as a small JPEG, and the image's own size; undefined if the image can't be read. */
async function thumbnail(
	file: Blob
): Promise<{ thumb: Uint8Array; width: number; height: number } | undefined> {
	const bitmap = await createImageBitmap(file);
	try {
		const { width, height } = bitmap;
		if (!width || !height) return undefined;
		for (const [side, quality] of [
			[THUMB_SIDE, 0.7],
			[THUMB_SIDE * 0.6, 0.6],
			[THUMB_SIDE * 0.4, 0.5]
		]) {
			const scale = Math.min(1, side / Math.max(width, height));
			const canvas = document.createElement('canvas');
			canvas.width = Math.max(1, Math.round(width * scale));
			canvas.height = Math.max(1, Math.round(height * scale));
			const ctx = canvas.getContext('2d');
			if (!ctx) return undefined;
			ctx.drawImage(bitmap, 0, 0, canvas.width, canvas.height);
			const blob = await new Promise<Blob | null>((resolve) =>
				canvas.toBlob(resolve, 'image/jpeg', quality)
			);
			if (!blob) return undefined;
			const thumb = new Uint8Array(await blob.arrayBuffer());
			if (thumb.length <= MAX_THUMB_BYTES) return { thumb, width, height };
		}
		return undefined;
	} finally {
		bitmap.close();
	}
}

/** A recorded voice note, with its duration and waveform computed here. */
export async function draftFromRecording(
	recording: Blob,
	recordedMs: number,
	name: string
): Promise<AttachmentDraft> {
	const bytes = new Uint8Array(await recording.arrayBuffer());
	const mime = recording.type || 'audio/webm';
	const decoded = await decodeAudio(bytes).catch(() => undefined);
	const durationMs = decoded ? Math.round(decoded.duration * 1000) : Math.round(recordedMs);
	const wave = decoded ? waveform(decoded) : new Uint8Array(WAVE_POINTS).fill(40);
	return { kind: 'voice', name, mime, bytes, durationMs, wave };
}

async function decodeAudio(bytes: Uint8Array): Promise<AudioBuffer> {
	const context = new OfflineAudioContext(1, 1, 44_100);
	return context.decodeAudioData(bytes.slice().buffer);
}

/** Peak level per slice of the recording, scaled so the loudest is 255. */
function waveform(audio: AudioBuffer): Uint8Array {
	const samples = audio.getChannelData(0);
	const points = Math.min(WAVE_POINTS, MAX_WAVE_POINTS);
	const peaks = new Float32Array(points);
	const per = Math.max(1, Math.floor(samples.length / points));
	for (let p = 0; p < points; p++) {
		let peak = 0;
		for (let i = p * per; i < Math.min(samples.length, (p + 1) * per); i++) {
			peak = Math.max(peak, Math.abs(samples[i]));
		}
		peaks[p] = peak;
	}
	const loudest = Math.max(...peaks, 1e-6);
	return Uint8Array.from(peaks, (peak) => Math.max(8, Math.round((peak / loudest) * 255)));
}

/** The best recording type this browser offers (Chromium: WebM/Opus; Safari: MP4/AAC). */
export function recordingType(): string | undefined {
	if (typeof MediaRecorder === 'undefined') return undefined;
	for (const type of ['audio/webm;codecs=opus', 'audio/webm', 'audio/ogg;codecs=opus', 'audio/mp4']) {
		if (MediaRecorder.isTypeSupported(type)) return type;
	}
	return '';
}
