/**
 * End-to-end, issue 8 §1-§3: requests anyone who knows a production URL can send, against both
 * triggers installed in a real n8n (scripts/test-e2e.sh runs it on 2.40.7, 2.8.4 and 1.123.81):
 * - a multipart body n8n's form parser already consumed, sent with no signature or token;
 * - a 20 MiB application/octet-stream body (over N8N_PAYLOAD_SIZE_MAX, 16 MiB by default), and
 *   the same size as application/json;
 * - an authenticated (signed / token-carrying) JSON body nested 10,000 levels deep;
 * - an unauthenticated request to a trigger whose IP allowlist cannot be parsed.
 * Every one the node sees is answered 4xx (503 for the misconfigured allowlist) without a stack
 * trace, and none starts an execution, counted through n8n's public API before and after.
 *
 * The triggers' typeVersion is 1.1, so n8n leaves an octet-stream body to the node, which answers
 * 413 over N8N_PAYLOAD_SIZE_MAX. (For a start node of typeVersion 1, n8n would read every
 * non-multipart body itself; see the comment on `version` in the trigger nodes.) A JSON body n8n
 * parses itself, so over the limit it gets n8n's own 500 ("There was a problem executing the
 * workflow") before the node runs. All are asserted as they really are; none stores an execution.
 */
import { randomUUID } from 'crypto';

/* eslint-disable @typescript-eslint/no-var-requires */
const { N8nInstance } = require('../support/n8nInstance');
const fakeUplift = require('../support/fakeUplift');
const fakeUphanceMod = require('../support/fakeUphance');
const { activeTriggerWorkflow } = require('../support/workflows');
type Send = (method: string, url: string, options?: { body?: string | Buffer; headers?: Record<string, string> }) => Promise<Answer>;
const { rawRequest, rawRequestAnswered } = require('../support/rawHttp') as { rawRequest: Send; rawRequestAnswered: Send };
const { createUphanceCredential, createUpliftWebhookCredential, stopAll } = require('../support/vendorCredentials');

const MAX_BODY_DEPTH = 64; // nodes/shared/requestBody.ts
const UPLIFT_SECRET = 'e2e-hardening-secret-' + randomUUID().replace(/-/g, '');
const URL_TOKEN = 'e2e-hardening-token-' + randomUUID().replace(/-/g, '');
const ORG = 9579;
const TWENTY_MIB = 20 * 1024 * 1024;
/** long enough for an execution started by a late request to show up in the API */
const SETTLE_MS = 3000;
/** a stack frame, a source path of this package, or n8n's `stack` field */
const STACK = /\n\s+at |\bat .+:\d+:\d+|"stack"|nodes\/shared|\/dist\/|\.ts:\d+/;

type Answer = { status: number; text: string; error?: string };

let n8n: any;
let uplift: any;
let uphance: any;
let upliftCred: { id: string; name: string };
let uphanceCred: { id: string; name: string };

/** One POST with exactly these bytes, on its own connection (test/support/rawHttp.js). */
const rawPost = (url: string, body: Buffer | string, headers: Record<string, string>): Promise<Answer> => rawRequest('POST', url, { body, headers });
/** rawPost, again when the connection was cut before any answer arrived; every attempt counts towards the "no execution" check. */
const bigPost = (url: string, body: Buffer, headers: Record<string, string>): Promise<Answer> => rawRequestAnswered('POST', url, { body, headers });

const show = (a: Answer) => `${a.status}${a.error ? ` (${a.error})` : ''} ${a.text.slice(0, 300)}`;

async function executionCount(workflowId: string): Promise<number> {
	return (await n8n.listExecutions(workflowId, { includeData: false })).length;
}

/** Sends the requests and checks that the workflow's execution count did not move. */
async function withoutExecutions(workflowId: string, send: () => Promise<Answer[]>): Promise<Answer[]> {
	const before = await executionCount(workflowId);
	const answers = await send();
	await new Promise((r) => setTimeout(r, SETTLE_MS));
	expect(await executionCount(workflowId)).toBe(before);
	return answers;
}

/** `[[[…]]]` nested `depth` deep as the value of one more field of an event's JSON text */
function withDeepField(json: string, depth: number): string {
	return `${json.slice(0, -1)},"deep":${'['.repeat(depth)}${']'.repeat(depth)}}`;
}

interface TriggerCase {
	name: string;
	workflow(parameters?: Record<string, unknown>): Promise<{ id: string; url: string }>;
	/** headers and URL that pass authentication for this body */
	authenticated(url: string, body: string): { url: string; headers: Record<string, string> };
	validBody(): string;
}

const triggers: TriggerCase[] = [
	{
		name: 'Uplift Trigger',
		workflow: async (parameters = {}) =>
			await activeTriggerWorkflow(n8n, {
				nodeName: 'upliftTrigger',
				triggerName: 'Uplift Trigger',
				parameters,
				credential: { type: 'upliftWebhookApi', id: upliftCred.id, name: upliftCred.name },
			}),
		authenticated: (url, body) => ({ url, headers: { 'content-type': 'application/json', 'x-uplift-signature-256': fakeUplift.sign(UPLIFT_SECRET, body) } }),
		validBody: () => fakeUplift.signedDelivery({ secret: UPLIFT_SECRET, type: 'webhook.created' }).body,
	},
	{
		name: 'Uphance Trigger',
		workflow: async (parameters = {}) =>
			await activeTriggerWorkflow(n8n, {
				nodeName: 'uphanceTrigger',
				triggerName: 'Uphance Trigger',
				parameters,
				credential: { type: 'uphanceApi', id: uphanceCred.id, name: uphanceCred.name },
			}),
		authenticated: (url, body) => ({ url: `${url}?token=${URL_TOKEN}`, headers: { 'content-type': 'application/json' } }),
		validBody: () => JSON.stringify(fakeUphanceMod.buildWebhookBody('pick_ticket_update', { id: 4242, updated_at: '2026-01-01T00:00:00Z' })),
	},
];

beforeAll(async () => {
	uplift = await fakeUplift.start({ apiKey: 'sk_e2e_hardening' });
	uphance = await fakeUphanceMod.start({ email: 'e2e@uphance.example', password: 'uphance-e2e-password', organisations: [{ id: ORG, name: 'E2E Org' }] });
	n8n = new N8nInstance({ name: 'hardening-e2e' });
	await n8n.start();
	upliftCred = await createUpliftWebhookCredential(n8n, { signingSecret: UPLIFT_SECRET });
	uphanceCred = await createUphanceCredential(n8n, uphance, { organisationId: ORG, urlToken: URL_TOKEN });
}, 900000);

afterAll(async () => {
	await stopAll(n8n, uplift, uphance);
});

describe.each(triggers)('$name in a real n8n: hostile requests start nothing', (trigger) => {
	describe('bodies', () => {
		let wf: { id: string; url: string };

		beforeAll(async () => {
			wf = await trigger.workflow();
		});

		test('multipart/form-data without signature or token (n8n consumed the body) -> 400 from the node, no stack, no execution', async () => {
			const [a] = await withoutExecutions(wf.id, async () => [
				await rawPost(wf.url, '--xyz--\r\n', { 'content-type': 'multipart/form-data; boundary=xyz' }),
			]);
			process.stderr.write(`[hardening] ${n8n.version} ${trigger.name} multipart -> ${show(a)}\n`);
			expect(show(a)).toMatch(/^400\b/);
			expect(JSON.parse(a.text)).toEqual({ error: expect.stringMatching(/multipart\/form-data bodies are not accepted/) });
			expect(a.text).not.toMatch(STACK);
		});

		test('20 MiB application/octet-stream -> 413 from the node, no stack, no execution', async () => {
			const [a] = await withoutExecutions(wf.id, async () => [
				await bigPost(wf.url, Buffer.alloc(TWENTY_MIB), { 'content-type': 'application/octet-stream' }),
			]);
			process.stderr.write(`[hardening] ${n8n.version} ${trigger.name} 20 MiB octet-stream -> ${show(a)}\n`);
			expect(show(a)).toMatch(/^413\b/);
			expect(JSON.parse(a.text)).toEqual({ error: expect.stringMatching(/too large/) });
			expect(a.text).not.toMatch(STACK);
		});

		test('20 MiB application/json -> n8n itself answers 500 before the node runs (N8N_PAYLOAD_SIZE_MAX), no execution', async () => {
			// n8n parses JSON bodies itself, so the node cannot answer this one.
			const [a] = await withoutExecutions(wf.id, async () => [
				await bigPost(wf.url, Buffer.alloc(TWENTY_MIB, 0x20), { 'content-type': 'application/json' }),
			]);
			process.stderr.write(`[hardening] ${n8n.version} ${trigger.name} 20 MiB application/json -> ${show(a)}\n`);
			expect(show(a)).toMatch(/^500\b/);
			expect(JSON.parse(a.text)).toMatchObject({ code: 0, message: 'There was a problem executing the workflow' });
			// no frame of the package (installed as <user folder>/.n8n/nodes/node_modules/<package>): the
			// node never ran. (n8n's own install may sit in a folder of any name, CI's cache included.)
			expect(a.text).not.toMatch(/node_modules\/n8n-nodes-uphance-uplift\/|nodes\/shared|Trigger\.node/);
		});

		test(`authenticated body nested 10,000 levels deep -> 400 naming the ${MAX_BODY_DEPTH}-level limit, no stack, no execution`, async () => {
			const body = withDeepField(trigger.validBody(), 10_000);
			const { url, headers } = trigger.authenticated(wf.url, body);
			const [a] = await withoutExecutions(wf.id, async () => [await rawPost(url, body, headers)]);
			process.stderr.write(`[hardening] ${n8n.version} ${trigger.name} 10,000 deep -> ${show(a)}\n`);
			expect(show(a)).toMatch(/^400\b/);
			expect(JSON.parse(a.text).error).toContain(`${MAX_BODY_DEPTH} levels`);
			expect(a.text).not.toMatch(STACK);
		});
	});

	test('an unauthenticated request to a trigger with an unreadable IP allowlist -> 503 without the allowlist, no execution', async () => {
		const wf = await trigger.workflow({ options: { ipAllowlist: '10.0.0.0/8, 192.0.2.77, not-an-ip' } });
		const [a] = await withoutExecutions(wf.id, async () => [await rawPost(wf.url, trigger.validBody(), { 'content-type': 'application/json' })]);
		process.stderr.write(`[hardening] ${n8n.version} ${trigger.name} broken allowlist -> ${show(a)}\n`);
		expect(show(a)).toMatch(/^503\b/);
		for (const leak of ['not-an-ip', '10.0.0.0', '192.0.2.77', 'allowlist', 'CIDR']) expect(a.text).not.toContain(leak);
		expect(JSON.parse(a.text)).toEqual({ error: expect.stringMatching(/not ready to accept deliveries/) });
		expect(a.text).not.toMatch(STACK);
	});

	test('control: a valid authenticated delivery still starts exactly one execution', async () => {
		const wf = await trigger.workflow({ fetchRecord: false });
		const body = trigger.validBody();
		const { url, headers } = trigger.authenticated(wf.url, body);
		const a = await rawPost(url, body, headers);
		expect(show(a)).toMatch(/^200\b/);
		await n8n.waitForExecutions(wf.id, 1, 60000);
	});
});
