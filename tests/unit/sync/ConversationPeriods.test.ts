import type * as A from '@automerge/automerge';
import { beforeAll, describe, expect, it } from 'vitest';
import { readyCrypto } from '../../../src/lib/crypto/sodium.js';
import { appendMessage, type Message } from '../../../src/lib/model/conversation.js';
import type { PeriodDoc } from '../../../src/lib/model/period.js';
import { toHex } from '../../../src/lib/protocol/bytes.js';
import { ConversationPeriods } from '../../../src/lib/sync/ConversationPeriods.js';
import { conversationWith } from '../../helpers/syncFixtures.js';

/**
 * What a device holds of a conversation's periods when they aren't one run (rule 19): a device
 * that was away while several periods filled holds its old periods and the newest, with a gap
 * between. The message list reads the run down from the newest; search reads everything held,
 * and a jump from search loads the gap.
 */

beforeAll(async () => {
	await readyCrypto();
});

async function withGap() {
	const { owner } = await conversationWith(0);
	const periods = new ConversationPeriods(owner.ctx, owner.sync, () => 2);
	const me = toHex(owner.ctx.author.device.publicKey);
	const write = async (n: number, id: string) => {
		const sync = await periods.hold(n);
		await sync.change<PeriodDoc>((d) => appendMessage(d, { id, author: me, sentAt: n, text: id }));
	};
	await write(1, 'old');
	await write(3, 'middle');
	await write(4, 'new');
	return { owner, periods };
}

function ids(parts: { doc: A.Doc<unknown> }[]): string[] {
	return parts.flatMap(({ doc }) => ((doc as { messages?: Message[] }).messages ?? []).map((m) => m.id.val));
}

describe('ConversationPeriods with a gap', () => {
	it('gives search every held period and the list only the run down from the newest', async () => {
		const { periods } = await withGap();

		expect(periods.held()).toEqual([1, 3, 4]);
		expect(periods.documents().map((p) => p.n)).toEqual([3, 4]);
		expect(periods.searchDocuments().map((p) => p.n)).toEqual([0, 1, 3, 4]);
		expect(ids(periods.searchDocuments())).toEqual(['old', 'middle', 'new']);
		expect(periods.missing()).toEqual([2]);
	});

	it('loads the periods down to a given one, so the list reaches it', async () => {
		const { periods } = await withGap();

		await periods.loadDownTo(1);

		expect(periods.held()).toEqual([1, 2, 3, 4]);
		expect(periods.oldestHeld).toBe(0);
		expect(ids(periods.documents())).toEqual(['old', 'middle', 'new']);
		expect(periods.missing()).toEqual([]);
	});

	it('tells other tabs what is held and known, and waits for a restore to finish', async () => {
		const { owner, periods } = await withGap();
		await periods.learn(6);

		expect(await ConversationPeriods.peek(owner.ctx.store, owner.sync.docKey)).toEqual({
			held: [1, 3, 4, 6],
			known: 6
		});

		// A restart: the held periods come back in the background; `settled` waits for them.
		const again = new ConversationPeriods(owner.ctx, owner.sync, () => 2);
		void again.restore();
		await again.settled();
		expect(again.held()).toEqual([1, 3, 4, 6]);
		expect(again.missing()).toEqual([5, 2]);
	});
});
