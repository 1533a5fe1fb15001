import { verifyDeviceAuth } from '../../src/lib/protocol/auth.js';
import { equalBytes } from '../../src/lib/protocol/bytes.js';
import { RelayError } from '../../src/lib/protocol/errors.js';
import type { Handler } from './context.js';

/**
 * `hello`: the device proves its signing key over this connection's challenge and origin.
 * From then on the connection may write as that device (if a document lists it) and receives
 * its claims and mail. One device per connection: a second `hello` must name the same key.
 */
export const hello: Handler<'hello'> = (ctx, conn, req) => {
	if (conn.device) {
		if (equalBytes(conn.device, req.device)) return {};
		throw new RelayError('bad-frame', 'this connection is authenticated as another device');
	}
	if (!verifyDeviceAuth(req.device, req.sig, conn.origin, conn.challenge)) {
		throw new RelayError('bad-signature', 'device proof does not verify');
	}
	ctx.connections.authenticate(conn, req.device);
	return {};
};

/** `ping`: answers at once; devices use it to notice a connection that silently died. */
export const ping: Handler<'ping'> = () => ({});
