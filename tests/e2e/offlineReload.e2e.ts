import { expect, test } from '@playwright/test';
import { messageWith, perTestStack, sendMessage, startConversation } from './people.js';
import { reloadAndUnlock } from './stack.js';

/**
 * A therapist in a basement office: the tablet has no network, Tend is reloaded (or the tablet
 * restarted it), a message is written, and it reaches the client once the network is back. The
 * relay address comes from the app's server (`/config.json`, unreachable while offline), so the
 * app has to remember the one it was last given.
 */

const env = perTestStack();

test('a message written after a reload while offline is delivered when the network is back', async () => {
	const therapist = await env.person('Dr. Rosalind Okafor');
	const client = await env.person('Tobias Lindqvist');
	await startConversation(env.stack, therapist, [client], { title: 'Between sessions' });
	const t = therapist.page;
	// A direct conversation is between two people: with both in, the invite panel makes no link.
	await t.getByTestId('invite-button').click();
	await expect(t.getByTestId('invite-direct-full')).toBeVisible();
	await expect(t.getByTestId('invite-link')).toHaveCount(0);
	await t.getByTestId('invite-button').click();
	await sendMessage(t, 'Before the network went away');
	await expect(messageWith(client.page, 'Before the network went away')).toHaveCount(1, { timeout: 30_000 });

	await therapist.context.setOffline(true);
	await reloadAndUnlock(t);
	await expect(t.getByTestId('connection-status')).not.toHaveAttribute('data-state', 'online');
	const written = 'Written in the basement after a reload';
	await sendMessage(t, written);
	await expect(messageWith(t, written)).toHaveAttribute('data-state', 'saved');

	await therapist.context.setOffline(false);
	await expect(messageWith(client.page, written)).toHaveCount(1, { timeout: 60_000 });
	await expect(messageWith(t, written)).toHaveAttribute('data-state', 'delivered', { timeout: 30_000 });
	await expect(t.getByTestId('connection-status')).toHaveAttribute('data-state', 'online');
});
