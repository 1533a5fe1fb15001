import * as A from '@automerge/automerge';
import { Buffer } from 'node:buffer';
import { randomBytes as nodeRandomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { readyCrypto } from '../../../src/lib/crypto/sodium.js';
import { appendMessage, type Message } from '../../../src/lib/model/conversation.js';
import { PERIOD_SIZE_KNOB, type PeriodDoc } from '../../../src/lib/model/period.js';
import { toHex } from '../../../src/lib/protocol/bytes.js';
import { createConversation } from '../../../src/lib/sync/createConversation.js';
import type { ConversationPeriods } from '../../../src/lib/sync/ConversationPeriods.js';
import { DocSync } from '../../../src/lib/sync/DocSync.js';
import { inviteAndAdmit } from '../../helpers/engineFlow.js';
import { nodeDevice, waitFor, type NodeDevice } from '../../helpers/nodeDevice.js';
import { RelayProcess } from '../../helpers/relayProcess.js';
import { makeInvite, connectAs, newDevice } from '../relay/fixtures.js';

/**
 * Period documents through the real engine and relay (rule 19): a therapist writes enough to
 * roll over twice (period size 3 through the test knob), the client's device learns of the
 * periods from the relay, holds the newest, loads the earlier ones on demand and ends with the
 * whole history in order; its reply goes into the newest period; after a restart it still holds
 * every period. The relay's files hold none of the period messages' text.
 */

let relay: RelayProcess | undefined;
const devices: NodeDevice[] = [];
const knob = { size: '3' };

beforeAll(async () => {
	await readyCrypto();
	// The app reads the period size knob from localStorage (model/period.ts).
	(globalThis as { localStorage?: Pick<Storage, 'getItem'> }).localStorage = {
		getItem: (key: string) => (key === PERIOD_SIZE_KNOB ? knob.size : null)
	};
	return () => {
		delete (globalThis as { localStorage?: unknown }).localStorage;
	};
});

afterEach(async () => {
	for (const device of devices.splice(0)) device.stop();
	await relay?.dispose();
	relay = undefined;
});

function history(periods: ConversationPeriods): string[] {
	return periods.documents().flatMap(({ doc }) =>
		(Array.isArray(doc.messages) ? (doc.messages as Message[]) : []).map((m) => m.text.val)
	);
}

async function send(device: NodeDevice, periods: ConversationPeriods, text: string): Promise<void> {
	const target = await periods.writeTarget();
	await target.change<PeriodDoc>((doc) =>
		appendMessage(doc, {
			id: crypto.randomUUID(),
			author: toHex(device.ctx.author.device.publicKey),
			sentAt: Date.now(),
			text
		})
	);
	await device.ctx.repo.flush([target.localId]);
	device.engine.schedulePush(target);
}

const ENCODINGS = ['utf8', 'utf16le', 'latin1'] as const;

function foundIn(dir: string, text: string): string[] {
	const hits: string[] = [];
	for (const name of readdirSync(dir)) {
		const content = readFileSync(join(dir, name));
		for (const encoding of ENCODINGS) {
			if (content.includes(Buffer.from(text, encoding))) hits.push(encoding);
		}
	}
	return [...new Set(hits)].sort();
}

describe('period documents through the engine and the relay', () => {
	it('a member catches up every period, loads earlier ones on demand, and keeps them after a restart', async () => {
		relay = await RelayProcess.start();
		const therapist = nodeDevice(relay.url);
		const client = nodeDevice(relay.url);
		devices.push(therapist, client);
		const conversation = await createConversation(therapist.ctx, { title: 'Long one', creatorName: 'Dr. Rivera' });
		therapist.engine.add(conversation);
		therapist.engine.start();
		client.engine.start();
		await waitFor(() => therapist.engine.status === 'online' && client.engine.status === 'online');
		const { joined } = await inviteAndAdmit(therapist, client, conversation, {
			inviter: 'Dr. Rivera',
			title: 'Long one',
			client: 'Sam'
		});
		const mine = therapist.engine.periodsOf(conversation);
		// The client goes offline (its app is closed) while the therapist writes.
		client.stop();

		const marker = `Tënd-period-${nodeRandomBytes(6).toString('hex')}-çà`;
		const sent = Array.from({ length: 8 }, (_, i) => (i === 6 ? marker : `message ${i}`));
		for (const text of sent) await send(therapist, mine, text);
		// A new conversation (format v3) keeps its messages in periods from 1 on: 3, 3 and 2.
		expect(mine.held()).toEqual([1, 2, 3]);
		expect(mine.count(0)).toBe(0);
		await waitFor(() => [0, 1, 2, 3].every((n) => mine.get(n)!.outbox.length === 0), 15_000, 'pushed');

		// The client's app starts again: it learns of period 3 from the relay and holds only it.
		const back = client.restart();
		devices.push(back);
		const joinedBack = (await DocSync.load(back.ctx, joined.doc))!;
		back.engine.add(joinedBack);
		const theirs = back.engine.periodsOf(joinedBack);
		await theirs.restore();
		back.engine.start();
		await waitFor(() => theirs.known === 3 && theirs.get(3) !== undefined, 15_000, 'period 3 known');
		await waitFor(() => history(theirs).length === 2, 15_000, 'period 3 caught up');
		expect(history(theirs)).toEqual(sent.slice(6));
		expect(theirs.held()).toEqual([3]);

		// Scrolling up: period 2, then period 1; then there is nothing earlier.
		expect(await theirs.loadEarlier()).toBe(true);
		await waitFor(() => history(theirs).length === 5, 15_000, 'period 2 caught up');
		expect(await theirs.loadEarlier()).toBe(true);
		await waitFor(() => history(theirs).length === 8, 15_000, 'everything');
		expect(await theirs.loadEarlier()).toBe(false);
		expect(history(theirs)).toEqual(sent);

		// The client replies: into the newest period (it has room for one more).
		await send(back, theirs, 'reply');
		await waitFor(() => history(mine).at(-1) === 'reply', 15_000, 'reply arrives');
		expect(theirs.held()).toEqual([1, 2, 3]);
		expect(mine.count(3)).toBe(3);
		for (const n of [1, 2, 3]) {
			expect(A.getHeads(theirs.get(n)!.handle.doc() as A.Doc<unknown>).sort()).toEqual(
				A.getHeads(mine.get(n)!.handle.doc() as A.Doc<unknown>).sort()
			);
		}

		// After a restart the client still holds every period it held, read from its own disk.
		const restarted = back.restart();
		devices.push(restarted);
		const reloaded = (await DocSync.load(restarted.ctx, joined.doc))!;
		restarted.engine.add(reloaded);
		const again = restarted.engine.periodsOf(reloaded);
		await again.restore();
		expect(again.held()).toEqual([1, 2, 3]);
		expect(history(again)).toEqual([...sent, 'reply']);

		// The relay stores the periods' entries sealed: the marker is in none of its files,
		// while the same scan finds a marker an invite carries in clear (positive control).
		const control = `Tënd-cöntrol-${nodeRandomBytes(6).toString('hex')}-çà`;
		const raw = await connectAs(relay.url, newDevice());
		const invite = makeInvite(conversation.doc, newDevice());
		await raw.request('invite.create', {
			invite: invite.id,
			authPk: invite.keys.auth.publicKey,
			info: Buffer.from(control, 'utf8'),
			expires: Date.now() + 60_000
		});
		await raw.close();
		for (const device of devices.splice(0)) device.stop();
		await relay.stop();
		expect(foundIn(relay.dataDir, control)).toEqual(['utf8']);
		expect(foundIn(relay.dataDir, marker)).toEqual([]);
		expect(foundIn(relay.dataDir, 'message 3')).toEqual([]);
	}, 90_000);

	it('a member holding every missing period for search hears when each has caught up, with its messages in', async () => {
		relay = await RelayProcess.start();
		const therapist = nodeDevice(relay.url);
		const client = nodeDevice(relay.url);
		devices.push(therapist, client);
		const conversation = await createConversation(therapist.ctx, { title: 'Long one', creatorName: 'Dr. Rivera' });
		therapist.engine.add(conversation);
		therapist.engine.start();
		client.engine.start();
		await waitFor(() => therapist.engine.status === 'online' && client.engine.status === 'online');
		const { joined } = await inviteAndAdmit(therapist, client, conversation, {
			inviter: 'Dr. Rivera',
			title: 'Long one',
			client: 'Sam'
		});
		const mine = therapist.engine.periodsOf(conversation);
		client.stop();
		const sent = Array.from({ length: 8 }, (_, i) => `message ${i}`);
		for (const text of sent) await send(therapist, mine, text);
		await waitFor(() => [0, 1, 2, 3].every((n) => mine.get(n)!.outbox.length === 0), 15_000, 'pushed');

		// The client comes back holding only the newest period: 2 and 1 are missing.
		const back = client.restart();
		devices.push(back);
		const joinedBack = (await DocSync.load(back.ctx, joined.doc))!;
		back.engine.add(joinedBack);
		const theirs = back.engine.periodsOf(joinedBack);
		await theirs.restore();
		back.engine.start();
		await waitFor(() => theirs.known === 3 && back.engine.caughtUp(theirs.get(3)!.docKey), 15_000, 'period 3');
		expect(theirs.missing()).toEqual([2, 1]);

		// Each period reports catching up once, and only when its messages are in.
		const seen = new Map<string, number>();
		back.engine.on('caught-up', (doc) => {
			const n = [1, 2].find((k) => theirs.get(k)?.docKey === doc);
			if (n !== undefined) seen.set(`${n}`, theirs.count(n));
		});
		for (const n of theirs.missing()) await theirs.hold(n);
		await waitFor(() => seen.size === 2, 15_000, 'both caught up');
		expect(Object.fromEntries(seen)).toEqual({ 1: 3, 2: 3 });
		expect([1, 2, 3].every((n) => back.engine.caughtUp(theirs.get(n)!.docKey))).toBe(true);
		expect(history(theirs)).toEqual(sent);
		expect(theirs.missing()).toEqual([]);
	}, 90_000);
});
