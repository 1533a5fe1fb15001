import type { StringKey } from './strings.js';

/**
 * The state of a one-field form whose text must not be blank (a name, a title): the value, an
 * error as a string key (so a message on screen follows a change of language), and whether the
 * action is running. The action gets the trimmed text; a rejection shows `failed`.
 */
export class TextForm<E extends StringKey> {
	value = $state('');
	error = $state<E | undefined>();
	busy = $state(false);
	readonly #required: E;
	readonly #failed: E;
	readonly #action: (text: string) => Promise<void>;

	constructor(params: {
		initial?: string;
		required: E;
		failed: E;
		action: (text: string) => Promise<void>;
	}) {
		this.value = params.initial ?? '';
		this.#required = params.required;
		this.#failed = params.failed;
		this.#action = params.action;
	}

	submit = async (event: SubmitEvent): Promise<void> => {
		event.preventDefault();
		const trimmed = this.value.trim();
		if (!trimmed) {
			this.error = this.#required;
			return;
		}

		this.error = undefined;
		this.busy = true;
		try {
			await this.#action(trimmed);
		} catch {
			this.error = this.#failed;
		} finally {
			this.busy = false;
		}
	};
}
