import { describe, expect, it } from 'vitest';
import { TextForm } from '../../../src/lib/ui/textForm.svelte.js';

const submitEvent = () => ({ preventDefault() {} }) as unknown as SubmitEvent;

describe('TextForm', () => {
	it('refuses blank text without calling the action', async () => {
		const calls: string[] = [];
		const form = new TextForm({
			required: 'form.nameRequired',
			failed: 'onboarding.failed',
			action: async (text) => void calls.push(text)
		});
		form.value = '   ';
		await form.submit(submitEvent());
		expect(form.error).toBe('form.nameRequired');
		expect(calls).toEqual([]);
	});

	it('passes trimmed text and shows the failure key when the action rejects', async () => {
		const calls: string[] = [];
		const form = new TextForm({
			initial: '  Sam ',
			required: 'form.nameRequired',
			failed: 'onboarding.failed',
			action: async (text) => {
				calls.push(text);
				throw new Error('offline');
			}
		});
		await form.submit(submitEvent());
		expect(calls).toEqual(['Sam']);
		expect(form.error).toBe('onboarding.failed');
		expect(form.busy).toBe(false);
		expect(form.value).toBe('  Sam ');
	});
});
