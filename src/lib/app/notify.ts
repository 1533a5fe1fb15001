import { t } from '../ui/strings.js';

/** One tag: a second notification replaces the first instead of piling up. */
const TAG = 'tend-new-message';

/**
 * Shows the system notification for new messages. It says only "New message in Tend" in the UI
 * language: no text, no name, no conversation title, since notifications land on lock screens
 * and in the system's notification history. A press brings the app to the front.
 */
export async function showNewMessageNotification(): Promise<void> {
	const title = t('notification.newMessage');
	try {
		const notification = new Notification(title, { tag: TAG, silent: false });
		notification.onclick = () => {
			window.focus();
			notification.close();
		};
	} catch {
		// Some platforms (Android) allow notifications only through the service worker.
		const registration = await navigator.serviceWorker?.getRegistration();
		await registration?.showNotification(title, { tag: TAG }).catch(() => {});
	}
}
