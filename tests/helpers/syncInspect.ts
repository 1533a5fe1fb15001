import * as A from '@automerge/automerge';
import { deriveContentKey } from '../../src/lib/crypto/documentKeys.js';
import { openEntry } from '../../src/lib/crypto/entry.js';
import { toBase64Url } from '../../src/lib/protocol/bytes.js';
import { decodeCbor } from '../../src/lib/protocol/cbor.js';
import { readMessages, type ConversationDoc } from '../../src/lib/model/conversation.js';
import type { SealedStore } from '../../src/lib/sync/SealedStore.js';
import type { DocSync } from '../../src/lib/sync/DocSync.js';

/** Read-only views of a DocSync's document, store and log, for assertions. */

export function docOf(sync: DocSync): A.Doc<ConversationDoc> {
	return sync.handle.doc() as A.Doc<ConversationDoc>;
}

export function headsOf(sync: DocSync): string[] {
	return [...A.getHeads(docOf(sync))].sort();
}

export function messageIds(sync: DocSync): string[] {
	return readMessages(docOf(sync)).map((m) => m.id);
}

export function inboxOf(store: SealedStore, doc: Uint8Array) {
	return store.loadRange(['tend', 'inbox', toBase64Url(doc)]);
}

/**
 * Opens every entry of a log with the document's generation-0 secret and returns the hashes of
 * the Automerge changes each carries (undefined for an entry that doesn't open).
 */
export function changeHashesPerEntry(
	entries: Uint8Array[],
	doc: Uint8Array,
	secret: Uint8Array
): (string[] | undefined)[] {
	const key = deriveContentKey(secret, doc, 0);
	return entries.map((bytes) => {
		const opened = openEntry(bytes, doc, () => key);
		if (!opened.ok) return undefined;
		const { c } = decodeCbor(opened.entry.payload) as { c: Uint8Array[] };
		return c.map((change) => A.decodeChange(change).hash);
	});
}

