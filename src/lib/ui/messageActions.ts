import type { ConversationRights } from '$lib/app/types.js';

/** The reactions offered on every message: a calm, small set. */
export const REACTION_EMOJI = ['👍', '❤️', '🙏', '🙂', '✅'] as const;

/** What a message's buttons do; each returns when the change is saved on this device. */
export interface MessageCallbacks {
	rights: ConversationRights;
	onreply?: (messageId: string) => void;
	onedit: (messageId: string, text: string) => Promise<void>;
	ondelete: (messageId: string) => Promise<void>;
	onreact: (messageId: string, emoji: string) => Promise<void>;
	onpin: (messageId: string, pinned: boolean) => Promise<void>;
}
