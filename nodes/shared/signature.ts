import { createHmac, timingSafeEqual } from 'crypto';

import { ok, refuse, refuseNotReady } from './refusal';
import type { Step } from './refusal';

/**
 * GitHub-style body signatures (`sha256=<lowercase hex HMAC-SHA256>`), as Uplift sends them in
 * `x-uplift-signature-256`. Modelled on @octokit/webhooks-methods: pure functions over bytes,
 * a length check before `timingSafeEqual`, and `verify` never throws on bad input.
 */

export const SIGNATURE_PREFIX = 'sha256=';

/** Only the bytes as received can be verified; a parsed object (re-serialised or not) cannot. */
function isRawBytes(payload: unknown): payload is Buffer | Uint8Array | string {
	return Buffer.isBuffer(payload) || payload instanceof Uint8Array || typeof payload === 'string';
}

/** `sha256=<hex>` for the exact bytes given. The secret is used as its UTF-8 bytes, never decoded. */
export function signSha256(secret: string, payload: Buffer | Uint8Array | string): string {
	return SIGNATURE_PREFIX + createHmac('sha256', secret).update(payload).digest('hex');
}

export type SignatureCheck =
	| { valid: true; matched: 'current' | 'previous' }
	| { valid: false; reason: 'missing' | 'malformed' | 'mismatch' | 'noSecret' };

const HEX_DIGEST_LENGTH = 64;

/**
 * Verifies an Uplift delivery against the current signing secret and, during a rotation,
 * the previous one. Never throws. The reason is for the HTTP answer and the log; it never
 * contains a secret.
 */
export function verifyUpliftSignature(
	rawBody: Buffer | Uint8Array | string,
	signatureHeader: unknown,
	secrets: { current: string; previous?: string },
): SignatureCheck {
	const hasCurrent = typeof secrets.current === 'string' && secrets.current.length > 0;
	const hasPrevious = typeof secrets.previous === 'string' && secrets.previous.length > 0;
	if (!hasCurrent && !hasPrevious) return { valid: false, reason: 'noSecret' };
	if (!isRawBytes(rawBody)) return { valid: false, reason: 'mismatch' };
	if (signatureHeader === undefined || signatureHeader === null || signatureHeader === '') {
		return { valid: false, reason: 'missing' };
	}
	// A header sent twice arrives as an array: refused, not guessed at.
	if (typeof signatureHeader !== 'string') return { valid: false, reason: 'malformed' };
	// `sha256=` and 64 hex digits (Uplift sends lower case; upper case is accepted for proxies that
	// rewrite it). Buffer.from stops at the first pair that is not hex, so 32 bytes means well-formed.
	const header = signatureHeader.trim();
	const hex = header.slice(SIGNATURE_PREFIX.length);
	const received = Buffer.from(hex, 'hex');
	if (
		header.slice(0, SIGNATURE_PREFIX.length).toLowerCase() !== SIGNATURE_PREFIX ||
		hex.length !== HEX_DIGEST_LENGTH ||
		received.length !== 32
	) {
		return { valid: false, reason: 'malformed' };
	}
	// Both secrets are checked when both are set (no early exit), so timing does not tell which matched.
	const matchesCurrent = hasCurrent && digestMatches(secrets.current, rawBody, received);
	const matchesPrevious =
		hasPrevious && digestMatches(secrets.previous as string, rawBody, received);
	if (matchesCurrent) return { valid: true, matched: 'current' };
	if (matchesPrevious) return { valid: true, matched: 'previous' };
	return { valid: false, reason: 'mismatch' };
}

/** Both sides are 32-byte SHA-256 digests, so timingSafeEqual's length requirement always holds. */
function digestMatches(
	secret: string,
	rawBody: Buffer | Uint8Array | string,
	received: Buffer,
): boolean {
	return timingSafeEqual(createHmac('sha256', secret).update(rawBody).digest(), received);
}

export const UPLIFT_SIGNATURE_HEADER = 'x-uplift-signature-256';

/** What the sender is told for each reason, so the user knows what to fix (stripe-node style). */
const SIGNATURE_ADVICE = {
	missing: `The ${UPLIFT_SIGNATURE_HEADER} header is missing. Set a secret on the webhook in the Uplift dashboard and the same secret in the n8n credential.`,
	malformed: `The ${UPLIFT_SIGNATURE_HEADER} header is not of the form sha256=<64 hex characters>.`,
	mismatch:
		'The signature does not match the body. Check that the signing secret in the n8n credential is exactly the secret set in Uplift, and that nothing between Uplift and n8n rewrites the body.',
};

/**
 * The Uplift Trigger's authenticity step: 401 with advice for a missing, malformed or wrong
 * signature; 503 (so Uplift retries) when the credential has no secret to check with.
 */
export function checkUpliftSignature(
	rawBody: Buffer,
	headers: Record<string, string | string[] | undefined>,
	credential: { signingSecret?: string; previousSigningSecret?: string },
): Step<void> {
	const check = verifyUpliftSignature(rawBody, headers[UPLIFT_SIGNATURE_HEADER], {
		current: credential.signingSecret ?? '',
		previous: credential.previousSigningSecret ?? '',
	});
	if (check.valid) return ok(undefined);
	if (check.reason === 'noSecret') {
		// The caller is not authenticated: it learns that the trigger is not ready, not why.
		return refuseNotReady(
			'Uplift',
			'Signature verification is on but the Uplift Webhook API credential has no signing secret. Add the secret you set in Uplift (or turn off Verify Signature).',
		);
	}
	return refuse(401, SIGNATURE_ADVICE[check.reason]);
}

/** Constant-time equality for two secrets given as strings (URL tokens). */
export function safeEqualStrings(expected: string, received: unknown): boolean {
	if (typeof expected !== 'string' || expected.length === 0) return false;
	if (typeof received !== 'string') return false;
	// Hash both sides so the comparison is fixed-length and leaks neither value's length.
	const a = createHmac('sha256', 'token-compare').update(expected, 'utf8').digest();
	const b = createHmac('sha256', 'token-compare').update(received, 'utf8').digest();
	return timingSafeEqual(a, b);
}
