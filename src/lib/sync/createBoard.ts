import { toHex } from '../protocol/bytes.js';
import { initialBoard, newBoardId, type BoardDoc } from '../model/board.js';
import type { DocSync, DocSyncContext } from './DocSync.js';
import { createDocument } from './createDocument.js';

/**
 * Creates a task board on this device. Its starting columns are made by the board's first
 * change, with every container, never later by whichever device opens it first (rule 19).
 */
export async function createBoard(
	ctx: DocSyncContext,
	params: { title: string; creatorName: string; columns: string[]; now?: number }
): Promise<DocSync> {
	return createDocument<BoardDoc>(
		ctx,
		initialBoard({
			title: params.title,
			creatorHex: toHex(ctx.author.device.publicKey),
			creatorName: params.creatorName,
			now: params.now ?? Date.now(),
			columns: params.columns.map((title) => ({ id: newBoardId(), title }))
		})
	);
}
