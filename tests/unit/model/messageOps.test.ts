import * as A from '@automerge/automerge';
import { describe, expect, it } from 'vitest';
import { appendMessage, type ConversationDoc } from '../../../src/lib/model/conversation.js';
import {
	addResource,
	ConversationOpError,
	deleteMessage,
	editMessage,
	leaveConversation,
	markRead,
	readKey,
	removeResource,
	renameConversation,
	safeUrl,
	setPin,
	setReaction
} from '../../../src/lib/model/messageOps.js';
import { ACTORS, as, CLIENT, COLLEAGUE, genesisDoc, merge, OWNER, OWNER_TAB, read } from './helpers.js';

type Doc = A.Doc<ConversationDoc>;

function send(doc: Doc, author: string, id: string, text = `text of ${id}`, extra = {}): Doc {
	return A.change(doc, (d) => appendMessage(d, { id, author, sentAt: 10, text, ...extra }));
}

/** The owner's and the client's replicas after the owner's "m1" and the client's "m2". */
function twoMessages(): { owner: Doc; client: Doc } {
	const owner = send(genesisDoc(), OWNER, 'm1');
	const client = send(as(owner, CLIENT), CLIENT, 'm2');
	return { owner: merge(owner, client), client };
}

describe('genesis and format versions', () => {
	it('creates every conversation-level container in the genesis change', () => {
		const doc = genesisDoc('announcements');

		expect(doc).toMatchObject({ v: 2, kind: 'announcements', renames: [], pins: [], resources: [], reactions: [], reads: {}, departures: [] });
		expect(A.getAllChanges(doc)).toHaveLength(1);
		expect(read(doc).features).toEqual({ reactions: true, reads: true, pins: true, renames: true, resources: true, departures: true });
	});

	it('creates the edit and deletion lists with each message, so nobody creates them later', () => {
		const doc = send(genesisDoc(), OWNER, 'm1');
		const before = A.getAllChanges(doc).length;
		const edited = A.change(doc, (d) => editMessage(d, 'm1', { text: 'v2', at: 20 }));

		expect(doc.messages[0].edits).toEqual([]);
		expect(doc.messages[0].deletions).toEqual([]);
		expect(A.getAllChanges(edited)).toHaveLength(before + 1);
	});

	it('reads a v1 document: new messages get edits and deletion, conversation-level operations are refused and change nothing', () => {
		// A v1 document as the first release created it: no conversation-level logs, messages
		// without edit or deletion lists.
		let v1 = A.change(A.init<ConversationDoc>({ actor: ACTORS[OWNER] }), (d) => {
			Object.assign(d, { v: 1, title: 'Old', kind: 'direct', createdAt: 1, members: { [OWNER]: { name: 'O', role: 'owner', addedAt: 1 } }, messages: [] });
			d.messages.push({ id: new A.ImmutableString('old'), author: new A.ImmutableString(OWNER), sentAt: 1, text: new A.ImmutableString('old text') });
		});
		v1 = send(v1, OWNER, 'new');
		const heads = A.getHeads(v1);

		for (const op of [
			(d: ConversationDoc) => editMessage(d, 'old', { text: 'x', at: 2 }),
			(d: ConversationDoc) => deleteMessage(d, 'old', 2),
			(d: ConversationDoc) => setReaction(d, 'old', '👍', true),
			(d: ConversationDoc) => markRead(d, OWNER, OWNER, 'old', 2),
			(d: ConversationDoc) => setPin(d, 'old', true, 2),
			(d: ConversationDoc) => renameConversation(d, 'New', 2),
			(d: ConversationDoc) => leaveConversation(d, 2)
		]) {
			expect(() => A.change(v1, op)).toThrow(ConversationOpError);
		}
		expect(A.getHeads(v1)).toEqual(heads);
		v1 = A.change(v1, (d) => editMessage(d, 'new', { text: 'edited', at: 3 }));
		const record = read(v1);

		expect(record.version).toBe(1);
		expect(record.features.reads).toBe(false);
		expect(record.unread).toBe(0);
		expect(record.messages.map((m) => [m.id, m.text, m.editable])).toEqual([
			['old', 'old text', false],
			['new', 'edited', true]
		]);
	});
});

describe('threads', () => {
	it('counts replies on the thread’s first message and keeps replies in document order', () => {
		let { owner, client } = twoMessages();
		owner = send(owner, OWNER, 'r1', 'reply one', { thread: 'm1' });
		client = send(merge(client, owner), CLIENT, 'r2', 'reply two', { thread: 'm1' });
		const record = read(merge(owner, client));

		expect(record.messages.find((m) => m.id === 'm1')?.replies).toBe(2);
		expect(record.messages.filter((m) => m.thread === 'm1').map((m) => m.id)).toEqual(['r1', 'r2']);
		expect(record.messages.find((m) => m.id === 'm2')?.replies).toBe(0);
	});

	it('does not count a deleted reply', () => {
		let doc = send(send(genesisDoc(), OWNER, 'm1'), OWNER, 'r1', 'x', { thread: 'm1' });
		doc = A.change(doc, (d) => deleteMessage(d, 'r1', 5));

		expect(read(doc).messages[0].replies).toBe(0);
	});
});

describe('edits', () => {
	it('shows the newest version, marks it edited and keeps earlier versions', () => {
		let doc = send(genesisDoc(), OWNER, 'm1', 'first');
		doc = A.change(doc, (d) => editMessage(d, 'm1', { text: 'second', at: 20 }));
		doc = A.change(doc, (d) => editMessage(d, 'm1', { text: 'third', at: 30 }));
		const [message] = read(doc).messages;

		expect(message.text).toBe('third');
		expect(message.editedAt).toBe(30);
		expect(message.versions).toEqual([{ text: 'first', at: 10 }, { text: 'second', at: 20 }]);
	});

	it('ignores an edit of someone else’s message, even by an administering device', () => {
		let { owner, client } = twoMessages();
		owner = A.change(owner, (d) => editMessage(d, 'm2', { text: 'words put in the client’s mouth', at: 20 }));
		client = A.change(as(merge(client, owner), { actor: 'ce'.repeat(16) }), (d) => editMessage(d, 'm1', { text: 'forged', at: 21 }));
		const record = read(merge(owner, client));
		const [m1, m2] = record.messages;

		expect(m2.text).toBe('text of m2');
		expect(m2.ignoredOps).toBe(1);
		expect(m2.versions).toEqual([]);
		// An actor nobody claimed is no device: ignored as well.
		expect(m1.text).toBe('text of m1');
		expect(m1.ignoredOps).toBe(1);
	});

	it('accepts an edit from another tab of the author’s device', () => {
		let doc = send(genesisDoc(), OWNER, 'm1');
		doc = A.change(as(doc, { actor: OWNER_TAB }), (d) => editMessage(d, 'm1', { text: 'from the tab', at: 20 }));

		expect(read(doc).messages[0].text).toBe('from the tab');
	});

	it('refuses an empty or overlong edit and an unknown message', () => {
		const doc = send(genesisDoc(), OWNER, 'm1');

		expect(() => A.change(doc, (d) => editMessage(d, 'm1', { text: '  ', at: 1 }))).toThrow(/empty/);
		expect(() => A.change(doc, (d) => editMessage(d, 'm1', { text: 'x'.repeat(20_001), at: 1 }))).toThrow(/at most/);
		expect(() => A.change(doc, (d) => editMessage(d, 'nope', { text: 'x', at: 1 }))).toThrow(/no message/);
	});
});

describe('delete for everyone', () => {
	it('removes the text and every version from the current state', () => {
		let doc = send(genesisDoc(), OWNER, 'm1', 'first', { mentions: [CLIENT] });
		doc = A.change(doc, (d) => editMessage(d, 'm1', { text: 'second', at: 20, mentions: [CLIENT] }));
		doc = A.change(doc, (d) => deleteMessage(d, 'm1', 30));
		const [message] = read(doc).messages;

		expect(message).toMatchObject({ deleted: true, text: '', versions: [], mentions: [], lingering: false });
		expect(JSON.stringify(A.toJS(doc))).not.toMatch(/first|second/);
	});

	it('lets an administering device delete a member’s message, but not a member delete the admin’s', () => {
		let { owner, client } = twoMessages();
		owner = A.change(owner, (d) => deleteMessage(d, 'm2', 20));
		client = A.change(merge(client, owner), (d) => deleteMessage(d, 'm1', 21));
		const [m1, m2] = read(merge(owner, client)).messages;

		expect(m2).toMatchObject({ deleted: true, deletedByAdmin: true });
		// The client's deletion is ignored; it emptied the text, so the message shows as tampered.
		expect(m1).toMatchObject({ deleted: false, ignoredOps: 1, tampered: true });
	});

	it('reports text that a concurrent edit left in a deleted message, and clearing it converges', () => {
		const base = send(genesisDoc(), OWNER, 'm1', 'first');
		const tab = A.change(as(base, { actor: OWNER_TAB }), (d) => editMessage(d, 'm1', { text: 'edited offline', at: 20 }));
		const deleted = A.change(base, (d) => deleteMessage(d, 'm1', 21));
		let merged = merge(deleted, tab);

		expect(read(merged).messages[0]).toMatchObject({ deleted: true, text: '', lingering: true });
		merged = A.change(merged, (d) => deleteMessage(d, 'm1', 22));
		expect(read(merged).messages[0].lingering).toBe(false);
		expect(JSON.stringify(A.toJS(merged))).not.toContain('edited offline');
	});
});

describe('reactions', () => {
	it('toggles per device and emoji; the last toggle in list order wins', () => {
		let { owner, client } = twoMessages();
		owner = A.change(owner, (d) => setReaction(d, 'm2', '👍', true));
		owner = A.change(owner, (d) => setReaction(d, 'm2', '❤️', true));
		owner = A.change(owner, (d) => setReaction(d, 'm2', '👍', false));
		client = A.change(merge(client, owner), (d) => setReaction(d, 'm2', '❤️', true));
		const m2 = read(merge(owner, client)).messages[1];

		expect(m2.reactions).toEqual([{ emoji: '❤️', devices: [OWNER, CLIENT] }]);
	});

	it('refuses what is not an emoji and ignores one written into the log by hand', () => {
		const { owner } = twoMessages();
		expect(() => A.change(owner, (d) => setReaction(d, 'm1', '<b>', true))).toThrow(ConversationOpError);
		const forged = A.change(owner, (d) => {
			d.reactions!.push({ m: new A.ImmutableString('m1'), e: new A.ImmutableString('<img src=x>'), on: true });
		});

		expect(read(forged).messages[0].reactions).toEqual([]);
	});
});

describe('read markers', () => {
	it('shows read-by per message and unread counts with mentions', () => {
		let owner = send(genesisDoc(), OWNER, 'm1');
		owner = send(owner, OWNER, 'm2', '@Client hi', { mentions: [CLIENT] });
		owner = send(owner, OWNER, 'm3');
		let client = A.change(as(owner, CLIENT), (d) => markRead(d, CLIENT, CLIENT, 'm2', 50));
		const seenByOwner = read(merge(owner, client));
		const seenByClient = read(client, CLIENT);

		expect(seenByOwner.messages.map((m) => m.readBy)).toEqual([[CLIENT], [CLIENT], []]);
		expect(seenByClient).toMatchObject({ unread: 1, unreadMentions: 0 });
		expect(read(as(owner, CLIENT), CLIENT)).toMatchObject({ unread: 3, unreadMentions: 1 });
		client = A.change(client, (d) => markRead(d, CLIENT, CLIENT, 'm3', 60));
		expect(read(client, CLIENT).unread).toBe(0);
	});

	it('ignores a marker written for another device', () => {
		const { owner } = twoMessages();
		const forged = A.change(owner, (d) => markRead(d, CLIENT, CLIENT, 'm2', 50));
		const record = read(forged);

		expect(record.readIndex.has(CLIENT)).toBe(false);
		expect(record.ignoredOps).toBe(1);
	});

	it('takes the furthest of concurrent writes to one register', () => {
		let doc = send(send(send(genesisDoc(), OWNER, 'm1'), OWNER, 'm2'), OWNER, 'm3');
		const tab = A.change(as(doc, { actor: OWNER_TAB }), (d) => markRead(d, OWNER, OWNER, 'm3', 1));
		doc = A.change(doc, (d) => markRead(d, OWNER, OWNER, 'm1', 2));

		expect(read(merge(doc, tab)).readIndex.get(OWNER)).toBe(2);
		expect(read(merge(tab, doc)).readIndex.get(OWNER)).toBe(2);
		expect(readKey(OWNER, OWNER)).toBe(`${OWNER}:${OWNER}`);
	});
});

describe('pins, renames, resources and leaving', () => {
	it('honours pins and renames by administering devices only', () => {
		let { owner, client } = twoMessages();
		owner = A.change(owner, (d) => setPin(d, 'm2', true, 20));
		owner = A.change(owner, (d) => renameConversation(d, 'Tuesday group', 21));
		client = A.change(merge(client, owner), (d) => {
			setPin(d, 'm1', true, 22);
			setPin(d, 'm2', false, 22);
			renameConversation(d, 'Hijacked', 22);
		});
		const record = read(merge(owner, client), CLIENT);

		expect(record.pinned).toEqual(['m2']);
		expect(record.title).toBe('Tuesday group');
		expect(record.ignoredOps).toBe(3);
		expect(read(merge(owner, client), CLIENT, [OWNER, CLIENT]).title).toBe('Hijacked');
	});

	it('adds and removes pinned links, and accepts only http(s) and mailto', () => {
		let doc = genesisDoc();
		doc = A.change(doc, (d) => addResource(d, { id: 'r1', title: 'Breathing', url: 'https://example.org/breathe', at: 1 }));
		doc = A.change(doc, (d) => addResource(d, { id: 'r2', title: 'Write to us', url: 'mailto:desk@example.org', at: 2 }));
		doc = A.change(doc, (d) => removeResource(d, 'r1', 3));

		expect(read(doc).resources).toEqual([{ id: 'r2', title: 'Write to us', url: 'mailto:desk@example.org' }]);
		expect(() => A.change(doc, (d) => addResource(d, { id: 'r3', title: 'x', url: 'javascript:alert(1)', at: 4 }))).toThrow(/only http/);
		expect([safeUrl('JAVASCRIPT:alert(1)'), safeUrl('data:text/html,x'), safeUrl('vbscript:x'), safeUrl('not a url')]).toEqual([undefined, undefined, undefined, undefined]);
	});

	it('marks a member who left; their read marker no longer shows', () => {
		const base = send(genesisDoc(), OWNER, 'm1');
		let colleague = A.change(as(base, COLLEAGUE), (d) => markRead(d, COLLEAGUE, COLLEAGUE, 'm1', 2));
		expect(read(merge(base, colleague)).messages[0].readBy).toEqual([COLLEAGUE]);
		colleague = A.change(colleague, (d) => leaveConversation(d, 3));
		const record = read(merge(base, colleague));

		expect([...record.departed]).toEqual([COLLEAGUE]);
		expect(record.messages[0].readBy).toEqual([]);
	});
});
