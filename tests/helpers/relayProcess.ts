import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Runs the real relay (`sync-server/main.ts`) as a child process, the way an operator runs it,
 * for integration tests: start, wait for its `listening` line, stop, SIGKILL, restart on the
 * same data folder, read `/healthz`.
 *
 * @example
 * ```ts
 * const relay = await RelayProcess.start();
 * const client = await RelayClient.connect(relay.url);
 * await relay.kill(); // SIGKILL
 * await relay.restart(); // same data folder, same port
 * await relay.dispose(); // stop and delete the temporary data folder
 * ```
 *
 * @remarks
 * `tsx`'s CLI runs the script in a second node process. SIGTERM and SIGINT to the CLI are
 * passed on, but SIGKILL can't be, and would leave the relay running as an orphan with the
 * port and database open. So the relay is started in its own process group and {@link kill}
 * signals the whole group.
 */
export class RelayProcess {
	readonly logs: string[] = [];
	stderr = '';
	#child: ChildProcess | undefined;
	#exited: Promise<number | null> | undefined;
	#port = 0;

	private constructor(
		readonly dataDir: string,
		readonly options: RelayProcessOptions,
		readonly ownsDataDir: boolean
	) {}

	/** Starts a relay on a free port; with no `dataDir`, in a new temporary folder. */
	static async start(options: RelayProcessOptions = {}): Promise<RelayProcess> {
		const owns = options.dataDir === undefined;
		const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'tend-relay-'));
		const relay = new RelayProcess(dataDir, options, owns);
		await relay.#spawn(options.port ?? 0);
		return relay;
	}

	get port(): number {
		return this.#port;
	}

	/** The WebSocket URL devices connect to. */
	get url(): string {
		return `ws://127.0.0.1:${this.#port}`;
	}

	get httpUrl(): string {
		return `http://127.0.0.1:${this.#port}`;
	}

	/** The process id of the `tsx` CLI, which is also the relay's process group id. */
	get pid(): number | undefined {
		return this.#child?.pid;
	}

	/** Parsed JSON log lines (non-JSON lines are skipped). */
	logRecords(): Record<string, unknown>[] {
		return this.logs.flatMap((line) => {
			try {
				return [JSON.parse(line) as Record<string, unknown>];
			} catch {
				return [];
			}
		});
	}

	async healthz(): Promise<{ status: number; body: Record<string, unknown> }> {
		const res = await fetch(`${this.httpUrl}/healthz`, { signal: AbortSignal.timeout(5000) });
		return { status: res.status, body: (await res.json()) as Record<string, unknown> };
	}

	/** SIGTERM (the relay commits and closes cleanly); SIGKILL if it hasn't exited in 10 s. */
	async stop(): Promise<number | null> {
		const child = this.#child;
		if (!child || !this.#exited) return null;
		child.kill('SIGTERM');
		const code = await Promise.race([this.#exited, delay(10_000).then(() => 'timeout' as const)]);
		if (code !== 'timeout') return code;
		await this.kill();
		throw new Error('the relay did not exit within 10 s of SIGTERM');
	}

	/** SIGKILL to the relay's process group: no chance to flush, commit or close anything. */
	async kill(): Promise<void> {
		const child = this.#child;
		if (!child?.pid || !this.#exited) return;
		try {
			process.kill(-child.pid, 'SIGKILL');
		} catch {
			// The group is already gone.
		}
		await this.#exited;
		await waitForPortClosed(this.#port);
	}

	/** Starts the relay again on the same data folder and (by default) the same port. */
	async restart(options: { samePort?: boolean } = {}): Promise<void> {
		if (this.#exited) await this.stop();
		await this.#spawn(options.samePort === false ? 0 : this.#port);
	}

	/** Stops the relay and deletes the data folder if {@link start} created it. */
	async dispose(): Promise<void> {
		try {
			await this.stop();
		} finally {
			if (this.ownsDataDir) rmSync(this.dataDir, { recursive: true, force: true });
		}
	}

	async #spawn(port: number): Promise<void> {
		const args = [TSX_CLI, 'sync-server/main.ts', '--port', String(port), '--data', this.dataDir];
		const env: Record<string, string | undefined> = {
			...process.env,
			TEND_LOG_LEVEL: this.options.logLevel ?? 'info',
			// Tests talk to the relay without a practice token unless they test admission.
			TEND_ADMISSION: this.options.admission ? 'required' : 'open',
			// Many relays run at once in tests: the admin page only where a test asks, on any port.
			TEND_ADMIN_PORT: this.options.admin ? '0' : 'off'
		};
		const child = spawn(process.execPath, [...args, ...(this.options.args ?? [])], {
			cwd: REPO_ROOT,
			env: { ...env, ...this.options.env },
			detached: true,
			stdio: ['ignore', 'pipe', 'pipe']
		});
		this.#child = child;
		running.add(child);
		this.#exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
		this.#exited.then(() => {
			running.delete(child);
			if (this.#child === child) this.#exited = undefined;
		});
		child.stderr?.setEncoding('utf8').on('data', (text: string) => (this.stderr += text));
		this.#port = await this.#waitForListening(child);
	}

	#waitForListening(child: ChildProcess): Promise<number> {
		return new Promise((resolve, reject) => {
			let pending = '';
			const fail = (why: string) => reject(new Error(`${why}\nstderr:\n${this.stderr}`));
			const timer = setTimeout(() => fail('the relay did not log `listening` in 20 s'), 20_000);
			child.once('exit', (code) => fail(`the relay exited (${code}) before listening`));
			child.stdout?.setEncoding('utf8').on('data', (text: string) => {
				pending += text;
				const lines = pending.split('\n');
				pending = lines.pop() ?? '';
				for (const line of lines) {
					this.logs.push(line);
					const port = listeningPort(line);
					if (port === undefined) continue;
					clearTimeout(timer);
					resolve(port);
				}
			});
		});
	}
}

export interface RelayProcessOptions {
	/** Data folder to use (kept on dispose); default: a new temporary folder (deleted). */
	dataDir?: string;
	/** Port to listen on; default 0 (any free port). */
	port?: number;
	/** TEND_LOG_LEVEL for the relay; default 'info'. */
	logLevel?: string;
	/** Extra environment variables, e.g. TEND_RATE_BURST. */
	env?: Record<string, string>;
	/** Extra command-line arguments, e.g. ['--origin', 'relay.example']. */
	args?: string[];
	/**
	 * Run with practice admission as `npm run relay` does by default (a tokens file in the data
	 * folder). Off unless set: other tests connect without a token.
	 */
	admission?: boolean;
	/** Run the admin status page (on a free port: read it from the `admin listening` log line). */
	admin?: boolean;
}

/** Relays still running; killed if the test process exits without disposing of them. */
const running = new Set<ChildProcess>();
process.once('exit', () => {
	for (const child of running) {
		try {
			if (child.pid) process.kill(-child.pid, 'SIGKILL');
		} catch {
			// Already gone.
		}
	}
});

const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));
const TSX_CLI = join(REPO_ROOT, 'node_modules/tsx/dist/cli.mjs');

function listeningPort(line: string): number | undefined {
	try {
		const record = JSON.parse(line) as { msg?: unknown; port?: unknown };
		return record.msg === 'listening' && typeof record.port === 'number' ? record.port : undefined;
	} catch {
		return undefined;
	}
}

function delay(ms: number): Promise<void> {
	return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Waits until nothing accepts connections on the port. The relay is a grandchild whose exit
 * nobody here can await, and a restart on the same port must not race its dying socket.
 */
async function waitForPortClosed(port: number, timeoutMs = 10_000): Promise<void> {
	const deadline = Date.now() + timeoutMs;
	while (Date.now() < deadline) {
		const open = await new Promise<boolean>((resolve) => {
			const socket = connect({ port, host: '127.0.0.1' });
			socket.once('connect', () => {
				socket.destroy();
				resolve(true);
			});
			socket.once('error', () => resolve(false));
		});
		if (!open) return;
		await delay(25);
	}
	throw new Error(`port ${port} still accepts connections after the relay was killed`);
}
