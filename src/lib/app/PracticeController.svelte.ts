import { AuditKind } from '../audit/kinds.js';
import { toBase64Url, toHex } from '../protocol/bytes.js';
import { formatInviteFragment } from '../protocol/invite.js';
import { grantableRoles, may, mayAsMember, mayRead, type Action, type Role } from '../practice/permissions.js';
import {
	AdmitError,
	admitToPractice,
	changeRole,
	inviteToPractice,
	removeFromPractice,
	roleOf,
	startPractice,
	viewOf,
	type PracticeDeps
} from '../practice/practiceOps.js';
import type { PracticeDoc } from '../model/practice.js';
import type { DocSync } from '../sync/DocSync.js';
import { t } from '../ui/strings.js';
import type { RealTendApp } from './TendApp.svelte.js';
import type { PracticeHandle, PracticeRequestView, PracticeStateView } from './types.js';

/**
 * The practice as this device sees it (issue 7): the directory for display, this person's role,
 * and, on an owner's device, invites, requests to join, role changes and per-role settings.
 * Keys and epoch records change through `src/lib/practice/practiceOps.ts`; the directory only
 * shows what the chains already say (rule 7).
 */
export class PracticeController implements PracticeHandle {
	state = $state.raw<PracticeStateView | undefined>(undefined);
	requests = $state.raw<PracticeRequestView[]>([]);
	invites = $state.raw<{ inviteId: string; link: string; role: string; expiresAt: number }[]>([]);
	#app: RealTendApp;
	#docKey: string | undefined;
	/** The passkey requirement last applied to the vault, so it is set once per change. */
	#passkeyApplied: boolean | undefined;

	constructor(app: RealTendApp) {
		this.#app = app;
		app.onChange((docKey) => {
			if (docKey === undefined || docKey === this.#docKey) void this.refresh();
		});
	}

	get docKey(): string | undefined {
		return this.#docKey;
	}

	/** Called by the app once it knows which directory this device belongs to. */
	attach(docKey: string): void {
		this.#docKey = docKey;
		const engine = this.#app.runtime?.engine;
		if (engine) engine.practiceDoc = docKey;
		void this.refresh();
	}

	#sync(): DocSync | undefined {
		return this.#docKey ? this.#app.source(this.#docKey)?.sync : undefined;
	}

	#deps(): PracticeDeps {
		const runtime = this.#app.runtime;
		const engine = runtime?.engine;
		if (!runtime || !engine) throw new Error('Tend is open in another tab; this one is read-only');
		return {
			ctx: runtime.ctx,
			engine,
			sync: (docKey) => this.#app.source(docKey)?.sync,
			// Straight to the sync (the leader's path of `writeDoc`): a new practice's documents
			// are written before the app lists them.
			write: async <T>(sync: DocSync, fn: (doc: T) => void) => {
				await sync.change<T>(fn);
				await runtime.repo.flush([sync.localId]);
				engine.schedulePush(sync);
			}
		};
	}

	async refresh(): Promise<void> {
		const sync = this.#sync();
		const runtime = this.#app.runtime;
		if (!sync || !runtime) return;
		const view = viewOf(sync);
		if (!view) return;
		const me = toHex(runtime.device.signPk);
		const role = roleOf(view, me);
		this.state = { ...view, me, role, docKey: sync.docKey };
		if (role) await this.#applyPasskey(view.passkey[role]);
		if (role && may(role, 'manageMembers')) await this.#loadPending(sync);
	}

	/** The practice's passkey setting for this person's role goes to the vault (src/lib/vault). */
	async #applyPasskey(required: boolean): Promise<void> {
		if (this.#passkeyApplied === required || !this.#app.leader) return;
		this.#passkeyApplied = required;
		if (this.#app.vault.passkeyRequired !== required) await this.#app.vault.setPasskeyRequired(required);
	}

	async #loadPending(sync: DocSync): Promise<void> {
		const engine = this.#app.runtime?.engine;
		if (!engine) return;
		const claims = engine.claimsFor(sync.docKey);
		const stored = await engine.invites(sync.docKey);
		const claimed = new Set(claims.map((c) => c.inviteId));
		const roleOfInvite = new Map(stored.map((i) => [toBase64Url(i.invite), i.role ?? '']));
		this.requests = claims.map((claim) => ({
			inviteId: claim.inviteId,
			name: claim.name,
			safetyCode: claim.safetyCode,
			role: roleOfInvite.get(claim.inviteId) ?? ''
		}));
		this.invites = stored
			.filter((invite) => !claimed.has(toBase64Url(invite.invite)))
			.map((invite) => ({
				inviteId: toBase64Url(invite.invite),
				link: `${location.origin}/join#${formatInviteFragment(invite.invite, invite.secret)}`,
				role: invite.role ?? '',
				expiresAt: invite.expires
			}));
	}

	/** Starts a practice on this device: its owner is this person. */
	async start(name: string): Promise<void> {
		const trimmed = name.trim();
		if (!trimmed) throw new Error('A practice name is needed');
		const runtime = this.#app.runtime;
		if (!runtime?.engine) throw new Error('Tend is open in another tab; this one is read-only');
		if (this.#docKey) throw new Error('This device already belongs to a practice');
		const started = await startPractice(this.#deps(), {
			name: trimmed,
			ownerName: runtime.device.name,
			relay: this.#app.relayUrl,
			channels: [
				{ title: t('practice.channel.announcements'), area: 'announcements', kind: 'announcements' },
				{ title: t('practice.channel.team'), area: 'team', kind: 'group' },
				{ title: t('practice.channel.frontDesk'), area: 'scheduling', kind: 'group' }
			]
		});
		await this.#app.adoptPractice(started.directory, started.channels, started.siblings);
		this.#app.audit.record(AuditKind.conversationCreated, { doc: started.directory.docKey });
		for (const channel of started.channels) {
			this.#app.audit.record(AuditKind.conversationCreated, { doc: channel.docKey });
		}
		this.attach(started.directory.docKey);
	}

	/**
	 * Roles this person may give in a practice invite: those that read the directory. Clients
	 * are invited from their own conversation, which is all they are let into.
	 */
	get grantable(): Role[] {
		const role = this.state?.role;
		return role ? grantableRoles(role).filter((r) => mayRead(r, 'directory')) : [];
	}

	async invite(role: Role): Promise<string> {
		const sync = this.#sync();
		const runtime = this.#app.runtime;
		if (!sync || !runtime) throw new Error('no practice');
		const stored = await inviteToPractice(this.#deps(), sync, { inviterName: runtime.device.name, role });
		const inviteId = toBase64Url(stored.invite);
		this.#app.audit.record(AuditKind.memberInvited, { doc: sync.docKey, invite: inviteId, role });
		await this.refresh();
		return `${location.origin}/join#${formatInviteFragment(stored.invite, stored.secret)}`;
	}

	/** Withdraws a pending invite: the relay refuses any claim of it (no new epoch is needed). */
	async revoke(inviteId: string): Promise<void> {
		const sync = this.#sync();
		const engine = this.#app.runtime?.engine;
		if (!sync || !engine) return;
		await engine.revokeInvite(inviteId);
		this.#app.audit.record(AuditKind.inviteRevoked, { doc: sync.docKey, invite: inviteId });
		await this.refresh();
	}

	/**
	 * Lets a requester in. Where the practice requires comparing safety codes for the invite's
	 * role, `codesCompared` must say the person did; this device refuses otherwise.
	 */
	async admit(inviteId: string, codesCompared: boolean): Promise<'ok' | 'compare-codes'> {
		const sync = this.#sync();
		if (!sync) throw new Error('no practice');
		try {
			const { claim, role } = await admitToPractice(this.#deps(), sync, inviteId, { codesCompared });
			this.#app.audit.record(AuditKind.memberAdded, {
				doc: sync.docKey,
				invite: inviteId,
				member: toHex(claim.device),
				role
			});
		} catch (error) {
			if (error instanceof AdmitError && error.code === 'compare-codes') return 'compare-codes';
			throw error;
		}
		await this.refresh();
		return 'ok';
	}

	async decline(inviteId: string): Promise<void> {
		const sync = this.#sync();
		const engine = this.#app.runtime?.engine;
		if (!sync || !engine) return;
		await engine.decline(sync, inviteId);
		this.#app.audit.record(AuditKind.memberDeclined, { doc: sync.docKey, invite: inviteId });
		await this.refresh();
	}

	/** Changes a member's role: epoch records first (rotation or new lists), then the directory. */
	async changeRole(person: string, role: Role): Promise<{ unsealed: number; skipped: number }> {
		const sync = this.#sync();
		if (!sync) throw new Error('no practice');
		const from = this.state?.members.find((m) => m.person === person)?.role;
		const outcome = await changeRole(this.#deps(), sync, person, role);
		this.#app.audit.record(AuditKind.roleChanged, {
			doc: sync.docKey,
			member: person,
			from: from ?? '',
			role,
			documents: outcome.changed.length
		});
		for (const { docKey, kind } of outcome.changed) {
			if (kind === 'rotate') {
				this.#app.audit.record(AuditKind.memberRemoved, { doc: docKey, member: person });
			}
		}
		await this.refresh();
		return { unsealed: outcome.unsealed.length, skipped: outcome.skipped.length };
	}

	/** Removes a member from the practice: rotations in every document they read, then the directory. */
	async removeMember(person: string): Promise<{ unsealed: number; skipped: number }> {
		const sync = this.#sync();
		if (!sync) throw new Error('no practice');
		const outcome = await removeFromPractice(this.#deps(), sync, person);
		for (const { docKey } of outcome.changed) {
			this.#app.audit.record(AuditKind.memberRemoved, { doc: docKey, member: person });
		}
		await this.refresh();
		return { unsealed: outcome.unsealed.length, skipped: outcome.skipped.length };
	}

	async setRequirement(kind: 'safetyCode' | 'passkey', role: Role, on: boolean): Promise<void> {
		const sync = this.#sync();
		if (!sync) return;
		await this.#app.writeDoc<PracticeDoc>(sync.docKey, (doc) => {
			doc[kind][role] = on;
		});
		await this.refresh();
	}

	/**
	 * Whether this person may take a practice action on this device (`mayAsMember`): always
	 * when this device is in no practice or its role hasn't arrived yet.
	 */
	allows(action: Action): boolean {
		return mayAsMember(this.state?.role, action);
	}

	/** Whether a person key is a member's (for the other screens: their role badge). */
	roleOfPerson(person: string): Role | undefined {
		return this.state?.members.find((m) => m.person === person && !m.removed)?.role;
	}
}
