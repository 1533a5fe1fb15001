/**
 * Thrown by a send that the person chose not to complete ("edit" in the pre-send check): the
 * composer puts the text back, without saying that anything failed.
 */
export class KeepEditing extends Error {
	constructor() {
		super('the message was kept for editing');
		this.name = 'KeepEditing';
	}
}

/** Conversations where more people than a client's own therapist read along. */
export function needsPhiCheck(kind: string): boolean {
	return kind === 'group' || kind === 'announcements';
}
