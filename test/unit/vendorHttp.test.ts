import type { IHttpRequestOptions, IN8nHttpFullResponse } from 'n8n-workflow';

import {
	describeFailure,
	isRetryable,
	isSafeMethod,
	parseRetryAfter,
	readHttpError,
	retryWait,
	sendWithRetry,
} from '../../nodes/shared/vendorHttp';

describe('sendWithRetry', () => {
	const full = (statusCode: number, headers: Record<string, string> = {}, body = 'x'): IN8nHttpFullResponse => ({ statusCode, headers, body });

	function scripted(responses: Array<IN8nHttpFullResponse | Error>) {
		const seen: IHttpRequestOptions[] = [];
		const send = async (options: IHttpRequestOptions) => {
			seen.push(options);
			const next = responses.shift();
			if (!next) throw new Error('no more responses');
			if (next instanceof Error) throw next;
			return next;
		};
		return { send, seen };
	}

	it('honours Retry-After in seconds', async () => {
		const { send } = scripted([full(429, { 'retry-after': '1' }), full(200)]);
		const started = Date.now();
		const result = await sendWithRetry(send, { url: 'http://x' }, { maxRetries: 2, timeoutMs: 1000, baseDelayMs: 10 });
		expect(result).toMatchObject({ ok: true, attempts: 2 });
		expect(Date.now() - started).toBeGreaterThanOrEqual(950);
	});

	it('does not retry a 404 and reports it as not transient', async () => {
		const { send, seen } = scripted([full(404)]);
		const result = await sendWithRetry(send, { url: 'http://x' }, { maxRetries: 3, timeoutMs: 1000 });
		expect(result).toMatchObject({ ok: false, statusCode: 404, transient: false, attempts: 1 });
		expect(seen).toHaveLength(1);
	});

	it('stops at the deadline instead of sleeping past it', async () => {
		// With the clock stopped, a wait of any length never ends: the result must come without one.
		jest.useFakeTimers();
		try {
			const { send, seen } = scripted([full(503, { 'retry-after': '30' }), full(200)]);
			let settled = false;
			const pending = sendWithRetry(send, { url: 'http://x' }, { maxRetries: 3, timeoutMs: 1000, deadlineMs: 2000 }).finally(() => (settled = true));
			await jest.advanceTimersByTimeAsync(0); // runs what is ready now, moves the clock by nothing
			expect(settled).toBe(true);
			// at most the timeout race's 100 ms step is left, never the 30 s Retry-After
			await jest.advanceTimersByTimeAsync(100);
			expect(jest.getTimerCount()).toBe(0);
			const result = await pending;
			expect(result).toMatchObject({ ok: false, statusCode: 503, transient: true, attempts: 1 });
			expect(seen).toHaveLength(1);
		} finally {
			await jest.runAllTimersAsync();
			jest.useRealTimers();
		}
	});

	it('gives each attempt at most the remaining time', async () => {
		const { send, seen } = scripted([full(200)]);
		await sendWithRetry(send, { url: 'http://x' }, { maxRetries: 0, timeoutMs: 60_000, deadlineMs: 3000 });
		expect(seen[0].timeout).toBeLessThanOrEqual(3000);
		expect(seen[0].returnFullResponse).toBe(true);
	});

	it('reads status and Retry-After from errors thrown by n8n helpers when asked to throw', async () => {
		const thrown = Object.assign(new Error('Request failed'), { httpCode: '429', cause: { response: { status: 429, headers: { 'retry-after': '0' } } } });
		const { send, seen } = scripted([thrown, full(200)]);
		const result = await sendWithRetry(send, { url: 'http://x' }, { maxRetries: 1, timeoutMs: 1000, throwHttpErrors: true });
		expect(result).toMatchObject({ ok: true, attempts: 2 });
		expect(seen[0].ignoreHttpStatusErrors).toBe(false);
	});

	it('treats network errors as transient and keeps their code', async () => {
		const err = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' });
		const { send } = scripted([err]);
		const result = await sendWithRetry(send, { url: 'http://x' }, { maxRetries: 0, timeoutMs: 1000 });
		expect(result).toMatchObject({ ok: false, transient: true });
		expect(!result.ok && result.error).toMatch(/ECONNREFUSED/);
	});

	it('parses Retry-After dates', () => {
		const now = Date.UTC(2026, 0, 1, 0, 0, 0);
		expect(parseRetryAfter(new Date(now + 5000).toUTCString(), now)).toBe(5000);
		expect(parseRetryAfter('2', now)).toBe(2000);
		expect(parseRetryAfter('soon', now)).toBeUndefined();
	});

	it('retries a 429 for a POST, but not a 503 or a network error', async () => {
		const post = { url: 'http://x', method: 'POST' as const };
		const throttled = scripted([full(429, { 'retry-after': '0' }), full(201)]);
		expect(await sendWithRetry(throttled.send, post, { maxRetries: 2 })).toMatchObject({ ok: true, attempts: 2 });
		const down = scripted([full(503), full(201)]);
		expect(await sendWithRetry(down.send, post, { maxRetries: 2 })).toMatchObject({ ok: false, statusCode: 503, transient: true, attempts: 1 });
		const unreachable = scripted([Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }), full(201)]);
		expect(await sendWithRetry(unreachable.send, post, { maxRetries: 2 })).toMatchObject({ ok: false, attempts: 1 });
	});

	it('retries a 503 for a PUT that says it is safe to repeat', async () => {
		const { send } = scripted([full(503), full(200)]);
		const result = await sendWithRetry(send, { url: 'http://x', method: 'PUT' }, { maxRetries: 1, baseDelayMs: 1, safeToRepeat: true });
		expect(result).toMatchObject({ ok: true, attempts: 2 });
	});

	it('fails at once when Retry-After asks for more than the longest wait', async () => {
		const { send, seen } = scripted([full(429, { 'retry-after': '120' }), full(200)]);
		const started = Date.now();
		const result = await sendWithRetry(send, { url: 'http://x' }, { maxRetries: 3, maxWaitMs: 60_000 });
		expect(result).toMatchObject({ ok: false, statusCode: 429, transient: true, attempts: 1 });
		expect(seen).toHaveLength(1);
		expect(Date.now() - started).toBeLessThan(500);
	});

	it('does not retry an error the policy calls a refusal, and keeps its message', async () => {
		const { send, seen } = scripted([new Error('Check the credential: wrong password'), full(200)]);
		const result = await sendWithRetry(send, { url: 'http://x' }, { maxRetries: 3, refusal: (e) => (e as Error).message });
		expect(result).toMatchObject({ ok: false, refused: true, transient: false, attempts: 1, error: 'Check the credential: wrong password' });
		expect(seen).toHaveLength(1);
	});

	it('bounds an attempt that never answers (a hanging sign-in) by the timeout', async () => {
		const send = async () => await new Promise<IN8nHttpFullResponse>(() => undefined);
		const started = Date.now();
		const result = await sendWithRetry(send, { url: 'http://x' }, { maxRetries: 0, timeoutMs: 200 });
		expect(result).toMatchObject({ ok: false, transient: true, error: 'request timed out', code: 'ETIMEDOUT' });
		expect(Date.now() - started).toBeLessThan(1000);
	});

	it('keeps the vendor answer of a returned error for the caller', async () => {
		const { send } = scripted([full(422, {}, '{"message":"amount is missing"}')]);
		const result = await sendWithRetry(send, { url: 'http://x' }, { maxRetries: 1 });
		expect(result).toMatchObject({ ok: false, statusCode: 422, transient: false, vendorBody: { message: 'amount is missing' } });
	});
});

describe('readHttpError', () => {
	const now = Date.UTC(2026, 0, 1);

	it('prefers the status on the wire to n8n\'s httpCode, and uses httpCode when there is no answer', () => {
		const wrapped = { httpCode: '400', cause: { response: { status: 503 } } };
		expect(readHttpError(wrapped, now).statusCode).toBe(400); // the outer level has a status: it wins
		expect(readHttpError({ httpCode: '400', response: { status: 503 } }, now).statusCode).toBe(503);
		expect(readHttpError({ httpCode: 'ECONNREFUSED', code: 'ECONNREFUSED' }, now)).toMatchObject({ statusCode: undefined, code: 'ECONNREFUSED' });
		expect(readHttpError({ statusCode: 502 }, now).statusCode).toBe(502);
	});

	it('walks the cause chain five levels deep for status, Retry-After, body and code', () => {
		const deepest = { code: 'E_DEEP', response: { status: 429, headers: { 'retry-after': '3' }, data: '{"error":"slow down"}' } };
		const chain = { message: 'outer', cause: { cause: { cause: { cause: deepest } } } };
		expect(readHttpError(chain, now)).toMatchObject({ statusCode: 429, retryAfterMs: 3000, vendorBody: { error: 'slow down' }, code: 'E_DEEP', message: 'outer' });
		expect(readHttpError({ cause: chain }, now).statusCode).toBeUndefined(); // a sixth level is not read
	});

	it('keeps only the first line of the message: n8n errors carry the request further down', () => {
		const error = new Error('connect ECONNREFUSED 127.0.0.1:1\nAuthorization: Bearer secret-token');
		const facts = readHttpError(Object.assign(error, { code: 'ECONNREFUSED' }), now);
		expect(describeFailure(facts)).toBe('ECONNREFUSED: connect ECONNREFUSED 127.0.0.1:1');
		expect(JSON.stringify(facts)).not.toContain('secret-token');
	});
});

describe('retry rules', () => {
	it('describes a failure by status first, then as a timeout, then by code', () => {
		expect(describeFailure({ statusCode: 504, message: 'Gateway timed out - perhaps try again later?' })).toBe('HTTP 504');
		expect(describeFailure({ code: 'ECONNABORTED', message: 'aborted' })).toBe('request timed out');
		expect(describeFailure({ message: 'timeout of 1000ms exceeded' })).toBe('request timed out');
	});

	it('retries 429 always and the other transient failures only when safe to repeat', () => {
		expect(isRetryable(429, false)).toBe(true);
		expect(isRetryable(503, false)).toBe(false);
		expect(isRetryable(undefined, false)).toBe(false);
		expect(isRetryable(503, true)).toBe(true);
		expect(isRetryable(undefined, true)).toBe(true);
		expect(isRetryable(404, true)).toBe(false);
		expect(isSafeMethod('GET')).toBe(true);
		expect(isSafeMethod('POST')).toBe(false);
	});

	it('waits for Retry-After up to the longest wait, else doubles the back-off up to it', () => {
		expect(retryWait(0, 2000, 500, 30_000)).toBe(2000);
		expect(retryWait(0, 30_001, 500, 30_000)).toBeUndefined();
		expect(retryWait(0, undefined, 500, 30_000)).toBe(500);
		expect(retryWait(2, undefined, 500, 30_000)).toBe(2000);
		expect(retryWait(10, undefined, 500, 30_000)).toBe(30_000);
	});
});
