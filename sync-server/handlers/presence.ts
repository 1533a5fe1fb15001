import { equalBytes } from '../../src/lib/protocol/bytes.js';
import { RelayError } from '../../src/lib/protocol/errors.js';
import { encodeFrame } from '../../src/lib/protocol/frames.js';
import { parsePresenceHeader, PRESENCE_FRAME_BYTES } from '../../src/lib/protocol/presence.js';
import { requireDevice, requireReader, type Handler } from './context.js';

/**
 * `presence`: forwards a sealed presence frame to the document's other subscribers, as it came,
 * and stores nothing (docs/protocol.md, "Presence"). Only a connection that proved the document's
 * access key may send one, within its own rate limit. The relay checks the clear header alone: the
 * fixed size (rule 20), the kind, this document and an epoch the chain has.
 */
export const presence: Handler<'presence'> = (ctx, conn, req) => {
	requireDevice(conn);
	const doc = requireReader(ctx, conn, req.doc);
	if (!conn.presenceBucket.take()) throw new RelayError('rate-limited', 'too many presence frames');
	const header = parsePresenceHeader(req.frame);
	if (!header) {
		throw new RelayError('bad-frame', `a presence frame is exactly ${PRESENCE_FRAME_BYTES} bytes`);
	}
	if (!equalBytes(header.doc, doc.id)) throw new RelayError('bad-frame', 'the header names another document');
	if (header.epoch > doc.head.n) throw new RelayError('bad-frame', 'the epoch is beyond the head');

	const bytes = encodeFrame({ t: 'presence', doc: doc.id, frame: req.frame });
	for (const sub of doc.subs) {
		if (sub.conn === conn) continue;
		sub.conn.sendBytes(bytes);
	}
	return {};
};
