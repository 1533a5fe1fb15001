import type { CardView } from '$lib/app/types.js';
import { localDay } from '$lib/app/boardView.js';

/** The board's filters; all off shows every card. */
export interface BoardFilters {
	mine: boolean;
	/** Due by the end of this week (Sunday), overdue included. */
	week: boolean;
	/** '' for any label. */
	label: string;
}

export const NO_FILTERS: BoardFilters = { mine: false, week: false, label: '' };

/** The last day (YYYY-MM-DD) of the week containing `now`, weeks ending on Sunday. */
export function endOfWeek(now: number = Date.now()): string {
	const d = new Date(now);
	const daysToSunday = (7 - d.getDay()) % 7;
	return localDay(new Date(d.getFullYear(), d.getMonth(), d.getDate() + daysToSunday).getTime());
}

/** A predicate for the filters; built once per render, O(1) per card. */
export function cardFilter(filters: BoardFilters, me: string, now: number = Date.now()) {
	const weekEnd = endOfWeek(now);
	return (card: CardView): boolean => {
		if (filters.mine && card.assignee !== me) return false;
		if (filters.week && !(card.due && card.due <= weekEnd)) return false;
		if (filters.label && !card.labels.includes(filters.label)) return false;
		return true;
	};
}

export function filtersActive(filters: BoardFilters): boolean {
	return filters.mine || filters.week || filters.label !== '';
}

/**
 * Where a card dropped before `beforeId` (or at the end of the visible cards when null) goes
 * among all of the column's cards, the moving card left out. With filters on, the visible
 * cards are a subset; the drop keeps the visible neighbours' order.
 */
export function dropIndex(
	columnCards: readonly { id: string }[],
	movingId: string,
	beforeId: string | null,
	lastVisibleId: string | null
): number {
	const others = columnCards.filter((c) => c.id !== movingId);
	if (beforeId) {
		const i = others.findIndex((c) => c.id === beforeId);
		if (i >= 0) return i;
	}
	if (lastVisibleId) {
		const i = others.findIndex((c) => c.id === lastVisibleId);
		if (i >= 0) return i + 1;
	}
	return others.length;
}
