import type { z } from 'zod';

/**
 * Turns the first zod issue into a sentence that names the field, e.g.
 * "missing field `data.object`" or "field `type` must be a string (got number)".
 */
export function describeZodIssue(error: z.ZodError, what: string): string {
	const issue = error.issues[0];
	if (!issue) return `The body is not ${what}.`;
	const path = issue.path.length > 0 ? issue.path.join('.') : '(body)';
	const received = (issue as { received?: unknown }).received;
	if (
		issue.code === 'invalid_type' &&
		(received === 'undefined' || /required/i.test(issue.message))
	) {
		return `The body is not ${what}: missing field \`${path}\`.`;
	}
	if (issue.code === 'invalid_type') {
		const expected = (issue as { expected?: unknown }).expected;
		return `The body is not ${what}: field \`${path}\` must be ${String(expected)}${received !== undefined ? ` (got ${String(received)})` : ''}.`;
	}
	return `The body is not ${what}: field \`${path}\`: ${issue.message}.`;
}
