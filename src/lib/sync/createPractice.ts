import { toHex } from '../protocol/bytes.js';
import { initialPractice, type PracticeDoc } from '../model/practice.js';
import type { DocSync, DocSyncContext } from './DocSync.js';
import { createDocument } from './createDocument.js';

/**
 * Creates a practice directory on this device (issue 7): this device administers it and is its
 * only writer, and its owner is the first member. Colleagues are let in as readers (rule 7).
 */
export async function createPractice(
	ctx: DocSyncContext,
	params: { name: string; ownerName: string; relay: string; now?: number }
): Promise<DocSync> {
	const ownerHex = toHex(ctx.author.device.publicKey);
	return createDocument<PracticeDoc>(
		ctx,
		initialPractice({
			name: params.name,
			relay: params.relay,
			ownerHex,
			ownerName: params.ownerName,
			now: params.now ?? Date.now()
		})
	);
}
