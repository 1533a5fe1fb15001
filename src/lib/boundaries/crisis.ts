/**
 * Crisis language in a client's message: when it matches, the client sees the emergency line at
 * once (their therapist may not read the message for hours). It over-matches on purpose: showing
 * a calm "if you are in crisis…" to someone who isn't costs little, missing someone who is
 * costs a lot. English and Russian; local only.
 */

const PATTERNS: RegExp[] = [
	/\b(?:kill|killing|hurt|hurting|harm|harming|cut|cutting|burn|burning)\s+(?:my\s?self|myself)\b/i,
	/\bsuicid(?:e|al)\b/i,
	/\bself[-\s]?harm/i,
	/\b(?:end|ending|take|taking)\s+my\s+(?:own\s+)?life\b/i,
	/\bend(?:ing)?\s+it\s+all\b/i,
	/\bthinking\s+(?:about|of)\s+ending\s+it\b/i,
	/\b(?:want|wanna|wish|going)\s+(?:to\s+)?(?:die|be dead)\b/i,
	/\b(?:don'?t|do not|dont)\s+want\s+to\s+(?:live|be alive|be here anymore|wake up)\b/i,
	/\bno\s+(?:reason|point)\s+(?:to|in)\s+(?:live|living|going on)\b/i,
	/\b(?:can'?t|cannot|can not|don'?t think I can)\s+(?:keep going|go on)\b/i,
	/\bbetter off (?:dead|without me)\b/i,
	/\boverdos(?:e|ing)\b/i,
	/покончить\s+(?:с\s+собой|со\s+всем)/i,
	/суицид/i,
	/самоубийств/i,
	/(?:убить|убью|порезать|порежу|режу|резать)\s+себя/i,
	/не\s+хочу\s+(?:больше\s+)?жить/i,
	/хочу\s+умереть/i,
	/нет\s+смысла\s+жить/i,
	/лучше\s+бы\s+меня\s+не\s+было/i,
	/не\s+могу\s+так\s+больше\s+жить/i
];

/** True when the text contains language about suicide or self-harm. */
export function detectCrisis(text: string): boolean {
	const normalized = text.replace(/[’‘]/g, "'").replace(/[\u200b-\u200d\ufeff]/g, '');
	return PATTERNS.some((pattern) => pattern.test(normalized));
}

