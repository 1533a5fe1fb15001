import { afterEach, describe, expect, it } from 'vitest';
import { FakeTendApp } from '../../../src/lib/app/FakeTendApp.svelte.js';
import { demoMe } from '../../../src/lib/app/fakeSeed.js';

async function until(condition: () => boolean, timeoutMs = 2000): Promise<void> {
	const start = Date.now();
	while (!condition()) {
		if (Date.now() - start > timeoutMs) throw new Error('condition not met in time');
		await new Promise((resolve) => setTimeout(resolve, 5));
	}
}

describe('FakeTendApp boards', () => {
	let app: FakeTendApp | undefined;
	afterEach(() => app?.dispose());

	it('creates a board with three columns, adds and moves cards like the real model', async () => {
		app = new FakeTendApp({ me: demoMe, startDelayMs: 0, latencyMs: 1 });
		await until(() => app!.phase === 'ready');
		const id = await app.createBoard('Paperwork');
		expect(app.boards.map((b) => b.title)).toEqual(['Paperwork']);

		const handle = app.openBoard(id);
		await until(() => handle.view !== undefined);
		const [todo, doing] = handle.view!.columns;
		expect(handle.view!.columns).toHaveLength(3);
		await handle.act({ t: 'addCard', column: todo.id, title: 'First', id: 'x1' });
		await handle.act({ t: 'addCard', column: todo.id, title: 'Second', id: 'x2' });
		await handle.act({ t: 'moveCard', card: 'x2', column: doing.id, index: 0 });
		expect(handle.view!.columns.map((c) => c.cards.map((card) => card.title))).toEqual([['First'], ['Second'], []]);
		expect((await handle.history('x2')).map((s) => s.fields)).toEqual([['created'], ['place']]);
		handle.close();
	});

	it('makes a task from a message and lists it for the conversation', async () => {
		app = new FakeTendApp({ me: demoMe, startDelayMs: 0, latencyMs: 1 });
		await until(() => app!.phase === 'ready');
		const board = await app.createBoard('Follow-ups');
		await app.makeTask({ boardId: board, conversationId: 'c-1', messageId: 'm-9', text: '\nCall back\nabout Friday' });
		expect(app.tasksFor('c-1')).toMatchObject([{ messageId: 'm-9', boardId: board, title: 'Call back' }]);
		expect(app.tasksFor('c-2')).toEqual([]);
	});
});
