import * as A from '@automerge/automerge';
import { makeActorClaimMessage } from '../../src/lib/crypto/actorClaim.js';
import { deriveContentKey } from '../../src/lib/crypto/documentKeys.js';
import { sealEntry, type EntryAuthor } from '../../src/lib/crypto/entry.js';
import { generateSignKeyPair, randomBytes } from '../../src/lib/crypto/primitives.js';
import { toHex } from '../../src/lib/protocol/bytes.js';
import { encodeCbor } from '../../src/lib/protocol/cbor.js';
import { EntryKind } from '../../src/lib/protocol/entry.js';
import {
	appendMessage,
	initialConversation,
	type ConversationDoc
} from '../../src/lib/model/conversation.js';
import { createGenesis } from '../../src/lib/sync/documentRecords.js';

/**
 * Entries as the relay sees them, for load generation.
 *
 * @remarks
 * Each template is a real entry: a corpus sentence appended to a conversation as one Automerge
 * change, wrapped the way `DocSync.commitLocal` wraps it (`{ c: [change] }`), and sealed with
 * `sealEntry` under a real content key and device key. Most land in the 512-byte padding bucket
 * (592 bytes on the wire); long sentences take the next one.
 *
 * {@link stampEntry} then copies a template into the load's document and overwrites the first
 * 16 bytes of its nonce with the sender, a counter and the send time. The relay can't tell (the
 * nonce is random bytes to it; it reads only the 40-byte header), but the entry is unique, so
 * the relay stores it rather than answering `dup`, and any receiver can read when it was sent.
 * Only a device holding the key would notice that it no longer opens.
 */

/** Offset of the stamp inside the entry: the XChaCha20 nonce, right after the 40-byte header. */
const STAMP_OFFSET = 40;
/** Offset of the document id in the header (docs/protocol.md, "Entries"). */
const DOC_OFFSET = 4;

export interface Stamp {
	sender: number;
	counter: number;
	/** `performance.now()` in the sending process when the entry was stamped (ms). */
	sentAt: number;
}

/** `count` sealed change entries carrying consecutive corpus sentences. */
export function sealedTemplates(messages: string[], count: number): Uint8Array[] {
	const author: EntryAuthor = { device: generateSignKeyPair(), incarnation: randomBytes(16) };
	const created = createGenesis(author.device, 'conversation');
	const contentKey = deriveContentKey(created.secret, created.doc, 0);
	const authorHex = toHex(author.device.publicKey);

	let doc = A.init<ConversationDoc>();
	const actor = A.getActorId(doc);
	const claim = makeActorClaimMessage(author.device, created.doc, actor);
	doc = A.change(doc, { message: claim }, initialConversation('Bench', authorHex, 'Dr. B', 0));

	const templates: Uint8Array[] = [];
	for (let i = 0; i < count; i++) {
		const message = {
			id: crypto.randomUUID(),
			author: authorHex,
			sentAt: Date.now(),
			text: messages[i % messages.length]
		};
		doc = A.change(doc, (d) => appendMessage(d, message));
		const change = A.getLastLocalChange(doc);
		if (!change) throw new Error('appending a message made no change');
		templates.push(
			sealEntry({
				contentKey,
				kind: EntryKind.changes,
				doc: created.doc,
				epoch: 0,
				author,
				counter: i + 1,
				payload: encodeCbor({ c: [change] })
			})
		);
	}
	return templates;
}

/** A copy of `template` addressed to `doc` and carrying `stamp` in its nonce. */
export function stampEntry(template: Uint8Array, doc: Uint8Array, stamp: Stamp): Uint8Array {
	const entry = template.slice();
	entry.set(doc, DOC_OFFSET);
	const view = new DataView(entry.buffer, entry.byteOffset + STAMP_OFFSET, 16);
	view.setUint16(0, stamp.sender);
	view.setUint16(2, 0);
	view.setUint32(4, stamp.counter);
	view.setFloat64(8, stamp.sentAt);
	return entry;
}

/** The stamp {@link stampEntry} wrote. */
export function readStamp(entry: Uint8Array): Stamp {
	const view = new DataView(entry.buffer, entry.byteOffset + STAMP_OFFSET, 16);
	return { sender: view.getUint16(0), counter: view.getUint32(4), sentAt: view.getFloat64(8) };
}
