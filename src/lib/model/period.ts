import * as A from '@automerge/automerge';
import { interpretAsDocumentId, type BinaryDocumentId, type DocumentId } from '@automerge/automerge-repo';
import { hash, Tag } from '../crypto/primitives.js';
import { toHex, u32 } from '../protocol/bytes.js';
import type { Message, ReactionOp } from './conversation.js';
import { lowerByKnob } from '../knobs.js';

/**
 * Period documents (SECURITY-RULES.md, rule 19; docs/protocol.md, "Periods"). A conversation
 * keeps what is conversation-wide (title, members, pins, read markers, renames) in its own
 * document and its messages in period documents, so opening it loads one or two small documents
 * instead of its whole history.
 *
 * A period's genesis is deterministic: a fixed actor, time 0, no message, and every container
 * created in that one change. Two devices that roll over to the same period while offline
 * therefore create the same document, and their messages merge into one list. The genesis actor
 * needs no claim (rule 12): its only change is the genesis, and any device recomputes it.
 */

/** Schema version of period documents. */
export const PERIOD_FORMAT = 1;

/**
 * The fixed actor of every period genesis (hex of "tend/period/v1", padded to 16 bytes). No
 * device ever writes under it: a change by it other than the genesis is refused.
 */
export const PERIOD_GENESIS_ACTOR = toHex(new TextEncoder().encode('tend/period/v1\0\0'));

export interface PeriodDoc {
	v: typeof PERIOD_FORMAT;
	/** The period's relay id in hex: ties the genesis to one period of one conversation. */
	p: A.ImmutableString;
	/** The period number (1, 2, …; period 0 is the conversation document's own list). */
	n: number;
	/** The period's messages in list order: displayed order within the period. */
	messages: Message[];
	/** Reactions to this period's messages (an op on a message lives with the message). */
	reactions: ReactionOp[];
}

/**
 * How many messages a period holds before writers move on to the next one. A soft limit:
 * devices that wrote offline into the same period can push it a little past it.
 */
export const PERIOD_SIZE = 1000;

/**
 * Test knob (docs/security.md, "Test knobs"): a smaller period size, read from `localStorage`, so
 * an end-to-end test rolls over after a few messages. It can only make periods smaller; the
 * size decides where messages are written, never who may read or write them.
 */
export const PERIOD_SIZE_KNOB = 'tend-period-size';

/** The period size in force: {@link PERIOD_SIZE}, or the knob's smaller value (at least 2). */
export function periodSize(storage?: Pick<Storage, 'getItem'>): number {
	return lowerByKnob(PERIOD_SIZE_KNOB, PERIOD_SIZE, 2, storage);
}

interface Genesis {
	change: Uint8Array;
	hash: string;
	/** `A.save` of the genesis document, for `repo.import`. */
	saved: Uint8Array;
}

/**
 * The genesis of period `n` whose relay id is `periodId`; the same bytes on every device. Built
 * afresh on every call (well under a millisecond): a cache would hide a genesis that isn't
 * deterministic from the tests that recompute it.
 */
export function periodGenesis(periodId: Uint8Array, n: number): Genesis {
	const doc = A.change(
		A.init<PeriodDoc>({ actor: PERIOD_GENESIS_ACTOR }),
		{ time: 0 },
		(d) => {
			d.v = PERIOD_FORMAT;
			d.p = new A.ImmutableString(toHex(periodId));
			d.n = n;
			d.messages = [];
			d.reactions = [];
		}
	);
	const change = A.getLastLocalChange(doc);
	if (!change) throw new Error('the genesis change is missing');
	return { change, hash: A.decodeChange(change).hash, saved: A.save(doc) };
}

/** Why a period document (or a change for it) was refused. */
export type PeriodCheck = { ok: true } | { ok: false; why: 'no-genesis' | 'forged-genesis' };

/**
 * Checks a period document against the recomputed genesis: it must hold the genesis change and
 * nothing else by the genesis actor. A document made from any other "genesis" (another actor,
 * time, number or container) is refused: its containers would not merge with everyone else's.
 */
export function checkPeriodDoc(doc: A.Doc<unknown>, periodId: Uint8Array, n: number): PeriodCheck {
	const genesis = periodGenesis(periodId, n);
	let found = false;
	for (const meta of A.getChangesMetaSince(doc, [])) {
		if (meta.actor !== PERIOD_GENESIS_ACTOR) continue;
		if (meta.hash !== genesis.hash) return { ok: false, why: 'forged-genesis' };
		found = true;
	}
	return found ? { ok: true } : { ok: false, why: 'no-genesis' };
}

/**
 * Whether a change received for period `n` may be applied, as far as the genesis actor goes:
 * a change by the genesis actor must be the recomputed genesis itself.
 */
export function acceptsGenesisActor(
	change: { actor: string; hash: string },
	periodId: Uint8Array,
	n: number
): boolean {
	return change.actor !== PERIOD_GENESIS_ACTOR || change.hash === periodGenesis(periodId, n).hash;
}

/** A period a device holds: its number and how many messages it has now. */
export interface PeriodFill {
	n: number;
	count: number;
}

/**
 * The roll-over rule: a device writes into the highest period it holds, unless that period has
 * reached the period size; then into the next one, which it creates from the deterministic
 * genesis. `highest` is undefined when the conversation has no period document yet: period 0
 * (the conversation document's list) counts as the highest, with `legacyCount` messages.
 */
export function writePeriod(highest: PeriodFill | undefined, legacyCount: number, size: number): number {
	const current = highest ?? { n: 0, count: legacyCount };
	return current.count >= size ? current.n + 1 : current.n;
}

/**
 * A period's local document id on this device, derived from the conversation's local id
 * (itself random and never sent anywhere). Two tabs of the device that roll over at once import
 * the genesis under the same id, and the relay id never appears in storage keys (rule 16).
 */
export function periodLocalId(conversationLocalId: string, n: number): DocumentId {
	const digest = hash(Tag.periodLocalId, new TextEncoder().encode(conversationLocalId), u32(n));
	return interpretAsDocumentId(digest.slice(0, 16) as BinaryDocumentId);
}
