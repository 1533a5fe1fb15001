import type {
	ConversationKind,
	InviteView,
	JoinRequest,
	MemberView,
	Me,
	MessageView,
	TherapistAvailability,
	PinnedResource
} from './types.js';

/**
 * Demo data for {@link FakeTendApp}: enough variety to judge the UI (scripts, directions, emoji,
 * combining marks, a 10,000-character message, a join request, a problem report).
 */

/** One conversation as the fake keeps it; the handle turns it into a `ConversationView`. */
export interface FakeConversation {
	id: string;
	title: string;
	createdAt: number;
	isAdmin: boolean;
	members: MemberView[];
	messages: MessageView[];
	requests: JoinRequest[];
	invites: InviteView[];
	problems: string[];
	/** 'direct' when absent. */
	kind?: ConversationKind;
	/** Office hours the other side published. */
	availability?: TherapistAvailability[];
	resources?: PinnedResource[];
	/** How many messages this person has seen (the fake's read marker). */
	seen?: number;
	muted?: boolean;
	archived?: boolean;
	left?: boolean;
}

/** A message as the fake keeps it: every field of the view, with the usual defaults. */
export function fakeMessage(
	fields: Pick<MessageView, 'id' | 'authorName' | 'mine' | 'text' | 'sentAt' | 'state'> &
		Partial<MessageView>
): MessageView {
	return {
		authorMismatch: false,
		replies: 0,
		versions: [],
		deleted: false,
		deletedByAdmin: false,
		ignoredChanges: false,
		reactions: [],
		readBy: [],
		pinned: false,
		mentionsMe: false,
		canEdit: fields.mine,
		canDelete: true,
		...fields
	};
}

export const demoMe: Me = { name: 'Dr. Maria Lopez', deviceFingerprint: 'a1b2 c3d4' };

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

let counter = 0;

/** A unique id for fake objects; not random, so screenshots stay stable between runs. */
export function fakeId(prefix: string): string {
	counter += 1;
	return `${prefix}-${counter.toString(36)}`;
}

/** A random safety code in the app's "123 456" form. */
export function randomCode(): string {
	const n = () => Math.floor(100 + Math.random() * 900);
	return `${n()} ${n()}`;
}

function message(
	authorName: string,
	mine: boolean,
	text: string,
	sentAt: number,
	extra: Partial<MessageView> = {}
): MessageView {
	return fakeMessage({ id: fakeId('m'), authorName, mine, text, sentAt, state: 'delivered', ...extra });
}

function longText(): string {
	const sentence = 'This is a very long note about how the week went, written in one go. ';
	return sentence.repeat(Math.ceil(10_000 / sentence.length)).slice(0, 10_000);
}

/** Three conversations, newest first by their last message. */
export function demoConversations(now: number, me: Me): FakeConversation[] {
	const self: MemberView = { id: 'me', name: me.name, role: 'owner', me: true, online: true, posts: true, admin: true };
	const sam = 'Sam Rivera';
	const anna = 'Анна Петрова';

	return [
		{
			id: fakeId('c'),
			title: 'Weekly check-in with Sam',
			createdAt: now - 9 * DAY,
			isAdmin: true,
			members: [self, { id: 'm-sam', name: sam, role: 'member', me: false, online: true, posts: true, admin: false }],
			messages: [
				message(sam, false, 'Hi! Is Thursday at 4 still OK? 🙂', now - 2 * DAY),
				message(me.name, true, 'Yes, Thursday at 4 works.\nSee you then.', now - 2 * DAY + HOUR),
				message(sam, false, longText(), now - 3 * HOUR),
				message(sam, false, 'مرحبا، شكراً على الجلسة اليوم', now - 2 * HOUR),
				message(sam, false, '来週もよろしくお願いします。 Ŝ̷a̵m̶ é', now - 90 * MINUTE, {
					authorMismatch: true
				}),
				message(me.name, true, 'Thank you, Sam. Take care this week.', now - 20 * MINUTE),
				message(me.name, true, 'Reminder: bring the worksheet.', now - 2 * MINUTE, {
					state: 'saved'
				})
			],
			requests: [],
			invites: [],
			problems: []
		},
		{
			id: fakeId('c'),
			title: 'Practice team',
			createdAt: now - 30 * DAY,
			isAdmin: true,
			members: [
				self,
				{ id: 'm-amira', name: 'Amira Haddad', role: 'member', me: false, online: false, posts: true, admin: false },
				{ id: 'm-jonas', name: 'Jonas Weber', role: 'member', me: false, online: false, posts: true, admin: false }
			],
			messages: [
				message('Jonas Weber', false, 'Room 2 is free on Friday morning.', now - DAY - HOUR)
			],
			requests: [{ inviteId: 'inv-lena', name: 'Lena Novak', safetyCode: '482 915' }],
			invites: [
				{
					inviteId: 'inv-lena',
					link: 'http://127.0.0.1/join#demo-lena',
					expiresAt: now + 6 * DAY,
					state: 'claimed'
				}
			],
			problems: []
		},
		{
			id: fakeId('c'),
			title: 'Анна — сессии',
			createdAt: now - 60 * DAY,
			isAdmin: true,
			members: [self, { id: 'm-anna', name: anna, role: 'member', me: false, online: false, posts: true, admin: false }],
			messages: [
				message(anna, false, 'Здравствуйте! Можно перенести встречу на среду?', now - 8 * DAY),
				message(me.name, true, 'Да, конечно. Среда в 10:00 подходит?', now - 8 * DAY + HOUR)
			],
			requests: [],
			invites: [],
			problems: ['Some messages from Анна Петрова have not arrived yet.']
		}
	];
}
