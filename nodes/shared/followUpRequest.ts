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

function describeError(error: unknown): { message: string; statusCode?: number } {
	const e = error as { message?: unknown; code?: unknown; cause?: { code?: unknown }; httpCode?: unknown };
	const code = typeof e?.code === 'string' ? e.code : typeof e?.cause?.code === 'string' ? e.cause.code : '';
	const message = typeof e?.message === 'string' ? e.message : String(error);
	const statusCode = typeof e?.httpCode === 'string' && /^\d+$/.test(e.httpCode) ? Number(e.httpCode) : undefined;
	if (code === 'ECONNABORTED' || /timeout/i.test(message)) return { message: 'request timed out', statusCode };
	// Keep only the first line: n8n errors can carry request details further down.
	return { message: (code ? `${code}: ` : '') + message.split('\n')[0].slice(0, 300), statusCode };
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
				ignoreHttpStatusErrors: true,
			});
			const statusCode = response.statusCode;
			if (statusCode >= 200 && statusCode < 300) {
				return { ok: true, statusCode, body: response.body, headers: response.headers ?? {}, attempts };
			}
			const transient = RETRYABLE_STATUS.has(statusCode);
			last = { ok: false, statusCode, error: `HTTP ${statusCode}`, transient, attempts };
			if (!transient) return last;
			retryAfterMs = parseRetryAfter((response.headers ?? {})['retry-after'], now());
		} catch (error) {
			const { message, statusCode } = describeError(error);
			const transient = statusCode === undefined || RETRYABLE_STATUS.has(statusCode);
			last = { ok: false, statusCode, error: message, transient, attempts };
			if (!transient) return last;
		}
		if (retry === policy.maxRetries) break;
		const backoff = Math.min(maxDelay, baseDelay * 2 ** retry);
		const wait = Math.min(maxDelay, retryAfterMs ?? backoff);
		if (now() + wait >= deadline) break;
		await sleep(wait);
	}
	return { ...last, attempts };
}
