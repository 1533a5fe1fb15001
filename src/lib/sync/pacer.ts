/**
 * Shares the main thread between documents that catch up at the same time: one part of work
 * per task. A part that awaits {@link Pacer.turn} goes ahead at once when no other part has run
 * in the current task; otherwise it waits for a later task. So a long catch-up of many documents
 * runs one part (a few milliseconds) at a time, and the browser can draw and answer the person
 * between parts.
 *
 * @remarks
 * Every waiting part resumes when the next task starts, but only the first goes on: the others
 * find the task taken and wait again. (Letting several through on a time budget doesn't work:
 * all of them resume before any has done its work, so a budget can't tell them apart.)
 */
export class Pacer {
	#taken = false;
	#next: Promise<void> | undefined;

	async turn(): Promise<void> {
		while (this.#taken) await this.#nextTask();
		this.#taken = true;
		// The next task frees the thread for the next part.
		void this.#nextTask();
	}

	#nextTask(): Promise<void> {
		this.#next ??= laterTask().then(() => {
			this.#next = undefined;
			this.#taken = false;
		});
		return this.#next;
	}
}

/**
 * Resolves in a later task: `scheduler.yield()` where the browser has it (it lets input and
 * drawing go first, then resumes ahead of other work), otherwise a timer.
 */
function laterTask(): Promise<void> {
	const scheduler = (globalThis as { scheduler?: { yield?: () => Promise<void> } }).scheduler;
	if (typeof scheduler?.yield === 'function') return scheduler.yield();
	return new Promise((resolve) => setTimeout(resolve, 0));
}

/** The pacer that log entries from the relay go through (DocSync.receive). */
export const mainThread = new Pacer();
