import { NodeApiError, NodeOperationError, sleep } from 'n8n-workflow';
import type {
	IDataObject,
	IExecuteFunctions,
	IHttpRequestMethods,
	IHttpRequestOptions,
	IN8nHttpFullResponse,
	JsonObject,
} from 'n8n-workflow';

import { runsAsTool, withAdvice } from './operations';
import { describeKeys } from './singleRecord';

/**
 * The one place this package talks HTTP to Uphance, Uplift and Uplift's download links: one error
 * reader (`readHttpError`), one retry loop driven by a `RetryPolicy` (`sendWithRetry`), one timeout
 * mechanism (the attempt's time budget). The caller passes the n8n request helper to use, so
 * credentials stay inside n8n.
 *
 * What is retried: 429 for every method, because the vendor did not process the request; 408, 425,
 * 5xx, timeouts and network errors only for requests that are safe to repeat (GET, and the
 * idempotent PUTs that say so), never for a POST that creates something. A `Retry-After` is waited
 * for when it fits in `maxWaitMs`; a longer one ends the retries.
 *
 * The loop never throws: it returns a result object. The trigger follow-ups use that object as it is
 * (a failed follow-up is described in the item, the event is never lost); the action nodes go
 * through `vendorRequest`, which turns a failure into a `NodeApiError`, as n8n expects from them.
 */

export type SendRequest = (options: IHttpRequestOptions) => Promise<IN8nHttpFullResponse>;

/** What the send helpers need of any n8n context (webhook, trigger, execute). */
interface HttpContext {
	helpers: Pick<IExecuteFunctions['helpers'], 'httpRequest' | 'httpRequestWithAuthentication'>;
}

/**
 * Requests through n8n with the credential of `credentialType` (n8n adds its authentication: the
 * Uphance session, the Uplift key). Every call to a vendor API in this package goes through here.
 */
export function authenticatedSend(ctx: HttpContext, credentialType: string): SendRequest {
	return async (options) =>
		(await ctx.helpers.httpRequestWithAuthentication.call(
			ctx as IExecuteFunctions,
			credentialType,
			options,
		)) as IN8nHttpFullResponse;
}

/** Requests through n8n without a credential: pre-signed links, where an Authorization header could upset the storage origin. */
export function plainSend(ctx: HttpContext): SendRequest {
	return async (options) => (await ctx.helpers.httpRequest(options)) as IN8nHttpFullResponse;
}

export interface RetryPolicy {
	/** retries after the first attempt */
	maxRetries: number;
	/** limit of one attempt, sign-in included; none when undefined */
	timeoutMs?: number;
	/** the whole call, retries and waits included, ends this long after it started */
	deadlineMs?: number;
	/** first back-off step without Retry-After; doubles per retry (default 500 ms) */
	baseDelayMs?: number;
	/** longest single wait: back-off stops growing there, a longer Retry-After fails (default 30 s) */
	maxWaitMs?: number;
	/** retry 408/425/5xx, timeouts and network errors too (default: for GET and HEAD only) */
	safeToRepeat?: boolean;
	/**
	 * Let HTTP errors be thrown instead of returned. Needed with credentials that use
	 * `preAuthentication`: n8n renews the session token only when a request *throws* a 401.
	 */
	throwHttpErrors?: boolean;
	/** a thrown error no retry can fix (a refused sign-in): its message; it is not retried */
	refusal?: (error: unknown) => string | undefined;
}

export interface HttpSuccess {
	ok: true;
	statusCode: number;
	body: unknown;
	headers: IDataObject;
	attempts: number;
}

export interface HttpFailure {
	ok: false;
	/** HTTP status of the last attempt, when there was an answer */
	statusCode?: number;
	/** what went wrong in one line fit for an output item: never the request, its headers or a stack */
	error: string;
	/** a later try could succeed (429, 408, 425, 5xx, timeout, network) */
	transient: boolean;
	attempts: number;
	/** the vendor's answer, for a caller that shows the vendor's own words */
	vendorBody?: unknown;
	/** the network error code (ECONNREFUSED, ETIMEDOUT, …) when there was no answer */
	code?: string;
	/** `policy.refusal` recognised the error: `error` is its message */
	refused: boolean;
	/** the vendor's Retry-After of the last answer (ms), when it sent one */
	retryAfterMs?: number;
}

export type HttpResult = HttpSuccess | HttpFailure;

/** Statuses worth another try of a request that is safe to repeat; 429 is retried for every request. */
const REPEATABLE_STATUS = new Set([408, 425, 500, 502, 503, 504]);

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

/** What an HTTP failure says, read from a thrown error or a returned non-2xx answer. */
export interface ErrorFacts {
	statusCode?: number;
	retryAfterMs?: number;
	vendorBody?: unknown;
	code?: string;
	/** first line of the outermost error's message (empty for an answer) */
	message: string;
}

interface ThrownError {
	message?: unknown;
	httpCode?: unknown;
	statusCode?: unknown;
	code?: unknown;
	description?: unknown;
	response?: { status?: unknown; headers?: IDataObject; data?: unknown; body?: unknown };
	cause?: ThrownError;
}

function parseMaybeJson(value: unknown): unknown {
	if (typeof value !== 'string') return value;
	try {
		return JSON.parse(value);
	} catch {
		return value;
	}
}

function statusOf(e: ThrownError): number | undefined {
	// The status on the wire first; n8n's `httpCode` is its own reading (it may come from a field of
	// the body) and the only one when no response is attached.
	if (typeof e.response?.status === 'number') return e.response.status;
	if (typeof e.httpCode === 'string' && /^\d{3}$/.test(e.httpCode)) return Number(e.httpCode);
	if (typeof e.statusCode === 'number') return e.statusCode;
	return undefined;
}

/**
 * Status, Retry-After, the vendor's body and the network code from an error thrown by n8n's request
 * helpers. n8n wraps the HTTP client's error (NodeApiError → AxiosError → system error), so the
 * `cause` chain is walked, five levels at most; the first level that has a fact gives it.
 */
export function readHttpError(error: unknown, nowMs: number): ErrorFacts {
	const first = error as ThrownError | undefined;
	const message = typeof first?.message === 'string' ? first.message : String(error);
	// Only the first line: n8n errors can carry request details further down.
	const facts: ErrorFacts = { message: message.split('\n')[0].slice(0, 300) };
	let e = first;
	for (let depth = 0; e && depth < 5; depth++, e = e.cause) {
		facts.statusCode ??= statusOf(e);
		facts.retryAfterMs ??= parseRetryAfter(e.response?.headers?.['retry-after'], nowMs);
		if (facts.vendorBody === undefined) {
			const body = e.response?.data ?? e.response?.body;
			if (body !== undefined && body !== null && body !== '')
				facts.vendorBody = parseMaybeJson(body);
			else if (typeof e.description === 'string' && e.description !== '')
				facts.vendorBody = parseMaybeJson(e.description);
		}
		if (facts.code === undefined && typeof e.code === 'string') facts.code = e.code;
	}
	return facts;
}

/** The same facts from an answer n8n returned instead of throwing (`ignoreHttpStatusErrors`). */
function readHttpAnswer(response: IN8nHttpFullResponse, nowMs: number): ErrorFacts {
	const body = response.body as unknown;
	return {
		statusCode: response.statusCode,
		retryAfterMs: parseRetryAfter((response.headers ?? {})['retry-after'], nowMs),
		vendorBody: body === '' || body === null ? undefined : parseMaybeJson(body),
		message: '',
	};
}

/** One line for an output item: `HTTP 503`, `request timed out` or `ECONNREFUSED: connect …`. */
export function describeFailure(facts: ErrorFacts): string {
	if (facts.statusCode !== undefined) return `HTTP ${facts.statusCode}`;
	if (facts.code === 'ECONNABORTED' || facts.code === 'ETIMEDOUT') return 'request timed out';
	if (/timeout|timed out/i.test(facts.message)) return 'request timed out';
	return (facts.code ? `${facts.code}: ` : '') + facts.message;
}

/** A later try could succeed: no answer at all, rate limited, or a status that says "try again". */
export function isTransient(statusCode: number | undefined): boolean {
	return statusCode === undefined || statusCode === 429 || REPEATABLE_STATUS.has(statusCode);
}

/** Whether to try again: 429 always (not processed), the other transient failures only when safe. */
export function isRetryable(statusCode: number | undefined, safeToRepeat: boolean): boolean {
	if (statusCode === 429) return true;
	return safeToRepeat && isTransient(statusCode);
}

/** GET and HEAD change nothing; other methods are repeated only when the caller says so. */
export function isSafeMethod(method: IHttpRequestMethods | undefined): boolean {
	return method === undefined || method === 'GET' || method === 'HEAD';
}

/**
 * How long to wait before retry number `retry` (0 for the first), or undefined to stop: a
 * Retry-After above `maxWaitMs` asks for more patience than the call has, so it fails now.
 */
export function retryWait(
	retry: number,
	retryAfterMs: number | undefined,
	baseDelayMs: number,
	maxWaitMs: number,
): number | undefined {
	if (retryAfterMs !== undefined) return retryAfterMs <= maxWaitMs ? retryAfterMs : undefined;
	return Math.min(maxWaitMs, baseDelayMs * 2 ** retry);
}

/**
 * Ends the wait for `work` after `limitMs`. n8n's request `timeout` bounds only the data request,
 * not the `preAuthentication` calls (Uphance's sign-in) n8n makes before it, so the race bounds the
 * whole attempt.
 */
async function withinTime<T>(work: Promise<T>, limitMs: number | undefined): Promise<T> {
	if (limitMs === undefined) return await work;
	let finished = false;
	const answer = work.finally(() => (finished = true)).then((value) => ({ value }));
	const timeout = (async () => {
		// Short sleeps, not one long one: n8n-workflow's `sleep` cannot be cancelled (`sleepWithAbort`
		// is not in 2.40's), and a long timer would outlive every request that answers in time.
		const end = Date.now() + limitMs + 50;
		while (!finished && Date.now() < end) await sleep(Math.min(100, end - Date.now()));
		return 'timeout' as const;
	})();
	// Promise.race handles a rejection of `answer` that comes after the timeout won.
	const winner = await Promise.race([answer, timeout]);
	if (winner === 'timeout') {
		throw Object.assign(new Error(`timeout of ${limitMs}ms exceeded`), { code: 'ETIMEDOUT' });
	}
	return winner.value;
}

function failureOf(facts: ErrorFacts, refusal: string | undefined, attempts: number): HttpFailure {
	return {
		ok: false,
		statusCode: facts.statusCode,
		error: refusal ?? describeFailure(facts),
		transient: refusal === undefined && isTransient(facts.statusCode),
		attempts,
		vendorBody: facts.vendorBody,
		code: facts.code,
		refused: refusal !== undefined,
		...(facts.retryAfterMs !== undefined ? { retryAfterMs: facts.retryAfterMs } : {}),
	};
}

/** One request with retries, per `policy`. Never throws: a failure is described in the result. */
export async function sendWithRetry(
	send: SendRequest,
	options: IHttpRequestOptions,
	policy: RetryPolicy,
	now: () => number = Date.now,
): Promise<HttpResult> {
	const deadline = policy.deadlineMs !== undefined ? now() + policy.deadlineMs : Infinity;
	const safeToRepeat = policy.safeToRepeat ?? isSafeMethod(options.method);
	let failure = failureOf({ message: 'not attempted' }, undefined, 0);

	for (let retry = 0; ; retry++) {
		const remaining = deadline - now();
		if (remaining <= 0) return failure;
		const budget = Math.min(policy.timeoutMs ?? Infinity, remaining);
		const limitMs = Number.isFinite(budget) ? Math.max(1, budget) : undefined;
		const attempts = retry + 1;
		let facts: ErrorFacts;
		let refusal: string | undefined;
		try {
			const response = await withinTime(
				send({
					...options,
					...(limitMs !== undefined ? { timeout: limitMs } : {}),
					returnFullResponse: true,
					ignoreHttpStatusErrors: !policy.throwHttpErrors,
				}),
				limitMs,
			);
			const statusCode = response.statusCode;
			if (statusCode >= 200 && statusCode < 300) {
				const headers = response.headers ?? {};
				return { ok: true, statusCode, body: response.body, headers, attempts };
			}
			facts = readHttpAnswer(response, now());
		} catch (error) {
			facts = readHttpError(error, now());
			refusal = policy.refusal?.(error);
		}
		failure = failureOf(facts, refusal, attempts);
		// A refused sign-in is not retried: each retry would sign in again, and be refused again.
		if (refusal !== undefined || retry >= policy.maxRetries) return failure;
		if (!isRetryable(facts.statusCode, safeToRepeat)) return failure;
		const wait = retryWait(
			retry,
			facts.retryAfterMs,
			policy.baseDelayMs ?? 500,
			policy.maxWaitMs ?? 30_000,
		);
		if (wait === undefined || now() + wait >= deadline) return failure;
		await sleep(wait);
	}
}

/** The vendor's own words: `message`, `error_description`, `error` or `errors`, one line. */
export function vendorMessage(body: unknown): string | undefined {
	if (typeof body === 'string') return body.split('\n')[0].slice(0, 300) || undefined;
	if (typeof body !== 'object' || body === null) return undefined;
	const b = body as IDataObject;
	for (const key of ['message', 'error_description', 'errorMessage', 'error', 'errors', 'detail']) {
		const value = b[key];
		if (typeof value === 'string' && value.trim() !== '') return value.slice(0, 300);
		if (Array.isArray(value) && value.length > 0)
			return value
				.map((v) => (typeof v === 'string' ? v : JSON.stringify(v)))
				.join('; ')
				.slice(0, 300);
		if (typeof value === 'object' && value !== null) {
			const inner = vendorMessage(value);
			if (inner) return inner;
		}
	}
	return undefined;
}

/** A vendor's API as the action nodes call it. */
export interface VendorApi {
	vendor: 'Uphance' | 'Uplift';
	credentialType: 'uphanceApi' | 'upliftApi';
	/** the base URL from the credential's `baseUrl` */
	baseUrl: (value: unknown) => string;
	/** see RetryPolicy.refusal */
	refusal?: (error: unknown) => string | undefined;
}

export interface ApiRequestOptions {
	qs?: IDataObject;
	body?: IDataObject;
	/** default: GET only */
	safeToRepeat?: boolean;
}

/**
 * Action nodes: up to 3 retries, waits up to 60 s (an agent or a workflow run can wait that long).
 * HTTP errors are thrown by n8n, so that it renews an Uphance session on a 401.
 */
const ACTION_POLICY: RetryPolicy = {
	maxRetries: 3,
	baseDelayMs: 1000,
	maxWaitMs: 60_000,
	throwHttpErrors: true,
};

/**
 * `method path` against the base URL in the vendor's credential; resolves to the parsed JSON body.
 * The thin edge of `sendWithRetry` for action nodes: n8n expects them to throw (Continue On Fail and
 * the error output work from the thrown error), so a failure becomes a NodeApiError here.
 */
export async function vendorRequest(
	ctx: IExecuteFunctions,
	api: VendorApi,
	itemIndex: number,
	method: IHttpRequestMethods,
	path: string,
	options: ApiRequestOptions = {},
): Promise<IDataObject> {
	const credentials = await ctx.getCredentials(api.credentialType);
	const request: IHttpRequestOptions = {
		method,
		url: `${api.baseUrl(credentials.baseUrl)}${path}`,
		json: true,
		headers: { Accept: 'application/json' },
	};
	if (options.qs && Object.keys(options.qs).length > 0) request.qs = options.qs;
	if (options.body !== undefined) request.body = options.body;
	const result = await sendWithRetry(authenticatedSend(ctx, api.credentialType), request, {
		...ACTION_POLICY,
		safeToRepeat: options.safeToRepeat,
		refusal: api.refusal,
	});
	if (!result.ok) throw vendorError(ctx, api.vendor, `${method} ${path}`, itemIndex, result);
	const body = result.body;
	if (body === undefined || body === null || body === '') return {};
	if (typeof body === 'string') return { response: body };
	return body as IDataObject;
}

/**
 * What an agent can do about a vendor's answer, when the node runs as a tool (docs/mcp.md, "Errors
 * the agent sees"): n8n appends it to the message the agent reads. Undefined: the message says it.
 */
export function toolAdvice(vendor: string, statusCode: number): string | undefined {
	if (statusCode === 404)
		return `Nothing with that ID in ${vendor}: check the ID (a find or list tool gives IDs).`;
	if (statusCode === 400 || statusCode === 422)
		return `${vendor} refused the arguments: correct them as its message says, then call again.`;
	if (statusCode === 401)
		return `n8n's ${vendor} credential was refused; calling again will not help. The user must fix the credential in n8n.`;
	if (statusCode === 403)
		return `The ${vendor} user behind n8n's credential may not do this; calling again will not help.`;
	if (statusCode === 429)
		return `${vendor} is limiting the rate of requests: wait a minute, then call again.`;
	if (statusCode >= 500) return `${vendor} failed to answer: try again later.`;
	return undefined;
}

/**
 * The error an action node throws, built from the vendor's answer only, never from the request
 * (which carries the Authorization header). The message says what happened and what to do.
 */
function vendorError(
	ctx: IExecuteFunctions,
	vendor: string,
	what: string,
	itemIndex: number,
	failure: HttpFailure,
): NodeApiError | NodeOperationError {
	if (failure.refused) return new NodeOperationError(ctx.getNode(), failure.error, { itemIndex });
	if (failure.statusCode === undefined) {
		// No answer: keep the error code only; the thrown error holds the request and its headers.
		return new NodeOperationError(
			ctx.getNode(),
			`${vendor} could not be reached (${what}): ${failure.code ?? 'network error'}`,
			{ itemIndex },
		);
	}
	const said = vendorMessage(failure.vendorBody);
	const body: JsonObject =
		typeof failure.vendorBody === 'object' && failure.vendorBody !== null
			? (failure.vendorBody as JsonObject)
			: { message: said ?? `HTTP ${failure.statusCode}` };
	const hint =
		failure.statusCode === 429
			? ' (rate limited; retries used up or Retry-After too long)'
			: failure.statusCode === 404
				? ' (not found)'
				: '';
	// The request (method and path, never the query or headers) is in the message: a vendor's own
	// words may not name the record (Uplift's documented 404 says only "Capture not found."), and
	// with Continue On Fail the message is all the item keeps.
	// As a tool, what to do goes into the message (queue mode passes on only the message).
	const message = `${vendor} answered HTTP ${failure.statusCode}${hint} to ${what}: ${said ?? 'no message'}`;
	const advice = runsAsTool(ctx) ? toolAdvice(vendor, failure.statusCode) : undefined;
	return new NodeApiError(ctx.getNode(), body, {
		message: advice ? withAdvice(message, advice) : message,
		description: `${what} failed with HTTP ${failure.statusCode}.`,
		httpCode: String(failure.statusCode),
		itemIndex,
	});
}

/**
 * The error of a 2xx answer in a form the node does not know (a list without its list): only names
 * go into it, the message and the answer's top-level keys, since n8n shows and stores its response
 * part. The one builder for both vendors' list readers (uphanceList, upliftList).
 */
export function unexpectedAnswerError(
	ctx: IExecuteFunctions,
	itemIndex: number,
	message: string,
	body: unknown,
): NodeApiError {
	return new NodeApiError(
		ctx.getNode(),
		{ message, topLevelKeys: describeKeys(body) },
		{ message, itemIndex },
	);
}
