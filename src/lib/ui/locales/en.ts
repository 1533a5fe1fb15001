/**
 * The English strings: the source table. Its keys are the keys of every other language, and its
 * ICU placeholders decide the parameters that `t` requires (see `strings.ts`).
 *
 * @remarks
 * Messages are ICU MessageFormat: `{name}` is filled in as text, `{n, number}` as a number in
 * the UI language, and `{count, plural, one {…} other {…}}` picks a form by count, with `#` for
 * the number. Write each plural branch with `#` or more than one word: the parameter types read
 * a lone `{word}` as a parameter. An ASCII apostrophe is text unless it stands before `{` or `}`.
 */
export const en = {
	'app.name': 'Tend',
	'app.skipToContent': 'Skip to main content',
	'app.settings': 'Settings',
	'app.home': 'Tend, go to conversations',
	'app.starting': 'Opening Tend…',
	'app.startingHint': 'Unlocking your conversations on this device.',
	'app.failedTitle': 'Tend could not start',
	'app.failedBody':
		'Your conversations are still stored on this device. Reloading the page usually helps.',
	'app.failedDetail': 'Details: {detail}',
	'app.reload': 'Reload Tend',

	'update.available': 'A new version of Tend is ready (build {build}).',
	'update.hint': 'Updating reloads Tend. Messages you wrote are kept.',
	'update.now': 'Update now',
	'update.later': 'Later',
	'update.offlineReady': 'Tend is ready to work offline on this device.',
	'update.dismiss': 'Dismiss',

	'connection.label': 'Connection: {state}',
	'connection.online': 'Online',
	'connection.connecting': 'Connecting…',
	'connection.offline': 'Offline',
	'connection.offlineBanner':
		"You're offline. Messages are saved on this device and will be sent when the connection returns.",
	'app.otherTab':
		'Tend is also open in another tab, which keeps the connection. You can read and send messages here; new conversations and invites are made in that tab.',
	'app.readOnly':
		'Tend is open in another tab or window. This one is read-only; write from the other one.',

	'onboarding.title': 'Welcome to Tend',
	'onboarding.privacy':
		'Your messages are end-to-end encrypted and stored only in encrypted form on this device.',
	'onboarding.nameLabel': 'Your name',
	'onboarding.nameHint':
		'This is how people in your conversations will see you. A first name is fine.',
	'onboarding.submit': 'Continue',
	'onboarding.busy': 'Setting up…',
	'onboarding.failed': "Couldn't set up Tend on this device. Please try again.",
	'form.nameRequired': 'Please enter a name.',

	'home.title': 'Conversations',
	'home.new': 'New conversation',
	'home.emptyTitle': 'No conversations yet',
	'home.emptyBody':
		"Start a conversation, then invite someone with a link. They open the link on their own phone or tablet, and you let them in.",
	'home.previewMine': 'You: {text}',
	'home.previewOther': '{name}: {text}',
	'home.noMessages': 'No messages yet',
	'home.with': 'With {names}',
	'home.pendingRegion': 'Invitations you accepted',
	'home.pendingTitle': 'Joining {title}',
	'home.pendingTitleNoName': 'Joining a conversation',
	'home.waiting': '{count, plural, one {# waiting} other {# waiting}}',
	'home.waitingLabel':
		'{count, plural, one {# person is waiting to join} other {# people are waiting to join}}',

	'new.title': 'New conversation',
	'new.titleLabel': 'Conversation name',
	'new.titleHint':
		'For example "Weekly check-in with Sam". Only the people in the conversation can see it.',
	'new.titleRequired': 'Please give the conversation a name.',
	'new.submit': 'Create conversation',
	'new.busy': 'Creating…',
	'new.cancel': 'Cancel',
	'new.failed': "Couldn't create the conversation. Please try again.",

	'conversation.loading': 'Opening conversation…',
	'conversation.pageTitle': 'Conversation',
	'conversation.missing':
		'This conversation is not on this device. If someone sent you a link, open it again or ask them for a new one.',
	'conversation.back': 'All conversations',
	'conversation.members': 'Members',
	'conversation.memberMe': '{name} (you)',
	'conversation.memberOwner': '{name} (owner)',
	'conversation.messages': 'Messages',
	'conversation.empty': 'No messages yet. Say hello to start the conversation.',
	'conversation.emptyAlone':
		'No one else is here yet. Use "Invite someone" to send a link to the person you want to talk with.',
	'conversation.problemsTitle': 'Something needs your attention',
	'problem.unverified':
		'{count, plural, one {A message could not be verified and was not shown.} other {# messages could not be verified and were not shown.}}',
	'problem.withheld': 'Some messages from {name} have not arrived yet.',
	'problem.someone': 'someone',
	'problem.badSnapshot':
		'The server offered a shortcut to this conversation\'s history that did not add up. Tend ignored it and read the full history instead.',
	'problem.waiting': 'Some messages are waiting for earlier ones that have not arrived yet.',
	'problem.authorMismatch': 'A message claims an author who did not write it; it is marked.',

	'composer.remaining':
		'{count, plural, one {# character left} other {# characters left}} (a message can have up to {max, number}).',
	'message.you': 'You',
	'message.saving': 'Saving…',
	'message.saved': 'Saved on this device',
	'message.delivered': 'Sent',
	'message.authorMismatch':
		"Tend couldn't confirm who wrote this message. Check with the sender before relying on it.",

	'composer.attach': 'Attach files or photos',
	'composer.record': 'Record a voice note',
	'composer.recording': 'Recording {time}',
	'composer.stopRecording': 'Stop and keep the voice note',
	'composer.cancelRecording': 'Discard the recording',
	'composer.micDenied':
		"Tend couldn't use the microphone. Allow it in the browser's settings to record a voice note.",
	'composer.noRecorder': "This browser can't record voice notes.",
	'composer.pending': 'To send with this message',
	'composer.removeFile': 'Remove {name}',
	'composer.fileTooLarge': '{name} is larger than 24 MB and can\'t be sent.',
	'composer.filesHint': 'You can also drop files here or paste them.',
	'composer.filesOtherTab': 'Files can be sent from the Tend tab that was opened first.',
	'composer.dropHere': 'Drop files here to attach them',
	'composer.preparing': 'Preparing the file…',
	'attachment.photo': 'Photo',
	'attachment.voice': 'Voice note',
	'attachment.file': 'File',
	'attachment.openPhoto': 'Open photo {name}',
	'attachment.save': 'Save',
	'attachment.play': 'Play voice note',
	'attachment.pause': 'Pause voice note',
	'attachment.position': 'Position in the voice note',
	'attachment.queued': 'Waiting for a connection to upload',
	'attachment.uploading': 'Uploading… {percent, number}%',
	'attachment.downloading': 'Downloading… {percent, number}%',
	'attachment.saved': 'Saved on this device',
	'attachment.unavailable': 'Not uploaded yet. Try again later.',
	'attachment.offline': "Can't download while offline.",
	'attachment.damaged': "This file didn't pass Tend's check and wasn't opened.",
	'attachment.refusedSize': 'Too large for the relay. Not sent.',
	'attachment.refusedQuota': 'No space left for files in this conversation at the relay. Not sent.',
	'attachment.retry': 'Try again',
	'attachment.close': 'Close',
	'attachment.photoDialog': 'Photo',
	'composer.label': 'Message',
	'composer.placeholder': 'Write a message',
	'composer.hint': 'Enter sends. Shift+Enter starts a new line.',
	'composer.send': 'Send',
	'composer.readOnly':
		"You can't write here because Tend is open in another tab or window. Use that one to write.",
	'composer.failed': "Couldn't save your message. It's still in the box; please try again.",

	'invite.open': 'Invite someone',
	'invite.close': 'Close',
	'invite.title': 'Invite someone',
	'invite.explain':
		'Each link works for one person. Send it privately, for example by text message. When they open it, you compare a short code and let them in.',
	'invite.create': 'Create invite link',
	'invite.creating': 'Creating link…',
	'invite.failed': "Couldn't create an invite link. Please try again.",
	'invite.linkLabel': 'Invite link',
	'invite.share': 'Share…',
	'invite.copy': 'Copy link',
	'invite.copied': 'Link copied',
	'invite.copyFailed': 'Copying is not available here. Select the link and copy it.',
	'invite.qrLabel': 'QR code of the invite link. Scan it with a phone camera to open the link.',
	'invite.expires': 'Expires {date}',
	'invite.stateOpen': 'Not used yet',
	'invite.stateClaimed':
		'Someone used this link. Compare codes in their join request before letting them in.',
	'invite.revoke': 'Cancel this link',
	'invite.revoking': 'Cancelling…',
	'invite.revokeFailed': "Couldn't cancel the link. Please try again.",
	'invite.none': 'No open invite links.',

	'request.title': '{name} wants to join.',
	'request.askCode': 'Ask them to read their code:',
	'request.onlyIfMatches': 'Let in only if it matches.',
	'request.admit': 'Let in',
	'request.decline': 'Decline',
	'request.failed': "That didn't work. Please try again.",
	'request.region': 'Join requests',
	'request.readOnly': 'Let people in from the tab or window where Tend is open for writing.',

	'join.pageTitle': 'Join a conversation',
	'home.pendingCancel': 'Stop waiting',
	'join.checking': 'Checking your invite…',
	'join.invited': '{inviter} invited you to {title}',
	'join.invitedNoTitle': "You've been invited to a conversation",
	'join.privacy':
		'Messages in Tend are end-to-end encrypted and stored only in encrypted form on this device.',
	'join.nameLabel': 'Your name',
	'join.nameHint': '{inviter} and the others in the conversation will see this name.',
	'join.nameHintGeneric': 'The others in the conversation will see this name.',
	'join.submit': 'Join',
	'join.busy': 'Joining…',
	'join.failedAccept': "Couldn't send your request. Please try again.",
	'join.waiting': 'Waiting for {inviter} to let you in.',
	'join.waitingGeneric': 'Waiting to be let in.',
	'join.yourCode': 'If they ask, your code is',
	'join.keepOpen': 'Keep this page open. It continues by itself once you are let in.',
	'join.admitted': "You're in. Opening the conversation…",
	'join.someone': 'the person who invited you',
	'join.invalidTitle': "This invite link doesn't work",
	'join.invalidBody':
		'The link may be incomplete or may have been changed. Ask the person who invited you to send a new one.',
	'join.expiredTitle': 'This invite has expired',
	'join.expiredBody': 'Invite links work for a limited time. Ask {inviter} for a new link.',
	'join.claimedTitle': 'This invite link was already used',
	'join.claimedBody': 'Each link works for one person only. Ask {inviter} for a new link.',
	'join.revokedTitle': 'This invite was cancelled',
	'join.revokedBody': 'Ask {inviter} for a new link if you still want to join.',
	'join.offlineTitle': "Can't reach Tend right now",
	'join.offlineBody':
		"Check that this device is connected to the internet. Tend keeps trying; you don't need to do anything else.",
	'join.failedTitle': 'Something went wrong',
	'join.failedBody': 'Please open the invite link again. If it still fails, ask for a new link.',
	'join.missingTitle': 'Open your invite link again',
	'join.missingBody':
		'For your safety, Tend removes the invite from the address bar as soon as it is read, so this page cannot be reloaded. Open the link again from the message you received.',
	'join.goHome': 'Go to Tend',

	'quick.reminderTitle': 'Appointment reminder',
	'quick.reminderBody':
		"Hi {client}, a reminder of our appointment on {date} at {time}. If you need to change it, just reply here.",
	'quick.lateTitle': 'Running 5 minutes late',
	'quick.lateBody':
		"Hi {client}, I'm running about 5 minutes late. I'll be with you shortly. Thank you for waiting.",
	'quick.groundingTitle': 'Grounding exercise',
	'quick.groundingBody':
		"Hi {client}, when things feel like too much, try this: name 5 things you can see, 4 you can touch, 3 you can hear, 2 you can smell and 1 you can taste. Take one slow breath between each.",
	'quick.open': 'Quick replies',
	'quick.close': 'Close quick replies',
	'quick.listLabel': 'Pick a quick reply',
	'quick.fill': 'Fill in the details',
	'quick.placeholderLabel': 'Value for {name}',
	'quick.insert': 'Put in the message box',
	'quick.back': 'Back to the list',
	'quick.preview': 'Preview',
	'quick.none': 'No quick replies yet. Add some in Settings.',
	'quick.settingsTitle': 'Quick replies',
	'quick.settingsHint':
		"Saved messages you can put into a conversation with two taps. Words in braces, such as {client} or {time}, are filled in before sending. Kept encrypted on this device only.",
	'quick.titleLabel': 'Name',
	'quick.bodyLabel': 'Message',
	'quick.add': 'Add a quick reply',
	'quick.remove': 'Remove {title}',
	'quick.save': 'Save quick replies',
	'quick.saving': 'Saving…',
	'quick.saved': 'Quick replies saved.',
	'quick.failed': "Couldn't save the quick replies. Please try again.",
	'quick.newTitle': 'New quick reply',

	'hours.settingsTitle': 'Office hours',
	'hours.settingsHint':
		'Clients see these in conversations you started, with your usual reply time and the emergency line, when they write outside your hours. They are end-to-end encrypted like your messages.',
	'hours.timeZone': 'Time zone',
	'hours.dayOn': 'Working on {day}',
	'hours.from': 'From',
	'hours.until': 'Until',
	'hours.fromOn': '{day} from',
	'hours.untilOn': '{day} until',
	'hours.replyTime': 'I usually reply within',
	'hours.replyHours': '{count, plural, one {# hour} other {# hours}}',
	'hours.emergency': 'Emergency line',
	'hours.emergencyHint': 'Shown to clients outside your hours and at once if a client writes about a crisis. Leave empty for the default.',
	'hours.save': 'Save office hours',
	'hours.saving': 'Saving…',
	'hours.saved': 'Office hours saved and shared with your clients.',
	'hours.failed': "Couldn't save the office hours. Please try again.",
	'hours.invalid': 'Each day needs an end time after its start time.',
	'hours.notSet': 'Not set yet: clients see no office hours.',

	'boundaries.defaultEmergency': 'If you are in crisis, call or text 988',
	'boundaries.outsideTitle': '{name} is outside office hours',
	'boundaries.outsideNext': 'Next available: {time} (your time).',
	'boundaries.outsideNoNext': 'No office hours are set for the coming days.',
	'boundaries.replyTime':
		'{count, plural, one {Replies usually come within # hour during office hours.} other {Replies usually come within # hours during office hours.}}',
	'boundaries.outsideSend': 'You can still send your message; it will be read when {name} is back.',
	'boundaries.crisisTitle': 'You are not alone',
	'boundaries.crisisBody': 'Your therapist may not see this message right away.',
	'boundaries.phiTitle': 'This message may contain private health details',
	'boundaries.phiBodyGroup': 'Everyone in this group will read it. Found:',
	'boundaries.phiBodyAnnouncements':
		'Everyone in this announcement channel will read it. Found:',
	'boundaries.phiName': 'a name',
	'boundaries.phiBirthDate': 'a date of birth',
	'boundaries.phiPhone': 'a phone number',
	'boundaries.phiRecordNumber': 'a record or ID number',
	'boundaries.phiDiagnosisCode': 'a diagnosis code',
	'boundaries.phiMedicationDose': 'a medication dose',
	'boundaries.phiMarked': 'The parts that look private are marked:',
	'boundaries.sendAnyway': 'Send anyway',
	'boundaries.edit': 'Edit message',
	'problem.availabilityForged':
		'Office hours in this conversation were changed by someone other than the person they belong to, and are not shown.',

	'search.open': 'Search',
	'search.title': 'Search',
	'search.label': 'Search messages',
	'search.hint':
		'Searches every conversation on this device. What you type here stays on this device and is not kept.',
	'search.shortcut': 'Shortcut: Ctrl+K, or / when you are not typing.',
	'search.filters': 'Filters',
	'search.conversation': 'Conversation',
	'search.allConversations': 'All conversations',
	'search.person': 'Written by',
	'search.anyone': 'Anyone',
	'search.personMe': '{name} (you)',
	'search.from': 'From',
	'search.to': 'Until',
	'search.clear': 'Clear filters',
	'search.results':
		'{count, plural, one {# message found} other {# messages found}}',
	'search.showing': 'Showing the best {shown, number}. Add a word or a filter to narrow it down.',
	'search.none': 'No messages match. Try fewer or shorter words, or clear the filters.',
	'search.empty': 'Type a word or two to search your conversations.',
	'search.searching': 'Searching…',
	'search.failed': "Search didn't work. Please try again.",
	'search.resultLabel': '{author} in {title}, {time}',
	'search.you': 'You',
	'conversation.jumpMissing': 'That message is no longer in this conversation.',
	'conversation.jumpFound': 'Showing the message you picked in search.',

	'settings.version': 'Tend version {build}',
	'settings.title': 'Settings',
	'settings.profile': 'You',
	'settings.name': 'Display name',
	'settings.noName': 'Not set yet',
	'settings.device': 'This device',
	'settings.deviceHint':
		'This code identifies this device. People you talk with can use it to check it is really you.',
	'settings.relay': 'Relay address',
	'settings.relayHint':
		'The server that passes your encrypted messages between devices. It cannot read them. Only change this if your practice asks you to.',
	'settings.relayEdit': 'Change relay address',
	'settings.relaySave': 'Save address',
	'settings.relaySaving': 'Saving…',
	'settings.relayCancel': 'Cancel',
	'settings.relayInvalid': 'Enter an address that starts with wss:// or ws://.',
	'settings.relayFailed': "Couldn't change the relay address. Please check it and try again.",
	'settings.relaySaved': 'Relay address saved.',
	'settings.protectionTitle': 'Protection',
	'settings.notProtectedTitle': 'This device is not protected by a passphrase',
	'settings.notProtectedBody':
		'Your conversations are stored encrypted, but the key that opens them is kept in this browser. Anyone who can open this browser profile on this device can read your conversations.',
	'settings.notProtectedAdvice':
		'Until then, lock this device with a screen lock and do not share your browser profile with anyone.',
	'settings.notProtectedComing': 'A passphrase lock is coming in a later update.',
	'settings.protected':
		'This device is protected by a passphrase. Conversations can only be read after it is entered.',
	'settings.storageTitle': 'Storage',
	'settings.storagePersistent':
		'Your browser keeps Tend’s data on this device, even when space runs low.',
	'settings.storageNotPersistent':
		'Your browser may delete Tend’s data if this device runs low on space. Adding Tend to your home screen usually prevents this.',

	'settings.languageTitle': 'Language',
	'settings.languageLabel': 'Language of Tend',
	'settings.languageHint':
		'Changes the words Tend shows on this device. Messages are shown as they were written.',

	'members.open': 'People',
	'members.title': 'People in this conversation',
	'members.close': 'Close',
	'members.you': 'You',
	'members.owner': 'Owner',
	'members.member': 'Member',
	'members.remove': 'Remove from conversation',
	'members.confirmTitle': 'Remove {name} from this conversation?',
	'members.confirmText':
		'Their devices stop receiving new messages and can no longer write here. They keep what they already have. To bring them back later, send a new invite.',
	'members.confirmRemove': 'Yes, remove',
	'members.cancel': 'Cancel',
	'members.removing': 'Removing…',
	'members.removeFailed':
		"Couldn't remove them. Check the connection and try again; nothing has changed yet.",
	'members.removedNotice':
		'You were removed from this conversation. You can still read what you already had, but new messages no longer reach this device and you can’t write here.'
} as const satisfies Record<string, string>;

/** A key of the string table. */
export type StringKey = keyof typeof en;
