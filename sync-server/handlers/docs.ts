import { verifyAccessProof } from '../../src/lib/protocol/auth.js';
import { equalBytes } from '../../src/lib/protocol/bytes.js';
import { RelayError } from '../../src/lib/protocol/errors.js';
import { MAX_PERIOD, periodDocId } from '../../src/lib/protocol/period.js';
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
	// A conversation's answer says how many periods it has, so a device learns of periods it
	// doesn't hold yet (rule 19). A period's answer names none.
	return { head: doc.head.n, seq: doc.lastSeq, ...(doc.parent ? {} : { periods: doc.periods }) };
};

/**
 * `period.create`: registers period `n` of a conversation (rule 19). Only a writer of the
 * conversation, on a connection that proved its current access key, registers one, and only the
 * next number (or one already registered: two devices that rolled over offline both ask), so
 * nobody reserves numbers far ahead. The id is computed here, never taken from the device.
 */
export const createPeriod: Handler<'period.create'> = (ctx, conn, req) => {
	requireDevice(conn);
	const conv = requireReader(ctx, conn, req.doc);
	if (conv.parent) throw new RelayError('bad-frame', 'a period has no periods');
	if (!conn.deviceKey || !conv.writers.has(conn.deviceKey)) throw new RelayError('not-writer');
	if (req.n < 1 || req.n > MAX_PERIOD || req.n > conv.periods + 1) {
		throw new RelayError('bad-frame', 'not the next period');
	}

	const id = periodDocId(conv.id, req.n);
	if (ctx.store.createPeriod(id, conv.id, req.n) === 'created') {
		conv.periods = Math.max(conv.periods, req.n);
		ctx.log.info({ doc: conv.logId, period: logId(id), n: req.n }, 'period created');
		for (const reader of conv.readers.keys()) reader.send({ t: 'period', doc: conv.id, n: req.n });
	}
	return { doc: id };
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
	// A period's chain is its conversation's.
	const chainDoc = doc.parent?.doc.id ?? doc.id;
	return { records: ctx.store.readChain(chainDoc, req.from, 2 * FRAME_ITEMS_BUDGET) };
};

/**
 * `epoch.append`: extends the chain by one record signed by an administrator of the head. The
 * store swaps the head only if it is still the one the record extends, so of two racing admins
 * one gets `conflict` and must rebase (rule 2).
 */
export const appendEpoch: Handler<'epoch.append'> = (ctx, conn, req) => {
	requireDevice(conn);
	const doc = requireReader(ctx, conn, req.doc);
	if (doc.parent) throw new RelayError('bad-record', 'a period has no chain of its own');
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
	// Periods share the key: connections that proved the old one lose them too.
	for (const period of doc.children) {
		for (const [conn, accessPk] of period.readers) {
			if (!equalBytes(accessPk, doc.head.accessPk)) conn.leave(period);
		}
	}
}
