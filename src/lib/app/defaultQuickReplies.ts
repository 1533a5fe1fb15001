import { t } from '../ui/strings.js';
import type { QuickReply } from './types.js';

/** The placeholders as literal text: a template keeps them until it is used. */
const KEEP = { client: '{client}', date: '{date}', time: '{time}' };

/** The quick replies a device starts with, in the UI language, until the person edits them. */
export function defaultQuickReplies(): QuickReply[] {
	return [
		{ id: 'default-reminder', title: t('quick.reminderTitle'), body: t('quick.reminderBody', KEEP) },
		{ id: 'default-late', title: t('quick.lateTitle'), body: t('quick.lateBody', KEEP) },
		{
			id: 'default-grounding',
			title: t('quick.groundingTitle'),
			body: t('quick.groundingBody', KEEP)
		}
	];
}
