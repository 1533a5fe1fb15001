import * as A from '@automerge/automerge';
import type { ConversationDoc } from './conversation.js';

/** The part of Automerge's document backend used here: every value of a key, with op ids. */
interface BackendReader {
	getAll(objectId: string, prop: string | number): [type: string, value: unknown, opId?: string][];
	length(objectId: string): number;
}

const OP_ID = /^\d+@([0-9a-f]+)$/;

/**
 * The sibling document an announcements conversation names (rule 7), by relay id, counted only
 * when an administering device wrote it; undefined otherwise.
 *
 * @remarks
 * Every writer of the announcements (a colleague marked "may post") can change any field of the
 * document, `sibling` included. An administering device grants the sibling to everyone it lets
 * in, as a writer: a pointer redirected to another document it administers would hand that
 * document out. So the pointer is checked like every other operation, at display time, from its
 * author (rules 7 and 12): Automerge 3 keeps a string as a text object, so both the object (its
 * id `n@actor` names the actor that set the key) and each of its characters (a writer could
 * splice into the text without replacing it) must come from actors whose claimed device
 * administers the conversation. Conflicting values from several administrators count only when
 * they agree.
 *
 * `deviceOf` maps an actor to its claimed device (hex); `isAdmin` says whether a device
 * administers the conversation in its newest epoch.
 */
export function readSiblingKey(
	doc: A.Doc<ConversationDoc>,
	deviceOf: (actor: string) => string | undefined,
	isAdmin: (device: string) => boolean
): string | undefined {
	if (doc.kind !== 'announcements' || doc.sibling === undefined) return undefined;
	const backend = A.getBackend(doc) as unknown as BackendReader;
	const byAdmin = (opId: string | undefined) => {
		const actor = opId ? OP_ID.exec(opId)?.[1] : undefined;
		const device = actor ? deviceOf(actor) : undefined;
		return device !== undefined && isAdmin(device);
	};

	const keys = new Set<string>();
	for (const [type, value, opId] of backend.getAll('_root', 'sibling')) {
		if (type === 'text' && typeof value === 'string') {
			// The value is the text object's id, which is the op id that created it.
			const text = readText(backend, value, byAdmin);
			if (text === undefined || !byAdmin(value)) return undefined;
			keys.add(text);
		} else if (type === 'str' && typeof value === 'string' && byAdmin(opId)) {
			keys.add(value);
		} else {
			return undefined;
		}
	}
	return keys.size === 1 ? [...keys][0] : undefined;
}

/** A text object's content, or undefined when any character came from someone else. */
function readText(
	backend: BackendReader,
	objectId: string,
	byAdmin: (opId: string | undefined) => boolean
): string | undefined {
	let out = '';
	const length = backend.length(objectId);
	for (let i = 0; i < length; i++) {
		const values = backend.getAll(objectId, i);
		if (values.length !== 1) return undefined;
		const [type, value, opId] = values[0];
		if (type !== 'str' || typeof value !== 'string' || !byAdmin(opId)) return undefined;
		out += value;
	}
	return out;
}
