/**
 * Looks at IndexedDB the way an attacker with the profile would: every store, key and value of a
 * database through the raw API, searched for plaintext in the forms a browser may write it
 * (TESTING.md: UTF-8, UTF-16LE, and Latin-1 for V8's one-byte strings).
 */

let counter = 0;

/** A database name no other test uses. */
export function freshDbName(label: string): string {
	counter += 1;
	return `tend-test-${label}-${counter}-${Math.random().toString(36).slice(2)}`;
}

/** Every (store, key, value) of database `name`, read through the raw IndexedDB API. */
export async function dumpDatabase(
	name: string
): Promise<{ store: string; key: IDBValidKey; value: unknown }[]> {
	const db = await new Promise<IDBDatabase>((resolve, reject) => {
		const request = indexedDB.open(name);
		request.onsuccess = () => resolve(request.result);
		request.onerror = () => reject(request.error);
	});
	try {
		const out: { store: string; key: IDBValidKey; value: unknown }[] = [];
		for (const store of Array.from(db.objectStoreNames)) {
			const tx = db.transaction(store, 'readonly');
			const keys = tx.objectStore(store).getAllKeys();
			const values = tx.objectStore(store).getAll();
			await new Promise<void>((resolve, reject) => {
				tx.oncomplete = () => resolve();
				tx.onabort = () => reject(tx.error);
			});
			keys.result.forEach((key, i) => out.push({ store, key, value: values.result[i] }));
		}
		return out;
	} finally {
		db.close();
	}
}

/** The byte forms a string may take on disk. */
export function encodings(text: string): { name: string; bytes: Uint8Array }[] {
	const forms = [
		{ name: 'UTF-8', bytes: new TextEncoder().encode(text) },
		{ name: 'UTF-16LE', bytes: utf16le(text) }
	];
	if ([...text].every((c) => c.charCodeAt(0) < 256)) {
		forms.push({ name: 'Latin-1', bytes: Uint8Array.from(text, (c) => c.charCodeAt(0)) });
	}
	return forms;
}

export function utf16le(text: string): Uint8Array {
	const out = new Uint8Array(text.length * 2);
	for (let i = 0; i < text.length; i++) {
		out[i * 2] = text.charCodeAt(i) & 0xff;
		out[i * 2 + 1] = text.charCodeAt(i) >> 8;
	}
	return out;
}

export function latin1(text: string): Uint8Array {
	return Uint8Array.from(text, (c) => c.charCodeAt(0) & 0xff);
}

/**
 * Where `needle` shows up in a dump: in any key or value, in any of its byte forms. Strings in the
 * dump are searched in each form they could be written in; nested objects and arrays are walked.
 */
export function findInDump(
	dump: { store: string; key: IDBValidKey; value: unknown }[],
	needle: string
): string[] {
	const hits: string[] = [];
	for (const { store, key, value } of dump) {
		const haystacks = [...byteForms(key), ...byteForms(value)];
		for (const form of encodings(needle)) {
			if (haystacks.some((haystack) => containsBytes(haystack, form.bytes))) {
				hits.push(`${form.name} in ${store}/${String(key)}`);
			}
		}
	}
	return hits;
}

function byteForms(value: unknown): Uint8Array[] {
	if (typeof value === 'string') return encodings(value).map((form) => form.bytes);
	if (value instanceof Uint8Array) return [value];
	if (value instanceof ArrayBuffer) return [new Uint8Array(value)];
	if (ArrayBuffer.isView(value)) {
		return [new Uint8Array(value.buffer, value.byteOffset, value.byteLength)];
	}
	if (Array.isArray(value)) return value.flatMap(byteForms);
	if (typeof value === 'object' && value !== null) return Object.values(value).flatMap(byteForms);
	return [];
}

export function containsBytes(haystack: Uint8Array, needle: Uint8Array): boolean {
	outer: for (let i = 0; i + needle.length <= haystack.length; i++) {
		for (let j = 0; j < needle.length; j++) {
			if (haystack[i + j] !== needle[j]) continue outer;
		}
		return true;
	}
	return false;
}
