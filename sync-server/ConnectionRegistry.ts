import { encodeFrame, type ServerFrame } from '../src/lib/protocol/frames.js';
import type { Connection } from './Connection.js';
import { keyOf } from './keys.js';
import { TokenBucket } from './TokenBucket.js';

/** Per device over all its connections: twice a connection's default allowance. */
export const DEFAULT_DEVICE_RATE = { perSecond: 1000, burst: 4000 };

/**
 * Every open connection, and the connections of each authenticated device: claims and mail are
 * pushed to a device (all of its connections), not to a document.
 */
export class ConnectionRegistry {
	readonly all = new Set<Connection>();
	readonly #byDevice = new Map<string, Set<Connection>>();
	/** Per-device rate limits, kept while the device has a connection. */
	readonly #buckets = new Map<string, TokenBucket>();

	constructor(readonly deviceRate: { perSecond: number; burst: number } = DEFAULT_DEVICE_RATE) {}

	add(conn: Connection): void {
		this.all.add(conn);
	}

	/** Marks the connection as proven to hold `device`'s signing key. */
	authenticate(conn: Connection, device: Uint8Array): void {
		conn.device = device;
		conn.deviceKey = keyOf(device);
		const set = this.#byDevice.get(conn.deviceKey) ?? new Set();
		set.add(conn);
		this.#byDevice.set(conn.deviceKey, set);
		let bucket = this.#buckets.get(conn.deviceKey);
		if (!bucket) {
			bucket = new TokenBucket(this.deviceRate.perSecond, this.deviceRate.burst);
			this.#buckets.set(conn.deviceKey, bucket);
		}
		conn.deviceBucket = bucket;
	}

	/** Authenticated devices with at least one connection, and their connections. */
	devices(): [string, ReadonlySet<Connection>][] {
		return [...this.#byDevice.entries()];
	}

	remove(conn: Connection): void {
		this.all.delete(conn);
		if (!conn.deviceKey) return;
		const set = this.#byDevice.get(conn.deviceKey);
		set?.delete(conn);
		if (set?.size === 0) {
			this.#byDevice.delete(conn.deviceKey);
			this.#buckets.delete(conn.deviceKey);
		}
	}

	/** Sends a frame to every connection of the device; returns how many there were. */
	sendToDevice(device: Uint8Array, frame: ServerFrame): number {
		const set = this.#byDevice.get(keyOf(device));
		if (!set) return 0;
		const bytes = encodeFrame(frame);
		for (const conn of set) conn.sendBytes(bytes);
		return set.size;
	}
}
