import { encodeFrame, type ServerFrame } from '../src/lib/protocol/frames.js';
import type { Connection } from './Connection.js';
import { keyOf } from './keys.js';

/**
 * Every open connection, and the connections of each authenticated device: claims and mail are
 * pushed to a device (all of its connections), not to a document.
 */
export class ConnectionRegistry {
	readonly all = new Set<Connection>();
	readonly #byDevice = new Map<string, Set<Connection>>();

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
	}

	remove(conn: Connection): void {
		this.all.delete(conn);
		if (!conn.deviceKey) return;
		const set = this.#byDevice.get(conn.deviceKey);
		set?.delete(conn);
		if (set?.size === 0) this.#byDevice.delete(conn.deviceKey);
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
