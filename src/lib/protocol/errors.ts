/**
 * Every error code the relay can send, with what it means. The app branches on these; the text
 * that goes with a code is for logs and tests and never contains user data.
 */
export const ErrorCodes = {
	'bad-frame': 'the frame is not valid CBOR or does not match the protocol',
	'too-large': 'the frame is larger than the relay accepts',
	unauthenticated: 'send hello with a valid device signature first',
	'bad-signature': 'a signature or proof did not verify',
	'unknown-doc': 'no document with this id is registered',
	exists: 'a document with this id is already registered',
	'no-access': 'open the document with a valid access proof first',
	'not-writer': 'this device is not a writer of the document',
	'not-admin': 'this device does not administer the document',
	conflict: 'the epoch record does not extend the current head',
	'bad-entry': 'the entry header does not match the document or epoch',
	'bad-record': 'the record is malformed',
	'invite-unknown': 'no invite with this id',
	'invite-claimed': 'the invite was already claimed',
	'invite-expired': 'the invite has expired',
	'invite-revoked': 'the invite was revoked',
	'not-inviter': 'only the device that created the invite may do this',
	'blob-too-large': 'the file is larger than this relay accepts',
	'quota-exceeded': 'the document has used up its storage for files at this relay',
	'unknown-blob': 'no complete blob with this id in this document',
	'bad-blob': 'the uploaded bytes do not match the blob id or size',
	'rate-limited': 'too many requests; slow down',
	'not-admitted':
		'this relay stores documents only for practices it admits: the relay address lacks a valid admission token',
	internal: 'the relay failed; the request can be retried'
} as const;

export type ErrorCode = keyof typeof ErrorCodes;

export function isErrorCode(value: unknown): value is ErrorCode {
	return typeof value === 'string' && Object.hasOwn(ErrorCodes, value);
}

/** An error the relay reported for a request. */
export class RelayError extends Error {
	override name = 'RelayError';
	constructor(
		readonly code: ErrorCode,
		message: string = ErrorCodes[code]
	) {
		super(message);
	}
}
