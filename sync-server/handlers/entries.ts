import { RelayError } from '../../src/lib/protocol/errors.js';
import { entryId, parseEntryHeader } from '../../src/lib/protocol/entry.js';
import { equalBytes } from '../../src/lib/protocol/bytes.js';
import { MAX_ENTRY_BYTES } from '../limits.js';
import { Subscription } from '../Subscription.js';
import {
	DEFERRED,
	requireDevice,
	requireReader,
	requireSize,
	type Handler
} from './context.js';

/**
 * The entry log: `sub` and `unsub` to read, `push` to write. The relay reads only an entry's
 * clear header (rule 8); the rest is ciphertext it stores and forwards.
 */

/**
 * `sub`: answers with the last seq, then sends the entries after `after` and, once caught up,
 * new ones as they are committed (see {@link Subscription}). A device whose cursor is beyond
 * the answered seq is ahead of this relay (restored from an older backup) and should subscribe
 * again from that seq.
 */
export const sub: Handler<'sub'> = (ctx, conn, req) => {
	const doc = requireReader(ctx, conn, req.doc);
	conn.subscribe(new Subscription(conn, doc, req.after, ctx.store));
	return { seq: doc.lastSeq };
};

/** `unsub`: stops the subscription, if any; the document stays open on the connection. */
export const unsub: Handler<'unsub'> = (_ctx, conn, req) => {
	for (const doc of conn.subs.keys()) {
		if (equalBytes(doc.id, req.doc)) conn.unsubscribe(doc);
	}
	return {};
};

/**
 * `push`: only a listed writer of the head may write (rule 7), and only entries whose header
 * names this document and an epoch the chain has (rule 8). The answer comes after the batch
 * holding the entry is committed (`PushBatcher`).
 */
export const push: Handler<'push'> = (ctx, conn, req) => {
	requireDevice(conn);
	const doc = requireReader(ctx, conn, req.doc);
	if (!conn.deviceKey || !doc.writers.has(conn.deviceKey)) throw new RelayError('not-writer');
	requireSize(req.entry, MAX_ENTRY_BYTES, 'entry');

	const header = parseEntryHeader(req.entry);
	if (!header) throw new RelayError('bad-entry', 'malformed entry header');
	if (!equalBytes(header.doc, doc.id)) {
		throw new RelayError('bad-entry', 'the header names another document');
	}
	if (header.epoch > doc.head.n) throw new RelayError('bad-entry', 'the epoch is beyond the head');
	// An entry under a key a rotation replaced could be read by the device it removed; devices
	// seal such entries again under the head (rule 9).
	if (!equalBytes(doc.accessPks[header.epoch], doc.head.accessPk)) {
		throw new RelayError('bad-entry', 'the epoch’s key was replaced');
	}

	ctx.batcher.add({ conn, rid: req.rid, doc, entry: req.entry, id: entryId(req.entry) });
	return DEFERRED;
};
