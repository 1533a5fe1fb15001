import * as A from '@automerge/automerge';
import { readAttachments, toAttachment, type Attachment, type AttachmentInput } from './attachment.js';
import type { AvailabilityContainer } from './availability.js';

/**
 * The conversation document. Every container is created by the creator's first change, never
 * lazily (two devices creating `x ??= {}` offline would lose one side). Fields nobody co-edits
 * (message ids, authors, text) are `ImmutableString`: cheaper to load and store than text CRDTs.
 */
export interface ConversationDoc {
	/**
	 * 1: the first format (title, members, messages). 2 adds the conversation-level logs below,
	 * all created by the genesis change. A v1 document never gets them afterwards: two devices
	 * adding them offline would each make their own list and the merge would keep one.
	 * 3 is 2 whose messages live in period documents from period 1 on (model/period.ts); its
	 * own `messages` list stays empty.
	 */
	v: 1 | 2 | 3;
	/** The title given at creation; renames are in {@link ConversationDoc.renames}. */
	title: string;
	kind: ConversationKind;
	createdAt: number;
	/** Keyed by the member device's signing key in hex. */
	members: Record<string, Member>;
	/** In the document's list order, which every device shares: displayed order. */
	messages: Message[];
	/** v2: renames, in list order; the last one by an administering device wins. */
	renames?: Rename[];
	/** v2: pin and unpin operations; per message, the last one by an administering device wins. */
	pins?: PinOp[];
	/** v2: links pinned to the conversation's resources panel (add and remove operations). */
	resources?: ResourceOp[];
	/** v2: reaction toggles; per (device, message, emoji), the last one in list order wins. */
	reactions?: ReactionOp[];
	/** v2: read markers, one register per (member, device): key `${member}:${device}`. */
	reads?: Record<string, ReadMark>;
	/** v2: members who left (each entry's author is the one who left). */
	departures?: Departure[];
	/**
	 * Announcements: the id (base64url) of the sibling document where every member, readers
	 * included, writes reactions and read markers (rule 7). Set by the genesis change.
	 */
	sibling?: string;
}

/**
 * The sibling of an announcements conversation (rule 7): created with it, with the same
 * members, every one of them a writer. It holds only what readers must still write; messages,
 * names and everything else stay in the announcements document. Its containers have the shapes
 * of the conversation's, so the same operations write both.
 */
export interface SiblingDoc {
	v: 1;
	type: 'sibling';
	reactions: ReactionOp[];
	reads: Record<string, ReadMark>;
}

/** The sibling's genesis change: every container, never created later (rule 19). */
export function initialSibling(doc: SiblingDoc): void {
	doc.v = 1;
	doc.type = 'sibling';
	doc.reactions = [];
	doc.reads = {};
}

export function isSiblingDoc(doc: unknown): doc is SiblingDoc {
	const d = doc as Partial<SiblingDoc> | undefined;
	return !!d && d.type === 'sibling' && Array.isArray(d.reactions) && typeof d.reads === 'object';
}

export type ConversationKind = 'direct' | 'group' | 'announcements';

/** A direct conversation is between two people: the one who started it and one other. */
export const DIRECT_MEMBERS = 2;

/**
 * Whether a conversation of `kind` with `memberCount` current members (as the members panel
 * lists them) may take in one more person: a direct one only while it has fewer than two.
 */
export function mayInviteMore(kind: ConversationKind, memberCount: number): boolean {
	return kind !== 'direct' || memberCount < DIRECT_MEMBERS;
}

/**
 * What holds messages and the operations on them: the conversation document (period 0) or a
 * period document (model/period.ts).
 */
export type MessageHost = Pick<ConversationDoc, 'messages' | 'reactions'>;

/*
 * Every operation below is a new object: its object id (`n@actor`) names the actor that wrote
 * it, and the actor's claim names the device (rule 12). Who may do what is decided from that
 * when the document is displayed (rule 7), never by refusing a change.
 */

export interface Rename {
	title: string;
	at: number;
}

export interface PinOp {
	/** Message id. */
	m: A.ImmutableString;
	on: boolean;
	at: number;
}

export interface ResourceOp {
	/** Resource id (random, chosen when the link is added). */
	r: A.ImmutableString;
	title: string;
	url: A.ImmutableString;
	/** false removes the resource. */
	on: boolean;
	at: number;
}

export interface ReactionOp {
	/** Message id. */
	m: A.ImmutableString;
	/** The emoji. */
	e: A.ImmutableString;
	on: boolean;
}

export interface ReadMark {
	/** Id of the newest message the device has shown. */
	m: A.ImmutableString;
	at: number;
}

export interface Departure {
	at: number;
}

export interface Edit {
	text: A.ImmutableString;
	at: number;
	/** Device keys (hex) mentioned in this version. */
	mentions: A.ImmutableString[];
}

export interface Deletion {
	at: number;
	/**
	 * Blob ids of the files the message carried when it was deleted, so every device can drop
	 * its copy and the uploader or an administrator can delete them at the relay. Ids are
	 * hashes of ciphertext: they name the files without opening them.
	 */
	blobs?: Uint8Array[];
}

export interface Member {
	name: string;
	role: 'owner' | 'member';
	addedAt: number;
	/** Office hours the member publishes (model/availability.ts); created with the record. */
	availability?: AvailabilityContainer;
	/**
	 * Set when an administrator removed the member. For display only: what keeps a removed
	 * device out is the rotation in the signed epoch chain (rule 2), not this field.
	 */
	removedAt?: number;
}

export interface Message {
	id: A.ImmutableString;
	/** The author's device key in hex; checked against the change's actor claim (rule 12). */
	author: A.ImmutableString;
	/** Sender's clock, for display only; never used for ordering. */
	sentAt: number;
	text: A.ImmutableString;
	/**
	 * Files sent with the message. Created with the message object, never later (rule 19);
	 * absent on messages written before attachments existed, which reads as none.
	 */
	attachments?: Attachment[];
	/** Id of the thread's first message, for a reply in a thread; absent otherwise. */
	thread?: A.ImmutableString;
	/** Device keys (hex) mentioned in the text as sent. */
	mentions?: A.ImmutableString[];
	/** Later versions by the author, oldest first (created empty with the message). */
	edits?: Edit[];
	/** "Delete for everyone" operations (created empty with the message). */
	deletions?: Deletion[];
}

/** The longest message accepted, in UTF-16 code units: a page of text, well under the entry limit. */
export const MAX_MESSAGE_LENGTH = 20_000;

export function initialConversation(
	title: string,
	creatorHex: string,
	creatorName: string,
	now: number,
	kind: ConversationKind = 'direct',
	sibling?: string,
	format: 2 | 3 = 2
): (doc: ConversationDoc) => void {
	return (doc) => {
		doc.v = format;
		doc.title = title;
		doc.kind = kind;
		doc.createdAt = now;
		doc.members = {
			[creatorHex]: { name: creatorName, role: 'owner', addedAt: now, availability: {} }
		};
		doc.messages = [];
		doc.renames = [];
		doc.pins = [];
		doc.resources = [];
		doc.reactions = [];
		doc.reads = {};
		doc.departures = [];
		if (sibling) doc.sibling = sibling;
	};
}

export interface NewMessage {
	id: string;
	author: string;
	sentAt: number;
	text: string;
	/** Id of the thread's first message, for a reply. */
	thread?: string;
	/** Device keys (hex) mentioned. */
	mentions?: string[];
	attachments?: AttachmentInput[];
}

/**
 * Appends a message with every container later operations write into (edits, deletions), so
 * no device ever has to create one afterwards. Works in v1 documents too.
 */
export function appendMessage(doc: MessageHost, message: NewMessage): void {
	const stored: Message = {
		id: new A.ImmutableString(message.id),
		author: new A.ImmutableString(message.author),
		sentAt: message.sentAt,
		text: new A.ImmutableString(message.text),
		attachments: (message.attachments ?? []).map(toAttachment),
		mentions: (message.mentions ?? []).map((hex) => new A.ImmutableString(hex)),
		edits: [],
		deletions: []
	};
	if (message.thread) stored.thread = new A.ImmutableString(message.thread);
	doc.messages.push(stored);
}

export function addMember(doc: ConversationDoc, deviceHex: string, member: Member): void {
	if (!doc.members[deviceHex]) doc.members[deviceHex] = { availability: {}, ...member };
}

/**
 * Lists a member, or lists them again after they were marked removed (a practice member whose
 * role may read the channel again). Display only, like {@link markMemberRemoved}.
 */
export function showMember(doc: ConversationDoc, deviceHex: string, member: Member): void {
	const existing = doc.members[deviceHex];
	if (!existing) addMember(doc, deviceHex, member);
	else if (existing.removedAt !== undefined) delete existing.removedAt;
}

/** Marks a member removed (display only; the epoch chain is the authority, rule 7). */
export function markMemberRemoved(doc: ConversationDoc, deviceHex: string, now: number): void {
	const member = doc.members[deviceHex];
	if (member && member.removedAt === undefined) member.removedAt = now;
}

/** A message as read from the document, with the actor of the change that created it. */
export interface StoredMessage {
	id: string;
	author: string;
	sentAt: number;
	text: string;
	attachments: AttachmentInput[];
	/** Hex actor id of the change that created the message object (from `n@actor`). */
	actor: string;
	/** Operation counter of that object, to tell which change created it. */
	op: number;
}

function str(value: unknown): string {
	if (value instanceof A.ImmutableString) return value.val;
	return typeof value === 'string' ? value : '';
}

/** Reads messages in document order; skips entries that aren't well-formed messages. */
export function readMessages(doc: A.Doc<ConversationDoc>): StoredMessage[] {
	const list = doc.messages;
	if (!Array.isArray(list)) return [];
	const out: StoredMessage[] = [];
	for (const message of list) {
		if (typeof message !== 'object' || message === null) continue;
		const objectId = A.getObjectId(message);
		const match = objectId ? /^(\d+)@([0-9a-f]+)$/.exec(objectId) : null;
		if (!match) continue;
		out.push({
			id: str(message.id),
			author: str(message.author),
			sentAt: typeof message.sentAt === 'number' ? message.sentAt : 0,
			text: str(message.text),
			attachments: readAttachments(message.attachments),
			actor: match[2],
			op: Number(match[1])
		});
	}
	return out;
}
