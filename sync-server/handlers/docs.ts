import { verifyAccessProof } from '../../src/lib/protocol/auth.js';
import { equalBytes } from '../../src/lib/protocol/bytes.js';
import { RelayError } from '../../src/lib/protocol/errors.js';
import { verifyEpochRecord, verifyGenesis } from '../../src/lib/protocol/records.js';
import { advanceHead, type DocState } from '../DocRegistry.js';
import { FRAME_ITEMS_BUDGET, MAX_RECORD_BYTES } from '../limits.js';
import { logId } from '../log.js';
import {
	recordRefusal,
	requireAdmitted,
	requireDevice,
	requireDoc,
	requireReader,
	requireSize,
	type Handler
} from './context.js';

/**
 * Documents and their epoch chain (SECURITY-RULES.md, rules 2, 4 and 7). The relay checks
 * every record against the chain it holds, so it can enforce who writes and who may change the
 * access key without knowing any name, role or secret.
 */

/**
 * `doc.create`: registers a genesis record. The document id is the record's hash, so nobody can
 * register an id before its creator does (rule 4). A retry of the same bytes is `ok`.
 */
export const create: Handler<'doc.create'> = (ctx, conn, req) => {
	const device = requireDevice(conn);
	requireAdmitted(ctx, conn);
	requireSize(req.genesis, MAX_RECORD_BYTES, 'genesis');
	const genesis = verifyGenesis(req.genesis);
	if (!genesis.ok) throw recordRefusal(genesis.why);
	if (!equalBytes(genesis.value.signer, device)) {
		throw new RelayError('bad-signature', 'the genesis is not signed by this device');
	}

	const doc = genesis.value.doc;
	const created = ctx.store.createDocument(doc, req.genesis);
	if (created === 'different') throw new RelayError('exists');
	if (created === 'created') ctx.log.info({ doc: logId(doc) }, 'document created');
	return { doc };
};

/**
 * `doc.open`: the device proves the document's current relay access key, bound to this
 * connection's challenge and origin (rule 4). Proving an older epoch is fine as long as its key
 * is still the current one; a key replaced by a rotation opens nothing.
 */
export const open: Handler<'doc.open'> = (ctx, conn, req) => {
	const doc = requireDoc(ctx, req.doc);
	const { accessPk, epoch, sig } = req;
	if (!verifyAccessProof(accessPk, sig, conn.origin, conn.challenge, doc.id, epoch)) {
		throw new RelayError('bad-signature', 'access proof does not verify');
	}
	if (!equalBytes(accessPk, doc.head.accessPk)) {
		throw new RelayError('no-access', 'not the current access key');
	}
	if (epoch > doc.head.n || !equalBytes(doc.accessPks[epoch], accessPk)) {
		throw new RelayError('no-access', 'the access key does not belong to this epoch');
	}

	conn.open(doc, accessPk);
	return { head: doc.head.n, seq: doc.lastSeq };
};

/**
 * `doc.chain`: records n ≥ `from` (record 0 is the genesis). A long chain comes in parts that
 * fit a frame: a device asks again from the next number until it has the head. Readers may ask,
 * and so may a device (proved by `hello`) that some epoch listed: after a rotation removed it,
 * the signed chain is how it learns so. The records hold public keys and ciphertext only.
 */
export const chain: Handler<'doc.chain'> = (ctx, conn, req) => {
	const known = ctx.docs.get(req.doc);
	const listed = known && conn.deviceKey !== undefined && known.listed.has(conn.deviceKey);
	const doc = listed ? known : requireReader(ctx, conn, req.doc);
	return { records: ctx.store.readChain(doc.id, req.from, 2 * FRAME_ITEMS_BUDGET) };
};

/**
 * `epoch.append`: extends the chain by one record signed by an administrator of the head. The
 * store swaps the head only if it is still the one the record extends, so of two racing admins
 * one gets `conflict` and must rebase (rule 2).
 */
export const appendEpoch: Handler<'epoch.append'> = (ctx, conn, req) => {
	requireDevice(conn);
	const doc = requireReader(ctx, conn, req.doc);
	requireSize(req.record, MAX_RECORD_BYTES, 'record');
	const next = verifyEpochRecord(doc.head, req.record);
	if (!next.ok) throw recordRefusal(next.why);

	const { n, hash } = next.value;
	const prevHash = doc.head.hash;
	if (!ctx.store.appendEpoch({ doc: doc.id, n, prevHash, hash, record: req.record })) {
		throw new RelayError('conflict', 'the head moved');
	}
	const rotated = !equalBytes(next.value.accessPk, doc.head.accessPk);
	advanceHead(doc, next.value);
	announceHead(doc);

	const { writers, admins } = next.value;
	ctx.log.info(
		{ doc: doc.logId, n, rotated, writers: writers.length, admins: admins.length },
		'epoch appended'
	);
	return { head: n };
};

/**
 * Tells every connection that has the document open about the new head, and closes the
 * document on connections that proved an access key the head no longer uses: a removed member
 * stops receiving entries at once. Remaining members reopen with the new key, which reaches
 * them in a key envelope (rule 3).
 */
function announceHead(doc: DocState): void {
	for (const [conn, accessPk] of doc.readers) {
		if (!equalBytes(accessPk, doc.head.accessPk)) conn.leave(doc);
		conn.send({ t: 'head', doc: doc.id, n: doc.head.n });
	}
}
