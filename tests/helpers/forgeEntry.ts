import * as A from '@automerge/automerge';
import { makeActorClaimMessage } from '../../src/lib/crypto/actorClaim.js';
import { paddingBlock, sealEntry, type EntryAuthor } from '../../src/lib/crypto/entry.js';
import {
	generateSignKeyPair,
	open,
	pad,
	randomBytes,
	seal,
	unpad,
	type SignKeyPair
} from '../../src/lib/crypto/primitives.js';
import { concatBytes } from '../../src/lib/protocol/bytes.js';
import { encodeCbor } from '../../src/lib/protocol/cbor.js';
import { ENTRY_HEADER_BYTES, EntryKind } from '../../src/lib/protocol/entry.js';

/**
 * Tools for building the entries an attacker would build: entries sealed with a real content key
 * but written by the wrong device, with forged claims, or with an inner layout that sealEntry
 * would never produce.
 */

export function newAuthor(device: SignKeyPair = generateSignKeyPair()): EntryAuthor {
	return { device, incarnation: randomBytes(16) };
}

/** A changes entry carrying `changes`, exactly as DocSync.commitLocal seals one. */
export function sealChanges(params: {
	contentKey: Uint8Array;
	doc: Uint8Array;
	epoch: number;
	author: EntryAuthor;
	counter: number;
	changes: Uint8Array[];
}): Uint8Array {
	return sealEntry({
		contentKey: params.contentKey,
		kind: EntryKind.changes,
		doc: params.doc,
		epoch: params.epoch,
		author: params.author,
		counter: params.counter,
		payload: encodeCbor({ c: params.changes })
	});
}

/**
 * One Automerge change made on top of `base` under `actor`, carrying an actor claim signed by
 * `claimer` when given (or the raw `message`).
 */
export function forgeChange<T>(
	base: A.Doc<T>,
	actor: string,
	fn: (doc: T) => void,
	claim?: { claimer: SignKeyPair; doc: Uint8Array } | { message: string }
): Uint8Array {
	const message =
		claim === undefined
			? undefined
			: 'message' in claim
				? claim.message
				: makeActorClaimMessage(claim.claimer, claim.doc, actor);
	const forked = A.clone(base, { actor } as A.InitOptions<T>);
	const changed = A.change(forked, message ? { message } : {}, fn as A.ChangeFn<T>);
	const change = A.getLastLocalChange(changed);
	if (!change) throw new Error('the forged change is empty');
	return change;
}

/** Decrypts an entry with its content key and returns its unpadded inner bytes. */
export function openInner(contentKey: Uint8Array, entry: Uint8Array): Uint8Array {
	const header = entry.subarray(0, ENTRY_HEADER_BYTES);
	const padded = open(contentKey, entry.subarray(ENTRY_HEADER_BYTES), header);
	if (!padded) throw new Error('not sealed under this content key');
	const inner = unpad(padded, padded.length);
	if (!inner) throw new Error('bad padding');
	return inner;
}

/**
 * Pads and seals arbitrary inner bytes under a header, as anyone holding the content key can:
 * the AEAD then checks out, so only the inner signature and layout checks stand in the way.
 */
export function sealInner(contentKey: Uint8Array, header: Uint8Array, inner: Uint8Array): Uint8Array {
	const padded = pad(inner, paddingBlock(inner.length));
	return concatBytes(header, seal(contentKey, padded, header));
}
