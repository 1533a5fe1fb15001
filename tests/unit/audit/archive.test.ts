import { beforeAll, describe, expect, it } from 'vitest';
import {
	createArchiveFile,
	renderArchiveHtml,
	verifyArchiveFile,
	type ArchiveContent,
	type ArchiveLabels
} from '../../../src/lib/audit/archive.js';
import { generateSignKeyPair } from '../../../src/lib/crypto/primitives.js';
import { readyCrypto } from '../../../src/lib/crypto/sodium.js';
import { toBase64Url, toHex } from '../../../src/lib/protocol/bytes.js';
import { createGenesis } from '../../../src/lib/sync/documentRecords.js';

/**
 * "Export for the record" of a task board: the same signed archive format as a conversation,
 * with columns of cards; the printable view escapes every piece of card text.
 */

beforeAll(async () => {
	await readyCrypto();
});

const HOSTILE = '<img src=x onerror="alert(1)"><script>alert(2)</script>';

const LABELS: ArchiveLabels = {
	heading: 'Task board archive for the record',
	exportedAt: 'Exported',
	exportedBy: 'Exported by',
	members: 'Members',
	messages: 'Messages',
	card: { assignee: 'Assigned to', due: 'Due', labels: 'Labels', checklist: 'Checklist', comments: 'Comments' },
	signature: 'Signature',
	verifyHint: 'Check it with npm run audit:verify',
	formatTime: (ms) => new Date(ms).toISOString()
};

function boardArchive() {
	const owner = generateSignKeyPair();
	const created = createGenesis(owner, 'board');
	const archive: ArchiveContent = {
		kind: 'board',
		doc: toBase64Url(created.doc),
		title: 'Front desk follow-ups',
		exportedAt: Date.UTC(2026, 11, 4, 15),
		exportedBy: { device: toHex(owner.publicKey), name: 'Dr. Ames' },
		members: [{ device: toHex(owner.publicKey), name: 'Dr. Ames', role: 'owner' }],
		columns: [
			{
				title: 'To do',
				cards: [
					{
						id: 'c1',
						title: `Call back about insurance ${HOSTILE}`,
						text: 'Ask for the new member id',
						assigneeName: 'Dr. Ames',
						due: '2026-12-07',
						labels: ['billing', HOSTILE],
						checklist: [
							{ text: 'Find the form', done: true },
							{ text: HOSTILE, done: false }
						],
						comments: [{ authorName: 'Front desk', at: Date.UTC(2026, 11, 3, 9), text: `Left a voicemail ${HOSTILE}` }],
						attachments: [{ name: 'form.pdf', size: 2048, mime: 'application/pdf' }]
					}
				]
			},
			{ title: 'Archived cards', cards: [{ id: 'c2', title: 'Old card', text: '' }] }
		]
	};
	return { owner, created, archive };
}

describe('board archive', () => {
	it('is signed by a member of the board and verifies; a changed card does not', () => {
		const { owner, created, archive } = boardArchive();
		const file = createArchiveFile(owner, archive, [created.genesis]);
		const verified = verifyArchiveFile(JSON.stringify(file));
		expect(verified).toMatchObject({ ok: true, signer: toHex(owner.publicKey), role: 'admin' });
		if (verified.ok) expect(verified.archive.columns?.[0].cards[0].checklist?.[0]).toEqual({ text: 'Find the form', done: true });

		const changed = structuredClone(file);
		changed.archive.columns![0].cards[0].comments![0].text = 'Called, all sorted';
		expect(verifyArchiveFile(JSON.stringify(changed)).ok).toBe(false);
		const stranger = generateSignKeyPair();
		const forged = createArchiveFile(stranger, archive, [created.genesis]);
		expect(verifyArchiveFile(JSON.stringify(forged))).toEqual({ ok: false, why: 'the signer is not a member of the document' });
	});

	it('prints every card detail as escaped text in a page that runs nothing', () => {
		const { owner, created, archive } = boardArchive();
		const html = renderArchiveHtml(createArchiveFile(owner, archive, [created.genesis]), LABELS, 'en');
		expect(html).toContain(`content="default-src 'none'; style-src 'unsafe-inline'"`);
		expect(html).not.toContain('<img');
		expect(html).not.toContain('<script');
		expect(html).toContain('&lt;img src=x onerror=&quot;alert(1)&quot;&gt;');
		for (const text of ['Ask for the new member id', 'Assigned to: Dr. Ames', 'Due: 2026-12-07', '☑ Find the form', 'Left a voicemail', 'form.pdf', 'Archived cards', 'Old card']) {
			expect(html).toContain(text);
		}
		// A board has no messages: the view doesn't show an empty "Messages" section.
		expect(html).not.toContain('<h2>Messages</h2>');
	});
});

describe('archive signing', () => {
	it('signs the archive as it reads back from the file, whatever types its values had', () => {
		const { owner, created, archive } = boardArchive();
		// A value with its own JSON form (as a document's own string types have).
		const card = archive.columns![0].cards[0] as unknown as Record<string, unknown>;
		card.text = { toJSON: () => 'Ask for the new member id' };
		const file = createArchiveFile(owner, archive, [created.genesis]);
		expect(verifyArchiveFile(JSON.stringify(file)).ok).toBe(true);
	});
});
