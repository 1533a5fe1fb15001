import { equalBytes, toBase64Url } from '../protocol/bytes.js';
import { RelayError } from '../protocol/errors.js';
import {
	deriveInviteKeys,
	openInviteInfo,
	parseInviteFragment,
	refusalOf,
	safetyCode,
	type InviteInfo
} from '../protocol/invite.js';
import type { PendingJoin } from '../sync/SyncEngine.js';
import type { RealTendApp, Runtime } from './TendApp.svelte.js';
import { isRole } from '../practice/permissions.js';
import type { JoinHandle, JoinView } from './types.js';

function kindOf(kind: string): 'conversation' | 'board' | 'practice' {
	return kind === 'board' || kind === 'practice' ? kind : 'conversation';
}

/**
 * The invitee's side of an invite (SECURITY-RULES.md, rule 1): read the sealed invite details,
 * claim the invite with this device's keys and a proof of the invite secret, then wait until the
 * inviter's device seals the conversation's secret to this device.
 */
export class JoinController implements JoinHandle {
	view = $state.raw<JoinView>({ phase: 'checking' });
	#app: RealTendApp;
	#parsed: { invite: Uint8Array; secret: Uint8Array } | undefined;
	#info: InviteInfo | undefined;
	#closed = false;
	#stop: (() => void)[] = [];

	constructor(app: RealTendApp, fragment: string) {
		this.#app = app;
		this.#parsed = parseInviteFragment(fragment);
		void this.#init();
	}

	static codeFor(join: PendingJoin, runtime: Runtime): string {
		return safetyCode(
			deriveInviteKeys(join.secret),
			join.info.doc,
			join.info.inviter,
			runtime.device.signPk,
			runtime.device.boxPk
		);
	}

	close(): void {
		this.#closed = true;
		for (const stop of this.#stop) stop();
	}

	async #init(): Promise<void> {
		if (!this.#parsed) {
			this.view = { phase: 'invalid' };
			return;
		}
		try {
			await this.#app.whenStarted();
			await this.#app.ensureDevice();
		} catch {
			this.view = { phase: 'failed' };
			return;
		}
		const runtime = this.#app.runtime;
		if (!runtime?.engine) {
			this.view = { phase: 'failed' };
			return;
		}
		this.#stop.push(
			this.#app.onAdmitted((sync, join) => {
				if (this.#parsed && equalBytes(join.invite, this.#parsed.invite)) {
					this.view = {
						...this.view,
						phase: 'admitted',
						conversationId: sync.docKey,
						kind: kindOf(join.info.kind)
					};
				}
			})
		);
		this.#stop.push(
			this.#app.onJoinRefused((invite, reason) => {
				if (this.#parsed && invite === toBase64Url(this.#parsed.invite)) {
					this.view = { ...this.view, phase: reason };
				}
			})
		);
		const connection = runtime.engine.connection;
		const check = () => {
			if (connection.status === 'online' && !this.#info) void this.#check();
			else if (connection.status !== 'online' && this.view.phase === 'checking') {
				this.view = { phase: 'offline' };
			}
		};
		connection.on('status', check);
		this.#stop.push(() => connection.off('status', check));
		check();
	}

	async #check(): Promise<void> {
		const runtime = this.#app.runtime;
		const parsed = this.#parsed;
		if (!runtime?.engine || !parsed || this.#closed) return;
		const keys = deriveInviteKeys(parsed.secret);
		let answer;
		try {
			answer = await runtime.engine.connection.request('invite.get', { invite: parsed.invite });
		} catch (error) {
			if (error instanceof RelayError && error.code === 'invite-unknown') {
				this.view = { phase: 'invalid' };
			} else {
				this.view = { phase: 'offline' };
			}
			return;
		}
		const info =
			answer.info instanceof Uint8Array ? openInviteInfo(keys, parsed.invite, answer.info) : undefined;
		if (!info) {
			this.view = { phase: 'invalid' };
			return;
		}
		this.#info = info;
		const base = {
			inviterName: info.inviterName,
			title: info.title,
			kind: kindOf(info.kind),
			role: isRole(info.role) ? info.role : undefined
		};
		const docKey = toBase64Url(info.doc);
		const pending = (await runtime.engine.pendingJoins()).find((j) =>
			equalBytes(j.invite, parsed.invite)
		);

		if (this.#app.source(docKey)) {
			this.view = { ...base, phase: 'admitted', conversationId: docKey };
		} else if (answer.state === 'revoked' && refusalOf(answer) === 'declined') {
			// Opened again after the inviter turned this device's claim down (the wait may
			// still be on record here: the engine's next check forgets it).
			this.view = { ...base, phase: 'declined' };
		} else if (pending) {
			this.view = { ...base, phase: 'waiting', safetyCode: JoinController.codeFor(pending, runtime) };
		} else if (answer.state === 'open') {
			this.view = { ...base, phase: 'ready' };
		} else if (answer.state === 'expired' || answer.state === 'revoked') {
			this.view = { ...base, phase: answer.state };
		} else {
			this.view = { ...base, phase: 'claimed' };
		}
	}

	async accept(name: string): Promise<void> {
		const trimmed = name.trim();
		const parsed = this.#parsed;
		const info = this.#info;
		if (!trimmed || !parsed || !info || this.view.phase !== 'ready') return;
		this.view = { ...this.view, phase: 'claiming' };

		if (!this.#app.me?.name) await this.#app.createProfile(trimmed);
		const runtime = this.#app.runtime;
		if (!runtime?.engine) return;
		const engine = runtime.engine;
		const join: PendingJoin = { invite: parsed.invite, secret: parsed.secret, info, name: trimmed };
		try {
			await engine.claimInvite(join, runtime.device.boxPk);
		} catch (error) {
			const code = error instanceof RelayError ? error.code : undefined;
			const refused = code === 'invite-claimed' || code === 'invite-expired' || code === 'invite-revoked';
			const phase =
				code === 'invite-claimed'
					? 'claimed'
					: code === 'invite-expired'
						? 'expired'
						: code === 'invite-revoked'
							? 'revoked'
							: 'ready';
			// Not refused: the connection failed; the person can press Join again.
			this.view = { ...this.view, phase: refused ? phase : 'ready' };
			return;
		}
		await this.#app.refreshPendingJoins();
		this.view = { ...this.view, phase: 'waiting', safetyCode: JoinController.codeFor(join, runtime) };
	}
}
