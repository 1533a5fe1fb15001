import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { detectCrisis } from '../../src/lib/boundaries/crisis.js';
import { detectPhi, type PhiKind } from '../../src/lib/boundaries/phi.js';
import { splitSentences } from './corpus.js';
import type { Section } from './report.js';

/**
 * Section 6: how often the pre-send PHI check fires on text that holds no PHI: the therapists'
 * replies of the counsel-chat corpus (public answers, with names, phone numbers and links
 * scrubbed by the corpus's makers). Every flag there is counted as a false positive, although a
 * few turn out to be real phone numbers the scrubbing missed (the JSON lists the kinds).
 * Not a speed figure, so it has no baseline: the rate is what matters.
 */

const CORPUS = fileURLToPath(
	new URL('../../../shared/corpus/counsel-chat-threads.jsonl', import.meta.url)
);

export interface PresendRaw {
	replies: number;
	flaggedReplies: number;
	replyRate: number;
	sentences: number;
	flaggedSentences: number;
	sentenceRate: number;
	byKind: Partial<Record<PhiKind, number>>;
	crisisReplies: number;
}

export function presendSection(): { section: Section; raw: PresendRaw } {
	const raw: PresendRaw = {
		replies: 0,
		flaggedReplies: 0,
		replyRate: 0,
		sentences: 0,
		flaggedSentences: 0,
		sentenceRate: 0,
		byKind: {},
		crisisReplies: 0
	};
	for (const line of readFileSync(CORPUS, 'utf8').split('\n')) {
		if (!line.trim()) continue;
		const thread = JSON.parse(line) as { answers?: string[] };
		for (const reply of thread.answers ?? []) {
			raw.replies++;
			const flags = detectPhi(reply);
			if (flags.length > 0) raw.flaggedReplies++;
			for (const kind of new Set(flags.map((f) => f.kind))) {
				raw.byKind[kind] = (raw.byKind[kind] ?? 0) + 1;
			}
			if (detectCrisis(reply)) raw.crisisReplies++;
			for (const sentence of splitSentences(reply)) {
				raw.sentences++;
				if (detectPhi(sentence).length > 0) raw.flaggedSentences++;
			}
		}
	}
	raw.replyRate = raw.flaggedReplies / raw.replies;
	raw.sentenceRate = raw.flaggedSentences / raw.sentences;
	const pct = (x: number) => `${(x * 100).toFixed(2)} %`;
	const kinds = Object.entries(raw.byKind)
		.map(([kind, n]) => `${kind} ${n}`)
		.join(', ');
	const section: Section = {
		title: '6. Pre-send PHI check: false-positive rate on the counsel-chat therapist replies',
		baseline: 'none (a rate, not a speed)',
		notes: [
			`whole replies: ${raw.flaggedReplies} of ${raw.replies} flagged (${pct(raw.replyRate)}); by kind: ${kinds || 'none'}.`,
			`sentence-sized messages: ${raw.flaggedSentences} of ${raw.sentences} flagged (${pct(raw.sentenceRate)}).`,
			`crisis language (a client-side check, shown here for scale): ${raw.crisisReplies} of ${raw.replies} replies talk about it.`,
			'No "names from other conversations" are given (the corpus has no members); those add flags only for names the device knows.'
		],
		rows: []
	};
	return { section, raw };
}
