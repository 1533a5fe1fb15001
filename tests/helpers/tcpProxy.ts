import { createServer, connect, type Server, type Socket } from 'node:net';

/**
 * A TCP proxy on 127.0.0.1 between the app and the relay. `cut()` closes every open connection
 * and refuses new ones, which is what going offline means for an open WebSocket (Playwright's
 * `setOffline` leaves open sockets working: TESTING.md). `restore()` lets connections through again.
 */
export class TcpProxy {
	#server: Server;
	#sockets = new Set<Socket>();
	#cut = false;
	port = 0;

	private constructor(targetPort: number) {
		this.#server = createServer((client) => {
			if (this.#cut) {
				client.destroy();
				return;
			}
			const upstream = connect(targetPort, '127.0.0.1');
			this.#sockets.add(client);
			this.#sockets.add(upstream);
			const end = () => {
				client.destroy();
				upstream.destroy();
				this.#sockets.delete(client);
				this.#sockets.delete(upstream);
			};
			client.on('error', end).on('close', end);
			upstream.on('error', end).on('close', end);
			client.pipe(upstream);
			upstream.pipe(client);
		});
	}

	static async start(targetPort: number, port = 0): Promise<TcpProxy> {
		const proxy = new TcpProxy(targetPort);
		await new Promise<void>((resolve, reject) => {
			proxy.#server.once('error', reject);
			proxy.#server.listen(port, '127.0.0.1', () => resolve());
		});
		const address = proxy.#server.address();
		proxy.port = typeof address === 'object' && address ? address.port : port;
		return proxy;
	}

	get isCut(): boolean {
		return this.#cut;
	}

	cut(): void {
		this.#cut = true;
		for (const socket of this.#sockets) socket.destroy();
		this.#sockets.clear();
	}

	restore(): void {
		this.#cut = false;
	}

	async close(): Promise<void> {
		this.cut();
		await new Promise<void>((resolve) => this.#server.close(() => resolve()));
	}
}
