import { RelayError, type ErrorCode } from '../../src/lib/protocol/errors.js';
import type { Request, RequestType } from '../../src/lib/protocol/frames.js';
import type { Connection } from '../Connection.js';
import type { ConnectionRegistry } from '../ConnectionRegistry.js';
import type { DocRegistry, DocState } from '../DocRegistry.js';
import type { Logger } from '../log.js';
import type { PushBatcher } from '../PushBatcher.js';
import type { Store } from '../store/Store.js';
import type { BlobLimits } from './blobs.js';
import type { Admission } from '../admission.js';

/** What every request handler can reach. */
export interface RelayContext {
	store: Store;
	docs: DocRegistry;
	batcher: PushBatcher;
	connections: ConnectionRegistry;
	log: Logger;
	/** Size limit, quota and upload expiry for blobs. */
	blobs: BlobLimits;
	/** Wall-clock time in ms (invite expiry). */
	now: () => number;
	/** Which connections may create documents and invites. */
	admission: Admission;
}

/** Returned by a handler that answers later itself (`push` answers after the commit). */
export const DEFERRED = Symbol('deferred');

/** The fields of the `ok` answer (besides `t` and `rid`). */
export type OkFields = Record<string, unknown>;

/**
 * Handles one decoded, schema-checked request. It returns the `ok` fields, or throws a
 * {@link RelayError} whose code becomes the `err` answer; any other throw is answered
 * `internal` and logged.
 */
export type Handler<T extends RequestType> = (
	ctx: RelayContext,
	conn: Connection,
	req: Request<T>
) => OkFields | typeof DEFERRED;

/** The device proved by `hello`; throws `unauthenticated` before that. */
export function requireDevice(conn: Connection): Uint8Array {
	if (!conn.device) throw new RelayError('unauthenticated');
	return conn.device;
}

/**
 * Refuses `not-admitted` unless the connection presented a practice admission token (or the
 * relay admits everyone): only admitted devices create storage at this relay.
 */
export function requireAdmitted(ctx: RelayContext, conn: Connection): void {
	if (ctx.admission.required && !conn.admitted) throw new RelayError('not-admitted');
}

export function requireDoc(ctx: RelayContext, doc: Uint8Array): DocState {
	const state = ctx.docs.get(doc);
	if (!state) throw new RelayError('unknown-doc');
	return state;
}

/** The document, if this connection opened it with a valid access proof (`no-access` if not). */
export function requireReader(ctx: RelayContext, conn: Connection, doc: Uint8Array): DocState {
	const state = requireDoc(ctx, doc);
	if (!conn.opened.has(state)) throw new RelayError('no-access');
	return state;
}

export function requireSize(bytes: Uint8Array, max: number, what: string): void {
	if (bytes.length > max) throw new RelayError('too-large', `${what} is larger than ${max} bytes`);
}

/**
 * Reasons from src/lib/protocol/records.ts that have their own error code; every other reason
 * (a malformed record) is `bad-record`. The reasons are fixed strings without user data, so
 * they go back to the device as the message.
 */
const RECORD_REFUSALS = new Map<string, ErrorCode>([
	['bad signature', 'bad-signature'],
	['does not extend the head', 'conflict'],
	['signer does not administer the document', 'not-admin']
]);

export function recordRefusal(why: string): RelayError {
	return new RelayError(RECORD_REFUSALS.get(why) ?? 'bad-record', why);
}
