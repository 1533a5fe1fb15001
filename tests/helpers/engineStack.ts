import { afterEach, beforeAll } from 'vitest';
import { readyCrypto } from '../../src/lib/crypto/sodium.js';
import { createConversation } from '../../src/lib/sync/createConversation.js';
import { nodeDevice, waitFor, type NodeDevice } from './nodeDevice.js';
import { RelayProcess } from './relayProcess.js';

type DeviceOptions = Parameters<typeof nodeDevice>[2];

/**
 * The setup the engine's integration tests share: a real relay process per test and Node
 * devices on it, stopped and removed after each test. Call once at the top of a test file.
 */
export function engineStack() {
	let relay: RelayProcess | undefined;
	const devices: NodeDevice[] = [];

	beforeAll(async () => {
		await readyCrypto();
	});

	afterEach(async () => {
		for (const device of devices.splice(0)) device.stop();
		await relay?.dispose();
		relay = undefined;
	});

	const stack = {
		get relay(): RelayProcess {
			if (!relay) throw new Error('the relay runs only once a test has started it');
			return relay;
		},

		async startRelay(): Promise<RelayProcess> {
			relay ??= await RelayProcess.start();
			return relay;
		},

		/** A device on the relay, stopped after the test (not started). */
		device(options?: DeviceOptions): NodeDevice {
			return stack.track(nodeDevice(stack.relay.url, undefined, options));
		},

		/** Stops `device` after the test (e.g. one made by `restart()`). */
		track(device: NodeDevice): NodeDevice {
			devices.push(device);
			return device;
		},

		/**
		 * A therapist's new conversation ("Tuesday check-ins", by Dr. Rivera) and a second device,
		 * both online; the second isn't let in yet.
		 */
		async therapistAndClient(options: { client?: DeviceOptions } = {}) {
			await stack.startRelay();
			const therapist = stack.device();
			const client = stack.device(options.client);
			const conversation = await createConversation(therapist.ctx, {
				title: 'Tuesday check-ins',
				creatorName: 'Dr. Rivera'
			});
			therapist.engine.add(conversation);
			therapist.engine.start();
			client.engine.start();
			await waitFor(() => therapist.engine.status === 'online' && client.engine.status === 'online');
			return { therapist, client, conversation };
		}
	};
	return stack;
}
