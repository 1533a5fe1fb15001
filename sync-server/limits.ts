import { MAX_FRAME_BYTES } from '../src/lib/protocol/frames.js';

/**
 * Sizes and rates the relay enforces. Each one bounds what a single device can make the relay
 * hold in memory or on disk; the reason for each number is next to it.
 */

/** `ws` closes the socket for messages above this; frames between this and 1 MiB get an `err`. */
export const MAX_PAYLOAD_BYTES = 2 * MAX_FRAME_BYTES;

/**
 * An entry must fit, with its `entries` frame around it (81 bytes of CBOR at most), under
 * MAX_FRAME_BYTES, or a device would refuse the frame that delivers it. The app's `sealEntry`
 * (src/lib/crypto/entry.ts) refuses to seal more than this, so the two limits must agree.
 */
export { MAX_ENTRY_BYTES } from '../src/lib/protocol/entry.js';

/** Genesis and epoch records: two key lists of ≤ 1000 keys each and a sealed secret. */
export const MAX_RECORD_BYTES = 256 * 1024;

/** A key envelope holds one sealed 32-byte secret and a signature: tiny. */
export const MAX_ENVELOPE_BYTES = 64 * 1024;

/** The sealed invite details and the sealed invitee profile (a name). */
export const MAX_INVITE_INFO_BYTES = 64 * 1024;
export const MAX_PROFILE_BYTES = 16 * 1024;

/** The relay refuses invites that stay claimable for longer than this (30 days, in ms). */
export const MAX_INVITE_LIFETIME_MS = 30 * 24 * 60 * 60 * 1000;

/** Invites are deleted this long after they expired (30 days, in ms), whatever their state. */
export const INVITE_RETENTION_MS = 30 * 24 * 60 * 60 * 1000;

/** Unexpired invites one device may hold at once. */
export const MAX_INVITES_PER_DEVICE = 1000;

/** Undelivered envelopes one device may have waiting; a full mailbox refuses more. */
export const MAX_MAILBOX_ITEMS = 10_000;

/**
 * Outgoing frames are packed up to this many bytes of items, well under MAX_FRAME_BYTES, so a
 * catch-up streams in steps a device can apply and acknowledge without stalling its UI.
 */
export const FRAME_ITEMS_BUDGET = 256 * 1024;

/** One catch-up step reads at most this many entries or bytes before yielding the event loop. */
export const CATCH_UP_ROWS = 512;
export const CATCH_UP_BYTES = 2 * 1024 * 1024;

/**
 * A socket whose unsent data exceeds this is too slow to keep up: catch-up pauses above
 * {@link SLOW_SOCKET_BYTES}, and live fan-out closes it above {@link DEAD_SOCKET_BYTES} (the
 * device reconnects and catches up from its cursor, which costs the relay nothing extra).
 */
export const SLOW_SOCKET_BYTES = 1024 * 1024;
export const DEAD_SOCKET_BYTES = 32 * 1024 * 1024;

/** Per-connection token bucket: sustained frames per second and burst. Generous for one device. */
export const DEFAULT_RATE_PER_SECOND = 500;
export const DEFAULT_RATE_BURST = 2000;

/** Ping interval; a socket that missed one pong by the next ping is terminated. */
export const HEARTBEAT_MS = 30_000;

/**
 * An upload with no new part for this long (24 h, in ms) is abandoned and deleted: long enough
 * for a phone that lost its signal overnight to resume, short enough that half-uploads don't
 * pile up against the quota.
 */
export const BLOB_UPLOAD_TTL_MS = 24 * 60 * 60 * 1000;

/**
 * Presence frames per connection (across its documents): a device sends one per document when
 * it connects and every few minutes, one every 20 s for the conversation on screen, and typing
 * at most every 3 s. Anything faster is refused with `rate-limited` and not forwarded, so one
 * device can't make the relay flood a document's other members.
 */
export const PRESENCE_RATE_PER_SECOND = 4;
export const PRESENCE_BURST = 30;
