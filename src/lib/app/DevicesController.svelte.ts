import { toHex } from '../protocol/bytes.js';
import type { LinkRequest } from '../sync/DeviceLinks.js';
import { AuditKind } from '../audit/kinds.js';
import type { RealTendApp } from './TendApp.svelte.js';

/**
 * The person's devices in settings (list, add, revoke) and the new device's side of linking
 * (docs/protocol.md, "People and devices"). The work is done by the sync engine's DeviceLinks;
 * these hold what the screens show.
 */

export interface DeviceView {
	/** Device signing key in hex. */
	id: string;
	/** The label typed on that device ("Tablet"); empty when this device never learnt it. */
	label: string;
	thisDevice: boolean;
	/** When it was added (ms); 0 for the person's first device. */
	addedAt: number;
}

export type AddDeviceView =
	| { phase: 'idle' }
	| { phase: 'starting' }
	/** The link is registered: show its QR code and address. */
	| { phase: 'showing'; url: string; expires: number }
	/** A device claimed it: compare the codes. */
	| { phase: 'request'; url: string; label: string; safetyCode: string }
	| { phase: 'confirming'; label: string; safetyCode: string }
	| { phase: 'added'; label: string }
	| { phase: 'failed' };

export interface DevicesHandle {
	readonly devices: DeviceView[];
	readonly add: AddDeviceView;
	/** This device was revoked by another of the person's devices. */
	readonly revoked: boolean;
	/** Only the tab that talks to the relay can add or revoke devices. */
	readonly available: boolean;
	startAdding(): Promise<void>;
	confirm(): Promise<void>;
	decline(): Promise<void>;
	revoke(id: string): Promise<void>;
	setLabel(label: string): Promise<void>;
	close(): void;
}

export class DevicesController implements DevicesHandle {
	devices = $state.raw<DeviceView[]>([]);
	add = $state.raw<AddDeviceView>({ phase: 'idle' });
	revoked = $state(false);
	available = $state(false);
	#app: RealTendApp;
	#stop: (() => void)[] = [];
	#inviteId: string | undefined;

	constructor(app: RealTendApp) {
		this.#app = app;
		const links = app.runtime?.engine?.links;
		this.available = !!links && !app.readOnly;
		if (!links) return;
		const refresh = () => void this.#refresh();
		const onRequest = (request: LinkRequest) => this.#onRequest(request);
		links.on('devices', refresh);
		links.on('link-request', onRequest);
		this.#stop.push(() => links.off('devices', refresh), () => links.off('link-request', onRequest));
		refresh();
	}

	close(): void {
		for (const stop of this.#stop) stop();
		this.#stop = [];
	}

	#links() {
		const links = this.#app.runtime?.engine?.links;
		if (!links) throw new Error('devices are managed in the tab that is connected');
		return links;
	}

	async #refresh(): Promise<void> {
		const links = this.#links();
		const [state, book] = await Promise.all([links.devices(), links.book()]);
		const me = toHex(this.#app.runtime!.ctx.author.device.publicKey);
		this.devices = state.devices.map((d) => ({
			id: toHex(d.device),
			label: book.labels[toHex(d.device)] ?? '',
			thisDevice: toHex(d.device) === me,
			addedAt: d.at
		}));
		this.revoked = await links.revoked();
	}

	async startAdding(): Promise<void> {
		this.add = { phase: 'starting' };
		try {
			const { inviteId, fragment, expires } = await this.#links().startLink();
			this.#inviteId = inviteId;
			const url = new URL(`/link#${fragment}`, location.origin).toString();
			this.add = { phase: 'showing', url, expires };
		} catch {
			this.add = { phase: 'failed' };
		}
	}

	#onRequest(request: LinkRequest): void {
		if (request.inviteId !== this.#inviteId || this.add.phase !== 'showing') return;
		this.add = { phase: 'request', url: this.add.url, label: request.label, safetyCode: request.safetyCode };
	}

	async confirm(): Promise<void> {
		const add = this.add;
		if (add.phase !== 'request' || !this.#inviteId) return;
		this.add = { phase: 'confirming', label: add.label, safetyCode: add.safetyCode };
		try {
			const request = this.#links().requests().find((r) => r.inviteId === this.#inviteId);
			const name = this.#app.me?.name ?? '';
			await this.#links().confirmLink(this.#inviteId, name, (doc) => this.#app.kindOf(doc));
			if (request) this.#app.audit.record(AuditKind.deviceAdded, { device: toHex(request.device) });
			this.add = { phase: 'added', label: add.label };
		} catch {
			this.add = { phase: 'failed' };
		}
		this.#inviteId = undefined;
	}

	async decline(): Promise<void> {
		if (this.#inviteId) await this.#links().declineLink(this.#inviteId);
		this.#inviteId = undefined;
		this.add = { phase: 'idle' };
	}

	async revoke(id: string): Promise<void> {
		const device = this.devices.find((d) => d.id === id);
		if (!device || device.thisDevice) return;
		const key = Uint8Array.from(id.match(/../g)!.map((b) => parseInt(b, 16)));
		await this.#links().revoke(key);
		this.#app.audit.record(AuditKind.deviceRevoked, { device: id });
		await this.#refresh();
	}

	async setLabel(label: string): Promise<void> {
		await this.#links().setLabel(label);
	}
}

export type LinkView =
	| { phase: 'form' }
	| { phase: 'claiming' }
	/** Claimed: both devices show this code; waiting for the person to confirm on the other. */
	| { phase: 'waiting'; safetyCode: string }
	| { phase: 'linked' }
	| { phase: 'invalid' }
	| { phase: 'failed' };

export interface LinkHandle {
	readonly view: LinkView;
	/** `link` is the address (or the part after `#`) shown on the other device. */
	claim(link: string, label: string): Promise<void>;
	close(): void;
}

/** The new device's side: claim the link shown on the other device, then wait for it. */
export class LinkController implements LinkHandle {
	view = $state.raw<LinkView>({ phase: 'form' });
	#app: RealTendApp;
	#stop: (() => void)[] = [];

	constructor(app: RealTendApp) {
		this.#app = app;
		void this.#resume();
	}

	close(): void {
		for (const stop of this.#stop) stop();
		this.#stop = [];
	}

	/** After a reload while waiting: show the code again. */
	async #resume(): Promise<void> {
		await this.#app.whenStarted();
		const links = this.#app.runtime?.engine?.links;
		const pending = links && (await links.pendingLink());
		if (links && pending && this.view.phase === 'form') {
			this.#listen();
			this.view = { phase: 'waiting', safetyCode: links.codeFor(pending) };
		}
	}

	#listen(): void {
		const links = this.#app.runtime?.engine?.links;
		if (!links || this.#stop.length > 0) return;
		const onLinked = () => (this.view = { phase: 'linked' });
		links.on('linked', onLinked);
		this.#stop.push(() => links.off('linked', onLinked));
	}

	async claim(link: string, label: string): Promise<void> {
		const fragment = link.includes('#') ? link.slice(link.indexOf('#') + 1) : link;
		this.view = { phase: 'claiming' };
		try {
			await this.#app.whenStarted();
			await this.#app.ensureDevice();
			const links = this.#app.runtime?.engine?.links;
			if (!links) throw new Error('not connected');
			this.#listen();
			await this.#app.waitOnline();
			await links.setLabel(label);
			const { safetyCode } = await links.claimLink(fragment.trim(), label);
			if (this.view.phase === 'claiming') this.view = { phase: 'waiting', safetyCode };
		} catch (error) {
			const invalid = error instanceof Error && error.message === 'not a device link';
			this.view = { phase: invalid ? 'invalid' : 'failed' };
		}
	}
}
