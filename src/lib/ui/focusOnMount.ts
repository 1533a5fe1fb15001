/**
 * An attachment (`{@attach focusOnMount}`) that moves focus to the element when it appears, so
 * keyboard and screen-reader users follow a step change (a join phase, an opened panel). Give
 * non-interactive targets `tabindex="-1"`.
 */
export function focusOnMount(node: HTMLElement): void {
	node.focus({ preventScroll: false });
}
