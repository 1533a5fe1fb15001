import * as A from '@automerge/automerge';
import { readAttachments, toAttachment, type Attachment, type AttachmentInput } from './attachment.js';
import type { AvailabilityContainer } from './availability.js';

/**
 * The conversation document. Every container is created by the creator's first change, never
 * lazily (two devices creating `x ??= {}` offline would lose one side). Fields nobody co-edits
 * (message ids, authors, text) are `ImmutableString`: cheaper to load and store than text CRDTs.
 */
export interface ConversationDoc {
	v: 1;
	title: string;
	kind: 'direct' | 'group';
	createdAt: number;
	/** Keyed by the member device's signing key in hex. */
	members: Record<string, Member>;
	/** In the document's list order, which every device shares: displayed order. */
	messages: Message[];
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
}

/** The longest message accepted, in UTF-16 code units: a page of text, well under the entry limit. */
export const MAX_MESSAGE_LENGTH = 20_000;

export function initialConversation(
	title: string,
	creatorHex: string,
	creatorName: string,
	now: number
): (doc: ConversationDoc) => void {
	return (doc) => {
		doc.v = 1;
		doc.title = title;
		doc.kind = 'direct';
		doc.createdAt = now;
		doc.members = {
			[creatorHex]: { name: creatorName, role: 'owner', addedAt: now, availability: {} }
		};
		doc.messages = [];
	};
}

export function appendMessage(
	doc: ConversationDoc,
	message: {
		id: string;
		author: string;
		sentAt: number;
		text: string;
		attachments?: AttachmentInput[];
	}
): void {
	doc.messages.push({
		id: new A.ImmutableString(message.id),
		author: new A.ImmutableString(message.author),
		sentAt: message.sentAt,
		text: new A.ImmutableString(message.text),
		attachments: (message.attachments ?? []).map(toAttachment)
	});
}

export function addMember(doc: ConversationDoc, deviceHex: string, member: Member): void {
	if (!doc.members[deviceHex]) doc.members[deviceHex] = { availability: {}, ...member };
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
