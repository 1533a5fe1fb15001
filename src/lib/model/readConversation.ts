import * as A from '@automerge/automerge';
import type {
	ConversationDoc,
	ConversationKind,
	Member,
	Message,
	ReadMark,
	SiblingDoc
} from './conversation.js';
import { readAttachments } from './attachment.js';
import type { AttachmentInput } from './attachment.js';
import { isReactionEmoji, safeUrl, str } from './messageOps.js';
import { toHex } from '../protocol/bytes.js';

/**
 * Reads a conversation document for display, deciding who was allowed to do what from each
 * operation's author (rules 7 and 12): the author of an operation is the device that claimed the
 * actor in the operation object's id. Only a message's author edits it; its author or an
 * administering device deletes it; only administering devices pin, rename and manage pinned
 * resources. Anything else is ignored here, and counted, never refused.
 */

export interface ReadContext {
	/** This device's signing key in hex. */
	me: string;
	/** The device (hex) that claimed an actor in this document; undefined if none (yet). */
	deviceOf(actor: string): string | undefined;
	/** Whether a device administers the conversation (the current epoch's admin list). */
	isAdmin(device: string): boolean;
	/**
	 * Announcements: the sibling document, where readers write reactions and read markers
	 * (rule 7), and the device that claimed each of its actors (its own claims).
	 */
	sibling?: { doc: A.Doc<SiblingDoc>; deviceOf(actor: string): string | undefined };
}

export interface Reaction {
	emoji: string;
	/** Devices (hex) whose reaction is on, in the order they first reacted. */
	devices: string[];
}

export interface MessageRecord {
	id: string;
	/** Position in the document's message list. */
	index: number;
	/** Actor and op counter of the change that created the message. */
	actor: string;
	op: number;
	/** The device that wrote the message: from the actor's claim, else the `author` field. */
	author: string;
	/** The `author` field disagrees with the actor's claim (rule 12). */
	authorMismatch: boolean;
	sentAt: number;
	/** Id of the thread's first message, for a reply. */
	thread?: string;
	/** The current text ('' once deleted). */
	text: string;
	/** Devices (hex) mentioned in the current version. */
	mentions: string[];
	/** Files sent with the message (none once it is deleted). */
	attachments: AttachmentInput[];
	/** Earlier versions, oldest (as sent) first; empty unless edited. */
	versions: { text: string; at: number }[];
	/** When the current version was written, if the message was edited. */
	editedAt?: number;
	deleted: boolean;
	/** Deleted by an administering device rather than the author. */
	deletedByAdmin: boolean;
	/** Edits or deletions by devices that may not make them, ignored. */
	ignoredOps: number;
	/** The text is gone but no allowed deletion says so: someone overwrote it. */
	tampered: boolean;
	/** Deleted, but text from a concurrent edit remains in the current state. */
	lingering: boolean;
	/**
	 * Blob ids (hex) of the files a deleted message carried: listed by its allowed deletions,
	 * and any attachment still in the current state. Empty unless deleted.
	 */
	removedFiles: string[];
	/** The message has the containers for edits and deletion (not a v1 message). */
	editable: boolean;
	reactions: Reaction[];
	/** Replies in its thread (for a thread's first message). */
	replies: number;
	/** Members (device hex, not the author) whose read marker is at or past this message. */
	readBy: string[];
	pinned: boolean;
}

export interface Resource {
	id: string;
	title: string;
	url: string;
}

export interface ConversationRecord {
	version: 1 | 2 | 3;
	kind: ConversationKind;
	title: string;
	members: Record<string, Member>;
	/** Members (device hex) who left. */
	departed: Set<string>;
	/** Every message, replies included, in document order. */
	messages: MessageRecord[];
	/** Ids of pinned messages, oldest pin first. */
	pinned: string[];
	resources: Resource[];
	/** Per member (device hex): index of the newest message their devices have shown. */
	readIndex: Map<string, number>;
	/** Messages by others after this device's member's read marker (deleted ones aside). */
	unread: number;
	/** Of those, the ones that mention this device's member. */
	unreadMentions: number;
	/** Which conversation-level operations this document supports (v2 has them all). */
	features: { reactions: boolean; reads: boolean; pins: boolean; renames: boolean; resources: boolean; departures: boolean };
	/** Pins, renames, resources and read markers by devices that may not write them, ignored. */
	ignoredOps: number;
}

/** `n@actor` → actor and counter; undefined for anything else. */
export function objectAuthor(value: unknown): { actor: string; op: number } | undefined {
	if (typeof value !== 'object' || value === null) return undefined;
	const objectId = A.getObjectId(value);
	const match = objectId ? /^(\d+)@([0-9a-f]+)$/.exec(objectId) : null;
	return match ? { actor: match[2], op: Number(match[1]) } : undefined;
}

function list<T>(value: T[] | undefined): T[] {
	return Array.isArray(value) ? value : [];
}

function num(value: unknown): number {
	return typeof value === 'number' && Number.isFinite(value) ? value : 0;
}

/**
 * The title a conversation shows: the last rename by an administering device, else the title
 * given at creation. For places that need only the title (search results, lists) without
 * reading every message.
 */
export function currentTitle(doc: A.Doc<ConversationDoc>, ctx: ReadContext): string {
	let title = typeof doc.title === 'string' ? doc.title : '';
	for (const op of list(doc.renames)) {
		if (typeof op?.title !== 'string' || !op.title.trim()) continue;
		const author = objectAuthor(op);
		const device = author ? ctx.deviceOf(author.actor) : undefined;
		if (device !== undefined && ctx.isAdmin(device)) title = op.title;
	}
	return title;
}

export function readConversation(doc: A.Doc<ConversationDoc>, ctx: ReadContext): ConversationRecord {
	const members: Record<string, Member> =
		doc.members && typeof doc.members === 'object' ? doc.members : {};
	const sibling = ctx.sibling;
	const features = {
		reactions: Array.isArray(doc.reactions) || !!sibling,
		reads: isRegisterMap(doc.reads) || !!sibling,
		pins: Array.isArray(doc.pins),
		renames: Array.isArray(doc.renames),
		resources: Array.isArray(doc.resources),
		departures: Array.isArray(doc.departures)
	};
	let ignoredOps = 0;
	const deviceOf = (value: unknown): string | undefined => {
		const author = objectAuthor(value);
		return author ? ctx.deviceOf(author.actor) : undefined;
	};
	const byAdmin = (value: unknown): boolean => {
		const device = deviceOf(value);
		const ok = device !== undefined && ctx.isAdmin(device);
		if (!ok) ignoredOps++;
		return ok;
	};

	// Messages, with their own edits and deletions.
	const messages: MessageRecord[] = [];
	const indexOf = new Map<string, number>();
	for (const raw of list(doc.messages)) {
		const record = readMessage(raw, messages.length, ctx);
		if (!record) continue;
		if (!indexOf.has(record.id)) indexOf.set(record.id, record.index);
		messages.push(record);
	}

	// Threads: reply counts on each thread's first message.
	for (const message of messages) {
		if (!message.thread || message.deleted) continue;
		const root = indexOf.get(message.thread);
		if (root !== undefined) messages[root].replies++;
	}

	// The conversation's own operations, then the sibling's (announcements), each with the
	// actor claims of its own document: a fixed order, the same on every device.
	const sources = [{ reactions: doc.reactions, reads: doc.reads, deviceOf: ctx.deviceOf }];
	if (sibling) {
		sources.push({ reactions: sibling.doc.reactions, reads: sibling.doc.reads, deviceOf: sibling.deviceOf });
	}

	// Reactions: per (device, message, emoji) the last toggle in list order wins.
	const reactionState = new Map<string, { m: string; e: string; device: string; on: boolean }>();
	for (const op of sources.flatMap((source) =>
		list(source.reactions).map((reaction) => ({ reaction, source }))
	)) {
		const by = objectAuthor(op.reaction);
		const device = by && op.source.deviceOf(by.actor);
		const { m: rm, e: re, on: ron } = op.reaction ?? {};
		const m = str(rm);
		const e = str(re);
		if (!device || !indexOf.has(m) || !isReactionEmoji(e)) continue;
		const key = `${device} ${m} ${e}`;
		reactionState.delete(key); // re-inserted last: keeps the order of the latest toggle
		reactionState.set(key, { m, e, device, on: ron === true });
	}
	for (const { m, e, device, on } of reactionState.values()) {
		if (!on) continue;
		const message = messages[indexOf.get(m)!];
		if (message.deleted) continue;
		let reaction = message.reactions.find((r) => r.emoji === e);
		if (!reaction) message.reactions.push((reaction = { emoji: e, devices: [] }));
		reaction.devices.push(device);
	}

	// Pins: per message, the last pin or unpin by an administering device.
	const pinState = new Map<string, boolean>();
	for (const op of list(doc.pins)) {
		const m = str(op?.m);
		if (!indexOf.has(m) || !byAdmin(op)) continue;
		pinState.delete(m);
		pinState.set(m, op.on === true);
	}
	const pinned = [...pinState].filter(([m, on]) => on && !messages[indexOf.get(m)!].deleted).map(([m]) => m);
	for (const m of pinned) messages[indexOf.get(m)!].pinned = true;

	// Renames: the last one by an administering device; else the title given at creation.
	let title = typeof doc.title === 'string' ? doc.title : '';
	for (const op of list(doc.renames)) {
		if (typeof op?.title === 'string' && op.title.trim() && byAdmin(op)) title = op.title;
	}

	// Pinned resources: added and removed by administering devices.
	const resourceState = new Map<string, Resource | undefined>();
	for (const op of list(doc.resources)) {
		const id = str(op?.r);
		if (!id || !byAdmin(op)) continue;
		const url = safeUrl(str(op.url));
		resourceState.delete(id);
		resourceState.set(id, op.on === true && url ? { id, title: String(op.title ?? ''), url } : undefined);
	}
	const resources = [...resourceState.values()].filter((r): r is Resource => r !== undefined);

	// Departures: each entry's author left.
	const departed = new Set<string>();
	for (const op of list(doc.departures)) {
		const device = deviceOf(op);
		if (device) departed.add(device);
	}

	// Read markers: a member's position is the maximum over their devices' registers and
	// over concurrent values of each register, so it never moves backwards (rule 19).
	const readIndex = new Map<string, number>();
	for (const source of sources) {
		const reads = source.reads;
		if (!isRegisterMap(reads)) continue;
		// Sorted: the order keys come back in depends on how changes arrived.
		for (const key of Object.keys(reads).sort()) {
			const [member, device] = key.split(':');
			if (!member || member !== device) continue;
			for (const { mark, actor } of registerValues(reads, key)) {
				const index = indexOf.get(str(mark?.m));
				if (index === undefined) continue;
				if (!actor || source.deviceOf(actor) !== device) {
					ignoredOps++;
					continue;
				}
				readIndex.set(member, Math.max(readIndex.get(member) ?? -1, index));
			}
		}
	}
	for (const message of messages) {
		for (const [member, index] of readIndex) {
			if (index >= message.index && member !== message.author && !departed.has(member)) {
				message.readBy.push(member);
			}
		}
	}

	// Unread for this device's member.
	let unread = 0;
	let unreadMentions = 0;
	if (features.reads) {
		const mine = readIndex.get(ctx.me) ?? -1;
		for (let i = mine + 1; i < messages.length; i++) {
			const message = messages[i];
			if (message.author === ctx.me || message.deleted) continue;
			unread++;
			if (message.mentions.includes(ctx.me)) unreadMentions++;
		}
	}

	return {
		version: doc.v === 3 ? 3 : doc.v === 2 ? 2 : 1,
		kind: doc.kind === 'group' || doc.kind === 'announcements' ? doc.kind : 'direct',
		title,
		members,
		departed,
		messages,
		pinned,
		resources,
		readIndex,
		unread,
		unreadMentions,
		features,
		ignoredOps
	};
}

function isRegisterMap(value: unknown): value is Record<string, ReadMark> {
	return !!value && typeof value === 'object' && !Array.isArray(value);
}

/**
 * Every value a map key holds, with the actor that wrote it: the winner and, after concurrent
 * writes, the others. A conflict is keyed by the op id that put the value, which for a new
 * object is its object id (`n@actor`).
 */
function registerValues(
	map: Record<string, ReadMark>,
	key: string
): { mark: ReadMark; actor: string | undefined }[] {
	const conflicts = A.getConflicts(map, key) as Record<string, ReadMark> | undefined;
	if (!conflicts) return [{ mark: map[key], actor: objectAuthor(map[key])?.actor }];
	return Object.entries(conflicts).map(([opId, mark]) => ({
		mark,
		actor: /^\d+@([0-9a-f]+)$/.exec(opId)?.[1]
	}));
}

function readMessage(raw: Message, index: number, ctx: ReadContext): MessageRecord | undefined {
	if (typeof raw !== 'object' || raw === null) return undefined;
	const created = objectAuthor(raw);
	if (!created) return undefined;
	const field = str(raw.author);
	const claimed = ctx.deviceOf(created.actor);
	const author = claimed ?? field;
	const editable = Array.isArray(raw.edits) && Array.isArray(raw.deletions);
	const record: MessageRecord = {
		id: str(raw.id),
		index,
		actor: created.actor,
		op: created.op,
		author,
		authorMismatch: claimed !== undefined && claimed !== field,
		sentAt: num(raw.sentAt),
		text: str(raw.text),
		mentions: list(raw.mentions).map(str),
		attachments: readAttachments(raw.attachments),
		versions: [],
		deleted: false,
		deletedByAdmin: false,
		ignoredOps: 0,
		tampered: false,
		lingering: false,
		removedFiles: [],
		editable,
		reactions: [],
		replies: 0,
		readBy: [],
		pinned: false
	};
	const thread = str(raw.thread);
	if (thread) record.thread = thread;

	const removed = new Set<string>();
	for (const deletion of list(raw.deletions)) {
		const by = objectAuthor(deletion);
		const device = by && ctx.deviceOf(by.actor);
		if (device !== undefined && (device === author || ctx.isAdmin(device))) {
			record.deleted = true;
			if (device !== author) record.deletedByAdmin = true;
			for (const blob of list(deletion.blobs)) {
				if (blob instanceof Uint8Array && blob.length === 32) removed.add(toHex(blob));
			}
		} else {
			record.ignoredOps++;
		}
	}

	// The current version is the last edit by the author, in list order (the same on every
	// device); the ones before it are the history.
	const versions: { text: string; at: number; mentions: string[] }[] = [
		{ text: record.text, at: record.sentAt, mentions: record.mentions }
	];
	for (const edit of list(raw.edits)) {
		const by = objectAuthor(edit);
		if (!by || ctx.deviceOf(by.actor) !== author) {
			record.ignoredOps++;
			continue;
		}
		versions.push({ text: str(edit.text), at: num(edit.at), mentions: list(edit.mentions).map(str) });
	}

	if (record.deleted) {
		record.lingering =
			versions.some((v) => v.text !== '' || v.mentions.length > 0) || record.attachments.length > 0;
		for (const attachment of record.attachments) removed.add(toHex(attachment.blob));
		record.removedFiles = [...removed];
		record.text = '';
		record.mentions = [];
		record.attachments = [];
		return record;
	}
	const current = versions[versions.length - 1];
	record.text = current.text;
	record.mentions = current.mentions;
	if (versions.length > 1) {
		record.editedAt = current.at;
		record.versions = versions.slice(0, -1).map(({ text, at }) => ({ text, at }));
	}
	// Sent messages are never empty (a message of files aside); an empty text without an
	// allowed deletion was overwritten.
	record.tampered = current.text === '' && (record.ignoredOps > 0 || record.attachments.length === 0);
	return record;
}
