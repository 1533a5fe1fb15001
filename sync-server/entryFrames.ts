import { encodeEntries } from '../src/lib/protocol/fastFrames.js';
import type { Item } from '../src/lib/protocol/frames.js';
import { FRAME_ITEMS_BUDGET } from './limits.js';

/**
 * Packs items into `entries` frames of at most FRAME_ITEMS_BUDGET bytes of payload each. An
 * item larger than the budget travels alone; MAX_ENTRY_BYTES keeps such a frame under
 * MAX_FRAME_BYTES.
 */
export function entryFrames(doc: Uint8Array, items: Item[]): Uint8Array[] {
	const frames: Uint8Array[] = [];
	let group: Item[] = [];
	let bytes = 0;
	for (const item of items) {
		if (group.length > 0 && bytes + item.b.length > FRAME_ITEMS_BUDGET) {
			frames.push(encodeEntries(doc, group));
			group = [];
			bytes = 0;
		}
		group.push(item);
		bytes += item.b.length;
	}
	if (group.length > 0) frames.push(encodeEntries(doc, group));
	return frames;
}
