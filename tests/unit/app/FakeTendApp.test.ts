import { afterEach, describe, expect, it } from 'vitest';
import { FakeTendApp } from '../../../src/lib/app/FakeTendApp.svelte.js';
import { demoMe } from '../../../src/lib/app/fakeSeed.js';

async function until(condition: () => boolean, timeoutMs = 2000): Promise<void> {
	const start = Date.now();
	while (!condition()) {
		if (Date.now() - start > timeoutMs) throw new Error('condition not met in time');
		await new Promise((resolve) => setTimeout(resolve, 5));
	}
}

describe('FakeTendApp', () => {
	let app: FakeTendApp | undefined;
	afterEach(() => app?.dispose());

	it('starts in onboarding without a profile and becomes ready after createProfile', async () => {
		app = new FakeTendApp({ startDelayMs: 0, latencyMs: 1 });
		await until(() => app!.phase !== 'starting');
		expect(app.phase).toBe('onboarding');

		await app.createProfile('  Maria ');
		expect(app.phase).toBe('ready');
		expect(app.me?.name).toBe('Maria');
	});

	it('moves a sent message from saving to saved to delivered', async () => {
		app = new FakeTendApp({ me: demoMe, startDelayMs: 0, latencyMs: 4 });
		await until(() => app!.connection === 'online');
		const id = await app.createConversation('Check-in');
		const handle = app.openConversation(id);
		await until(() => handle.view !== undefined);

		await handle.send('hello');
		const states = new Set([handle.view!.messages[0].state]);
		await until(() => {
			states.add(handle.view!.messages[0].state);
			return states.has('delivered');
		});
		expect([...states]).toEqual(['saving', 'saved', 'delivered']);
		expect(app.conversations[0].lastMessage?.text).toBe('hello');
		handle.close();
	});

	it('keeps messages saved while offline and delivers them on reconnect', async () => {
		app = new FakeTendApp({ me: demoMe, startDelayMs: 0, latencyMs: 2 });
		await until(() => app!.connection === 'online');
		const id = await app.createConversation('Check-in');
		const handle = app.openConversation(id);
		await until(() => handle.view !== undefined);

		app.setConnection('offline');
		await handle.send('later');
		await new Promise((resolve) => setTimeout(resolve, 40));
		expect(handle.view!.messages[0].state).toBe('saved');

		app.setConnection('online');
		await until(() => handle.view!.messages[0].state === 'delivered');
	});

	it('delivers a join request after an invite and lets the person in', async () => {
		app = new FakeTendApp({ me: demoMe, startDelayMs: 0, latencyMs: 1, joinRequestAfterMs: 5 });
		const id = await app.createConversation('Check-in');
		const handle = app.openConversation(id);
		await until(() => handle.view !== undefined);

		const invite = await handle.createInvite();
		expect(invite.link).toMatch(/\/join#[\w-]+\.[\w-]+$/);
		await until(() => handle.view!.requests.length === 1);
		expect(app.conversations[0].pendingRequests).toBe(1);
		expect(handle.view!.requests[0].safetyCode).toMatch(/^\d{3} \d{3}$/);

		const requester = handle.view!.requests[0].name;
		await handle.admit(invite.inviteId);
		expect(handle.view!.requests).toEqual([]);
		expect(handle.view!.members.map((m) => m.name)).toEqual([demoMe.name, requester]);
	});

	it('takes an invitee from ready through waiting to admitted', async () => {
		app = new FakeTendApp({ startDelayMs: 0, latencyMs: 1, admitAfterMs: 5 });
		await until(() => app!.connection === 'online');
		const join = app.openJoin('AAAAAAAAAAAAAAAAAAAAAA.BBBBBBBBBBBBBBBBBBBBBB');
		await until(() => join.view.phase === 'ready');

		await join.accept('Sam');
		await until(() => join.view.phase === 'waiting');
		expect(app.pendingJoins).toHaveLength(1);
		await until(() => join.view.phase === 'admitted');
		expect(app.me?.name).toBe('Sam');
		expect(app.pendingJoins).toEqual([]);
		expect(app.conversations.map((c) => c.id)).toContain(join.view.conversationId);
	});

	it('answers a malformed fragment with invalid', async () => {
		app = new FakeTendApp({ startDelayMs: 0, latencyMs: 1 });
		const join = app.openJoin('not-a-link');
		await until(() => join.view.phase !== 'checking');
		expect(join.view.phase).toBe('invalid');
	});

	it('searches, keeps office hours and quick replies like the real app', async () => {
		app = new FakeTendApp({ me: demoMe, startDelayMs: 0, latencyMs: 1 });
		await until(() => app!.phase === 'ready');
		const id = await app.createConversation('Check-in');
		app.receiveMessage(id, 'Sam Rivera', 'The grounding exercise helped');

		const found = await app.search({ text: 'GROUND' });
		expect(found.hits.map((h) => [h.conversationTitle, h.authorName])).toEqual([['Check-in', 'Sam Rivera']]);
		expect(found.hits[0].snippet.filter((s) => s.mark).map((s) => s.text)).toEqual(['grounding']);
		expect((await app.search({ text: 'ground', personId: 'me' })).total).toBe(0);

		expect(app.availability).toBeUndefined();
		await app.saveAvailability({ timeZone: 'UTC', hours: [], replyHours: 4, emergency: ' Call 112 ' });
		expect(app.availability?.emergency).toBe('Call 112');

		expect(app.quickReplies.map((r) => r.id)).toEqual(['default-reminder', 'default-late', 'default-grounding']);
		await app.saveQuickReplies([{ id: 'x', title: 'Late', body: 'Late, {client}' }]);
		expect(app.quickReplies).toEqual([{ id: 'x', title: 'Late', body: 'Late, {client}' }]);
	});
});
