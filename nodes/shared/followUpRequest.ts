import { sleep } from 'n8n-workflow';
import type { IDataObject, IHttpRequestOptions, IN8nHttpFullResponse } from 'n8n-workflow';

/**
 * Follow-up HTTP calls (record fetches, CSV downloads) with a per-attempt timeout, an overall
 * deadline, and retries on 429/5xx and network errors that honour `Retry-After`.
 * The caller passes the n8n request helper to use, so credentials stay inside n8n.
 */

export type SendRequest = (options: IHttpRequestOptions) => Promise<IN8nHttpFullResponse>;

export interface RetryPolicy {
	/** retries after the first attempt */
	maxRetries: number;
	/** per-attempt timeout */
	timeoutMs: number;
	/** the whole call, waits included, ends by then */
	deadlineMs?: number;
	/** first back-off step; doubles per retry */
	baseDelayMs?: number;
	/** longest single wait, even when Retry-After asks for more */
	maxDelayMs?: number;
	/**
	 * Let HTTP errors be thrown instead of returned. Needed with credentials that use
	 * `preAuthentication`: n8n renews the session token only when a request *throws* a 401.
	 */
	throwHttpErrors?: boolean;
}

export type FollowUpResult =
	| { ok: true; statusCode: number; body: unknown; headers: IDataObject; attempts: number }
	| {
			ok: false;
			/** HTTP status of the last attempt, when there was a response */
			statusCode?: number;
			/** what went wrong, fit for an output item (no secrets, no stack) */
			error: string;
			/** true when a later retry could succeed (429, 5xx, timeout, network) */
			transient: boolean;
			attempts: number;
	  };

const RETRYABLE_STATUS = new Set([408, 425, 429, 500, 502, 503, 504]);

/** Seconds or an HTTP date, as `Retry-After` allows; undefined when absent or unreadable. */
export function parseRetryAfter(value: unknown, nowMs: number): number | undefined {
	const text = Array.isArray(value) ? value[0] : value;
	if (typeof text !== 'string' && typeof text !== 'number') return undefined;
	const asText = String(text).trim();
	if (/^\d+(\.\d+)?$/.test(asText)) return Math.round(Number(asText) * 1000);
	const date = Date.parse(asText);
	if (Number.isNaN(date)) return undefined;
	return Math.max(0, date - nowMs);
}

interface ThrownHttpError {
	message?: unknown;
	code?: unknown;
	httpCode?: unknown;
	response?: { status?: unknown; headers?: IDataObject };
	cause?: ThrownHttpError;
}

/** Status, Retry-After and a one-line message from an error thrown by n8n's request helpers. */
function describeError(
	error: unknown,
	nowMs: number,
): { message: string; statusCode?: number; retryAfterMs?: number } {
	const chain: ThrownHttpError[] = [];
	for (let e = error as ThrownHttpError | undefined; e && chain.length < 4; e = e.cause)
		chain.push(e);
	let statusCode: number | undefined;
	let retryAfterMs: number | undefined;
	let code = '';
	for (const e of chain) {
		if (statusCode === undefined && typeof e.httpCode === 'string' && /^\d{3}$/.test(e.httpCode))
			statusCode = Number(e.httpCode);
		if (statusCode === undefined && typeof e.response?.status === 'number')
			statusCode = e.response.status;
		if (retryAfterMs === undefined)
			retryAfterMs = parseRetryAfter(e.response?.headers?.['retry-after'], nowMs);
		if (!code && typeof e.code === 'string') code = e.code;
	}
	const first = chain[0];
	const message = typeof first?.message === 'string' ? first.message : String(error);
	if (code === 'ECONNABORTED' || code === 'ETIMEDOUT' || /timeout|timed out/i.test(message)) {
		return { message: 'request timed out', statusCode, retryAfterMs };
	}
	if (statusCode !== undefined) return { message: `HTTP ${statusCode}`, statusCode, retryAfterMs };
	// Keep only the first line: n8n errors can carry request details further down.
	return {
		message: (code ? `${code}: ` : '') + message.split('\n')[0].slice(0, 300),
		statusCode,
		retryAfterMs,
	};
}

export async function requestWithRetry(
	send: SendRequest,
	options: IHttpRequestOptions,
	policy: RetryPolicy,
	now: () => number = Date.now,
): Promise<FollowUpResult> {
	const started = now();
	const deadline = policy.deadlineMs !== undefined ? started + policy.deadlineMs : Infinity;
	const baseDelay = policy.baseDelayMs ?? 500;
	const maxDelay = policy.maxDelayMs ?? 30_000;
	let attempts = 0;
	let last: FollowUpResult = { ok: false, error: 'not attempted', transient: true, attempts: 0 };

	for (let retry = 0; retry <= policy.maxRetries; retry++) {
		const remaining = deadline - now();
		if (remaining <= 0) break;
		attempts++;
		let retryAfterMs: number | undefined;
		try {
			const response = await send({
				...options,
				timeout: Math.max(1, Math.min(policy.timeoutMs, remaining)),
				returnFullResponse: true,
				ignoreHttpStatusErrors: !policy.throwHttpErrors,
			});
			const statusCode = response.statusCode;
			if (statusCode >= 200 && statusCode < 300) {
				return {
					ok: true,
					statusCode,
					body: response.body,
					headers: response.headers ?? {},
					attempts,
				};
			}
			const transient = RETRYABLE_STATUS.has(statusCode);
			last = { ok: false, statusCode, error: `HTTP ${statusCode}`, transient, attempts };
			if (!transient) return last;
			retryAfterMs = parseRetryAfter((response.headers ?? {})['retry-after'], now());
		} catch (error) {
			const described = describeError(error, now());
			const statusCode = described.statusCode;
			const transient = statusCode === undefined || RETRYABLE_STATUS.has(statusCode);
			last = { ok: false, statusCode, error: described.message, transient, attempts };
			if (!transient) return last;
			retryAfterMs = described.retryAfterMs;
		}
		if (retry === policy.maxRetries) break;
		const backoff = Math.min(maxDelay, baseDelay * 2 ** retry);
		const wait = Math.min(maxDelay, retryAfterMs ?? backoff);
		if (now() + wait >= deadline) break;
		await sleep(wait);
	}
	return { ...last, attempts };
}
