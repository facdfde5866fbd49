/**
 * Issue 8 §1-§3 for both triggers, through the n8n stand-in (test/unit/helpers/n8nStubs.ts):
 * - §1 a body that cannot be read (consumed multipart, too large, aborted, bad gzip) is answered
 *   400/413/415, starts nothing and saves nothing; nothing webhook() meets ever throws to n8n;
 * - §2 before authentication the answer names what the request lacks, never the configuration;
 * - §3 bodies nested deeper than MAX_BODY_DEPTH are refused with 400 naming the limit.
 */
import type { IDataObject } from 'n8n-workflow';

import { UphanceApi } from '../../credentials/UphanceApi.credentials';
import { UpliftWebhookApi } from '../../credentials/UpliftWebhookApi.credentials';
import { MAX_BODY_DEPTH, nestedDeeperThan } from '../../nodes/shared/requestBody';
import { signSha256 } from '../../nodes/shared/signature';
import { UphanceTrigger } from '../../nodes/UphanceTrigger/UphanceTrigger.node';
import { UpliftTrigger } from '../../nodes/UpliftTrigger/UpliftTrigger.node';
import type { StubNodeSetup, WebhookRequestSpec } from './helpers/n8nStubs';
import { callWebhook, CredentialStore, n8nReadErrors, RecordingLogger, StaticDataRow, webhookContext } from './helpers/n8nStubs';

/* eslint-disable @typescript-eslint/no-var-requires */
const { buildWebhookBody } = require('../support/fakeUphance');

const SECRET = 'hardening-signing-secret-0123456789';
const URL_TOKEN = 'hardening-url-token-Zq81kP0vX3abc';
const STACK = /\n\s+at .+:\d+:\d+|\.ts:\d+|nodes\/shared|dist\//;

interface Trigger {
	name: string;
	node: { webhook?: (this: never) => Promise<unknown> };
	setup(parameters?: IDataObject, credentialOverrides?: Record<string, string>): StubNodeSetup;
	/** a valid, authenticated request carrying `json` (a string of JSON text) */
	authenticated(json: string, extra?: Partial<WebhookRequestSpec>): WebhookRequestSpec;
	/** a request with no signature / no token */
	unauthenticated(json: string, extra?: Partial<WebhookRequestSpec>): WebhookRequestSpec;
	/** a valid event's JSON text with `extra` (JSON text) as one more top-level field */
	eventJson(id: string, extra?: string): string;
}

let counter = 0;

const uplift: Trigger = {
	name: 'Uplift Trigger',
	node: new UpliftTrigger(),
	setup: (parameters = {}, overrides = {}) => ({
		nodeName: 'Uplift Trigger',
		workflowId: `hardening-uplift-${++counter}`,
		parameters: { events: ['*'], additionalEvents: '', verifySignature: true, options: {}, ...parameters },
		credentials: new CredentialStore(
			{ upliftWebhookApi: new UpliftWebhookApi() },
			{ upliftWebhookApi: { signingSecret: SECRET, previousSigningSecret: '', ...overrides } },
		),
		staticData: new StaticDataRow(),
		logger: new RecordingLogger(),
	}),
	authenticated: (json, extra = {}) => ({
		body: json,
		...extra,
		headers: { 'content-type': 'application/json', 'x-uplift-signature-256': signSha256(SECRET, json), ...extra.headers },
	}),
	unauthenticated: (json, extra = {}) => ({ body: json, ...extra, headers: { 'content-type': 'application/json', ...extra.headers } }),
	eventJson: (id, extra) =>
		`{"id":"${id}","object":"event","type":"webhook.created","created":1678231553088,"data":{"object":{"id":"wh_1"}}${extra ? `,"extra":${extra}` : ''}}`,
};

const uphance: Trigger = {
	name: 'Uphance Trigger',
	node: new UphanceTrigger(),
	setup: (parameters = {}, overrides = {}) => ({
		nodeName: 'Uphance Trigger',
		workflowId: `hardening-uphance-${++counter}`,
		parameters: { events: ['*'], additionalEvents: '', requireUrlToken: true, fetchRecord: false, options: {}, ...parameters },
		credentials: new CredentialStore(
			{ uphanceApi: new UphanceApi() },
			{ uphanceApi: { email: 'e@x.example', password: 'pw', organisationId: '1', urlToken: URL_TOKEN, baseUrl: 'http://127.0.0.1:9', sessionToken: '', ...overrides } },
		),
		staticData: new StaticDataRow(),
		logger: new RecordingLogger(),
	}),
	authenticated: (json, extra = {}) => ({
		body: json,
		query: { token: URL_TOKEN },
		...extra,
		headers: { 'content-type': 'application/json', ...extra.headers },
	}),
	unauthenticated: (json, extra = {}) => ({ body: json, ...extra, headers: { 'content-type': 'application/json', ...extra.headers } }),
	eventJson: (id, extra) => {
		const body = JSON.stringify(buildWebhookBody('pick_ticket_update', { id: Number(id.replace(/\D/g, '')) || 1, updated_at: '2026-01-01T00:00:00Z' }));
		return extra ? `${body.slice(0, -1)},"extra":${extra}}` : body;
	},
};

/** Calls webhook() and checks what must hold for every refusal: no throw, no execution, nothing saved, no stack. */
async function refused(trigger: Trigger, s: StubNodeSetup, request: WebhookRequestSpec) {
	const call = await callWebhook(trigger.node, s, request);
	expect(call.result).not.toHaveProperty('thrown');
	expect(call.result?.workflowData).toBeUndefined();
	expect(call.staticData.saves).toBe(0);
	const answer = JSON.stringify(call.response.body ?? '');
	expect(answer).not.toMatch(STACK);
	return { call, status: call.response.statusCode, error: (call.response.body as { error?: string } | undefined)?.error ?? '', log: call.logger.text() };
}

const nested = (depth: number) => '['.repeat(depth) + ']'.repeat(depth);

describe.each([uplift, uphance])('$name: hardening', (trigger) => {
	describe('§1 a body that cannot be read', () => {
		it.each([
			['n8n 2.40', '2.40' as const],
			['n8n 2.8', '2.8' as const],
		])('answers 400 to a multipart body n8n already consumed (%s), without a signature or token', async (_v, n8nVersion) => {
			const s = trigger.setup();
			const { status, error } = await refused(
				trigger,
				s,
				trigger.unauthenticated('--xyz--\r\n', { headers: { 'content-type': 'multipart/form-data; boundary=xyz' }, unread: { n8nVersion } }),
			);
			expect(status).toBe(400);
			expect(error).toMatch(/multipart\/form-data bodies are not accepted/);
		});

		it.each([
			['too large (raw-body entity.too.large)', n8nReadErrors.tooLarge(), 413, /too large/],
			['not readable (n8n 2.40 BadRequestError)', n8nReadErrors.notReadable240(), 400, /could not be read/],
			['not readable (n8n 2.8 raw-body status 500)', n8nReadErrors.notReadable28(), 400, /could not be read/],
			['aborted mid-body', n8nReadErrors.aborted(), 400, /could not be read/],
			['gzip that is not gzip', n8nReadErrors.badGzip(), 400, /could not be read/],
			['an unsupported encoding (415)', Object.assign(new Error('unsupported charset "X"'), { status: 415, type: 'encoding.unsupported' }), 415, /encoding is not supported/],
		])('answers %s with its status, a short reason, and the detail in the log only', async (_name, readError, expected, message) => {
			const s = trigger.setup();
			const { status, error, log } = await refused(
				trigger,
				s,
				trigger.unauthenticated('x', { headers: { 'content-type': 'application/octet-stream' }, unread: { readError } }),
			);
			expect(status).toBe(expected);
			expect(error).toMatch(message);
			expect(error).not.toContain((readError as Error).message);
			expect(log).toContain((readError as Error).message);
		});

		it('reads a body n8n left unread (application/octet-stream) and accepts it', async () => {
			const s = trigger.setup();
			const call = await callWebhook(
				trigger.node,
				s,
				trigger.authenticated(trigger.eventJson('evt-unread-1'), { headers: { 'content-type': 'application/octet-stream' }, unread: {} }),
			);
			expect(call.response.statusCode).toBe(200);
			expect(call.result?.workflowData).toBeDefined();
		});

		it('answers 400 to an empty body', async () => {
			const { status, error } = await refused(trigger, trigger.setup(), trigger.unauthenticated(''));
			expect(status).toBe(400);
			expect(error).toMatch(/no body/);
		});
	});

	describe('§1 nothing thrown reaches n8n', () => {
		it.each([
			['getHeaderData', 'getHeaderData'],
			['getQueryData', 'getQueryData'],
			['getNodeParameter', 'getNodeParameter'],
			['getRequestObject', 'getRequestObject'],
		])('answers 503 JSON without a stack when %s throws', async (_name, method) => {
			const s = trigger.setup();
			const { ctx, response, logger } = webhookContext(s, trigger.authenticated(trigger.eventJson('evt-throw-1')));
			(ctx as Record<string, unknown>)[method] = () => {
				throw new Error(`boom in ${method} at /srv/secret/path.ts:12:3`);
			};
			const result = (await trigger.node.webhook!.call(ctx as never)) as IDataObject;
			expect(result).toEqual({ noWebhookResponse: true });
			expect(response.statusCode).toBe(503);
			expect(response.body).toEqual({ error: expect.stringMatching(/could not process this delivery; it was not accepted, so it can be retried/) });
			expect(JSON.stringify(response.body)).not.toMatch(/boom|\/srv\//);
			expect(logger.text()).toContain(`boom in ${method}`);
		});

		it('does not throw even when no answer can be written', async () => {
			const s = trigger.setup();
			const { ctx } = webhookContext(s, trigger.authenticated(trigger.eventJson('evt-throw-2')));
			const c = ctx as Record<string, unknown>;
			c.getHeaderData = () => {
				throw new Error('first');
			};
			c.getResponseObject = () => {
				throw new Error('headers already sent');
			};
			await expect(trigger.node.webhook!.call(ctx as never)).resolves.toEqual({ noWebhookResponse: true });
		});
	});

	describe('§2 answers before authentication reveal no configuration', () => {
		it('answers 503 to a broken IP allowlist without quoting it; the log has the detail', async () => {
			const s = trigger.setup({ options: { ipAllowlist: '10.0.0.0/8, 192.0.2.77, not-an-ip' } });
			const { status, error, log, call } = await refused(trigger, s, trigger.unauthenticated(trigger.eventJson('evt-allow-1')));
			expect(status).toBe(503);
			const answer = JSON.stringify(call.response.body);
			for (const leak of ['not-an-ip', '10.0.0.0', '192.0.2.77', 'allowlist', 'IP', 'CIDR']) expect(answer).not.toContain(leak);
			expect(error).toMatch(/not ready to accept deliveries.*can be retried/);
			expect(log).toMatch(/IP allowlist cannot be read: "not-an-ip" is not an IP address/);
		});

		it('answers 503 to a credential without its secret without saying so; the log has the detail', async () => {
			const s = trigger === uplift ? trigger.setup({}, { signingSecret: '' }) : trigger.setup({}, { urlToken: '' });
			const { status, error, log, call } = await refused(trigger, s, trigger.unauthenticated(trigger.eventJson('evt-nosecret-1'), { query: { token: 'guess' } }));
			expect(status).toBe(503);
			const answer = JSON.stringify(call.response.body);
			for (const leak of ['secret', 'Secret', 'token', 'Token', 'credential']) expect(answer).not.toContain(leak);
			expect(error).toMatch(/not ready to accept deliveries/);
			expect(log).toMatch(trigger === uplift ? /no signing secret/ : /no Webhook URL Token/);
		});

		it('still tells an unauthenticated caller what its request lacks (401)', async () => {
			const { status, error } = await refused(trigger, trigger.setup(), trigger.unauthenticated(trigger.eventJson('evt-401')));
			expect(status).toBe(401);
			expect(error).toMatch(trigger === uplift ? /x-uplift-signature-256 header is missing/ : /no \?token=/);
		});
	});

	describe(`§3 bodies nested more than ${MAX_BODY_DEPTH} levels deep`, () => {
		it(`accepts ${MAX_BODY_DEPTH} levels and refuses ${MAX_BODY_DEPTH + 1} with 400 naming the limit`, async () => {
			// the event object is level 1, so `extra` adds MAX_BODY_DEPTH - 1 levels
			const atLimit = await callWebhook(trigger.node, trigger.setup(), trigger.authenticated(trigger.eventJson('evt-depth-64', nested(MAX_BODY_DEPTH - 1))));
			expect(atLimit.response.statusCode).toBe(200);
			expect(atLimit.result?.workflowData).toBeDefined();
			const { status, error } = await refused(trigger, trigger.setup(), trigger.authenticated(trigger.eventJson('evt-depth-65', nested(MAX_BODY_DEPTH))));
			expect(status).toBe(400);
			expect(error).toContain(String(MAX_BODY_DEPTH));
			expect(error).toMatch(/levels deep/);
		});

		it('refuses an authenticated body nested 10,000 levels deep', async () => {
			const { status, error } = await refused(trigger, trigger.setup(), trigger.authenticated(trigger.eventJson('evt-depth-10k', nested(10_000))));
			expect(status).toBe(400);
			expect(error).toContain(`${MAX_BODY_DEPTH} levels`);
		});

		it('counts no brackets inside strings', async () => {
			const deepText = JSON.stringify('[{'.repeat(500) + '\\"[' + '}]'.repeat(500));
			const call = await callWebhook(trigger.node, trigger.setup(), trigger.authenticated(trigger.eventJson('evt-depth-str', deepText)));
			expect(call.response.statusCode).toBe(200);
			expect(call.result?.workflowData).toBeDefined();
		});
	});
});

describe('nestedDeeperThan (a byte scan, no recursion)', () => {
	const deeper = (text: string, limit?: number) => nestedDeeperThan(Buffer.from(text, 'utf8'), limit);

	it('counts arrays and objects, the top-level value being depth 1', () => {
		expect(deeper('{}', 1)).toBe(false);
		expect(deeper('{"a":[]}', 1)).toBe(true);
		expect(deeper('{"a":[{}]}', 3)).toBe(false);
		expect(deeper('{"a":[{}]}', 2)).toBe(true);
		expect(deeper('[[],[],[[]]]', 3)).toBe(false);
		expect(deeper('[[],[],[[[]]]]', 3)).toBe(true);
		expect(deeper('"plain"', 0)).toBe(false);
	});

	it('skips strings, escaped quotes and escaped backslashes', () => {
		expect(deeper('{"a":"[[[[{{{{"}', 1)).toBe(false);
		expect(deeper('{"a":"\\"[[[["}', 1)).toBe(false);
		expect(deeper('{"a":"\\\\","b":[[]]}', 2)).toBe(true);
		expect(deeper('{"ü€😀":"[[[","b":"x"}', 1)).toBe(false);
	});

	it('handles a 16 MiB body of brackets without recursion', () => {
		expect(nestedDeeperThan(Buffer.alloc(16 * 1024 * 1024, 0x5b))).toBe(true);
		expect(deeper(nested(MAX_BODY_DEPTH))).toBe(false);
		expect(deeper(nested(MAX_BODY_DEPTH + 1))).toBe(true);
	});
});
