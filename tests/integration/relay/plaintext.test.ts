import { Buffer } from 'node:buffer';
import { randomBytes as nodeRandomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateBoxKeyPair, sealToDevice } from '../../../src/lib/crypto/primitives.js';
import { readyCrypto } from '../../../src/lib/crypto/sodium.js';
import { toBase64Url, toHex } from '../../../src/lib/protocol/bytes.js';
import { sealInviteInfo } from '../../../src/lib/protocol/invite.js';
import { RelayClient } from '../../helpers/relayClient.js';
import { RelayProcess } from '../../helpers/relayProcess.js';
import {
	claimFields,
	connectAs,
	createDoc,
	makeDoc,
	makeEnvelope,
	makeInvite,
	newDevice,
	sealedEntry
} from './fixtures.js';

let relay: RelayProcess;

beforeAll(async () => {
	await readyCrypto();
	relay = await RelayProcess.start({ logLevel: 'debug' }); // the most the logs ever say
});
afterAll(async () => {
	await relay?.dispose();
});

const ENCODINGS = ['utf8', 'utf16le', 'latin1'] as const;

/** The text in each encoding a scan must search (TESTING.md: V8 and SQLite keep all three). */
function forms(text: string): { encoding: string; bytes: Buffer }[] {
	return ENCODINGS.map((encoding) => ({ encoding, bytes: Buffer.from(text, encoding) }));
}

/** Which encodings of `text` occur in which files of the relay's data folder. */
function scanDataDir(text: string): string[] {
	const hits: string[] = [];
	for (const name of readdirSync(relay.dataDir)) {
		const content = readFileSync(join(relay.dataDir, name));
		for (const { encoding, bytes } of forms(text)) {
			if (content.includes(bytes)) hits.push(`${name}:${encoding}`);
		}
	}
	return hits;
}

/** Which encodings of `text` each of the three scans finds anywhere in the data folder. */
function foundEncodings(text: string): string[] {
	return [...new Set(scanDataDir(text).map((hit) => hit.split(':')[1]))].sort();
}

describe('relay: what it stores and logs (DESIGN.md, "What must always hold" 1)', () => {
	it('stores no plaintext that devices encrypted, while the same scan finds a marker stored in clear', async () => {
		// Non-ASCII, so that UTF-8 and Latin-1 differ; Latin-1-encodable, so all three forms exist.
		const secret = `Tënd-sëcret-${nodeRandomBytes(6).toString('hex')}-çà`;
		const control = `Tënd-cöntrol-${nodeRandomBytes(6).toString('hex')}-çà`;
		const admin = newDevice();
		const bob = newDevice();
		const doc = makeDoc(admin, { writers: [admin, bob] });
		const a = await createDoc(relay.url, admin, doc);

		// Entries: the secret, encrypted under a content key the relay never sees, in each form.
		const contentKey = nodeRandomBytes(32);
		for (const { bytes } of forms(secret)) {
			const entry = sealedEntry(doc.id, 0, contentKey, bytes);
			await a.request('push', { doc: doc.id, entry });
		}
		// An invite whose sealed details and whose claimed profile carry the secret.
		const invite = makeInvite(doc.id, admin);
		const details = {
			doc: doc.id,
			inviter: admin.publicKey,
			inviterName: secret,
			title: secret,
			kind: 'conversation'
		};
		const info = sealInviteInfo(invite.keys, invite.id, details);
		const expires = Date.now() + 60_000;
		const authPk = invite.keys.auth.publicKey;
		await a.request('invite.create', { invite: invite.id, authPk, info, expires });
		const b = await connectAs(relay.url, bob);
		await b.request('invite.claim', claimFields(b, bob, { ...invite, info }, secret));
		// A key envelope whose sealed part holds the secret.
		const sealed = sealToDevice(generateBoxKeyPair().publicKey, Buffer.from(secret));
		const envelope = makeEnvelope(admin, { doc: doc.id, to: bob.publicKey, sealed });
		await a.request('mail.send', { to: bob.publicKey, envelope });

		// Positive control: invite `info` is stored verbatim, so a marker put there in clear
		// (a device that forgot to seal) must be found by the same scan, in each form.
		for (const { bytes } of forms(control)) {
			const clear = makeInvite(doc.id, admin);
			await a.request('invite.create', {
				invite: clear.id,
				authPk: clear.keys.auth.publicKey,
				info: bytes,
				expires
			});
		}

		expect(foundEncodings(control)).toEqual([...ENCODINGS].sort());
		expect(scanDataDir(secret)).toEqual([]);

		// After a clean stop the WAL is checkpointed into the database file: scan again.
		await Promise.all([a.close(), b.close()]);
		await relay.stop();
		expect(foundEncodings(control)).toEqual([...ENCODINGS].sort());
		expect(scanDataDir(secret)).toEqual([]);

		// The logs hold neither marker, no bytes, and no id or key in hex or base64url.
		const logs = relay.logs.join('\n');
		expect(relay.logRecords().some((r) => r.t === 'push')).toBe(true); // debug lines exist
		for (const text of [secret, control]) {
			for (const { bytes } of forms(text)) expect(logs).not.toContain(bytes.toString('latin1'));
			expect(logs).not.toContain(text);
		}
		expect(logs).not.toMatch(/"type":"Buffer"|"data":\[/);
		const keys = [admin.publicKey, bob.publicKey, authPk, doc.access.publicKey];
		for (const id of [doc.id, invite.id, ...keys]) {
			expect(logs).not.toContain(toHex(id).slice(0, 16));
			expect(logs).not.toContain(toBase64Url(id).slice(0, 16));
		}
		await relay.restart();
	});

	it('salts document ids in logs: the same document gets the same short id within a run', async () => {
		const admin = newDevice();
		const doc = makeDoc(admin);
		const a = await createDoc(relay.url, admin, doc);
		const reader = await RelayClient.connect(relay.url);
		await reader.openDoc(doc.id, doc.access);
		await Promise.all([a.close(), reader.close()]);

		const opens = relay.logRecords().filter((r) => r.t === 'doc.open');
		const ids = new Set(opens.slice(-2).map((r) => r.doc));
		expect(ids.size).toBe(1);
		const [logged] = ids;
		expect(logged).toMatch(/^[0-9a-f]{8}$/);
		expect(toHex(doc.id)).not.toContain(logged as string);
	});
});
