import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Plaintext scans over files on disk (a relay's data folder, a browser profile). TESTING.md:
 * search UTF-8, UTF-16LE and Latin-1, and prove each scan with a positive control.
 */

/** Every file under a folder, recursively. */
export function filesUnder(dir: string): string[] {
	const out: string[] = [];
	for (const name of readdirSync(dir)) {
		const path = join(dir, name);
		let stat;
		try {
			stat = statSync(path);
		} catch {
			continue;
		}
		if (stat.isDirectory()) out.push(...filesUnder(path));
		else if (stat.isFile()) out.push(path);
	}
	return out;
}

/** The forms a string can take on disk: UTF-8, UTF-16LE (V8 two-byte) and Latin-1 (one-byte). */
export function encodings(text: string): Buffer[] {
	const forms = [Buffer.from(text, 'utf8'), Buffer.from(text, 'utf16le')];
	if (/^[\u0000-\u00ff]*$/.test(text)) forms.push(Buffer.from(text, 'latin1'));
	return forms;
}

/** Which of `needles` occur in any of `files`, in any encoding. */
export function findInFiles(files: string[], needles: string[]): Map<string, string[]> {
	const found = new Map<string, string[]>();
	for (const file of files) {
		let bytes: Buffer;
		try {
			bytes = readFileSync(file);
		} catch {
			continue;
		}
		for (const needle of needles) {
			if (encodings(needle).some((form) => bytes.includes(form))) {
				found.set(needle, [...(found.get(needle) ?? []), file]);
			}
		}
	}
	return found;
}

