import { tp } from '../strings.js';

/**
 * The local "N tasks due today" reminder as a system notification. It says only how many: no
 * card title, board name or person's name ever reaches the operating system's notification
 * centre (which other apps, lock screens and backups can read). Shown at most once a day; the
 * day is all that is remembered, in localStorage.
 */

const SHOWN_KEY = 'tend-due-reminder-day';

export type NotificationPermissionState = 'granted' | 'denied' | 'default' | 'unsupported';

export function notificationsAllowed(): NotificationPermissionState {
	if (typeof Notification === 'undefined') return 'unsupported';
	return Notification.permission;
}

export async function requestNotifications(): Promise<NotificationPermissionState> {
	if (typeof Notification === 'undefined') return 'unsupported';
	return Notification.requestPermission();
}

/** The notification's text for `count` tasks: the count and nothing else. */
export function reminderText(count: number): string {
	return tp('reminder.dueToday', count);
}

export function notifyDueOnce(count: number, today: string = new Date().toDateString()): void {
	if (notificationsAllowed() !== 'granted' || count <= 0) return;
	try {
		if (localStorage.getItem(SHOWN_KEY) === today) return;
		localStorage.setItem(SHOWN_KEY, today);
		new Notification(reminderText(count), { tag: 'tend-due' });
	} catch {
		// Some browsers allow notifications only from a service worker; the in-app banner stays.
	}
}
