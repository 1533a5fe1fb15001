import type { ArchiveFiles } from '$lib/app/types.js';
import { downloadText } from './download.js';

/**
 * "Export for the record" on a page (a conversation or a board): runs the export, saves its two
 * files (the signed JSON and the printable HTML) and keeps what the page shows meanwhile.
 */
export class ArchiveExport {
	exporting = $state(false);
	note = $state<'done' | 'failed' | undefined>();

	async run(make: () => Promise<ArchiveFiles>): Promise<void> {
		this.exporting = true;
		this.note = undefined;
		try {
			const files = await make();
			downloadText(files.json.name, files.json.text);
			downloadText(files.html.name, files.html.text, 'text/html');
			this.note = 'done';
		} catch {
			this.note = 'failed';
		} finally {
			this.exporting = false;
		}
	}
}
