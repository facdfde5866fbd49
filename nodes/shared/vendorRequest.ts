import { NodeApiError, NodeOperationError, sleep } from 'n8n-workflow';
import type {
	IDataObject,
	IExecuteFunctions,
	IHttpRequestMethods,
	IHttpRequestOptions,
	INodeExecutionData,
	INodeProperties,
	JsonObject,
} from 'n8n-workflow';

import { parseRetryAfter } from './followUpRequest';

/**
 * The one place the Uphance and Uplift action nodes talk HTTP. Requests go through n8n's
 * `httpRequestWithAuthentication` (so n8n adds the token, and for Uphance signs in again when a
 * request answers 401). HTTP errors are *thrown* by n8n (it only renews a session on a thrown 401);
 * this module reads status, `Retry-After` and the vendor's message from what was thrown and turns it
 * into a `NodeApiError` built from the vendor's answer only, never from the request (which carries
 * the Authorization header).
 *
 * Retries: 429 is retried after `Retry-After` (or a doubling back-off) for every method, because the
 * vendor did not process the request. 502/503/504 and network errors are retried only for requests
 * that are safe to repeat (GET, and the idempotent PUTs), never for a POST that creates something.
 */

export interface VendorPolicy {
	vendor: 'Uphance' | 'Uplift';
	credentialType: 'uphanceApi' | 'upliftApi';
	/** retries after the first attempt (default 3) */
	maxRetries?: number;
	/** longest wait for one retry; a Retry-After above this fails the call (default 60 s) */
	maxWaitMs?: number;
	/** first back-off step without Retry-After (default 1 s) */
	baseDelayMs?: number;
}

export interface VendorCall {
	method: IHttpRequestMethods;
	url: string;
	qs?: IDataObject;
	body?: IDataObject;
	/** retry 5xx and network errors too (GET and idempotent writes) */
	safeToRepeat?: boolean;
	itemIndex?: number;
}

interface ErrorFacts {
	statusCode?: number;
	retryAfterMs?: number;
	vendorBody?: unknown;
	code?: string;
}

interface ThrownError {
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

/** Status, Retry-After and the vendor's response body from an error thrown by n8n's helpers. */
export function errorFacts(error: unknown, nowMs = Date.now()): ErrorFacts {
	const facts: ErrorFacts = {};
	let e = error as ThrownError | undefined;
	for (let depth = 0; e && depth < 5; depth++, e = e.cause) {
		if (facts.statusCode === undefined) {
			if (typeof e.response?.status === 'number') facts.statusCode = e.response.status;
			else if (typeof e.httpCode === 'string' && /^\d{3}$/.test(e.httpCode))
				facts.statusCode = Number(e.httpCode);
			else if (typeof e.statusCode === 'number') facts.statusCode = e.statusCode;
		}
		if (facts.retryAfterMs === undefined && e.response?.headers)
			facts.retryAfterMs = parseRetryAfter(e.response.headers['retry-after'], nowMs);
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

const SERVER_RETRY = new Set([500, 502, 503, 504]);

function describeCall(call: VendorCall): string {
	const path = call.url.replace(/^https?:\/\/[^/]+/, '');
	return `${call.method} ${path}`;
}

/** One call with retries; resolves to the parsed JSON body. */
export async function vendorRequest(
	ctx: IExecuteFunctions,
	policy: VendorPolicy,
	call: VendorCall,
): Promise<IDataObject> {
	const maxRetries = policy.maxRetries ?? 3;
	const maxWaitMs = policy.maxWaitMs ?? 60_000;
	const baseDelayMs = policy.baseDelayMs ?? 1000;
	const options: IHttpRequestOptions = {
		method: call.method,
		url: call.url,
		json: true,
		headers: { Accept: 'application/json' },
	};
	if (call.qs && Object.keys(call.qs).length > 0) options.qs = call.qs;
	if (call.body !== undefined) options.body = call.body;

	for (let attempt = 0; ; attempt++) {
		let facts: ErrorFacts;
		try {
			const body = await ctx.helpers.httpRequestWithAuthentication.call(
				ctx,
				policy.credentialType,
				options,
			);
			if (body === undefined || body === null || body === '') return {};
			if (typeof body === 'string') return { response: body };
			return body as IDataObject;
		} catch (error) {
			facts = errorFacts(error);
		}
		const status = facts.statusCode;
		const retryable =
			status === 429 ||
			(call.safeToRepeat === true && (status === undefined || SERVER_RETRY.has(status)));
		if (retryable && attempt < maxRetries) {
			const wait = facts.retryAfterMs ?? baseDelayMs * 2 ** attempt;
			if (wait <= maxWaitMs) {
				await sleep(wait);
				continue;
			}
		}
		throw vendorError(ctx, policy.vendor, call, facts);
	}
}

function vendorError(
	ctx: IExecuteFunctions,
	vendor: string,
	call: VendorCall,
	facts: ErrorFacts,
): NodeApiError | NodeOperationError {
	const what = describeCall(call);
	if (facts.statusCode === undefined) {
		// No answer: keep the error code only; the thrown error holds the request and its headers.
		return new NodeOperationError(
			ctx.getNode(),
			`${vendor} could not be reached (${what}): ${facts.code ?? 'network error'}`,
			{ itemIndex: call.itemIndex },
		);
	}
	const said = vendorMessage(facts.vendorBody);
	const body: JsonObject =
		typeof facts.vendorBody === 'object' && facts.vendorBody !== null
			? (facts.vendorBody as JsonObject)
			: { message: said ?? `HTTP ${facts.statusCode}` };
	const hint =
		facts.statusCode === 429
			? ' (rate limited; retries used up or Retry-After too long)'
			: facts.statusCode === 404
				? ' (not found)'
				: '';
	return new NodeApiError(ctx.getNode(), body, {
		message: `${vendor} answered HTTP ${facts.statusCode}${hint}: ${said ?? 'no message'}`,
		description: `${what} failed with HTTP ${facts.statusCode}.`,
		httpCode: String(facts.statusCode),
		itemIndex: call.itemIndex,
	});
}

/** A vendor's API: its policy and how its credential's `baseUrl` becomes the base URL. */
export interface VendorApi extends VendorPolicy {
	baseUrl: (value: unknown) => string;
}

export interface ApiRequestOptions {
	qs?: IDataObject;
	body?: IDataObject;
	/** default: GET only */
	safeToRepeat?: boolean;
}

/**
 * `method path` against the base URL in the vendor's credential. Retries 5xx and network errors for
 * GET only, unless `safeToRepeat` says otherwise.
 */
export async function apiRequest(
	ctx: IExecuteFunctions,
	api: VendorApi,
	itemIndex: number,
	method: IHttpRequestMethods,
	path: string,
	options: ApiRequestOptions = {},
): Promise<IDataObject> {
	const credentials = await ctx.getCredentials(api.credentialType);
	return await vendorRequest(ctx, api, {
		method,
		url: `${api.baseUrl(credentials.baseUrl)}${path}`,
		qs: options.qs,
		body: options.body,
		safeToRepeat: options.safeToRepeat ?? method === 'GET',
		itemIndex,
	});
}

export type OperationResult = IDataObject | IDataObject[];

export type OperationHandler = (
	this: IExecuteFunctions,
	itemIndex: number,
) => Promise<OperationResult>;

/**
 * Runs one handler per input item. Every output item is paired with the input item it came from;
 * with Continue On Fail, a failed item becomes `{ error, statusCode? }` paired with its input.
 */
export async function runPerItem(
	ctx: IExecuteFunctions,
	handlers: Record<string, Record<string, OperationHandler>>,
): Promise<INodeExecutionData[][]> {
	const items = ctx.getInputData();
	const out: INodeExecutionData[] = [];
	for (let i = 0; i < items.length; i++) {
		try {
			const resource = ctx.getNodeParameter('resource', i) as string;
			const operation = ctx.getNodeParameter('operation', i) as string;
			const handler = handlers[resource]?.[operation];
			if (!handler) {
				throw new NodeOperationError(
					ctx.getNode(),
					`The operation "${operation}" is not known for the resource "${resource}"`,
					{ itemIndex: i },
				);
			}
			const result = await handler.call(ctx, i);
			for (const json of Array.isArray(result) ? result : [result]) {
				out.push({ json, pairedItem: { item: i } });
			}
		} catch (error) {
			if (ctx.continueOnFail()) {
				const e = error as { message?: unknown; httpCode?: unknown; description?: unknown };
				const json: IDataObject = { error: String(e.message ?? error) };
				if (typeof e.httpCode === 'string' && /^\d{3}$/.test(e.httpCode))
					json.statusCode = Number(e.httpCode);
				out.push({ json, pairedItem: { item: i } });
				continue;
			}
			const nodeError =
				error instanceof NodeApiError || error instanceof NodeOperationError
					? error
					: new NodeOperationError(ctx.getNode(), String((error as Error).message ?? error), {
							itemIndex: i,
						});
			if (nodeError.context.itemIndex === undefined) nodeError.context.itemIndex = i;
			throw nodeError;
		}
	}
	return [out];
}

/** Adds `resource`/`operation` to each property's displayOptions.show. */
export function showFor(
	resource: string,
	operation: string,
	properties: INodeProperties[],
): INodeProperties[] {
	return properties.map((p) => ({
		...p,
		displayOptions: {
			...p.displayOptions,
			show: { ...(p.displayOptions?.show ?? {}), resource: [resource], operation: [operation] },
		},
	}));
}

/** A non-empty id parameter as a string (numbers from `{{ $json.id }}` included). */
export function idParameter(ctx: IExecuteFunctions, name: string, itemIndex: number): string {
	const value = ctx.getNodeParameter(name, itemIndex) as unknown;
	const text = typeof value === 'number' ? String(value) : String(value ?? '').trim();
	if (text === '' || text === 'undefined' || text === 'null') {
		throw new NodeOperationError(ctx.getNode(), `The parameter "${name}" is empty`, {
			itemIndex,
			description:
				'Map it from the incoming item, e.g. {{ $json.id }} after the Uphance Trigger, or type an id.',
		});
	}
	return text;
}

export const returnAllAndLimit = (resource: string, operation: string): INodeProperties[] =>
	showFor(resource, operation, [
		{
			displayName: 'Return All',
			name: 'returnAll',
			type: 'boolean',
			default: false,
			description: 'Whether to return all results or only up to a given limit',
		},
		{
			displayName: 'Limit',
			name: 'limit',
			type: 'number',
			typeOptions: { minValue: 1 },
			default: 50,
			description: 'Max number of results to return',
			displayOptions: { show: { returnAll: [false] } },
		},
	]);

/** `undefined` for Return All, else the Limit (at least 1). */
export function limitOf(ctx: IExecuteFunctions, itemIndex: number): number | undefined {
	if (ctx.getNodeParameter('returnAll', itemIndex, false) as boolean) return undefined;
	return Math.max(1, Number(ctx.getNodeParameter('limit', itemIndex, 50)));
}
