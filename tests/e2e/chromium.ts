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
