import { defineConfig } from '@playwright/test';
import { chromiumArgs, chromiumPath } from './tests/e2e/chromium.js';

/**
 * Browser tests drive Debian's Chromium (never a downloaded browser: TOOLCHAIN.md). Each test
 * starts its own relay process, TCP proxy and app server on 127.0.0.1 (tests/e2e/stack.ts), and
 * opens persistent contexts on `localhost`, one per person.
 */
export default defineConfig({
	testDir: 'tests/e2e',
	testMatch: '**/*.e2e.ts',
	workers: 1,
	fullyParallel: false,
	// Every test sets and types a passphrase (Argon2id, ~0.5 s each, more on a busy machine).
	timeout: 300_000,
	expect: { timeout: 20_000 },
	retries: 0,
	reporter: [['list']],
	outputDir: 'test-results',
	use: {
		browserName: 'chromium',
		trace: 'retain-on-failure',
		launchOptions: {
			executablePath: chromiumPath,
			args: chromiumArgs
		}
	}
});
