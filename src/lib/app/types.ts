import type { PracticeView } from '../model/practice.js';
import type { Action, Role } from '../practice/permissions.js';
import type { DevicesHandle, LinkHandle } from './DevicesController.svelte.js';
import type { AuditDetails } from '../audit/kinds.js';
import type { BoardAction } from '../model/boardActions.js';
import type { InviteStatus } from '../sync/inviteStatus.js';

export type { InviteStatus };

/**
 * What the UI sees of Tend. Components read these plain values (held in `$state` by the app
 * classes) and call the methods; all crypto, storage and sync stay behind this surface.
 */

export type ConnectionState = 'offline' | 'connecting' | 'online';

/**
 * `saving`: written to the local document, not yet flushed to IndexedDB.
 * `saved`: flushed on this device (survives a browser crash), not yet acknowledged by the relay.
 * `delivered`: the relay acknowledged a durable commit (rule 15).
 */
export type MessageState = 'saving' | 'saved' | 'delivered';

/**
 * `setup`: no vault yet, a passphrase must be chosen first; `locked`: the vault is closed and
 * the app shows nothing but the lock screen.
 */
export type AppPhase = 'starting' | 'setup' | 'locked' | 'onboarding' | 'ready' | 'failed';

export interface Me {
	name: string;
	/** Short fingerprint of this device's signing key, for display ("device a1b2 c3d4"). */
	deviceFingerprint: string;
}

export interface ConversationSummary {
	id: string;
	title: string;
	/** Names of the other members, for a subtitle. */
	memberNames: string[];
	lastMessage?: { text: string; sentAt: number; authorName: string; mine: boolean };
	/** Time of the last message or of creation, ms since the epoch; the list is sorted by it. */
	updatedAt: number;
	/** People waiting to be let in (the admin's device shows a badge). */
	pendingRequests: number;
	kind: ConversationKind;
	/** Messages by others this person's devices haven't shown yet. */
	unread: number;
	/** Of those, the ones that mention this person. */
	unreadMentions: number;
	/** No system notifications for it (this device's choice). */
	muted: boolean;
	/** Moved out of the main list (this device's choice). */
	archived: boolean;
}

export type ConversationKind = 'direct' | 'group' | 'announcements';

export interface ReactionView {
	emoji: string;
	/** Names of who reacted, in the order they did. */
	names: string[];
	/** This person reacted with it (pressing it again takes it back). */
	mine: boolean;
}

export interface PinnedResource {
	id: string;
	title: string;
	/** Always http(s) or mailto. */
	url: string;
}

/** What this device may do in a conversation, from the epoch chain (rule 7). */
export interface ConversationRights {
	/** Write messages (announcements: only administering devices). */
	post: boolean;
	/** Pin messages and links, rename, delete others' messages. */
	administer: boolean;
	/** The conversation-level operations exist (not a first-format conversation). */
	reactions: boolean;
	readReceipts: boolean;
	pins: boolean;
	rename: boolean;
}

export interface MessageView {
	id: string;
	authorName: string;
	mine: boolean;
	text: string;
	sentAt: number;
	state: MessageState;
	/** The `author` field disagrees with the device that wrote the change (rule 12). */
	authorMismatch: boolean;
	/** Files sent with the message (none when absent). */
	attachments?: AttachmentView[];
	/** Id of the thread's first message, for a reply in a thread. */
	thread?: string;
	/** Replies in this message's thread. */
	replies: number;
	/** When the shown version was written, if the author edited it. */
	editedAt?: number;
	/** Earlier versions, oldest (as sent) first; empty unless edited. */
	versions: { text: string; at: number }[];
	/** Deleted for everyone: the text is gone. */
	deleted: boolean;
	/** Deleted by an administering member, not its author. */
	deletedByAdmin: boolean;
	/** Someone tried to edit or delete it without the right; their change is not shown. */
	ignoredChanges: boolean;
	reactions: ReactionView[];
	/** Names of members whose devices have shown this message (author aside). */
	readBy: string[];
	pinned: boolean;
	/** The message mentions this person. */
	mentionsMe: boolean;
	/** This person may edit it (their own message, in the current format). */
	canEdit: boolean;
	/** This person may delete it for everyone (their own, or as an administering member). */
	canDelete: boolean;
}

export type AttachmentKind = 'file' | 'image' | 'voice';

/**
 * Where an attachment stands on this device:
 * `queued` sealed here, waiting for the relay; `uploading`; `refused-size` / `refused-quota`
 * the relay won't take it; `downloading`; `saved` on this device (opens offline); `remote` at
 * the relay, not downloaded yet; `unavailable` not at the relay (yet); `offline` can't be
 * downloaded now; `damaged` failed its checks and was not shown.
 */
export type AttachmentStatus =
	| 'queued'
	| 'uploading'
	| 'refused-size'
	| 'refused-quota'
	| 'downloading'
	| 'saved'
	| 'remote'
	| 'unavailable'
	| 'offline'
	| 'damaged';

export interface AttachmentView {
	/** The blob id in hex; stable, unique within the conversation. */
	id: string;
	kind: AttachmentKind;
	name: string;
	mime: string;
	/** Plaintext size in bytes. */
	size: number;
	/** Images: a `data:` URL of the small thumbnail made by the sender. */
	thumbnail?: string;
	width?: number;
	height?: number;
	/** Voice notes: length in ms and the waveform, each point 0…1. */
	durationMs?: number;
	wave?: number[];
	status: AttachmentStatus;
	/** 0…1 while uploading or downloading. */
	progress?: number;
}

/** A file the person picked, recorded or pasted, before it is encrypted and sent. */
export interface AttachmentDraft {
	kind: AttachmentKind;
	name: string;
	mime: string;
	bytes: Uint8Array;
	/** Images: a small JPEG thumbnail, made on this device. */
	thumb?: Uint8Array;
	width?: number;
	height?: number;
	/** Voice notes: length and waveform (0–255 per point), made on this device. */
	durationMs?: number;
	wave?: Uint8Array;
}

export interface MemberView {
	/** The member's device key in hex: stable, and what {@link ConversationHandle.removeMember} takes. */
	id: string;
	name: string;
	role: 'owner' | 'member';
	me: boolean;
	/** One of the member's devices sent a presence frame lately (always true for me while online). */
	online: boolean;
	/** The signed chain lists the member as a writer (in announcements: they may post). */
	posts: boolean;
	/** The member administers the conversation (always posts; nobody can stop them). */
	admin: boolean;
}

export interface JoinRequest {
	inviteId: string;
	name: string;
	/** "123 456": the invitee sees the same code; compare before letting them in. */
	safetyCode: string;
}

export interface InviteView {
	inviteId: string;
	link: string;
	expiresAt: number;
	state: 'open' | 'claimed';
}

/** Weekly office hours as a therapist sets them (settings) and publishes them to clients. */
export interface AvailabilitySettings {
	/** IANA time zone the hours are in. */
	timeZone: string;
	/** 0 = Sunday … 6 = Saturday; minutes after midnight; `end` > `start`. */
	hours: { day: number; start: number; end: number }[];
	/** Usual reply time within office hours, in hours. */
	replyHours: number;
	/** Shown to clients in crisis; '' means the default line in the reader's language. */
	emergency: string;
}

/** A therapist's published hours, as a client's device shows them (verified, rule 7). */
export interface TherapistAvailability extends AvailabilitySettings {
	name: string;
}

/** A saved message with placeholders such as {client} and {time}. */
export interface QuickReply {
	id: string;
	title: string;
	body: string;
}

export interface ConversationView {
	id: string;
	title: string;
	/** Group channels and announcements get the pre-send PHI check. */
	kind: ConversationKind;
	/**
	 * Office hours published by the conversation's administering members other than me, each
	 * written by that member's own device (others are left out and reported in `problems`).
	 */
	availability: TherapistAvailability[];
	members: MemberView[];
	/** In the document's order, which is the same on every device. */
	messages: MessageView[];
	requests: JoinRequest[];
	invites: InviteView[];
	/** This device administers the conversation: may invite and let people in. */
	isAdmin: boolean;
	/** Reports such as "A message could not be verified"; shown calmly above the messages. */
	problems: string[];
	/**
	 * An administrator removed this device: the signed chain no longer lists it. What it
	 * already had stays readable here; nothing new arrives and it can't write.
	 */
	removed: boolean;
	rights: ConversationRights;
	/** Pinned messages' ids, oldest pin first. */
	pinned: string[];
	resources: PinnedResource[];
	unread: number;
	muted: boolean;
	archived: boolean;
	/** Names of the other members typing right now (from their presence frames). */
	typing: string[];
	/**
	 * Earlier messages of a long conversation (in period documents not loaded yet): `more` when
	 * there are some, `loading` while they load ({@link ConversationHandle.loadEarlier}).
	 */
	earlier: 'none' | 'more' | 'loading';
}

export interface ConversationHandle {
	/** Undefined while loading. */
	readonly view: ConversationView | undefined;
	/** This device doesn't hold a conversation with this id (a wrong or old link). */
	readonly missing: boolean;
	/** The unsent text kept for this conversation ('' if none); sealed on this device. */
	readonly draft: string;
	/** Keeps the unsent text (debounced); '' forgets it. */
	saveDraft(text: string): void;
	/** Sends a message; with `thread`, as a reply in that message's thread. */
	send(text: string, thread?: string): Promise<void>;
	/** Files can be sent from this tab (the tab that talks to the relay). */
	readonly canAttach: boolean;
	/**
	 * Sends `text` with files: each is encrypted on this device with its own key, kept sealed
	 * here and uploaded when the relay is reachable. Rejects with an `Error` whose message is
	 * `file-too-large` when a file is over {@link MAX_ATTACHMENT_BYTES}.
	 */
	sendWithFiles(text: string, files: AttachmentDraft[]): Promise<void>;
	/**
	 * An attachment's checked content, downloaded and kept sealed on this device if needed.
	 * Its type is the file's only for raster images and audio; anything else comes back as
	 * `application/octet-stream`, so a blob URL never renders HTML or SVG in the app's origin.
	 * Rejects with an `Error` whose message is an {@link AttachmentStatus}.
	 */
	openAttachment(id: string): Promise<Blob>;
	/** Adds a new version of one of this person's messages. */
	edit(messageId: string, text: string): Promise<void>;
	/** Deletes a message for everyone. */
	remove(messageId: string): Promise<void>;
	/** Turns this person's reaction with `emoji` on or off. */
	react(messageId: string, emoji: string): Promise<void>;
	setPinned(messageId: string, pinned: boolean): Promise<void>;
	rename(title: string): Promise<void>;
	addResource(title: string, url: string): Promise<void>;
	removeResource(resourceId: string): Promise<void>;
	/** Moves this device's read marker to the newest message (only ever forward). */
	markRead(): Promise<void>;
	setMuted(muted: boolean): Promise<void>;
	setArchived(archived: boolean): Promise<void>;
	/** Leaves: tells the others, and removes the conversation from this device's list. */
	leave(): Promise<void>;
	/**
	 * Tells the others whether this person is composing: call on every edit of the text box
	 * (true while it holds text) and on blur (false). Frames go out at most every few seconds.
	 */
	setTyping(composing: boolean): void;
	createInvite(): Promise<InviteView>;
	revokeInvite(inviteId: string): Promise<void>;
	/**
	 * Lets a claimer in. In announcements, `canPost` makes them a poster; otherwise they read,
	 * react and mark as read (rule 7, `model/posting.ts`).
	 */
	admit(inviteId: string, options?: { canPost?: boolean }): Promise<void>;
	decline(inviteId: string): Promise<void>;
	/**
	 * Announcements, administering devices only: lets a member post, or stops them (an epoch
	 * record with the new writer list, rule 7; no new key, since read access doesn't change).
	 * Recorded as `posting-changed`.
	 */
	setPosting(memberId: string, post: boolean): Promise<void>;
	/**
	 * Removes a member (administrators only): starts a new epoch with a new key that the
	 * member's device never gets (rule 2), then marks them removed in the conversation.
	 */
	removeMember(memberId: string): Promise<void>;
	/** Exports the conversation for the record (signed; recorded as `exported`). */
	exportArchive(): Promise<ArchiveFiles>;
	/** Loads the earlier messages of a long conversation (the reader scrolled up to them). */
	loadEarlier(): Promise<void>;
	/**
	 * Makes the view reach a message before jumping to it (from search): loads the periods from
	 * the oldest shown down to the message's (and its thread's first message's, for a reply).
	 * Resolves false when the message isn't in any document this device holds.
	 */
	reveal(messageId: string): Promise<boolean>;
	/** Stops listening; call from the component's teardown. */
	close(): void;
}

/**
 * The largest file the app sends: 24 MiB, whose padded ciphertext fits the relay's default
 * 25 MiB limit (docs/operations.md).
 */
export const MAX_ATTACHMENT_BYTES = 24 * 1024 * 1024;

/** A task made from a message of this conversation (the card links back to the message). */
export interface TaskLink {
	conversationId: string;
	messageId: string;
	boardId: string;
	cardId: string;
	title: string;
}

export interface BoardSummary {
	id: string;
	title: string;
	/** Cards on the board (not archived or deleted). */
	cardCount: number;
	/** Open cards due today or earlier (not in the last column). */
	dueToday: number;
	updatedAt: number;
	pendingRequests: number;
}

export interface BoardMemberView {
	/** The member's device key in hex: the value an assignee holds. */
	device: string;
	name: string;
	me: boolean;
}

export interface CardView {
	id: string;
	title: string;
	description: string;
	columnId: string;
	assignee: string | null;
	assigneeName: string | null;
	/** YYYY-MM-DD. */
	due: string | null;
	labels: string[];
	checklist: { id: string; text: string; done: boolean }[];
	comments: { id: string; authorName: string; at: number; text: string; mine: boolean }[];
	attachments: AttachmentView[];
	archived: boolean;
	deleted: boolean;
	createdAt: number;
	link: { conversationId: string; messageId: string } | null;
}

export interface ColumnView {
	id: string;
	title: string;
	cards: CardView[];
}

export interface BoardView {
	id: string;
	title: string;
	members: BoardMemberView[];
	columns: ColumnView[];
	archived: CardView[];
	deleted: CardView[];
	/** Every label on the board's cards, sorted. */
	labels: string[];
	requests: JoinRequest[];
	invites: InviteView[];
	isAdmin: boolean;
	problems: string[];
	/** This device's key in hex (for the "mine" filter). */
	me: string;
}

/** One step of a card's history: who changed which fields, when. */
export interface CardHistoryView {
	who: string;
	at: number;
	fields: string[];
}

export interface BoardHandle {
	readonly view: BoardView | undefined;
	readonly missing: boolean;
	/** Applies a change to the board, on this device first (offline too). */
	act(action: BoardAction): Promise<void>;
	/** Export for the record: the signed archive (.json) and its printable view (.html). */
	exportArchive(): Promise<ArchiveFiles>;
	/** Reads a card's history from the document's own changes. */
	history(cardId: string): Promise<CardHistoryView[]>;
	/** Files can be attached here (only the tab that talks to the relay seals and uploads). */
	readonly canAttach: boolean;
	/** Seals and queues files on this device, then lists them on the card. */
	attach(cardId: string, files: AttachmentDraft[]): Promise<void>;
	/** A card file's checked content; the same contract as a conversation's openAttachment. */
	openAttachment(id: string): Promise<Blob>;
	createInvite(): Promise<InviteView>;
	revokeInvite(inviteId: string): Promise<void>;
	admit(inviteId: string): Promise<void>;
	decline(inviteId: string): Promise<void>;
	close(): void;
}

export type JoinPhase =
	| 'checking' // fetching and decrypting the invite
	| 'ready' // invite is valid: show who invites, ask for a name if none yet
	| 'claiming'
	| 'waiting' // claimed; waiting for the inviter to let us in
	| 'admitted' // conversationId is set
	| 'invalid' // the link is malformed or was altered
	| 'expired'
	| 'claimed' // someone else already used this link
	| 'revoked' // cancelled before this device's claim
	| 'declined' // the inviter turned down this device's claim
	| 'offline' // can't reach the relay; will retry
	| 'failed';

export interface JoinView {
	phase: JoinPhase;
	inviterName?: string;
	title?: string;
	safetyCode?: string;
	conversationId?: string;
	/** What the invite leads to; boards open at /b/<id>, a practice at the home screen. */
	kind?: 'conversation' | 'board' | 'practice';
	/** The role the inviter chose (practice invites), from the sealed invite details. */
	role?: Role;
}

export interface JoinHandle {
	readonly view: JoinView;
	/** Claims the invite under this display name (sets the profile if there is none). */
	accept(name: string): Promise<void>;
	close(): void;
}

export interface PendingJoinView {
	inviteId: string;
	inviterName: string;
	title: string;
	safetyCode: string;
}

/** A search over every conversation on this device (never leaves it). */
export interface SearchRequest {
	text: string;
	conversationId?: string;
	/** A person's id from {@link TendApp.searchPeople}. */
	personId?: string;
	/** Inclusive bounds on the send time, ms since the epoch. */
	from?: number;
	to?: number;
}

/** A piece of a result's snippet: plain text, or a matching word (shown marked). */
export interface SnippetSegment {
	text: string;
	mark: boolean;
}

export interface SearchResultView {
	conversationId: string;
	conversationTitle: string;
	messageId: string;
	authorName: string;
	mine: boolean;
	sentAt: number;
	/** Render each segment as text; never as HTML. */
	snippet: SnippetSegment[];
}

export interface SearchResultsView {
	/** Best first, at most 50. */
	hits: SearchResultView[];
	/** How many messages matched in all. */
	total: number;
}

export interface SearchPerson {
	id: string;
	name: string;
	me: boolean;
}

/**
 * What search covers on this device. Long conversations keep older messages in period documents
 * (SECURITY-RULES.md rule 19), and a device that joined late, was linked recently or was away
 * while several periods filled holds only the newest ones: search finds nothing in a period the
 * device doesn't hold until it is fetched. Fetched periods stay held, as loaded ones do.
 */
export interface SearchCoverageView {
	/** Conversations with earlier periods this device doesn't hold yet. */
	readonly missing: number;
	/** The fetch started with {@link SearchCoverageView.fetchAll}; undefined before the first. */
	readonly fetch: SearchFetchState | undefined;
	/** Only the tab that keeps the connection fetches; the others say where to do it. */
	readonly canFetch: boolean;
	/**
	 * Holds every missing period of every conversation (in the background: searching goes on,
	 * and results grow as the periods arrive). Does nothing while a fetch runs or in another tab.
	 */
	fetchAll(): void;
}

/**
 * A fetch for search: `running` with how many of the conversations it fetches for have all their
 * periods on this device (held and read up to where the relay's log ended); `waiting` while the
 * relay can't be reached. `done` once every one has, until the next fetch.
 */
export type SearchFetchState =
	| { state: 'running'; done: number; total: number; waiting: boolean }
	| { state: 'done'; total: number };

/**
 * Puts events on the audit trail (issue 8, rule 21). `record` never throws and never waits; it
 * works while the app is locked (queued, signed at the next unlock) and in any tab (a tab that
 * isn't the leader hands the event to the leader, which owns the chain). Kinds are in
 * `src/lib/audit/kinds.ts` (`AuditKind`); details carry ids and numbers, never content.
 */
export interface AuditLog {
	record(kind: string, details?: AuditDetails): void;
}

/** Why an unlock or a change of the vault did not happen. */
export type VaultFailure =
	| 'wrong' // wrong passphrase, passkey or recovery key (deliberately not told apart)
	| 'wait' // too soon after failures; see `retryAt`
	| 'wiped' // the failure limit was reached and this device's data erased
	| 'malformed' // the recovery key isn't in the printed form
	| 'weak' // the new passphrase is too weak
	| 'passkey-cancelled' // the passkey prompt was dismissed or failed
	| 'passkey-no-prf' // this browser or passkey can't supply the PRF secret
	| 'passkey-unavailable' // no WebAuthn here (or not a secure context)
	| 'no-vault';

export type VaultOutcome = { ok: true } | { ok: false; code: VaultFailure; retryAt?: number };

/** Lock settings the person (or later the practice) chooses. */
export interface LockSettings {
	/** Minutes without use before every tab locks (default 5). */
	lockAfterMinutes: number;
	/** Minutes with no tab visible before every tab locks (default 2). */
	backgroundLockMinutes: number;
	/** Erase this device's data after this many failed unlocks in a row; 0 = never (default). */
	wipeAfter: number;
}

/** The passphrase vault, as the UI sees it and drives it (src/lib/vault). */
export interface VaultHandle {
	/** Setup: this device holds data from before the passphrase existed; it will be re-sealed. */
	readonly hasUnprotectedData: boolean;
	/** Unlocking needs the passkey as well as the passphrase. */
	readonly passkeyEnrolled: boolean;
	/** Whether this browser can use a passkey as second factor (WebAuthn PRF). */
	readonly passkeySupport: 'prf' | 'no-prf' | 'unavailable' | 'unknown';
	/** The practice requires a passkey for this person's role (from the practice directory, issue 7). */
	readonly passkeyRequired: boolean;
	/** ms since the epoch before which unlock attempts must wait; 0 when none. */
	readonly retryAt: number;
	/** The recovery key to show once (after setup or on request); cleared by `acknowledgeRecoveryKey`. */
	readonly recoveryKeyToShow: string | undefined;
	/** Why the app locked last, for the lock screen; undefined after a fresh start. */
	readonly lockReason: 'manual' | 'inactive' | 'background' | 'other-tab' | undefined;
	readonly settings: LockSettings;
	/** Argon2id is running (about half a second). */
	readonly busy: boolean;

	setUp(passphrase: string): Promise<VaultOutcome>;
	unlock(passphrase: string): Promise<VaultOutcome>;
	/** Unlocks with the printed recovery key and sets `newPassphrase` (the passkey is dropped). */
	recover(recoveryKey: string, newPassphrase: string): Promise<VaultOutcome>;
	/** Locks every tab of this app now. */
	lock(): void;
	acknowledgeRecoveryKey(): void;
	changePassphrase(current: string, next: string): Promise<VaultOutcome>;
	/** A new recovery key (shown once); the old one stops working. */
	newRecoveryKey(passphrase: string): Promise<VaultOutcome>;
	addPasskey(passphrase: string): Promise<VaultOutcome>;
	removePasskey(passphrase: string): Promise<VaultOutcome>;
	saveSettings(settings: LockSettings): Promise<void>;
}

/** One audit record as the owner's audit view shows it. Names are resolved on this device. */
export interface AuditRecordView {
	/** `device:incarnation:n`, unique in the trail. */
	id: string;
	at: number;
	/** An `AuditKind`, or an unknown kind as written. */
	kind: string;
	/** Device signing key, hex. */
	device: string;
	/** "a1b2 c3d4". */
	deviceLabel: string;
	/** The person whose device it is, from the conversations this device holds ('' if unknown). */
	personName: string;
	/** The record's counter in its device's chain. */
	n: number;
	conversationId?: string;
	conversationTitle?: string;
	/** What the verifier found wrong with this record ('forged', 'altered', …); empty if nothing. */
	problems: string[];
}

/** A problem the verifier named (see `src/lib/audit/verifyAuditTrail.ts` for the codes). */
export interface AuditProblemView {
	code: string;
	deviceLabel: string;
	personName: string;
	n?: number;
	to?: number;
	/** cut-off: 'export', or the label of the owner device that countersigned. */
	by?: string;
}

export interface AuditView {
	/** This device owns an audit trail and can read it. */
	owner: boolean;
	/** Newest first. */
	records: AuditRecordView[];
	problems: AuditProblemView[];
}

export interface AuditFileCheck {
	/** The file is an audit export at all. */
	readable: boolean;
	ok: boolean;
	records: number;
	chains: number;
	exportedAt?: number;
	problems: AuditProblemView[];
}

/** The owner's audit screen. */
export interface AuditHandle {
	/** Undefined while loading. */
	readonly view: AuditView | undefined;
	/** A signed export of the whole trail (JSON); recorded as `audit-exported`. */
	exportFile(): Promise<{ name: string; text: string }>;
	/** Verifies an exported file (the same checks as `npm run audit:verify`). */
	checkFile(text: string): AuditFileCheck;
	close(): void;
}

/** A conversation exported for the record: signed JSON and a printable HTML view. */
export interface ArchiveFiles {
	json: { name: string; text: string };
	html: { name: string; text: string };
}

export interface TendApp {
	readonly phase: AppPhase;
	/** The audit trail's recorder; see {@link AuditLog}. */
	readonly audit: AuditLog;
	readonly vault: VaultHandle;
	readonly failure: string | undefined;
	readonly me: Me | undefined;
	readonly connection: ConnectionState;
	readonly conversations: ConversationSummary[];
	/** True once the vault holds the storage key; false shows "not protected" (rule 16). */
	readonly protectedByPassphrase: boolean;
	/** Whether the browser granted persistent storage. */
	readonly persistentStorage: boolean;
	/** This tab can't write (another tab runs Tend and tabs can't share changes here). */
	readonly readOnly: boolean;
	/**
	 * This tab talks to the relay. Another tab does when false: this one reads and sends
	 * messages through it, but creating conversations and letting people in happen there.
	 */
	readonly leader: boolean;
	readonly relayUrl: string;
	/** Invites this device claimed and is waiting on (shown on the home screen after a reload). */
	readonly pendingJoins: PendingJoinView[];

	createProfile(name: string): Promise<void>;
	/** Task boards this device holds, newest first. */
	readonly boards: BoardSummary[];
	/** Open cards due today or earlier on all boards, for the local reminder. */
	readonly dueToday: number;
	createBoard(title: string): Promise<string>;
	openBoard(id: string): BoardHandle;
	/** Makes a card from a conversation's message; the card links back to it. */
	makeTask(params: {
		boardId: string;
		conversationId: string;
		messageId: string;
		text: string;
	}): Promise<string>;
	/** Tasks made from messages of a conversation, from the boards this device holds. */
	tasksFor(conversationId: string): TaskLink[];
	/** System notifications: 'unsupported' where the browser has none. */
	readonly notifications: NotificationPermission | 'unsupported';
	createConversation(title: string, kind?: ConversationKind): Promise<string>;
	/** Asks for permission to notify; call from a user's action (a button press). */
	requestNotifications(): Promise<void>;
	openConversation(id: string): ConversationHandle;
	/** The audit trail this device owns (issue 8): records, problems, export, file check. */
	openAudit(): AuditHandle;
	/** `fragment` is the part of the invite link after `#`. */
	openJoin(fragment: string): JoinHandle;
	/**
	 * What the relay says about an invite link, asked before this device is set up (no
	 * passphrase, no keys), so a used, cancelled or expired link is known before the passphrase.
	 */
	inviteStatus(fragment: string): Promise<InviteStatus>;
	setRelayUrl(url: string): Promise<void>;
	/** Stops waiting on an invite this device claimed (removes it from the home screen). */
	cancelJoin(inviteId: string): Promise<void>;
	/**
	 * Searches every conversation on this device. The index lives in memory only and is built
	 * on the first search after start-up (docs/security.md, "Search").
	 */
	search(request: SearchRequest): Promise<SearchResultsView>;
	/** Everyone who wrote or may write in a conversation on this device, for the person filter. */
	searchPeople(): SearchPerson[];
	/** What search covers, and fetching what it doesn't (absent in the demo app: no periods). */
	readonly searchCoverage?: SearchCoverageView;
	/**
	 * Names of people in this device's other conversations who aren't in this one (clients,
	 * typically): the pre-send check looks for them in messages to a group.
	 */
	namesOutside(conversationId: string): string[];

	/** This device's office hours; undefined until set. Sealed on the device. */
	readonly availability: AvailabilitySettings | undefined;
	/** Saves the hours and publishes them in every conversation this device administers. */
	saveAvailability(settings: AvailabilitySettings): Promise<void>;
	/** Saved quick replies (the defaults until edited). Sealed on the device. */
	readonly quickReplies: QuickReply[];
	saveQuickReplies(replies: QuickReply[]): Promise<void>;
	/** The practice this device belongs to or may start (issue 7); absent in the fake app. */
	readonly practice?: PracticeHandle;
	/** Another of the person's devices removed this one (absent in the demo app). */
	readonly deviceRemoved?: boolean;
	/** The person's devices: list, add, revoke (absent in the demo app). */
	openDevices?(): DevicesHandle;
	/** A new device's side of being added from another of the person's devices. */
	openLink?(): LinkHandle;
}

/** The practice directory as this device reads it, and this person's place in it. */
export interface PracticeStateView extends PracticeView {
	docKey: string;
	/** This device's person key in hex. */
	me: string;
	/** This person's role; undefined until an owner's assignment has arrived. */
	role: Role | undefined;
}

/** Someone who opened a practice invite and waits to be let in (owner's screen). */
export interface PracticeRequestView {
	inviteId: string;
	name: string;
	safetyCode: string;
	role: string;
}

export interface PracticeHandle {
	readonly state: PracticeStateView | undefined;
	readonly requests: PracticeRequestView[];
	readonly invites: { inviteId: string; link: string; role: string; expiresAt: number }[];
	/** Roles this person may give in an invite. */
	readonly grantable: Role[];
	/** Whether this person may take a practice action here (true when in no practice). */
	allows(action: Action): boolean;
	start(name: string): Promise<void>;
	/** Creates a single-use invite link for `role`. */
	invite(role: Role): Promise<string>;
	revoke(inviteId: string): Promise<void>;
	/** 'compare-codes' when the practice requires comparing safety codes and it wasn't confirmed. */
	admit(inviteId: string, codesCompared: boolean): Promise<'ok' | 'compare-codes'>;
	decline(inviteId: string): Promise<void>;
	changeRole(person: string, role: Role): Promise<{ unsealed: number; skipped: number }>;
	/** Removes a member from the practice (new keys for every document they read). */
	removeMember(person: string): Promise<{ unsealed: number; skipped: number }>;
	setRequirement(kind: 'safetyCode' | 'passkey', role: Role, on: boolean): Promise<void>;
}
