/**
 * How every browser test (and the icon script) starts Chromium: Debian's package, never a
 * downloaded browser (TOOLCHAIN.md), with the background networking this machine's closed
 * network refuses switched off.
 */
export const chromiumPath = '/usr/bin/chromium';

export const chromiumArgs = [
	'--no-sandbox',
	'--disable-gpu',
	'--disable-quic',
	'--no-first-run',
	'--disable-background-networking',
	'--disable-component-update',
	'--disable-sync'
];

/**
 * Chromium's fake microphone and camera (a beep and a test pattern) with permission prompts
 * granted: only for tests that record, since they change what `getUserMedia` returns.
 */
export const fakeMediaArgs = ['--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream'];
