import { afterEach, describe, expect, it } from 'vitest';
import { FakeTendApp } from '../../../src/lib/app/FakeTendApp.svelte.js';
import { demoMe } from '../../../src/lib/app/fakeSeed.js';
import { MAX_ATTACHMENT_BYTES } from '../../../src/lib/app/types.js';

async function until(condition: () => boolean, timeoutMs = 2000): Promise<void> {
	const start = Date.now();
	while (!condition()) {
		if (Date.now() - start > timeoutMs) throw new Error('condition not met in time');
		await new Promise((resolve) => setTimeout(resolve, 5));
	}
}

describe('FakeTendApp files (behaves like the real app)', () => {
	let app: FakeTendApp | undefined;
	afterEach(() => app?.dispose());

	it('queues files while offline, uploads them on reconnect, and opens them with a safe type', async () => {
		app = new FakeTendApp({ me: demoMe, startDelayMs: 0, latencyMs: 2 });
		await until(() => app!.connection === 'online');
		const handle = app.openConversation(await app.createConversation('Check-in'));
		await until(() => handle.view !== undefined);
		expect(handle.canAttach).toBe(true);

		app.setConnection('offline');
		const bytes = new TextEncoder().encode('<script>alert(1)</script>');
		await handle.sendWithFiles('', [
			{ kind: 'file', name: 'page.html', mime: 'text/html', bytes },
			{ kind: 'voice', name: 'v.webm', mime: 'audio/webm', bytes: new Uint8Array(10), durationMs: 900, wave: new Uint8Array([0, 255]) }
		]);
		const attachments = () => handle.view!.messages[0].attachments ?? [];
		expect(attachments().map((a) => a.status)).toEqual(['queued', 'queued']);
		expect(attachments()[1].wave).toEqual([0, 1]);

		app.setConnection('online');
		await until(() => attachments().every((a) => a.status === 'saved'));
		const opened = await handle.openAttachment(attachments()[0].id);
		expect(opened.type).toBe('application/octet-stream');
		expect(new Uint8Array(await opened.arrayBuffer())).toEqual(bytes);
		expect((await handle.openAttachment(attachments()[1].id)).type).toBe('audio/webm');
		expect(app.audit.events.some((e) => e.kind === 'attachment-downloaded')).toBe(true);
		handle.close();
	});

	it('refuses a file over the limit before anything is sent', async () => {
		app = new FakeTendApp({ me: demoMe, startDelayMs: 0, latencyMs: 1 });
		await until(() => app!.connection === 'online');
		const handle = app.openConversation(await app.createConversation('Check-in'));
		await until(() => handle.view !== undefined);
		const big = { kind: 'file' as const, name: 'big.bin', mime: 'application/octet-stream', bytes: new Uint8Array(MAX_ATTACHMENT_BYTES + 1) };
		await expect(handle.sendWithFiles('x', [big])).rejects.toThrow('file-too-large');
		expect(handle.view!.messages).toHaveLength(0);
		handle.close();
	});
});
