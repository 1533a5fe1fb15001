/**
 * The invite secret travels after `#` in the join link (SECURITY-RULES.md, rule 1). It must leave
 * the address bar and the history entry at once, so it doesn't end up in synced history, a
 * screenshot or the next person's "back" button. The root layout calls
 * {@link stripInviteFragment} as its first statement on `/join` (the join page itself mounts only
 * after the app has started, which can take a moment); the join page then takes the value once.
 */

let pending: string | undefined;

/**
 * Moves the fragment of the current URL into memory and rewrites the current history entry
 * without it. Does nothing when there is no fragment.
 */
export function stripInviteFragment(): void {
	if (location.hash.length <= 1) return;

	pending = location.hash.slice(1);
	const clean = location.pathname + location.search;
	// Native replaceState, keeping SvelteKit's own state object: kit's `replaceState` would
	// copy `page.url` (which still holds the fragment) into the history state.
	history.replaceState(history.state, '', clean);
}

/**
 * The fragment captured by {@link stripInviteFragment}, left in place for the join page: the
 * check that runs before a new device's passphrase (JoinPrecheck) reads it this way.
 */
export function peekInviteFragment(): string {
	stripInviteFragment();
	return pending ?? '';
}

/**
 * Returns the fragment captured by {@link stripInviteFragment} (stripping it now if that hasn't
 * happened yet) and forgets it, so a second caller gets an empty string.
 */
export function takeInviteFragment(): string {
	stripInviteFragment();
	const fragment = pending ?? '';
	pending = undefined;
	return fragment;
}
