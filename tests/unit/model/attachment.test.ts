import * as A from '@automerge/automerge';
import { beforeAll, describe, expect, it } from 'vitest';
import { sealFile } from '../../../src/lib/crypto/fileCrypto.js';
import { readyCrypto } from '../../../src/lib/crypto/sodium.js';
import { readAttachments, type AttachmentInput } from '../../../src/lib/model/attachment.js';
import {
	appendMessage,
	initialConversation,
	readMessages,
	type ConversationDoc
} from '../../../src/lib/model/conversation.js';

beforeAll(async () => {
	await readyCrypto();
});

function attachmentFor(text: string, kind: AttachmentInput['kind'] = 'file'): AttachmentInput {
	const sealed = sealFile(new TextEncoder().encode(text));
	return {
		blob: sealed.id,
		key: sealed.key,
		hash: sealed.hash,
		size: sealed.size,
		stored: sealed.ciphertext.length,
		kind,
		mime: 'text/plain',
		name: `${text}.txt`
	};
}

describe('attachments in the conversation document', () => {
	it('are created with their message (rule 19): concurrent messages keep each its own files', () => {
		const base = A.change(A.init<ConversationDoc>(), initialConversation('T', 'aa', 'Ann', 1));
		const a = A.change(A.clone(base), (doc) =>
			appendMessage(doc, { id: 'a', author: 'aa', sentAt: 2, text: '', attachments: [attachmentFor('one')] })
		);
		const b = A.change(A.clone(base), (doc) =>
			appendMessage(doc, {
				id: 'b',
				author: 'bb',
				sentAt: 2,
				text: 'two files',
				attachments: [attachmentFor('two', 'image'), { ...attachmentFor('three', 'voice'), durationMs: 1200, wave: new Uint8Array([1, 200]) }]
			})
		);
		const merged = A.merge(A.clone(a), b);
		const byId = new Map(readMessages(merged).map((m) => [m.id, m]));
		expect(byId.get('a')?.attachments.map((x) => x.name)).toEqual(['one.txt']);
		expect(byId.get('b')?.attachments.map((x) => x.name)).toEqual(['two.txt', 'three.txt']);
		const voice = byId.get('b')!.attachments[1];
		expect(voice).toMatchObject({ kind: 'voice', durationMs: 1200 });
		expect([...voice.wave!]).toEqual([1, 200]);

		// Survives save and load with its bytes intact.
		const loaded = readMessages(A.load<ConversationDoc>(A.save(merged)));
		expect(loaded.find((m) => m.id === 'a')?.attachments[0].key).toEqual(byId.get('a')?.attachments[0].key);
		// A message without files has an empty list from the start.
		const plain = A.change(A.clone(base), (doc) => appendMessage(doc, { id: 'c', author: 'aa', sentAt: 3, text: 'hi' }));
		expect(Array.isArray(plain.messages[0].attachments)).toBe(true);
		expect(readMessages(plain)[0].attachments).toEqual([]);
	});

	it('skips malformed attachments a hostile writer put in, keeping the good ones', () => {
		const good = attachmentFor('fine');
		const list = [
			null,
			'text',
			{ ...good, blob: new Uint8Array(5) },
			{ ...good, key: 'not bytes' },
			{ ...good, size: -1 },
			{ ...good, kind: 'script' },
			{ ...good, thumb: new Uint8Array(100_000) },
			good
		];
		const read = readAttachments(list);
		expect(read).toHaveLength(2); // the oversized thumbnail is dropped, its attachment kept
		expect(read.every((a) => a.name === 'fine.txt')).toBe(true);
		expect(read.filter((a) => a.thumb)).toHaveLength(0);
		expect(readAttachments(undefined)).toEqual([]);
	});
});
