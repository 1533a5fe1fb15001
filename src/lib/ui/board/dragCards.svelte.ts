/**
 * Dragging cards with a pointer (mouse, pen or touch): one pointerdown handler on the board,
 * pointer capture on the card, hit-testing by `data-column-id` / `data-card-id` attributes, so
 * the work per move is O(cards in the column under the pointer). Keyboard moves and the
 * "Move to…" dialog live in the components; this is only the pointer path.
 */

export interface DropTarget {
	column: string;
	/** The visible card the dragged one goes before, or null for the column's end. */
	before: string | null;
	/** The column's last visible card (other than the dragged one), for a drop at the end. */
	lastVisible: string | null;
}

export interface DragState {
	card: string;
	target: DropTarget | null;
	x: number;
	y: number;
}

const THRESHOLD = 6;

export class CardDrag {
	state = $state.raw<DragState | null>(null);
	#start: { card: string; x: number; y: number; id: number; el: HTMLElement } | null = null;
	#onDrop: (card: string, target: DropTarget) => void;
	/** Set after a drag so the click that follows pointerup doesn't open the card. */
	suppressClick = false;

	constructor(onDrop: (card: string, target: DropTarget) => void) {
		this.#onDrop = onDrop;
	}

	pointerdown = (event: PointerEvent) => {
		if (event.button !== 0) return;
		const el = (event.target as HTMLElement).closest<HTMLElement>('[data-drag-card]');
		if (!el) return;
		// Touch drags start from the grip only, so the board still scrolls with a finger.
		if (event.pointerType === 'touch' && !(event.target as HTMLElement).closest('[data-grip]')) {
			return;
		}
		this.#start = { card: el.dataset.dragCard!, x: event.clientX, y: event.clientY, id: event.pointerId, el };
	};

	pointermove = (event: PointerEvent) => {
		const start = this.#start;
		if (!start || event.pointerId !== start.id) return;
		if (!this.state) {
			if (Math.hypot(event.clientX - start.x, event.clientY - start.y) < THRESHOLD) return;
			start.el.setPointerCapture?.(event.pointerId);
		}
		event.preventDefault();
		this.state = {
			card: start.card,
			target: hitTest(event.clientX, event.clientY, start.card),
			x: event.clientX,
			y: event.clientY
		};
	};

	pointerup = (event: PointerEvent) => {
		const start = this.#start;
		if (!start || event.pointerId !== start.id) return;
		this.#start = null;
		const state = this.state;
		this.state = null;
		if (!state) return;
		this.suppressClick = true;
		setTimeout(() => (this.suppressClick = false), 0);
		const target = hitTest(event.clientX, event.clientY, start.card) ?? state.target;
		if (target) this.#onDrop(start.card, target);
	};

	pointercancel = () => {
		this.#start = null;
		this.state = null;
	};
}

function hitTest(x: number, y: number, moving: string): DropTarget | null {
	const under = document.elementFromPoint(x, y);
	const column = under?.closest<HTMLElement>('[data-column-id]');
	if (!column) return null;
	const cards = [...column.querySelectorAll<HTMLElement>('[data-drag-card]')].filter(
		(el) => el.dataset.dragCard !== moving
	);
	let before: string | null = null;
	for (const el of cards) {
		const rect = el.getBoundingClientRect();
		if (y < rect.top + rect.height / 2) {
			before = el.dataset.dragCard!;
			break;
		}
	}
	const last = cards.at(-1)?.dataset.dragCard ?? null;
	return { column: column.dataset.columnId!, before, lastVisible: last };
}
