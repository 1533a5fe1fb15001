import type { FakeTendApp } from './FakeTendApp.svelte.js';
import { fakeId, randomCode } from './fakeSeed.js';
import type { ConnectionState, InviteStatus, JoinHandle, JoinView } from './types.js';

/** Fragments that the fake answers with a failure phase, for trying each message. */
const FAILING_FRAGMENTS = ['expired', 'claimed', 'revoked', 'declined', 'offline', 'failed'] as const;

/** What {@link FakeTendApp.inviteStatus} answers: the failing fragments, else an open invite. */
export function fakeInviteStatus(fragment: string, connection: ConnectionState): InviteStatus {
	const inviterName = 'Dr. Maria Lopez';
	if (fragment === 'expired' || fragment === 'claimed' || fragment === 'revoked') {
		return { state: fragment, inviterName };
	}
	if (fragment === 'offline' || connection === 'offline') return { state: 'offline' };
	if (!/^[\w-]{16,}\.[\w-]{16,}$/.test(fragment)) return { state: 'invalid' };
	return { state: 'open', inviterName, title: 'Weekly check-in' };
}

/** The invitee's side of a join, for {@link FakeTendApp.openJoin}. */
export class FakeJoinHandle implements JoinHandle {
	view = $state<JoinView>({ phase: 'checking' });
	#app: FakeTendApp;
	#closed = false;
	#inviteId = '';

	constructor(app: FakeTendApp, fragment: string) {
		this.#app = app;
		app.later(app.latency * 3, () => this.#check(fragment));
	}

	async accept(name: string): Promise<void> {
		if (this.view.phase !== 'ready') throw new Error(`cannot accept in phase ${this.view.phase}`);
		this.view.phase = 'claiming';
		if (!this.#app.me) await this.#app.createProfile(name);

		this.#app.later(this.#app.latency * 2, () => {
			const safetyCode = randomCode();
			this.#inviteId = fakeId('inv');
			this.#app.pendingJoins.push({
				inviteId: this.#inviteId,
				inviterName: this.view.inviterName ?? '',
				title: this.view.title ?? '',
				safetyCode
			});
			this.view.safetyCode = safetyCode;
			this.view.phase = 'waiting';
			// Like the real app, the join goes on when the page is left.
			this.#app.later(this.#app.admitAfterMs, () => this.#admit());
		});
	}

	close(): void {
		this.#closed = true;
	}

	#check(fragment: string): void {
		if (this.#closed) return;

		const failing = FAILING_FRAGMENTS.find((f) => f === fragment);
		if (failing) {
			this.view = { phase: failing, inviterName: 'Dr. Maria Lopez' };
		} else if (!/^[\w-]{16,}\.[\w-]{16,}$/.test(fragment)) {
			this.view = { phase: 'invalid' };
		} else if (this.#app.connection === 'offline') {
			this.view = { phase: 'offline' };
			this.#app.later(2000, () => this.#check(fragment));
		} else {
			this.view = { phase: 'ready', inviterName: 'Dr. Maria Lopez', title: 'Weekly check-in' };
		}
	}

	#admit(): void {
		const me = this.#app.me;
		if (!me) return;

		const inviter = this.view.inviterName ?? 'Dr. Maria Lopez';
		const id = fakeId('c');
		this.#app.store.push({
			id,
			title: this.view.title ?? 'Conversation',
			createdAt: Date.now(),
			isAdmin: false,
			members: [
				{ id: 'm-inviter', name: inviter, role: 'owner', me: false, online: false, posts: true, admin: true },
				{ id: 'me', name: me.name, role: 'member', me: true, online: true, posts: true, admin: false }
			],
			messages: [],
			requests: [],
			invites: [],
			problems: []
		});
		this.#app.later(this.#app.latency * 3, () =>
			this.#app.receiveMessage(id, inviter, `Welcome, ${me.name}. I'm glad you're here.`)
		);
		this.#app.pendingJoins = this.#app.pendingJoins.filter((j) => j.inviteId !== this.#inviteId);
		if (this.#closed) return;
		this.view.conversationId = id;
		this.view.phase = 'admitted';
	}
}
