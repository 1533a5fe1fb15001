#!/usr/bin/env node
// `npm test`: everything CI runs, in order. Installs Debian's Chromium when it is missing
// (Playwright's own browser download is unreachable here and must never be used), then type
// checks, runs unit and integration tests, builds the app and runs the browser tests.
import { execSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const CHROMIUM = '/usr/bin/chromium';

/**
 * Runs one step with inherited output; stops the whole run at the first failure.
 * @param {string} label
 * @param {string} command
 * @param {string[]} args
 */
function run(label, command, args) {
	console.log(`\n=== ${label}: ${command} ${args.join(' ')}`);
	const result = spawnSync(command, args, { stdio: 'inherit', env: process.env });
	if (result.status !== 0) {
		console.error(`\n${label} failed (exit ${result.status ?? result.signal}).`);
		process.exit(result.status ?? 1);
	}
}

if (!existsSync(CHROMIUM)) {
	console.log('Chromium is missing: installing Debian\'s chromium package.');
	const root = process.getuid?.() === 0;
	const sudo = root ? '' : 'sudo ';
	execSync(`${sudo}apt-get update && ${sudo}env DEBIAN_FRONTEND=noninteractive apt-get install -y chromium`, {
		stdio: 'inherit'
	});
	if (!existsSync(CHROMIUM)) {
		console.error(`Chromium is still missing at ${CHROMIUM}; the browser tests can't run.`);
		process.exit(1);
	}
}

// The same command as `npm run check`, so both fail on a warning as well as on an error.
run('type check', 'npm', ['run', 'check']);
run('unit and integration tests', 'npx', ['vitest', 'run']);
run('build', 'npx', ['vite', 'build']);
run('browser tests', 'npx', ['playwright', 'test']);
console.log('\nAll tests passed.');
