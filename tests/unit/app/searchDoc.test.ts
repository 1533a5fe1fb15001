import type * as A from '@automerge/automerge';
import { beforeAll, describe, expect, it } from 'vitest';
import { SearchService } from '../../../src/lib/app/SearchService.js';
import { periodHoldings, searchDoc } from '../../../src/lib/app/searchDoc.js';
import { viewDoc, type DocSource } from '../../../src/lib/app/TendApp.svelte.js';
import { readyCrypto } from '../../../src/lib/crypto/sodium.js';
import { appendMessage, readMessages, type ConversationDoc } from '../../../src/lib/model/conversation.js';
import type { PeriodDoc } from '../../../src/lib/model/period.js';
import { toHex } from '../../../src/lib/protocol/bytes.js';
import { periodDocId } from '../../../src/lib/protocol/period.js';
import { ConversationPeriods } from '../../../src/lib/sync/ConversationPeriods.js';
import { conversationWith } from '../../helpers/syncFixtures.js';

/**
 * Search reads every document a device holds of a conversation (rule 19), where the message list
 * stops at the first period missing below the newest: a device that was away while periods
 * filled holds old ones and new ones with a gap, and a search for a word in an old one must
 * still find it.
 */

beforeAll(async () => {
	await readyCrypto();
});

/** Period 0 (a format 2 conversation's own list) and periods 1, 3, 4 held; 2 is missing. */
async function withGap() {
	const { owner } = await conversationWith(0, 'Weekly');
	const me = toHex(owner.ctx.author.device.publicKey);
	const message = (id: string, text: string) => ({ id, author: me, sentAt: 1, text });
	await owner.sync.change<ConversationDoc>((d) => appendMessage(d, message('m0', 'kettle legacy')));
	const periods = new ConversationPeriods(owner.ctx, owner.sync, () => 2);
	const texts: [number, string][] = [
		[1, 'heron by the pond'],
		[3, 'middle of winter'],
		[4, 'newest plans']
	];
	for (const [n, text] of texts) {
		const sync = await periods.hold(n);
		await sync.change<PeriodDoc>((d) => appendMessage(d, message(`m${n}`, text)));
	}
	return { owner, periods, me };
}

function texts(doc: A.Doc<ConversationDoc> | undefined): string[] {
	return doc ? readMessages(doc).map((m) => m.text) : [];
}

describe('searchDoc', () => {
	it('reads every period held in the leader tab, below a gap too; the list stops at the gap', async () => {
		const { owner, periods, me } = await withGap();
		const source: DocSource = { handle: owner.sync.handle, sync: owner.sync, periods };

		expect(texts(viewDoc(source))).toEqual(['middle of winter', 'newest plans']);
		expect(texts(searchDoc(source))).toEqual([
			'kettle legacy',
			'heron by the pond',
			'middle of winter',
			'newest plans'
		]);

		const search = new SearchService({
			conversationIds: () => ['c'],
			doc: () => searchDoc(source),
			myId: () => me
		});
		expect(search.search({ text: 'heron' }).hits.map((h) => h.messageId)).toEqual(['m1']);
		expect(search.search({ text: 'kettle' }).hits.map((h) => h.messageId)).toEqual(['m0']);

		// Once the gap is held, the new period's messages join the index too.
		const gap = await periods.hold(2);
		await gap.change<PeriodDoc>((d) => appendMessage(d, { id: 'm2', author: me, sentAt: 1, text: 'heron again' }));
		expect(search.search({ text: 'heron' }).total).toBe(2);
	});

	it('reads period 0 and every period the leader holds in another tab', async () => {
		const { owner, periods } = await withGap();
		const tabPeriods = new Map(
			periods.held().map((n) => [n, { handle: periods.get(n)!.handle, relayId: periodDocId(owner.sync.doc, n) }])
		);
		const source: DocSource = { handle: owner.sync.handle, tabPeriods, tabKnown: 5 };

		expect(texts(searchDoc(source))).toEqual([
			'kettle legacy',
			'heron by the pond',
			'middle of winter',
			'newest plans'
		]);
		expect(periodHoldings(source)).toEqual({ known: 5, held: [1, 3, 4] });
	});

	it("gives the leader's holdings from its periods", async () => {
		const { owner, periods } = await withGap();
		await periods.learn(6);

		expect(periodHoldings({ handle: owner.sync.handle, periods })).toEqual({ known: 6, held: [1, 3, 4, 6] });
	});
});
