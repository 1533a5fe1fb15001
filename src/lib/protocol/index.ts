/**
 * The wire protocol shared by the app and the relay: frames, entry headers, signed records,
 * access proofs and invites. It is the only code the two sides share (with the crypto primitives
 * it builds on). docs/protocol.md is the prose version.
 */
export * from './bytes.js';
export * from './cbor.js';
export * from './errors.js';
export * from './frames.js';
export * from './entry.js';
export * from './records.js';
export * from './auth.js';
export * from './invite.js';
export * from './blob.js';
export * from './period.js';
export * from './deviceCert.js';
export * from './deviceLink.js';
