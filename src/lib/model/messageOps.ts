import * as A from '@automerge/automerge';
import { readAttachments } from './attachment.js';
import {
	MAX_MESSAGE_LENGTH,
	type ConversationDoc,
	type Message,
	type MessageHost
} from './conversation.js';

/**
 * The operations on a conversation after its messages are sent: edit, delete for everyone,
 * reactions, read markers, pins, renames, pinned resources and leaving. Each one appends a new
 * object (or replaces a register's object), so the object's id names its author (rule 12);
 * whether the author was allowed to is decided when the document is read
 * (`readConversation.ts`, rule 7). None of them creates a container: the containers come with
 * the message (`appendMessage`) or with the conversation (`initialConversation`).
 */

/** Why an operation can't be applied to this document. */
export class ConversationOpError extends Error {
	override name = 'ConversationOpError';
	constructor(
		readonly code: 'no-message' | 'unsupported' | 'too-long' | 'empty' | 'bad-url' | 'bad-emoji',
		message: string
	) {
		super(message);
	}
}

/** The longest conversation title, in UTF-16 code units. */
export const MAX_TITLE_LENGTH = 200;
/** The longest pinned resource title. */
export const MAX_RESOURCE_TITLE_LENGTH = 200;
/** The longest pinned resource address. */
export const MAX_URL_LENGTH = 2000;

/** Finds a message by id, newest first (recent messages are the ones people act on). */
export function findMessage(doc: MessageHost, id: string): Message | undefined {
	const list = doc.messages;
	for (let i = list.length - 1; i >= 0; i--) {
		const message = list[i];
		if (message && typeof message === 'object' && str(message.id) === id) return message;
	}
	return undefined;
}

function requireMessage(doc: MessageHost, id: string): Message {
	const message = findMessage(doc, id);
	if (!message) throw new ConversationOpError('no-message', 'no message with this id');
	return message;
}

function requireList<T>(list: T[] | undefined, what: string): T[] {
	if (!Array.isArray(list)) {
		throw new ConversationOpError('unsupported', `this conversation has no ${what} (format v1)`);
	}
	return list;
}

function checkText(text: string): void {
	if (text.trim().length === 0) throw new ConversationOpError('empty', 'the text is empty');
	if (text.length > MAX_MESSAGE_LENGTH) {
		throw new ConversationOpError('too-long', `at most ${MAX_MESSAGE_LENGTH} characters`);
	}
}

/** Adds a new version of a message. Messages of a v1 document have no edit list: refused. */
export function editMessage(
	doc: MessageHost,
	id: string,
	edit: { text: string; at: number; mentions?: string[] }
): void {
	checkText(edit.text);
	const message = requireMessage(doc, id);
	requireList(message.edits, 'edit list on this message').push({
		text: new A.ImmutableString(edit.text),
		at: edit.at,
		mentions: (edit.mentions ?? []).map((hex) => new A.ImmutableString(hex))
	});
}

/**
 * Deletes a message for everyone: records the deletion and removes its text and every
 * version's text from the current state. The document's history still holds them (see
 * docs/security.md).
 */
export function deleteMessage(doc: MessageHost, id: string, at: number): void {
	const message = requireMessage(doc, id);
	const blobs = readAttachments(message.attachments).map((a) => a.blob);
	requireList(message.deletions, 'deletion list on this message').push(blobs.length > 0 ? { at, blobs } : { at });
	clearMessageText(message);
}

/**
 * Removes whatever text a deleted message still holds: an edit made concurrently with the
 * deletion survives the merge, and the device that may delete the message clears it when it
 * sees it (`readConversation` reports such messages as `lingering`).
 */
export function clearMessageText(message: Message): void {
	if (str(message.text) !== '') message.text = new A.ImmutableString('');
	if (Array.isArray(message.mentions) && message.mentions.length > 0) message.mentions.splice(0);
	// The file keys and names go too; the deletion lists the blob ids, so the files themselves
	// are deleted at the relay and on every device (ConversationController, FileTransfers.discard).
	if (Array.isArray(message.attachments) && message.attachments.length > 0) {
		message.attachments.splice(0);
	}
	for (const edit of message.edits ?? []) {
		if (str(edit.text) !== '') edit.text = new A.ImmutableString('');
		if (Array.isArray(edit.mentions) && edit.mentions.length > 0) edit.mentions.splice(0);
	}
}

/** Emoji people may react with: a short grapheme that is a pictograph. */
export function isReactionEmoji(value: string): boolean {
	return value.length > 0 && value.length <= 16 && /^\p{Extended_Pictographic}/u.test(value);
}

/**
 * Sets this device's reaction `emoji` on a message on or off (the caller toggles). Writes the
 * conversation (or its period), or the sibling document of announcements (the same list).
 */
export function setReaction(
	doc: Pick<MessageHost, 'reactions'>,
	id: string,
	emoji: string,
	on: boolean
): void {
	if (!isReactionEmoji(emoji)) throw new ConversationOpError('bad-emoji', 'not an emoji');
	requireList(doc.reactions, 'reactions').push({
		m: new A.ImmutableString(id),
		e: new A.ImmutableString(emoji),
		on
	});
}

/** The register key of a read marker: one per (member, device) (rule 19). */
export function readKey(member: string, device: string): string {
	return `${member}:${device}`;
}

/**
 * Moves this device's read marker to a message. The caller only moves it forward; readers
 * show the maximum of a member's registers and of concurrent values, so it never goes back.
 */
export function markRead(
	doc: Pick<ConversationDoc, 'reads'>,
	member: string,
	device: string,
	id: string,
	at: number
): void {
	const reads = doc.reads;
	if (!reads || typeof reads !== 'object') {
		throw new ConversationOpError('unsupported', 'this conversation has no read markers (v1)');
	}
	reads[readKey(member, device)] = { m: new A.ImmutableString(id), at };
}

export function setPin(doc: ConversationDoc, id: string, on: boolean, at: number): void {
	requireList(doc.pins, 'pins').push({ m: new A.ImmutableString(id), on, at });
}

export function renameConversation(doc: ConversationDoc, title: string, at: number): void {
	const trimmed = title.trim();
	if (!trimmed) throw new ConversationOpError('empty', 'the title is empty');
	requireList(doc.renames, 'renames').push({ title: trimmed.slice(0, MAX_TITLE_LENGTH), at });
}

/** Only http(s) and mailto addresses are links; anything else is refused or shown as text. */
export function safeUrl(value: string): string | undefined {
	if (value.length > MAX_URL_LENGTH) return undefined;
	let url: URL;
	try {
		url = new URL(value.trim());
	} catch {
		return undefined;
	}
	if (url.protocol !== 'http:' && url.protocol !== 'https:' && url.protocol !== 'mailto:') {
		return undefined;
	}
	return url.href;
}

export function addResource(
	doc: ConversationDoc,
	resource: { id: string; title: string; url: string; at: number }
): void {
	const url = safeUrl(resource.url);
	if (!url) throw new ConversationOpError('bad-url', 'only http, https and mailto links');
	const title = resource.title.trim().slice(0, MAX_RESOURCE_TITLE_LENGTH) || url;
	requireList(doc.resources, 'pinned resources').push({
		r: new A.ImmutableString(resource.id),
		title,
		url: new A.ImmutableString(url),
		on: true,
		at: resource.at
	});
}

export function removeResource(doc: ConversationDoc, id: string, at: number): void {
	requireList(doc.resources, 'pinned resources').push({
		r: new A.ImmutableString(id),
		title: '',
		url: new A.ImmutableString(''),
		on: false,
		at
	});
}

/** Records that the writing device's member left the conversation. */
export function leaveConversation(doc: ConversationDoc, at: number): void {
	requireList(doc.departures, 'departures').push({ at });
}

export function str(value: unknown): string {
	if (value instanceof A.ImmutableString) return value.val;
	return typeof value === 'string' ? value : '';
}
