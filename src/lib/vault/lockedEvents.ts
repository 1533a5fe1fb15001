import type { LockedEvent } from './VaultStore.js';

/**
 * The hand-off point between the vault and the audit trail. Events that happen while the app is
 * locked (failed unlocks) can't be signed then: the device key is sealed in the locked storage.
 * The vault queues them (without secrets) in its own database, and at the next unlock passes
 * them to the receiver registered here, which signs them into the audit trail.
 *
 * The app registers the audit recorder as the receiver when it starts (TendApp). Before that,
 * the events wait in {@link pendingLockedEvents} for the session and nowhere else.
 */
export interface LockedEventBatch {
	events: LockedEvent[];
	/** Events dropped because the queue was full. */
	dropped: number;
}

export type LockedEventReceiver = (batch: LockedEventBatch) => Promise<void>;

let receiver: LockedEventReceiver | undefined;
let pending: LockedEventBatch = { events: [], dropped: 0 };

/** Registers the audit trail's receiver; batches that arrived before are handed over at once. */
export async function setLockedEventReceiver(next: LockedEventReceiver | undefined): Promise<void> {
	receiver = next;
	if (receiver && (pending.events.length > 0 || pending.dropped > 0)) {
		const batch = pending;
		pending = { events: [], dropped: 0 };
		await receiver(batch);
	}
}

/** Called by the vault at unlock with what it queued while locked. */
export async function handOverLockedEvents(batch: LockedEventBatch): Promise<void> {
	if (batch.events.length === 0 && batch.dropped === 0) return;
	if (receiver) return receiver(batch);
	pending = {
		events: [...pending.events, ...batch.events],
		dropped: pending.dropped + batch.dropped
	};
}

/** What was handed over but not yet taken by a receiver (for the settings screen and tests). */
export function pendingLockedEvents(): LockedEventBatch {
	return pending;
}
