import { describe, expect, it } from 'vitest';
import { randomBytes } from '../../../src/lib/crypto/primitives.js';
import type { DocSync } from '../../../src/lib/sync/DocSync.js';
import { SNAPSHOT_EVERY } from '../../../src/lib/sync/snapshot.js';
import { appendText, heads, inviteAndAdmit, texts } from '../../helpers/engineFlow.js';
import { filesUnder, findInFiles } from '../../helpers/scanFiles.js';
import { engineStack } from '../../helpers/engineStack.js';
import { waitFor, type NodeDevice } from '../../helpers/nodeDevice.js';

/**
 * Snapshots through the real relay and engines (SECURITY-RULES.md rule 14): the therapist's
 * device (an admin) uploads a snapshot after SNAPSHOT_EVERY log entries; a client admitted
 * later loads it, reads only the tail of the log, and ends with the same document.
 */

const stack = engineStack();

async function send(device: NodeDevice, sync: DocSync, text: string) {
	await appendText(device, sync, text);
	// One entry per message, as when someone types them one by one.
	await sync.commitLocal();
}

describe('snapshots through the real relay', () => {
	it('a device admitted after 600 messages loads the snapshot and the tail, and converges', async () => {
		const { therapist, client, conversation } = await stack.therapistAndClient();

		for (let i = 0; i < 600; i++) {
			await send(therapist, conversation, `Snapshot-era note number ${i}`);
		}
		await waitFor(() => conversation.outbox.length === 0 && conversation.cursor >= 600, 60_000, 'log');
		const found = await waitFor(
			async () => {
				const answer = await therapist.engine.connection.request('snap.get', {
					doc: conversation.doc
				});
				return typeof answer.upTo === 'number' ? answer : undefined;
			},
			30_000,
			'snapshot on the relay'
		);
		const stored = found!;

		// The snapshot (the whole document, sealed) is on the relay, and no message text is. The
		// positive control: an invite's `info` is stored as sent, so a marker sent there in clear
		// must be found by the same scan.
		const marker = `clear-control-${Date.now()}`;
		await therapist.engine.connection.request('invite.create', {
			invite: randomBytes(16),
			authPk: randomBytes(32),
			info: new TextEncoder().encode(marker),
			expires: Date.now() + 60_000
		});
		const secrets = ['Snapshot-era note number 0', 'Snapshot-era note number 599', 'Dr. Rivera'];
		const hits = findInFiles(filesUnder(stack.relay.dataDir), [marker, ...secrets]);
		expect(hits.has(marker)).toBe(true);
		hits.delete(marker);
		expect(Object.fromEntries(hits)).toEqual({});
		expect(stored.upTo).toBeGreaterThanOrEqual(SNAPSHOT_EVERY);
		const logLength = conversation.cursor;

		const { joined } = await inviteAndAdmit(therapist, client, conversation, {
			inviter: 'Dr. Rivera',
			title: 'Tuesday check-ins',
			client: 'Sam'
		});

		await waitFor(
			() => texts(joined).length === 600 && joined.cursor === logLength,
			30_000,
			'client catches up'
		);
		expect(texts(joined)).toEqual(texts(conversation));
		expect(heads(joined)).toEqual(heads(conversation));
		// Only the tail after the snapshot was read from the log.
		expect(joined.processedCount).toBe(logLength - (stored.upTo as number));
		expect(joined.processedCount).toBeLessThan(logLength - SNAPSHOT_EVERY + 1);
		expect(joined.withheldFrom()).toEqual([]);

		// Both directions still work after starting from a snapshot.
		await send(client, joined, 'Thanks, see you Tuesday.');
		client.engine.schedulePush(joined);
		await waitFor(() => texts(conversation).includes('Thanks, see you Tuesday.'), 15_000);
		await send(therapist, conversation, 'See you!');
		await waitFor(() => texts(joined).includes('See you!'), 15_000);
		expect(heads(joined)).toEqual(heads(conversation));
	}, 120_000);
});
