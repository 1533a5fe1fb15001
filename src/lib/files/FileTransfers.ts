import { EventEmitter } from 'eventemitter3';
import { openFile, type FileOpenError, type FileSecrets, type SealedFile } from '../crypto/fileCrypto.js';
import { fromBase64Url, fromHex, toHex } from '../protocol/bytes.js';
import { encodeCbor } from '../protocol/cbor.js';
import { RelayError, type ErrorCode } from '../protocol/errors.js';
import { downloadBlob, uploadBlob, type BlobRequester } from './blobTransfer.js';

/**
 * Files of any document (conversation or board) on this device: the queue of uploads waiting
 * for the relay, the cache of downloaded files, and the transfers themselves.
 *
 * @remarks
 * Only ciphertext is stored, and it is sealed again by the encrypting storage adapter like
 * everything in IndexedDB (rule 16): `['tend', 'file', docKey, blobHex]` holds a file's
 * ciphertext (sent or downloaded), `['tend', 'file-have', …]` marks it present (so presence is
 * known without loading the bytes), and `['tend', 'upload', docKey, blobHex]` is a queued
 * upload. A file is queued in the same write that caches it, so an attachment that is in a
 * document on this device is either at the relay or on its way there, across reloads and
 * crashes. Decrypted bytes only ever live in memory, for the caller to show.
 *
 * A file whose message was deleted is discarded ({@link FileTransfers.discard}): its ciphertext
 * leaves this device in one write, and where this device may delete it at the relay,
 * `['tend', 'blob-delete', docKey, blobHex]` queues that deletion like an upload; once done (or
 * when there is nothing to do at the relay) `['tend', 'blob-gone', …]` remembers it.
 */

/** What a store must offer: the encrypting storage adapter fits. */
export interface FileKv {
	load(key: string[]): Promise<Uint8Array | undefined>;
	loadRange(prefix: string[]): Promise<{ key: string[]; data?: Uint8Array }[]>;
	write(puts: { key: string[]; data: Uint8Array }[], removes: string[][]): Promise<void>;
}

/** The relay side, when this tab talks to the relay (the leader tab). */
export interface FileRelay {
	connection: BlobRequester;
	/** The document is opened (access proved) on the current connection. */
	isLive(docKey: string): boolean;
	on(event: 'doc-live', listener: (docKey: string) => void): unknown;
}

export type TransferState =
	| { state: 'queued' } // sealed on this device, waiting for the relay
	| { state: 'uploading'; progress: number }
	| { state: 'refused'; code: ErrorCode } // the relay won't take it (too large, quota)
	| { state: 'downloading'; progress: number }
	| { state: 'unavailable' } // the relay doesn't have it (not uploaded yet)
	| { state: 'failed'; code: FileOpenError | 'offline' };

export interface FileTransfersEvents {
	/** A transfer of one of the document's files changed state or progress. */
	change: (docKey: string) => void;
}

/** Refusals that won't change on a retry; anything else is retried on the next connection. */
const FINAL_REFUSALS: ErrorCode[] = ['blob-too-large', 'quota-exceeded', 'bad-blob', 'not-writer'];

/** Pause before an upload the relay turned away for a passing reason is tried again (ms). */
const RETRY_MS = 5000;

/** A file reference as the transfers need it: the secrets and the ciphertext size. */
export interface FileRef extends FileSecrets {
	stored: number;
}

export class FileTransfers extends EventEmitter<FileTransfersEvents> {
	#kv: FileKv;
	#relay: FileRelay | undefined;
	/** `${docKey}/${blobHex}` → state of a transfer in progress or finished with a problem. */
	#states = new Map<string, TransferState>();
	/** Files whose ciphertext is on this device, per document (loaded on first use). */
	#have = new Map<string, Set<string>>();
	/** Queued uploads per document (loaded on first use). */
	#queued = new Map<string, Set<string>>();
	/** Relay deletions waiting, per document (loaded on first use). */
	#deleting = new Map<string, Set<string>>();
	/** Files discarded for good, per document (loaded on first use). */
	#gone = new Map<string, Set<string>>();
	#uploading = new Set<string>();
	/** Documents whose `resume` was asked for again while it ran: it runs once more. */
	#resumeAgain = new Set<string>();
	#downloads = new Map<string, Promise<Uint8Array>>();

	constructor(kv: FileKv, relay?: FileRelay) {
		super();
		this.#kv = kv;
		this.#relay = relay;
		relay?.on('doc-live', (docKey) => void this.resume(docKey));
	}

	/** Whether this tab can upload and download (only the leader tab talks to the relay). */
	get connected(): boolean {
		return this.#relay !== undefined;
	}

	/** Loads what this device holds for the document; call before reading states. */
	async load(docKey: string): Promise<void> {
		if (this.#have.has(docKey)) return;
		const have = await this.#keys(['tend', 'file-have', docKey]);
		const queued = await this.#keys(['tend', 'upload', docKey]);
		const deleting = await this.#keys(['tend', 'blob-delete', docKey]);
		const gone = await this.#keys(['tend', 'blob-gone', docKey]);
		if (this.#have.has(docKey)) return;
		this.#have.set(docKey, have);
		this.#queued.set(docKey, queued);
		this.#deleting.set(docKey, deleting);
		this.#gone.set(docKey, gone);
	}

	async #keys(prefix: string[]): Promise<Set<string>> {
		const chunks = await this.#kv.loadRange(prefix);
		return new Set(chunks.map((chunk) => chunk.key[chunk.key.length - 1]));
	}

	/** The file's ciphertext is on this device: it opens offline. */
	has(docKey: string, blobHex: string): boolean {
		return this.#have.get(docKey)?.has(blobHex) ?? false;
	}

	/** The file waits to be uploaded from this device. */
	isQueued(docKey: string, blobHex: string): boolean {
		return this.#queued.get(docKey)?.has(blobHex) ?? false;
	}

	state(docKey: string, blobHex: string): TransferState | undefined {
		const key = `${docKey}/${blobHex}`;
		return this.#states.get(key) ?? (this.isQueued(docKey, blobHex) ? { state: 'queued' } : undefined);
	}

	#set(docKey: string, blobHex: string, state: TransferState | undefined): void {
		const key = `${docKey}/${blobHex}`;
		if (state) this.#states.set(key, state);
		else this.#states.delete(key);
		this.emit('change', docKey);
	}

	/**
	 * Keeps a sealed file on this device and queues its upload, in one write; resolves once
	 * that is durable. The upload starts at once when the document is connected.
	 */
	async queueUpload(docKey: string, sealed: SealedFile): Promise<void> {
		await this.load(docKey);
		const hex = toHex(sealed.id);
		await this.#kv.write(
			[
				{ key: ['tend', 'file', docKey, hex], data: sealed.ciphertext },
				{ key: ['tend', 'file-have', docKey, hex], data: new Uint8Array([1]) },
				{ key: ['tend', 'upload', docKey, hex], data: encodeCbor({ v: 1 }) }
			],
			[]
		);
		this.#have.get(docKey)?.add(hex);
		this.#queued.get(docKey)?.add(hex);
		this.emit('change', docKey);
		if (this.#relay?.isLive(docKey)) void this.resume(docKey);
	}

	/**
	 * Uploads the document's queued files, one at a time, then makes the relay deletions it
	 * waits for; called whenever it connects. Uploads go first, so a file deleted while its
	 * upload ran is deleted after the upload finished, never before.
	 */
	async resume(docKey: string): Promise<void> {
		const relay = this.#relay;
		if (!relay) return;
		if (this.#uploading.has(docKey)) {
			this.#resumeAgain.add(docKey);
			return;
		}
		this.#uploading.add(docKey);
		try {
			await this.load(docKey);
			do {
				this.#resumeAgain.delete(docKey);
				for (const hex of [...(this.#queued.get(docKey) ?? [])]) {
					if (!relay.isLive(docKey)) return;
					await this.#upload(relay, docKey, hex);
				}
				for (const hex of [...(this.#deleting.get(docKey) ?? [])]) {
					if (!relay.isLive(docKey)) return;
					await this.#deleteAtRelay(relay, docKey, hex);
				}
			} while (this.#resumeAgain.has(docKey));
		} finally {
			this.#uploading.delete(docKey);
		}
	}

	/** The file was discarded for good on this device (its message was deleted). */
	isGone(docKey: string, blobHex: string): boolean {
		return !!(this.#gone.get(docKey)?.has(blobHex) || this.#deleting.get(docKey)?.has(blobHex));
	}

	/**
	 * Discards files of a deleted message: the ciphertext and any queued upload leave this
	 * device in one write, and with `atRelay` (this device uploaded them or administers the
	 * document) their deletion at the relay is queued, durably, and made when the document is
	 * connected. Files already discarded are skipped, so calling it again costs nothing.
	 */
	async discard(docKey: string, blobHexes: string[], atRelay: boolean): Promise<void> {
		await this.load(docKey);
		const fresh = blobHexes.filter(
			(hex) => !this.#gone.get(docKey)?.has(hex) && !this.#deleting.get(docKey)?.has(hex)
		);
		if (fresh.length === 0) return;
		const marker = new Uint8Array([1]);
		await this.#kv.write(
			fresh.map((hex) => ({ key: ['tend', atRelay ? 'blob-delete' : 'blob-gone', docKey, hex], data: marker })),
			fresh.flatMap((hex) => [
				['tend', 'file', docKey, hex],
				['tend', 'file-have', docKey, hex],
				['tend', 'upload', docKey, hex]
			])
		);
		for (const hex of fresh) {
			this.#have.get(docKey)?.delete(hex);
			this.#queued.get(docKey)?.delete(hex);
			(atRelay ? this.#deleting : this.#gone).get(docKey)?.add(hex);
			this.#states.delete(`${docKey}/${hex}`);
		}
		this.emit('change', docKey);
		if (atRelay && this.#relay?.isLive(docKey)) void this.resume(docKey);
	}

	async #deleteAtRelay(relay: FileRelay, docKey: string, hex: string): Promise<void> {
		try {
			await relay.connection.request('blob.delete', { doc: fromBase64Url(docKey), blob: fromHex(hex) });
		} catch (error) {
			// `not-writer`: this device may no longer delete it (removed since); nothing to retry.
			const final = error instanceof RelayError && error.code === 'not-writer';
			if (!final) {
				if (relay.isLive(docKey)) this.#retryLater(docKey);
				return;
			}
		}
		await this.#kv.write(
			[{ key: ['tend', 'blob-gone', docKey, hex], data: new Uint8Array([1]) }],
			[['tend', 'blob-delete', docKey, hex]]
		);
		this.#deleting.get(docKey)?.delete(hex);
		this.#gone.get(docKey)?.add(hex);
	}

	async #upload(relay: FileRelay, docKey: string, hex: string): Promise<void> {
		const ciphertext = await this.#kv.load(['tend', 'file', docKey, hex]);
		if (!ciphertext) {
			await this.#dequeue(docKey, hex);
			return;
		}
		this.#set(docKey, hex, { state: 'uploading', progress: 0 });
		try {
			await uploadBlob(relay.connection, fromBase64Url(docKey), fromHex(hex), ciphertext, (done, total) =>
				this.#set(docKey, hex, { state: 'uploading', progress: total ? done / total : 1 })
			);
			await this.#dequeue(docKey, hex);
			this.#set(docKey, hex, undefined);
		} catch (error) {
			if (error instanceof RelayError && FINAL_REFUSALS.includes(error.code)) {
				await this.#dequeue(docKey, hex);
				this.#set(docKey, hex, { state: 'refused', code: error.code });
			} else {
				// Dropped connection: stays queued; the next `doc-live` resumes from the relay's
				// parts. A passing refusal (`rate-limited`, `internal`) on a live connection is
				// tried again after a pause.
				this.#set(docKey, hex, undefined);
				if (relay.isLive(docKey)) this.#retryLater(docKey);
			}
		}
	}

	#retryTimers = new Map<string, ReturnType<typeof setTimeout>>();

	#retryLater(docKey: string): void {
		if (this.#retryTimers.has(docKey)) return;
		const timer = setTimeout(() => {
			this.#retryTimers.delete(docKey);
			void this.resume(docKey);
		}, RETRY_MS);
		this.#retryTimers.set(docKey, timer);
	}

	async #dequeue(docKey: string, hex: string): Promise<void> {
		await this.#kv.write([], [['tend', 'upload', docKey, hex]]);
		this.#queued.get(docKey)?.delete(hex);
	}

	/**
	 * The file's plaintext, checked: from this device if it holds the ciphertext, otherwise
	 * downloaded (and then kept, sealed, so it opens offline). Every chunk, the blob id and the
	 * plaintext hash are checked before anything is returned; a file that fails is not kept.
	 * Rejects with a {@link FileError}.
	 */
	async open(docKey: string, ref: FileRef): Promise<Uint8Array> {
		await this.load(docKey);
		const hex = toHex(ref.id);
		let ciphertext = await this.#kv.load(['tend', 'file', docKey, hex]);
		if (!ciphertext) ciphertext = await this.#download(docKey, hex, ref);

		const opened = openFile(ciphertext, ref);
		if (!opened.ok) {
			this.#set(docKey, hex, { state: 'failed', code: opened.code });
			throw new FileError(opened.code);
		}
		if (!this.has(docKey, hex) && !this.isGone(docKey, hex)) {
			await this.#kv.write(
				[
					{ key: ['tend', 'file', docKey, hex], data: ciphertext },
					{ key: ['tend', 'file-have', docKey, hex], data: new Uint8Array([1]) }
				],
				[]
			);
			this.#have.get(docKey)?.add(hex);
		}
		const state = this.#states.get(`${docKey}/${hex}`);
		if (state && state.state !== 'refused') this.#set(docKey, hex, undefined);
		else this.emit('change', docKey);
		return opened.plaintext;
	}

	#download(docKey: string, hex: string, ref: FileRef): Promise<Uint8Array> {
		const key = `${docKey}/${hex}`;
		const running = this.#downloads.get(key);
		if (running) return running;
		const relay = this.#relay;
		const task = (async () => {
			if (!relay || !relay.isLive(docKey)) {
				this.#set(docKey, hex, { state: 'failed', code: 'offline' });
				throw new FileError('offline');
			}
			this.#set(docKey, hex, { state: 'downloading', progress: 0 });
			try {
				return await downloadBlob(relay.connection, fromBase64Url(docKey), ref.id, ref.stored, (done, total) =>
					this.#set(docKey, hex, { state: 'downloading', progress: total ? done / total : 1 })
				);
			} catch (error) {
				if (error instanceof RelayError && error.code === 'unknown-blob') {
					this.#set(docKey, hex, { state: 'unavailable' });
					throw new FileError('unavailable');
				}
				this.#set(docKey, hex, { state: 'failed', code: 'offline' });
				throw new FileError('offline');
			}
		})();
		this.#downloads.set(key, task);
		void task.finally(() => this.#downloads.delete(key)).catch(() => {});
		return task;
	}
}

/** Why a file could not be opened; the UI says it in the person's language. */
export class FileError extends Error {
	override name = 'FileError';
	constructor(readonly code: FileOpenError | 'offline' | 'unavailable') {
		super(`the file could not be opened: ${code}`);
	}
}
