import { hash, Tag } from '../crypto/primitives.js';
import { u32 } from './bytes.js';

/**
 * Period documents (SECURITY-RULES.md, rule 19). A long conversation keeps its messages in
 * period documents, each with its own log at the relay. A period's relay id is a hash of the
 * conversation's id and the period number, so every device that rolls over to period n, online
 * or not, names the same document, and the relay can check that a period it registers belongs
 * to the conversation whose access key the registering connection proved.
 *
 * Period 0 is the conversation document itself (its `messages` list, docs/protocol.md,
 * "Periods"); period documents are numbered from 1.
 */

/** The largest period number a relay accepts: far beyond any conversation's life. */
export const MAX_PERIOD = 1_000_000;

export function periodDocId(conversation: Uint8Array, n: number): Uint8Array {
	if (!Number.isSafeInteger(n) || n < 1 || n > MAX_PERIOD) {
		throw new RangeError('a period number is an integer from 1');
	}
	return hash(Tag.periodId, conversation, u32(n));
}
