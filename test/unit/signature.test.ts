/**
 * Signature module. Rows refer to the checklist in docs/webhook-security.md §1.3
 * (applicable to Uplift: 1, 3, 5–8, 20–25, 27, 30, 32).
 */
import { createHmac } from 'crypto';

import { safeEqualStrings, signSha256, verifyUpliftSignature } from '../../nodes/shared/signature';

/** One secret, valid or not: the shape of @octokit/webhooks-methods' `verify`, for its vectors. */
const verifySha256 = (secret: string, payload: Buffer | Uint8Array | string, header: unknown): boolean =>
	verifyUpliftSignature(payload, header, { current: secret }).valid;

const UPLIFT_SECRET = 'replace_with_secret_token';
const UPLIFT_BODY = '{"key": "value"}';
const UPLIFT_SIG = 'sha256=572b7fcd3a9d7ac591518d0a684b7fc98e049bfcc06a38d9d40884b0b49e289b';

describe('known-answer vectors (row 32)', () => {
	it("matches Uplift's own vector", () => {
		expect(signSha256(UPLIFT_SECRET, Buffer.from(UPLIFT_BODY))).toBe(UPLIFT_SIG);
		expect(verifyUpliftSignature(Buffer.from(UPLIFT_BODY), UPLIFT_SIG, { current: UPLIFT_SECRET })).toEqual({ valid: true, matched: 'current' });
	});

	it('matches the minified-body vector, which differs (re-serialising breaks verification)', () => {
		expect(signSha256(UPLIFT_SECRET, '{"key":"value"}')).toBe('sha256=02bc85d95b81c0d2921190bafdb05aceece72b82c04ad5490095c3cd0221d374');
		expect(verifySha256(UPLIFT_SECRET, Buffer.from('{"key":"value"}'), UPLIFT_SIG)).toBe(false);
	});

	it("matches GitHub's documented vector", () => {
		expect(signSha256("It's a Secret to Everybody", 'Hello, World!')).toBe(
			'sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17',
		);
	});

	it("matches @octokit/webhooks-methods' vector", () => {
		expect(verifySha256('mysecret', '{"foo":"bar"}', 'sha256=4864d2759938a15468b5df9ade20bf161da9b4f737ea61794142f3484236bda3')).toBe(true);
	});

	it('agrees with an independent HMAC over random bytes', () => {
		for (let i = 0; i < 20; i++) {
			const bytes = Buffer.from(Array.from({ length: 1 + i * 37 }, (_v, j) => (j * 7919 + i) % 256));
			const expected = 'sha256=' + createHmac('sha256', `k${i}`).update(bytes).digest('hex');
			expect(signSha256(`k${i}`, bytes)).toBe(expected);
		}
	});
});

describe('verifyUpliftSignature rejects without throwing', () => {
	const body = Buffer.from(UPLIFT_BODY);
	const secrets = { current: UPLIFT_SECRET };

	it.each([null, undefined, ''])('row 1: missing header (%p)', (header) => {
		expect(verifyUpliftSignature(body, header, secrets)).toEqual({ valid: false, reason: 'missing' });
	});

	it.each(["I'm not even a real signature header", 'sha256=', 'sha1=572b7fcd3a9d7ac591518d0a684b7fc98e049bfc', 'v1=abc', 'sha256=zz' + 'a'.repeat(62)])(
		'row 3: malformed header %p',
		(header) => {
			expect(verifyUpliftSignature(body, header, secrets)).toEqual({ valid: false, reason: 'malformed' });
		},
	);

	it('row 5: wrong signature value', () => {
		expect(verifyUpliftSignature(body, 'sha256=' + 'a'.repeat(64), secrets)).toEqual({ valid: false, reason: 'mismatch' });
	});

	it('row 6: truncated signature', () => {
		expect(verifyUpliftSignature(body, UPLIFT_SIG.slice(0, 15), secrets).valid).toBe(false);
		expect(verifySha256(UPLIFT_SECRET, body, UPLIFT_SIG.slice(0, 15))).toBe(false);
	});

	it('row 7: different length signature returns false instead of throwing in timingSafeEqual', () => {
		expect(() => verifySha256(UPLIFT_SECRET, body, UPLIFT_SIG + '00')).not.toThrow();
		expect(verifySha256(UPLIFT_SECRET, body, UPLIFT_SIG + '00')).toBe(false);
		expect(verifySha256(UPLIFT_SECRET, body, 'sha256=é' + 'a'.repeat(62))).toBe(false);
	});

	it('row 8: wrong secret', () => {
		expect(verifyUpliftSignature(body, UPLIFT_SIG, { current: 'another secret' })).toEqual({ valid: false, reason: 'mismatch' });
	});

	it('row 20: rotation — valid current + bogus previous, bogus current + valid previous, all bogus', () => {
		expect(verifyUpliftSignature(body, UPLIFT_SIG, { current: UPLIFT_SECRET, previous: 'bogus' })).toEqual({ valid: true, matched: 'current' });
		expect(verifyUpliftSignature(body, UPLIFT_SIG, { current: 'bogus', previous: UPLIFT_SECRET })).toEqual({ valid: true, matched: 'previous' });
		expect(verifyUpliftSignature(body, UPLIFT_SIG, { current: 'bogus', previous: 'also bogus' })).toEqual({ valid: false, reason: 'mismatch' });
	});

	it('row 21: tampered or re-serialised body', () => {
		expect(verifyUpliftSignature(Buffer.from('{"key": "valuE"}'), UPLIFT_SIG, secrets).valid).toBe(false);
		expect(verifyUpliftSignature(Buffer.from(JSON.stringify(JSON.parse(UPLIFT_BODY))), UPLIFT_SIG, secrets).valid).toBe(false);
		expect(verifyUpliftSignature(Buffer.from(UPLIFT_BODY + '\n'), UPLIFT_SIG, secrets).valid).toBe(false);
	});

	it('row 22: a parsed object instead of the raw body is rejected', () => {
		expect(verifySha256(UPLIFT_SECRET, JSON.parse(UPLIFT_BODY), UPLIFT_SIG)).toBe(false);
		expect(verifySha256(UPLIFT_SECRET, new Date() as unknown as Buffer, UPLIFT_SIG)).toBe(false);
	});

	it('row 23: payload as Buffer, Uint8Array or string all verify', () => {
		expect(verifySha256(UPLIFT_SECRET, Buffer.from(UPLIFT_BODY), UPLIFT_SIG)).toBe(true);
		expect(verifySha256(UPLIFT_SECRET, new Uint8Array(Buffer.from(UPLIFT_BODY)), UPLIFT_SIG)).toBe(true);
		expect(verifySha256(UPLIFT_SECRET, UPLIFT_BODY, UPLIFT_SIG)).toBe(true);
	});

	it('row 24: a multi-valued (array) header is rejected', () => {
		expect(verifyUpliftSignature(body, [UPLIFT_SIG, UPLIFT_SIG], secrets)).toEqual({ valid: false, reason: 'malformed' });
	});

	it('row 25: unicode and escape sequences are verified over the exact bytes', () => {
		const lower = Buffer.from('{"name":"Zoë \\u001b ü 🏃"}');
		const upper = Buffer.from('{"name":"Zoë \\u001B ü 🏃"}');
		const sig = signSha256('s', lower);
		expect(verifyUpliftSignature(lower, sig, { current: 's' }).valid).toBe(true);
		expect(verifyUpliftSignature(upper, sig, { current: 's' }).valid).toBe(false);
	});

	it('row 27: a valid signature over invalid JSON still verifies (the 400 comes from parsing)', () => {
		const notJson = Buffer.from('{"key": ');
		expect(verifyUpliftSignature(notJson, signSha256('s', notJson), { current: 's' }).valid).toBe(true);
	});

	it('row 30: no secret configured is reported as such, not as a pass', () => {
		expect(verifyUpliftSignature(body, UPLIFT_SIG, { current: '' })).toEqual({ valid: false, reason: 'noSecret' });
		expect(verifySha256('', body, UPLIFT_SIG)).toBe(false);
	});

	it('accepts an upper-case copy of the hex digest', () => {
		expect(verifyUpliftSignature(body, UPLIFT_SIG.toUpperCase(), secrets).valid).toBe(true);
	});
});

describe('safeEqualStrings (URL tokens)', () => {
	it('compares exactly, whatever the lengths', () => {
		expect(safeEqualStrings('token-123', 'token-123')).toBe(true);
		expect(safeEqualStrings('token-123', 'token-124')).toBe(false);
		expect(safeEqualStrings('token-123', 'token-1234')).toBe(false);
		expect(safeEqualStrings('token-123', '')).toBe(false);
		expect(safeEqualStrings('token-123', undefined)).toBe(false);
		expect(safeEqualStrings('token-123', ['token-123'])).toBe(false);
		expect(safeEqualStrings('', '')).toBe(false);
	});
});

describe('verifyUpliftSignature with a parsed body', () => {
	it('row 22: rejects a parsed object even when its JSON would match', () => {
		expect(verifyUpliftSignature(JSON.parse(UPLIFT_BODY), UPLIFT_SIG, { current: UPLIFT_SECRET })).toEqual({ valid: false, reason: 'mismatch' });
	});
});
