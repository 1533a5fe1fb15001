import type * as A from '@automerge/automerge';
import { createAuditFile, verifyAuditFile } from '../audit/auditFile.js';
import { AuditKind } from '../audit/kinds.js';
import type { AuditProblem } from '../audit/verifyAuditTrail.js';
import { withheldAudit } from '../audit/withheld.js';
import type { ConversationDoc } from '../model/conversation.js';
import { toBase64Url, toHex } from '../protocol/bytes.js';
import type { RealTendApp } from './TendApp.svelte.js';
import { fingerprint } from './TendApp.svelte.js';
import type {
	AuditFileCheck,
	AuditHandle,
	AuditProblemView,
	AuditRecordView,
	AuditView
} from './types.js';

/**
 * How long a device's stated count of audit records (in its presence frames) may run ahead of
 * the records that arrived before the screen calls them held back: records and presence travel
 * separately, and a device that just reconnected sends both at once.
 */
const AUDIT_COUNT_GRACE_MS = 60_000;

/**
 * The owner's audit screen: reads the trails this device owns from the recorder, verifies them
 * (every signature, chain and countersigned head) and resolves device keys and conversation ids
 * to names and titles from the documents on this device. Refreshes when records arrive.
 */
export class AuditController implements AuditHandle {
	view = $state.raw<AuditView | undefined>(undefined);
	#app: RealTendApp;
	#stop: () => void;
	#timer: ReturnType<typeof setTimeout> | undefined;
	#closed = false;

	constructor(app: RealTendApp) {
		this.#app = app;
		const listener = () => this.#schedule();
		app.recorder.on('records', listener);
		// Names and titles come from the conversations, which may load after this screen opens.
		const stopChanges = app.onChange(listener);
		this.#stop = () => {
			app.recorder.off('records', listener);
			stopChanges();
		};
		void app.whenStarted().then(() => this.#refresh());
	}

	close(): void {
		this.#closed = true;
		clearTimeout(this.#timer);
		clearTimeout(this.#recheckTimer);
		this.#stop();
	}

	#recheckTimer: ReturnType<typeof setTimeout> | undefined;

	/** Looks again once a device's stated count of audit records is past its grace period. */
	#recheck(at: number): void {
		if (this.#recheckTimer || this.#closed) return;
		this.#recheckTimer = setTimeout(() => {
			this.#recheckTimer = undefined;
			this.#schedule();
		}, Math.max(0, at - Date.now()) + 50);
	}

	#schedule(): void {
		if (this.#timer || this.#closed) return;
		this.#timer = setTimeout(() => {
			this.#timer = undefined;
			void this.#refresh();
		}, 200);
	}

	#owned(): string[] {
		return this.#app.recorder.trails().map((t) => toBase64Url(t.trail)).filter((t) => this.#app.recorder.owns(t));
	}

	async #refresh(): Promise<void> {
		const recorder = this.#app.recorder;
		if (!recorder.attached) {
			this.view = { owner: false, records: [], problems: [] };
			return;
		}
		await recorder.flush();
		const names = this.#names();
		const records: AuditRecordView[] = [];
		const problems: AuditProblemView[] = [];
		for (const trail of this.#owned()) {
			const verified = await recorder.verify(trail);
			for (const record of verified.records) {
				const device = toHex(record.body.device);
				const doc = record.body.details.doc;
				const conversationId = typeof doc === 'string' ? doc : undefined;
				records.push({
					id: `${record.chain}:${record.body.n}`,
					at: record.body.at,
					kind: record.body.kind,
					device,
					deviceLabel: fingerprint(record.body.device),
					personName: names.people.get(device) ?? '',
					n: record.body.n,
					conversationId,
					conversationTitle: conversationId ? names.titles.get(conversationId) : undefined,
					problems: record.problems
				});
			}
			problems.push(...verified.problems.map((p) => problemView(p, names.people)));
			const held = new Map<string, number>();
			for (const record of verified.records) {
				const device = toHex(record.body.device);
				held.set(device, Math.max(held.get(device) ?? 0, record.body.n));
			}
			const presence = this.#app.runtime?.engine?.presence;
			const stated = recorder.documentsOf(trail).flatMap((doc) => presence?.auditClaims(doc) ?? []);
			const withheld = withheldAudit(held, stated, Date.now(), AUDIT_COUNT_GRACE_MS);
			problems.push(...withheld.problems.map((p) => problemView(p, names.people)));
			if (withheld.recheckAt !== undefined) this.#recheck(withheld.recheckAt);
		}
		records.sort((a, b) => b.at - a.at || b.n - a.n);
		if (!this.#closed) this.view = { owner: this.#owned().length > 0, records, problems };
	}

	/** Device key (hex) → person name, and conversation id → title, from the documents held here. */
	#names(): { people: Map<string, string>; titles: Map<string, string> } {
		const people = new Map<string, string>();
		const titles = new Map<string, string>();
		const me = this.#app.runtime?.device;
		if (me) people.set(toHex(me.signPk), me.name);
		for (const id of this.#app.sourceIds()) {
			const source = this.#app.source(id);
			if (!source?.handle.isReady()) continue;
			const doc = source.handle.doc() as A.Doc<ConversationDoc>;
			if (typeof doc.title === 'string') titles.set(id, doc.title);
			for (const [device, member] of Object.entries(doc.members ?? {})) {
				if (!people.has(device)) people.set(device, member.name);
			}
		}
		return { people, titles };
	}

	async exportFile(): Promise<{ name: string; text: string }> {
		const runtime = this.#app.runtime;
		const trail = this.#owned()[0];
		const info = trail ? this.#app.recorder.trail(trail) : undefined;
		if (!runtime || !info) throw new Error('This device keeps no audit trail.');
		const at = Date.now();
		const records = await this.#app.recorder.records(trail);
		const file = createAuditFile({
			owner: { publicKey: runtime.device.signPk, privateKey: runtime.device.signSk },
			trail: info.trail,
			chain: info.chain,
			records,
			at
		});
		this.#app.audit.record(AuditKind.auditExported, { records: records.length });
		const day = new Date(at).toISOString().slice(0, 10);
		return { name: `tend-audit-${day}.json`, text: `${JSON.stringify(file, null, 1)}\n` };
	}

	checkFile(text: string): AuditFileCheck {
		const result = verifyAuditFile(text);
		const people = this.#names().people;
		const readable = !result.problems.some((p) => p.code === 'bad-file');
		return {
			readable,
			ok: result.ok,
			records: result.records.length,
			chains: result.heads.size,
			exportedAt: result.exportedAt,
			problems: result.problems.map((p) => problemView(p, people))
		};
	}
}

function problemView(problem: AuditProblem, people: Map<string, string>): AuditProblemView {
	const label = (hex: string | undefined) => (hex ? `${hex.slice(0, 4)} ${hex.slice(4, 8)}` : '');
	return {
		code: problem.code,
		deviceLabel: label(problem.device),
		personName: problem.device ? (people.get(problem.device) ?? '') : '',
		n: problem.n,
		to: problem.to,
		by: problem.by === 'export' ? 'export' : label(problem.by)
	};
}
