import { fromBase64Url, fromHex, toBase64Url } from '../protocol/bytes.js';
import { decodeCbor, encodeCbor } from '../protocol/cbor.js';
import { sign, verify, Tag, type SignKeyPair } from './primitives.js';

/**
 * Actor claims (SECURITY-RULES.md, rule 12). automerge-repo gives every loaded handle a random
 * actor id, so the first change of each actor carries, as its change message, a claim signed by
 * the device: "actor A writes document D for me". Receivers accept an actor's changes only from
 * entries signed by that device, so one device can't write under another's actor.
 */
const PREFIX = 'tend-actor:';

export interface ActorClaim {
	doc: Uint8Array;
	actor: string;
	device: Uint8Array;
}

export function makeActorClaimMessage(device: SignKeyPair, doc: Uint8Array, actor: string): string {
	const sig = sign(device.privateKey, Tag.actorClaim, doc, fromHex(actor));
	return PREFIX + toBase64Url(encodeCbor({ doc, actor, device: device.publicKey, sig }));
}

/** Parses and verifies a claim from a change message; undefined if absent or invalid. */
export function parseActorClaimMessage(message: string | null | undefined): ActorClaim | undefined {
	if (!message || !message.startsWith(PREFIX) || message.length > 1024) return undefined;
	try {
		const claim = decodeCbor(fromBase64Url(message.slice(PREFIX.length))) as Record<string, unknown>;
		const { doc, actor, device, sig } = claim;
		if (!(doc instanceof Uint8Array) || !(device instanceof Uint8Array)) return undefined;
		if (!(sig instanceof Uint8Array) || typeof actor !== 'string') return undefined;
		if (!verify(device, sig, Tag.actorClaim, doc, fromHex(actor))) return undefined;
		return { doc, actor, device };
	} catch {
		return undefined;
	}
}
