import { expect, test } from '@playwright/test';
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { letIn, messageTexts, messageWith, perTestStack, sendMessage, startConversation } from './people.js';

/**
 * A new device catches up from a snapshot (SECURITY-RULES.md, rule 14; docs/protocol.md,
 * "Snapshots"). With the snapshot knob at 4 entries, the therapist's device (it administers the
 * conversation) uploads snapshots while a therapist and a client talk. The relay is then
 * stopped and the log entries its snapshots cover are removed from its database, as if it had
 * never kept them, and it is started again. A colleague let in afterwards can only show the
 * early messages by loading the snapshot; she sees the whole conversation and can write in it.
 */

const ctx = perTestStack();

/** Log entries (per document) the relay's stored snapshots cover, read from its database. */
function covered(dataDir: string): { doc: Buffer; upTo: number; entries: number }[] {
	const db = new Database(join(dataDir, 'relay.sqlite'), { readonly: true });
	try {
		return db
			.prepare(
				`SELECT s.doc AS doc, s.up_to AS upTo,
				  (SELECT count(*) FROM entries e WHERE e.doc = s.doc AND e.seq < s.up_to) AS entries
				 FROM snapshots s`
			)
			.all() as { doc: Buffer; upTo: number; entries: number }[];
	} finally {
		db.close();
	}
}

test('a colleague let in after the log was cut short catches up from the snapshot', async () => {
	test.setTimeout(240_000);
	const { stack } = ctx;
	const therapist = await ctx.person('Dr. Wren Ashdown');
	const client = await ctx.person('Milo Thistlewood');
	await therapist.page.evaluate(() => localStorage.setItem('tend-snapshot-every', '4'));
	// A group: a colleague joins later (a direct conversation stays between two people).
	await startConversation(stack, therapist, [client], { title: 'Sunday check-ins', kind: 'group' });
	const t = therapist.page;
	const c = client.page;

	const history: string[] = [];
	for (const [i, page] of [t, c, t, c, t, c, t, c, t, c].entries()) {
		const text = `Check-in note ${i + 1}`;
		await sendMessage(page, text);
		history.push(text);
		for (const other of [t, c]) await expect(messageWith(other, text)).toBeVisible({ timeout: 30_000 });
	}

	// The therapist's device has uploaded snapshots that cover some of each log.
	await expect
		.poll(() => covered(stack.relay.dataDir).reduce((sum, s) => sum + s.entries, 0), { timeout: 60_000 })
		.toBeGreaterThan(4);

	// The relay forgets what the snapshots cover. The entry at each snapshot's upTo stays, so the
	// log's numbering goes on where it was.
	await stack.relay.stop();
	const db = new Database(join(stack.relay.dataDir, 'relay.sqlite'));
	let removed = 0;
	try {
		const snapshots = db.prepare('SELECT doc, up_to AS upTo FROM snapshots').all() as { doc: Buffer; upTo: number }[];
		const remove = db.prepare('DELETE FROM entries WHERE doc = ? AND seq < ?');
		for (const { doc, upTo } of snapshots) removed += remove.run(doc, upTo).changes;
	} finally {
		db.close();
	}
	expect(removed).toBeGreaterThan(4);
	await stack.relay.restart({ samePort: true });
	await expect(t.getByTestId('connection-status')).toHaveAttribute('data-state', 'online', { timeout: 60_000 });

	// A colleague joins: every message shows, though most of them are no longer in the log.
	const late = await ctx.person('Ida Fernsby');
	await letIn(therapist, late, 'Sunday check-ins');
	const l = late.page;
	await expect.poll(() => messageTexts(l), { timeout: 60_000 }).toEqual(history);
	// No snapshot was refused: nothing to report.
	await expect(l.getByTestId('problems')).toHaveCount(0);

	// And she writes on top of it: the others get her message.
	await sendMessage(l, 'Caught up, thank you');
	for (const other of [t, c]) {
		await expect(messageWith(other, 'Caught up, thank you')).toBeVisible({ timeout: 30_000 });
	}
});
