import type * as A from '@automerge/automerge';
import type { ConversationDoc } from '../model/conversation.js';
import type { PeriodDoc } from '../model/period.js';
import type { PeriodHoldings } from '../model/periodCoverage.js';
import { mergePeriods } from '../model/periodView.js';
import type { DocSource } from './TendApp.svelte.js';

/**
 * The conversation as search reads it: one view (model/periodView.ts) over every document this
 * device holds, period 0 included, whether or not the held periods are one run. The message list
 * shows `viewDoc`, which in the leader tab stops at the first gap below the newest period: a
 * device that was away while several periods filled holds old and new ones with a gap between,
 * and search must still find the old ones.
 */
export function searchDoc(source: DocSource): A.Doc<ConversationDoc> | undefined {
	if (!source.handle.isReady()) return undefined;
	const conv = source.handle.doc() as A.Doc<ConversationDoc>;
	if (source.periods) return mergePeriods(conv, source.periods.searchDocuments());
	const parts = [...(source.tabPeriods ?? [])]
		.filter(([, p]) => p.handle.isReady())
		.map(([n, p]) => ({ n, doc: p.handle.doc() as A.Doc<PeriodDoc> }));
	return mergePeriods(conv, [{ n: 0, doc: conv }, ...parts]);
}

/**
 * What this device holds of a conversation's periods: from its `ConversationPeriods` in the
 * leader tab, from what the leader persisted in another tab.
 */
export function periodHoldings(source: DocSource): PeriodHoldings {
	if (source.periods) return { known: source.periods.known, held: source.periods.held() };
	const held = [...(source.tabPeriods?.keys() ?? [])];
	return { known: Math.max(source.tabKnown ?? 0, ...held), held };
}
