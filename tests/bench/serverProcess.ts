import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Runs a baseline server script from tests/bench (the bare relay, the stock automerge-repo
 * server) in its own process, as `RelayProcess` runs the real relay: each server gets a core
 * of its own instead of sharing the load generator's event loop, so the comparison is fair.
 *
 * @remarks
 * The script must print one JSON line `{"msg":"listening","port":N}` when ready and exit on
 * SIGTERM. It runs in its own process group (tsx starts a second node process), and
 * {@link ServerProcess.stop} signals the whole group.
 */
export class ServerProcess {
	readonly #child: ChildProcess;
	readonly #exited: Promise<void>;

	private constructor(
		child: ChildProcess,
		readonly port: number,
		readonly dataDir: string
	) {
		this.#child = child;
		this.#exited = new Promise((resolve) => {
			if (child.exitCode !== null) resolve();
			else child.once('exit', () => resolve());
		});
	}

	/** Starts `script` (relative to tests/bench) with `--data <temp dir> --port 0`. */
	static async start(script: string, env: Record<string, string> = {}): Promise<ServerProcess> {
		const dataDir = mkdtempSync(join(tmpdir(), 'tend-bench-'));
		const args = [TSX_CLI, join(BENCH_DIR, script), '--data', dataDir, '--port', '0'];
		const child = spawn(process.execPath, args, {
			cwd: REPO_ROOT,
			env: { ...process.env, ...env },
			detached: true,
			stdio: ['ignore', 'pipe', 'pipe']
		});
		running.add(child);
		child.once('exit', () => running.delete(child));
		const port = await waitForListening(child, script);
		return new ServerProcess(child, port, dataDir);
	}

	get url(): string {
		return `ws://127.0.0.1:${this.port}`;
	}

	/** The process group id (the tsx CLI); the server itself is a descendant. */
	get pid(): number {
		return this.#child.pid ?? 0;
	}

	/** SIGTERM to the group, SIGKILL after 5 s; then deletes the data folder. */
	async stop(): Promise<void> {
		signalGroup(this.#child, 'SIGTERM');
		const timer = setTimeout(() => signalGroup(this.#child, 'SIGKILL'), 5000);
		await this.#exited;
		clearTimeout(timer);
		rmSync(this.dataDir, { recursive: true, force: true });
	}
}

const BENCH_DIR = fileURLToPath(new URL('.', import.meta.url));
const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));
const TSX_CLI = join(REPO_ROOT, 'node_modules/tsx/dist/cli.mjs');

/** Servers still running; killed if the bench exits without stopping them. */
const running = new Set<ChildProcess>();
process.once('exit', () => {
	for (const child of running) signalGroup(child, 'SIGKILL');
});

function signalGroup(child: ChildProcess, signal: NodeJS.Signals): void {
	try {
		if (child.pid) process.kill(-child.pid, signal);
	} catch {
		// Already gone.
	}
}

function waitForListening(child: ChildProcess, script: string): Promise<number> {
	return new Promise((resolve, reject) => {
		let stdout = '';
		let stderr = '';
		const fail = (why: string) => reject(new Error(`${script}: ${why}\n${stderr}`));
		const timer = setTimeout(() => fail('not listening after 20 s'), 20_000);
		child.once('exit', (code) => fail(`exited (${code}) before listening`));
		child.stderr?.setEncoding('utf8').on('data', (text: string) => (stderr += text));
		child.stdout?.setEncoding('utf8').on('data', (text: string) => {
			stdout += text;
			for (const line of stdout.split('\n')) {
				const port = listeningPort(line);
				if (port === undefined) continue;
				clearTimeout(timer);
				resolve(port);
			}
		});
	});
}

function listeningPort(line: string): number | undefined {
	try {
		const record = JSON.parse(line) as { msg?: unknown; port?: unknown };
		return record.msg === 'listening' && typeof record.port === 'number' ? record.port : undefined;
	} catch {
		return undefined;
	}
}
