// Loaded with `NODE_OPTIONS=--import <this file>` into a server process during the `--profile`
// pass of `npm run bench`: samples the process's CPU from start to exit and writes
// `<TEND_BENCH_PROFILE_DIR>/<pid>.cpuprofile` (`--cpu-prof` itself is not allowed in
// NODE_OPTIONS). cpuProfile.ts summarizes the file.
import { Session } from 'node:inspector';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const dir = process.env.TEND_BENCH_PROFILE_DIR;
if (dir) {
	const session = new Session();
	session.connect();
	session.post('Profiler.enable');
	session.post('Profiler.setSamplingInterval', { interval: 250 });
	session.post('Profiler.start');
	// The inspector answers synchronously on this thread, so this runs before the exit completes.
	process.on('exit', () => {
		session.post('Profiler.stop', (error, answer) => {
			if (error) return;
			mkdirSync(dir, { recursive: true });
			writeFileSync(join(dir, `${process.pid}.cpuprofile`), JSON.stringify(answer.profile));
		});
	});
}
