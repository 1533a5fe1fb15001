import type * as A from '@automerge/automerge';
import type { ConversationDoc } from '../model/conversation.js';
import { readSiblingKey } from '../model/siblingKey.js';
import { fromHex, toHex } from '../protocol/bytes.js';
import { isListed } from '../protocol/records.js';
import type { DocSync } from './DocSync.js';

/**
 * The sibling document (rule 7) of an announcements conversation this device syncs, by relay
 * id, as an administering device of its newest epoch named it ({@link readSiblingKey});
 * undefined for anything else. Devices here are device keys, not people: the sync layer checks
 * the chain as it stands.
 */
export function siblingKeyOf(sync: DocSync): string | undefined {
	if (!sync.handle.isReady()) return undefined;
	const doc = sync.handle.doc() as A.Doc<ConversationDoc> | undefined;
	if (!doc || doc.kind !== 'announcements') return undefined;
	return readSiblingKey(
		doc,
		(actor) => {
			const device = sync.deviceOfActor(actor);
			return device ? toHex(device) : undefined;
		},
		(device) => /^[0-9a-f]{64}$/.test(device) && isListed(sync.head.admins, fromHex(device))
	);
}
