import { equalBytes } from '../../src/lib/protocol/bytes.js';
import { EntryKind, parseEntryHeader } from '../../src/lib/protocol/entry.js';
import { RelayError } from '../../src/lib/protocol/errors.js';
import { MAX_ENTRY_BYTES } from '../limits.js';
import { requireDevice, requireReader, requireSize, type Handler } from './context.js';

/**
 * Snapshots (SECURITY-RULES.md, rule 14): one sealed snapshot entry per document, written by an
 * administering device, so a new device can load it and read only the tail of the log. The
 * relay can't open it; it checks only who uploads it and its clear header. Devices check the
 * signature, the heads and that the tail continues its counters, and fall back to the full log,
 * which is never compacted.
 */

/**
 * `snap.put`: only a device listed as an admin of the head may store a snapshot. `upTo` is the
 * last seq it covers and can't be beyond the log. A snapshot replaces the stored one only if it
 * covers more; `stored` says whether it did.
 */
export const put: Handler<'snap.put'> = (ctx, conn, req) => {
	requireDevice(conn);
	const doc = requireReader(ctx, conn, req.doc);
	if (!conn.deviceKey || !doc.admins.has(conn.deviceKey)) throw new RelayError('not-admin');
	requireSize(req.entry, MAX_ENTRY_BYTES, 'snapshot');

	const header = parseEntryHeader(req.entry);
	if (!header || header.kind !== EntryKind.snapshot) {
		throw new RelayError('bad-entry', 'not a snapshot entry');
	}
	if (!equalBytes(header.doc, doc.id)) {
		throw new RelayError('bad-entry', 'the header names another document');
	}
	if (header.epoch > doc.head.n) throw new RelayError('bad-entry', 'the epoch is beyond the head');
	if (req.upTo < 1 || req.upTo > doc.lastSeq) {
		throw new RelayError('bad-entry', 'upTo is not a seq of the log');
	}

	const stored = ctx.store.putSnapshot(doc.id, req.upTo, req.entry);
	ctx.log.info({ doc: doc.logId, upTo: req.upTo, bytes: req.entry.length, stored }, 'snapshot');
	return { stored };
};

/** `snap.get`: the latest snapshot, `{ upTo, entry }`, or `{}` when there is none. */
export const get: Handler<'snap.get'> = (ctx, conn, req) => {
	const doc = requireReader(ctx, conn, req.doc);
	const snapshot = ctx.store.getSnapshot(doc.id);
	return snapshot ? { upTo: snapshot.upTo, entry: snapshot.bytes } : {};
};
