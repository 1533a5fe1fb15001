import * as A from '@automerge/automerge';
import { toHex } from '../protocol/bytes.js';
import { peopleOfDevices } from '../model/deviceRecords.js';
import type { ReadContext } from '../model/readConversation.js';
import { combineDeviceOf } from '../model/periodView.js';
import type { DocSource } from './TendApp.svelte.js';

/**
 * Who is who in one conversation, for deciding at display time who may do what (rules 7 and
 * 12): actor → device from the actor claims, and the newest epoch's administering and writing
 * devices. The leader tab reads it from its DocSync; another tab from what the leader persisted
 * (`DocSync.peekAuthority`) plus the actors it claimed itself.
 */
export interface Authority {
	deviceOf(actor: string): string | undefined;
	admins: Set<string>;
	writers: Set<string>;
}

/** What a tab that isn't the leader loaded from the leader's persisted state. */
export interface PeekedAuthority {
	actors: Record<string, Uint8Array>;
	admins: Uint8Array[];
	writers: Uint8Array[];
}

/**
 * `peopleFrom` is the document whose published device records say which device is whose, when
 * it isn't the source itself: the sibling of announcements has no member list, so its devices
 * are resolved with the announcements' records (rule 7).
 */
export function authorityOf(
	source: DocSource,
	myHex: string,
	peeked: PeekedAuthority | undefined,
	tabActors: Iterable<string>,
	peopleFrom?: unknown
): Authority {
	const sync = source.sync;
	// A member's other devices act as the member (docs/protocol.md, "People and devices").
	const people =
		peopleFrom !== undefined
			? peopleOfDevices(peopleFrom)
			: source.handle.isReady()
				? peopleOfDevices(source.handle.doc())
				: new Map<string, string>();
	const asPerson = (device: string) => people.get(device) ?? device;
	const withPeople = (devices: string[]) => new Set([...devices, ...devices.map(asPerson)]);
	if (sync) {
		// Claims are per document: the conversation's and each loaded period's (rule 19).
		const syncs = [sync, ...(source.periods?.held().map((n) => source.periods!.get(n)!) ?? [])];
		return {
			deviceOf: combineDeviceOf(
				syncs.map((s) => (actor: string) => {
					const device = s.deviceOfActor(actor);
					return device ? asPerson(toHex(device)) : undefined;
				})
			),
			admins: withPeople(sync.head.admins.map(toHex)),
			writers: withPeople(sync.head.writers.map(toHex))
		};
	}
	const own = new Set(tabActors);
	if (source.handle.isReady()) own.add(A.getActorId(source.handle.doc() as A.Doc<unknown>));
	for (const period of source.tabPeriods?.values() ?? []) {
		if (period.handle.isReady()) own.add(A.getActorId(period.handle.doc() as A.Doc<unknown>));
	}
	const actors = peeked?.actors ?? {};
	return {
		deviceOf: (actor) =>
			own.has(actor) ? myHex : actors[actor] ? asPerson(toHex(actors[actor])) : undefined,
		admins: withPeople((peeked?.admins ?? []).map(toHex)),
		writers: withPeople((peeked?.writers ?? []).map(toHex))
	};
}

export function readContextOf(authority: Authority, me: string): ReadContext {
	return { me, deviceOf: authority.deviceOf, isAdmin: (device) => authority.admins.has(device) };
}
