import * as A from '@automerge/automerge';
import { buildBoardView } from '../../src/lib/app/boardView.js';
import { addCard, addLabel, initialBoard, moveCard, readBoard, setDue, type BoardDoc } from '../../src/lib/model/board.js';
import { lower, type Section } from './report.js';
import { median } from './stats.js';

/**
 * Section 7: a 500-card task board against a 50-card one, measured in the same run. What a
 * device does per change of a board: read the board from the document and build the view the
 * UI renders (readBoard + buildBoardView + a filter pass, as the board page does on every
 * change), make a local move (A.change with moveCard, then the same read), and apply one remote
 * move change. Linear work gives about 10× at 500 vs 50; quadratic would give about 100×.
 * (The DOM side uses keyed each blocks, so a move re-renders the two columns' changed rows; it
 * isn't timed here: there is no browser in the bench.)
 */

export interface BoardRaw {
	sizes: [number, number];
	runs: { view: [number, number]; move: [number, number]; remote: [number, number] }[];
}

const COLUMNS = ['To do', 'Doing', 'Waiting', 'Done'];
const ROUNDS = 30;

function buildBoard(cards: number, texts: string[]): A.Doc<BoardDoc> {
	let doc = A.change(
		A.init<BoardDoc>(),
		initialBoard({
			title: 'Bench board',
			creatorHex: 'aa'.repeat(32),
			creatorName: 'Bench',
			now: 1,
			columns: COLUMNS.map((title, i) => ({ id: `col${i}`, title }))
		})
	);
	for (let start = 0; start < cards; start += 50) {
		doc = A.change(doc, (d) => {
			for (let i = start; i < Math.min(cards, start + 50); i++) {
				const id = `card${i}`;
				const text = texts[i % texts.length];
				addCard(d, { id, column: `col${i % COLUMNS.length}`, title: text.slice(0, 80), author: 'aa'.repeat(32), now: i, description: text.slice(0, 400) });
				if (i % 3 === 0) addLabel(d, id, ['intake', 'billing', 'CE'][i % 3]);
				if (i % 4 === 0) setDue(d, id, `2026-12-${String((i % 28) + 1).padStart(2, '0')}`);
			}
		});
	}
	return doc;
}

function viewOnce(doc: A.Doc<BoardDoc>): number {
	const started = performance.now();
	const view = buildBoardView('bench', doc, { me: 'aa'.repeat(32), requests: [], invites: [], isAdmin: true, problems: [] });
	let shown = 0;
	for (const column of view.columns) shown += column.cards.filter((c) => c.labels.length >= 0).length;
	if (shown < 0) throw new Error('unreachable');
	return performance.now() - started;
}

/** Milliseconds per operation, median over ROUNDS, for one board. */
function measure(doc: A.Doc<BoardDoc>, cards: number) {
	const views: number[] = [];
	const moves: number[] = [];
	const remotes: number[] = [];
	// Fresh writable copies each run (a changed document can't be changed again from its old
	// version), each with its own actor.
	let local = A.clone(doc, { actor: '0a'.repeat(16) });
	let remote = A.clone(doc, { actor: '0b'.repeat(16) });
	for (let round = 0; round < ROUNDS; round++) {
		views.push(viewOnce(local));

		const card = `card${(round * 7) % cards}`;
		const started = performance.now();
		const before = local;
		const next = A.change(local, (d) => moveCard(d, card, `col${round % COLUMNS.length}`, round % 5, before));
		readBoard(next);
		moves.push(performance.now() - started);

		const change = A.getLastLocalChange(next)!;
		const applyStarted = performance.now();
		[remote] = A.applyChanges(remote, [change]);
		readBoard(remote);
		remotes.push(performance.now() - applyStarted);
		local = next;
	}
	return { view: median(views), move: median(moves), remote: median(remotes) };
}

export function boardSection({ texts, runs, log }: { texts: string[]; runs: number; log: (line: string) => void }): {
	section: Section;
	raw: BoardRaw;
} {
	const sizes: [number, number] = [500, 50];
	log('boards: building 500- and 50-card boards');
	const big = buildBoard(sizes[0], texts);
	const small = buildBoard(sizes[1], texts);
	const raw: BoardRaw = { sizes, runs: [] };
	for (let run = 0; run < runs; run++) {
		// Alternate, so background noise falls on both.
		const b = measure(big, sizes[0]);
		const s = measure(small, sizes[1]);
		raw.runs.push({ view: [b.view, s.view], move: [b.move, s.move], remote: [b.remote, s.remote] });
	}
	const med = (key: 'view' | 'move' | 'remote', i: 0 | 1) => median(raw.runs.map((r) => r[key][i]));
	const section: Section = {
		title: '7. Task board: 500 cards against 50 cards',
		baseline: 'the same operations on a 50-card board in the same run',
		notes: [
			'view: readBoard + buildBoardView + a filter pass, what the board page computes on every change; 4 columns, a third of the cards labelled, a quarter with due dates, titles and descriptions from the corpus.',
			'move: a local move as the app makes it (A.change with moveCard, positions read from the document before the change) and the read after it; remote: applying that move change on another replica and reading the board.',
			`medians of ${ROUNDS} operations per run, median of ${runs} runs. Goal: at most 15× for 10× the cards (linear, not quadratic).`
		],
		rows: [
			lower('view (read + build)', 'ms', med('view', 0), med('view', 1), 15),
			lower('local move + read', 'ms', med('move', 0), med('move', 1), 15),
			lower('remote move + read', 'ms', med('remote', 0), med('remote', 1), 15)
		]
	};
	return { section, raw };
}
