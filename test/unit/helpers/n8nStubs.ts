/**
 * Stand-ins for n8n's IWebhookFunctions / IExecuteFunctions that behave like n8n where it matters:
 * - the raw body is a Buffer, header names are lower-case;
 * - static data is reloaded from a JSON "database row" on every request and saved only when a
 *   top-level key of the node's object was assigned and webhook() did not throw (n8n's
 *   ObservableObject + saveStaticData), last write wins;
 * - HTTP helpers make real HTTP requests (to servers on 127.0.0.1), with n8n's options
 *   (json, qs, body, encoding: 'arraybuffer', returnFullResponse, ignoreHttpStatusErrors, timeout);
 * - httpRequestWithAuthentication applies the credential's `authenticate` and, for credentials with
 *   `preAuthentication`, fills the expirable field when empty and refreshes it once on a 401.
 */
import { createHash } from 'node:crypto';

import type {
	ICredentialDataDecryptedObject,
	ICredentialType,
	IDataObject,
	IHttpRequestOptions,
	IN8nHttpFullResponse,
	INodeExecutionData,
} from 'n8n-workflow';

export interface LoggedLine {
	level: 'debug' | 'info' | 'warn' | 'error';
	message: string;
	meta?: unknown;
}

export class RecordingLogger {
	lines: LoggedLine[] = [];
	debug = (message: string, meta?: unknown) => this.lines.push({ level: 'debug', message, meta });
	info = (message: string, meta?: unknown) => this.lines.push({ level: 'info', message, meta });
	warn = (message: string, meta?: unknown) => this.lines.push({ level: 'warn', message, meta });
	error = (message: string, meta?: unknown) => this.lines.push({ level: 'error', message, meta });
	text(): string {
		return this.lines.map((l) => `${l.level}: ${l.message} ${l.meta ? JSON.stringify(l.meta) : ''}`).join('\n');
	}
}

/** One request's or one execution's copy of the node's static data (see StaticDataRow.load). */
export interface LoadedStaticData {
	nodeData: IDataObject;
	changed: () => boolean;
	/** n8n's save: only when something was assigned since the last save or reset */
	save: () => void;
	/** what building the execution's workflow does on n8n 2.40 (ObservableObject redefines `__dataChanged = false`) */
	resetChanged: () => void;
}

/**
 * The workflow row's staticData column: JSON text, reloaded per request, overwritten on save.
 *
 * Which writes are saved follows n8n (nodes/shared/staticDataMemory.ts lists the rules): a webhook
 * request's writes are saved when webhook() returns, except on n8n 2.40 when webhook() starts an
 * execution. An execution reads the row afresh when it starts (n8n's WorkflowRunner with
 * loadStaticData, in regular and queue mode) and saves what its nodes write when it ends
 * (`executeContext(...).finish`).
 */
export class StaticDataRow {
	json = '{}';
	saves = 0;
	/**
	 * The workflow's rows of n8n's processed-data table (what `checkProcessedAndRecord` reads and
	 * writes), by context (`n:<node id>`): md5 hashes, base64, oldest first, as n8n 2.40.7's
	 * `deduplication-helper.js` (`handleHashedItems`) keeps them.
	 */
	processed = new Map<string, string[]>();
	processedCalls = 0;

	/** n8n's checkProcessedAndRecord in mode 'entries' (read, add, write back: no lock). */
	checkProcessedAndRecord(context: string, items: Array<string | number>, maxEntries?: number): { new: Array<string | number>; processed: Array<string | number> } {
		this.processedCalls++;
		const hashed = items.map((item) => createHash('md5').update(item.toString()).digest('base64'));
		const stored = this.processed.get(context);
		if (!stored) {
			if (maxEntries) hashed.splice(0, hashed.length - maxEntries);
			this.processed.set(context, hashed);
			return { new: items, processed: [] };
		}
		const seen = new Set(stored);
		const result: { new: Array<string | number>; processed: Array<string | number> } = { new: [], processed: [] };
		hashed.forEach((hash, i) => {
			if (seen.has(hash)) result.processed.push(items[i]);
			else {
				result.new.push(items[i]);
				stored.push(hash);
			}
		});
		if (maxEntries) stored.splice(0, stored.length - maxEntries);
		return result;
	}

	/**
	 * What one request sees: a fresh copy whose node object tracks top-level assignments.
	 * `queueWorker240`: an execution on a queue-mode worker of n8n 2.40.7, which starts with empty
	 * static data and saves what its nodes wrote as the workflow's whole static data
	 * (docs/queue-mode.md, "Several workers": execution-persistence.js:46, workflow-runner.js:213,
	 * execution-lifecycle-hooks.js:483-497).
	 */
	load(nodeName: string, queueWorker240 = false): LoadedStaticData {
		const all = queueWorker240 ? {} : (JSON.parse(this.json) as Record<string, IDataObject>);
		const key = `node:${nodeName}`;
		const target: IDataObject = all[key] ?? {};
		let dirty = false;
		const nodeData = new Proxy(target, {
			set(t, p, v) {
				dirty = true;
				return Reflect.set(t, p, v);
			},
			deleteProperty(t, p) {
				dirty = true;
				return Reflect.deleteProperty(t, p);
			},
		});
		return {
			nodeData,
			changed: () => dirty,
			save: () => {
				if (!dirty) return;
				all[key] = target;
				// Serialised at save time, like n8n's UPDATE ... SET staticData = JSON
				this.json = JSON.stringify(all);
				this.saves++;
				dirty = false;
			},
			resetChanged: () => {
				dirty = false;
			},
		};
	}

	nodeData(nodeName: string): IDataObject | undefined {
		return (JSON.parse(this.json) as Record<string, IDataObject>)[`node:${nodeName}`];
	}
}

export class RecordingResponse {
	/** undefined until something sets it: a webhook that never answers is not mistaken for a 200 */
	statusCode: number | undefined = undefined;
	headers: Record<string, string> = {};
	body: unknown = undefined;
	ended = false;
	status(code: number) {
		this.statusCode = code;
		return this;
	}
	setHeader(name: string, value: string) {
		this.headers[name.toLowerCase()] = value;
		return this;
	}
	json(body: unknown) {
		this.body = body;
		this.ended = true;
		return this;
	}
	send(body: unknown) {
		this.body = body;
		this.ended = true;
		return this;
	}
	end() {
		this.ended = true;
		return this;
	}
}

/** Shaped like what n8n's request helpers throw: a NodeApiError-like wrapper around the axios error. */
class HttpError extends Error {
	httpCode: string;
	response: { status: number; headers: IDataObject };
	description: string;
	constructor(statusCode: number, headers: IDataObject, body: string) {
		super(`Request failed with status code ${statusCode}`);
		this.httpCode = String(statusCode);
		this.response = { status: statusCode, headers };
		this.description = body.slice(0, 200);
	}
}

/** A real HTTP request with the subset of n8n's IHttpRequestOptions the nodes use. */
export async function realHttpRequest(options: IHttpRequestOptions): Promise<unknown> {
	const url = new URL(options.url, options.baseURL);
	for (const [k, v] of Object.entries((options.qs as IDataObject) ?? {})) url.searchParams.set(k, String(v));
	const headers: Record<string, string> = {};
	for (const [k, v] of Object.entries((options.headers as IDataObject) ?? {})) headers[k.toLowerCase()] = String(v);
	let body: string | Buffer | undefined;
	if (options.body !== undefined) {
		if (Buffer.isBuffer(options.body) || typeof options.body === 'string') body = options.body as string | Buffer;
		else {
			body = JSON.stringify(options.body);
			headers['content-type'] ??= 'application/json';
		}
	}
	const controller = new AbortController();
	const timer = options.timeout ? setTimeout(() => controller.abort(), options.timeout) : undefined;
	let response: Response;
	try {
		response = await fetch(url, { method: options.method ?? 'GET', headers, body, signal: controller.signal });
	} catch (error) {
		if (controller.signal.aborted) {
			const e = new Error(`timeout of ${options.timeout}ms exceeded`) as Error & { code: string };
			e.code = 'ECONNABORTED';
			throw e;
		}
		const cause = (error as { cause?: { code?: string } }).cause;
		const e = new Error(cause?.code ?? (error as Error).message) as Error & { code?: string };
		e.code = cause?.code;
		throw e;
	} finally {
		if (timer) clearTimeout(timer);
	}
	const raw = Buffer.from(await response.arrayBuffer());
	const responseHeaders: IDataObject = {};
	response.headers.forEach((value, name) => (responseHeaders[name] = value));
	let parsed: unknown;
	if (options.encoding === 'arraybuffer') parsed = raw;
	else {
		const text = raw.toString('utf8');
		const wantsJson = options.json === true || String(responseHeaders['content-type'] ?? '').includes('json');
		try {
			parsed = wantsJson && text.length > 0 ? JSON.parse(text) : text;
		} catch {
			parsed = text;
		}
	}
	if ((response.status < 200 || response.status >= 300) && !options.ignoreHttpStatusErrors) {
		throw new HttpError(response.status, responseHeaders, raw.toString('utf8'));
	}
	if (options.returnFullResponse) {
		const full: IN8nHttpFullResponse = { body: parsed as IN8nHttpFullResponse['body'], headers: responseHeaders, statusCode: response.status, statusMessage: response.statusText };
		return full;
	}
	return parsed;
}

function resolveExpression(template: string, credentials: ICredentialDataDecryptedObject): string {
	// Enough of n8n's expression language for our credential files: '=Bearer {{$credentials.x}}'.
	return template.replace(/^=/, '').replace(/\{\{\s*\$credentials\??\.(\w+)\s*\}\}/g, (_m, field: string) => String(credentials[field] ?? ''));
}

/** n8n's credential handling for one credential type: authenticate, preAuthentication, refresh on 401. */
/**
 * The request helper n8n gives a node for the `upliftApi` credential: a real HTTP request with its
 * Bearer header added. `edit` may change an answer's JSON body before the node reads it.
 */
export function upliftApiSend(
	apiKey: string,
	edit?: (body: IDataObject, options: IHttpRequestOptions) => void,
): (options: IHttpRequestOptions) => Promise<IN8nHttpFullResponse> {
	return async (options) => {
		const response = (await realHttpRequest({
			...options,
			headers: { ...(options.headers ?? {}), Authorization: `Bearer ${apiKey}` },
		})) as IN8nHttpFullResponse;
		if (edit && response.body && typeof response.body === 'object') edit(response.body as IDataObject, options);
		return response;
	};
}

export class CredentialStore {
	preAuthCalls = 0;
	constructor(
		public readonly types: Record<string, ICredentialType>,
		public readonly data: Record<string, ICredentialDataDecryptedObject>,
	) {}

	async get(type: string): Promise<ICredentialDataDecryptedObject> {
		const data = this.data[type];
		if (!data) throw new Error(`Node does not have any credentials set for "${type}"`);
		return { ...data };
	}

	private async preAuthenticate(type: string): Promise<void> {
		const credType = this.types[type];
		if (!credType?.preAuthentication) return;
		this.preAuthCalls++;
		const helpers = { helpers: { httpRequest: realHttpRequest } };
		const update = await credType.preAuthentication.call(helpers as never, { ...this.data[type] });
		Object.assign(this.data[type], update);
	}

	private expirableField(type: string): string | undefined {
		const prop = this.types[type]?.properties.find((p) => p.typeOptions?.expirable);
		return prop?.name;
	}

	/**
	 * As n8n-core's httpRequestWithAuthentication: pre-authenticate when the expirable field is empty,
	 * and when the request *throws* a 401 (so not with ignoreHttpStatusErrors), renew once and retry.
	 */
	async requestWithAuthentication(type: string, options: IHttpRequestOptions): Promise<unknown> {
		const credType = this.types[type];
		if (!credType) throw new Error(`Unknown credential type ${type}`);
		const expirable = this.expirableField(type);
		if (credType.preAuthentication && (!expirable || !this.data[type]?.[expirable])) await this.preAuthenticate(type);
		const send = async () => await realHttpRequest(await this.authenticate(type, options));
		try {
			return await send();
		} catch (error) {
			const status = (error as HttpError).response?.status;
			if (status === 401 && credType.preAuthentication) {
				await this.preAuthenticate(type);
				return await send();
			}
			throw error;
		}
	}

	private async authenticate(type: string, options: IHttpRequestOptions): Promise<IHttpRequestOptions> {
		const credType = this.types[type];
		const credentials = this.data[type];
		const auth = credType.authenticate;
		if (typeof auth === 'function') return await auth(credentials, { ...options });
		if (auth?.type === 'generic') {
			const headers = { ...((options.headers as IDataObject) ?? {}) };
			for (const [name, value] of Object.entries(auth.properties.headers ?? {})) {
				headers[name] = resolveExpression(String(value), credentials);
			}
			return { ...options, headers };
		}
		return options;
	}
}

export interface WebhookRequestSpec {
	body: Buffer | string;
	headers?: Record<string, string>;
	method?: string;
	query?: IDataObject;
	ip?: string;
	/**
	 * A body n8n has not read before webhook() (n8n 2.x reads it up front only for JSON, text,
	 * form-urlencoded and XML content types on typeVersion > 1): `req.rawBody` is absent and
	 * `req.readRawBody()` either sets it from `body` or, with `readError`, rejects with that error
	 * (see n8nReadErrors for the shapes n8n really throws). A multipart/form-data content type is
	 * modelled as n8n does it: the form parser consumed the body, `req.body` holds the form and
	 * `readRawBody()` rejects (2.40: not readable; 2.8: raw-body's stream.not.readable).
	 */
	unread?: { readError?: unknown; n8nVersion?: '2.40' | '2.8' };
}

/** What n8n's `req.readRawBody()` rejects with (n8n middlewares/body-parser.ts + raw-body 3.0.0). */
export const n8nReadErrors = {
	/** raw-body, content-length (or the inflated size) over N8N_PAYLOAD_SIZE_MAX (16 MiB by default) */
	tooLarge: (length = 20_971_520, limit = 16_777_216) =>
		Object.assign(new Error('request entity too large'), {
			name: 'PayloadTooLargeError',
			status: 413,
			statusCode: 413,
			expose: true,
			expected: length,
			length,
			limit,
			type: 'entity.too.large',
		}),
	/** n8n 2.40: the stream was consumed (multipart) or destroyed: a BadRequestError (ResponseError) */
	notReadable240: () =>
		Object.assign(new Error('Request body stream was aborted or is not readable'), {
			name: 'ResponseError',
			httpStatusCode: 400,
			errorCode: 400,
			level: 'warning',
		}),
	/** n8n 2.8: raw-body's own error for a consumed stream */
	notReadable28: () =>
		Object.assign(new Error('stream is not readable'), {
			name: 'InternalServerError',
			status: 500,
			statusCode: 500,
			expose: false,
			type: 'stream.not.readable',
		}),
	/** raw-body: the client went away mid-body (2.40 wraps it in a BadRequestError) */
	aborted: () =>
		Object.assign(new Error('request aborted'), { name: 'BadRequestError', status: 400, statusCode: 400, expose: true, type: 'request.aborted' }),
	/** zlib: Content-Encoding gzip with a body that is not gzip */
	badGzip: () => Object.assign(new Error('incorrect header check'), { errno: -3, code: 'Z_DATA_ERROR' }),
};

export interface StubNodeSetup {
	nodeName?: string;
	workflowId?: string;
	parameters?: IDataObject;
	credentials?: CredentialStore;
	staticData?: StaticDataRow;
	mode?: 'webhook' | 'manual';
	logger?: RecordingLogger;
	/** the node's typeVersion in the workflow; default 1 */
	typeVersion?: number;
	/** which n8n's static-data rule to follow; default '2.40' (see StaticDataRow) */
	n8nVersion?: '2.40' | '2.8';
	/** executions run on a queue-mode worker of n8n 2.40.7 (StaticDataRow.load) */
	queueWorker240?: boolean;
}

export interface WebhookCall {
	ctx: unknown;
	response: RecordingResponse;
	/** what the node's webhook() returned */
	result?: IDataObject;
	/** static data as saved after the request */
	staticData: StaticDataRow;
}

/** What every n8n function context offers the nodes: node, workflow, mode, credentials, logger, HTTP. */
function baseContext(setup: StubNodeSetup, logger: RecordingLogger) {
	const parameters = setup.parameters ?? {};
	const credentials = setup.credentials;
	return {
		getNode: () => ({ name: setup.nodeName ?? 'Trigger', type: 'test', typeVersion: setup.typeVersion ?? 1, parameters }),
		getWorkflow: () => ({ id: setup.workflowId ?? 'wf-1', name: 'test', active: true }),
		getMode: () => setup.mode ?? 'webhook',
		getCredentials: async (type: string) => {
			if (!credentials) throw new Error(`Node does not have any credentials set for "${type}"`);
			return await credentials.get(type);
		},
		logger,
		helpers: {
			httpRequest: realHttpRequest,
			httpRequestWithAuthentication: async function (type: string, options: IHttpRequestOptions) {
				if (!credentials) throw new Error('no credentials');
				return await credentials.requestWithAuthentication(type, options);
			},
		},
	};
}

function getParameter(parameters: IDataObject, name: string, fallback: unknown): unknown {
	const value = parameters[name];
	return value === undefined ? fallback : JSON.parse(JSON.stringify(value));
}

/** Builds an IWebhookFunctions for one request. */
export function webhookContext(setup: StubNodeSetup, request: WebhookRequestSpec) {
	const nodeName = setup.nodeName ?? 'Trigger';
	const row = setup.staticData ?? new StaticDataRow();
	const loaded = row.load(nodeName);
	const response = new RecordingResponse();
	const logger = setup.logger ?? new RecordingLogger();
	const headers: Record<string, string> = {};
	for (const [k, v] of Object.entries(request.headers ?? {})) headers[k.toLowerCase()] = v;
	const rawBody = Buffer.isBuffer(request.body) ? request.body : Buffer.from(request.body, 'utf8');
	// as n8n's parseIncomingMessage: the media type, lower-case, without parameters
	const contentType = headers['content-type']?.split(';')[0].trim().toLowerCase() || undefined;
	const multipart = contentType === 'multipart/form-data';
	const unread = request.unread ?? (multipart ? {} : undefined);
	const req: {
		[k: string]: unknown;
		rawBody?: Buffer;
		readRawBody: () => Promise<void>;
	} = {
		method: request.method ?? 'POST',
		headers,
		contentType,
		rawBody: unread ? undefined : rawBody,
		body: multipart ? { data: {}, files: {} } : undefined,
		readRawBody: async () => {
			if (req.rawBody) return;
			if (unread?.readError !== undefined) throw unread.readError;
			if (multipart) throw unread?.n8nVersion === '2.8' ? n8nReadErrors.notReadable28() : n8nReadErrors.notReadable240();
			req.rawBody = rawBody;
		},
		ip: request.ip ?? '::ffff:127.0.0.1',
		socket: { remoteAddress: request.ip ?? '::ffff:127.0.0.1' },
		query: request.query ?? {},
		header: (name: string) => headers[name.toLowerCase()],
	};
	const parameters = setup.parameters ?? {};
	const base = baseContext(setup, logger);
	const ctx = {
		...base,
		getRequestObject: () => req,
		getResponseObject: () => response,
		getHeaderData: () => headers,
		getQueryData: () => request.query ?? {},
		getBodyData: () => {
			try {
				return JSON.parse(rawBody.toString('utf8'));
			} catch {
				return {};
			}
		},
		getNodeParameter: (name: string, fallback?: unknown) => getParameter(parameters, name, fallback),
		getWorkflowStaticData: (type: string) => {
			if (type !== 'node') throw new Error('only node static data is used');
			return loaded.nodeData;
		},
		getWebhookName: () => 'default',
		helpers: {
			...base.helpers,
			returnJsonArray: (data: IDataObject | IDataObject[]) => ([] as IDataObject[]).concat(data).map((json) => ({ json })),
		},
	};
	return { ctx, response, loaded, row, logger };
}

/** Calls node.webhook() the way n8n's live webhook handler does, including the static-data save. */
export async function callWebhook(
	node: { webhook?: (this: never) => Promise<unknown> },
	setup: StubNodeSetup,
	request: WebhookRequestSpec,
): Promise<WebhookCall & { logger: RecordingLogger }> {
	const { ctx, response, loaded, row, logger } = webhookContext(setup, request);
	let result: IDataObject | undefined;
	try {
		result = (await node.webhook!.call(ctx as never)) as IDataObject;
	} catch (error) {
		// n8n answers 500 "Workflow could not be started!" and saves nothing.
		response.status(500).json({ code: 0, message: 'Workflow Webhook Error: Workflow could not be started!' });
		return { ctx, response, result: { thrown: (error as Error).message }, staticData: row, logger };
	}
	const startsExecution = result?.workflowData !== undefined;
	// On n8n 2.40 the webhook phase's writes are not saved when an execution starts.
	if (startsExecution && (setup.n8nVersion ?? '2.40') === '2.40') loaded.resetChanged();
	loaded.save();
	if (result && !result.noWebhookResponse && !response.ended) {
		// onReceived + responseData 'noData': n8n answers 200 with an empty body once the execution is created.
		if (result.webhookResponse !== undefined) response.status(200).json(result.webhookResponse);
		else response.status(200).end();
	}
	// With noWebhookResponse n8n leaves the answer to the node; one that never wrote it would leave
	// the vendor's request hanging until it times out. No test may pass on such a call.
	if (!response.ended || response.statusCode === undefined) {
		throw new Error(`webhook() returned ${JSON.stringify(result)} without an answer being sent`);
	}
	return { ctx, response, result, staticData: row, logger };
}

export interface BinaryRecord {
	data: string;
	mimeType: string;
	fileName?: string;
	fileSize: string;
	bytes: Buffer;
}

/**
 * IExecuteFunctions for the node's execute step: the trigger's items as input, static data read
 * afresh from the row. `finish()` is the execution's end: static data is saved if the execution's
 * nodes assigned to it.
 */
export function executeContext(setup: StubNodeSetup, items: INodeExecutionData[]) {
	const parameters = setup.parameters ?? {};
	const logger = setup.logger ?? new RecordingLogger();
	const base = baseContext(setup, logger);
	const row = setup.staticData ?? new StaticDataRow();
	const execution = row.load(setup.nodeName ?? 'Trigger', setup.queueWorker240);
	const ctx = {
		...base,
		getWorkflowStaticData: (type: string) => {
			if (type !== 'node') throw new Error('only node static data is used');
			return execution.nodeData;
		},
		getInputData: () => items,
		getNodeParameter: (name: string, _itemIndex: number, fallback?: unknown) => getParameter(parameters, name, fallback),
		continueOnFail: () => false,
		helpers: {
			...base.helpers,
			// scope 'node': n8n keys the row by the node's id (deduplication-helper.js, createContext)
			checkProcessedAndRecord: async (items: Array<string | number>, scope: 'node' | 'workflow', options: { mode: string; maxEntries?: number }) => {
				if (options.mode !== 'entries') throw new Error(`mode ${options.mode} is not played by this stand-in`);
				return row.checkProcessedAndRecord(scope === 'node' ? `n:${setup.nodeName ?? 'Trigger'}` : '', items, options.maxEntries);
			},
			prepareBinaryData: async (buffer: Buffer, fileName?: string, mimeType?: string): Promise<BinaryRecord> => ({
				data: buffer.toString('base64'),
				mimeType: mimeType ?? 'application/octet-stream',
				fileName,
				fileSize: `${buffer.length} B`,
				bytes: buffer,
			}),
		},
	};
	return { ctx, logger, finish: () => execution.save() };
}

/** What n8n does after webhook() returned items: the execution runs the trigger's execute() and saves static data at its end. */
export async function runExecution(
	node: { execute?: (this: never) => Promise<INodeExecutionData[][]> },
	setup: StubNodeSetup,
	call: WebhookCall,
): Promise<INodeExecutionData[]> {
	const items = (call.result?.workflowData as INodeExecutionData[][] | undefined)?.[0];
	if (!items) throw new Error('webhook() started no execution');
	const { ctx, finish } = executeContext(setup, items);
	const [out] = await node.execute!.call(ctx as never);
	finish();
	return out;
}
