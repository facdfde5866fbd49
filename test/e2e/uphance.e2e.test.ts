/**
 * End-to-end: Uphance Trigger installed as a community package in a real n8n, with a fake Uphance
 * API (test/support/fakeUphance.js) behind it. Run with `npm run test:e2e`.
 */
import { randomUUID } from 'crypto';

/* eslint-disable @typescript-eslint/no-var-requires */
const { N8nInstance, nodeOutput, freePort } = require('../support/n8nInstance');
const fakeUphanceMod = require('../support/fakeUphance');
const { activeTriggerWorkflow, SET_NODE, triggerToSet } = require('../support/workflows');
const { post } = require('../support/http') as { post: (url: string, body: unknown, headers?: Record<string, string>) => Promise<Resp> };
const { createUphanceCredential, stopAll } = require('../support/vendorCredentials');

const TRIGGER = 'Uphance Trigger';
const URL_TOKEN = 'e2e-url-token-' + randomUUID().replace(/-/g, '');
const ORG = 9579;

type Resp = { status: number; text: string; json: any; ms: number };
const show = (r: Resp) => `${r.status} ${r.text.slice(0, 500)}`;

let n8n: any;
let fake: any;
let cred: { id: string; name: string };
let nextId = 700000;

async function newWorkflow(parameters: Record<string, unknown> = {}) {
	const credential = { type: 'uphanceApi', id: cred.id, name: cred.name };
	const wf = await activeTriggerWorkflow(n8n, { nodeName: 'uphanceTrigger', triggerName: TRIGGER, parameters, credential });
	return { id: wf.id as string, url: wf.url as string, urlWithToken: `${wf.url}?token=${URL_TOKEN}` };
}

/** A webhook body whose record differs from the API's copy, so the test can tell which one it got. */
function webhookFor(resource: string, action = 'update', id = nextId++) {
	const apiRecord = fake.setRecord(resource, id, { ...fakeUphanceMod.sampleRecord(resource, id), source: 'api' });
	const hookRecord = { ...apiRecord, source: 'webhook' };
	return { id, apiRecord, body: fakeUphanceMod.buildWebhookBody(`${resource}_${action}`, hookRecord) };
}

beforeAll(async () => {
	fake = await fakeUphanceMod.start({ email: 'e2e@uphance.example', password: 'uphance-e2e-password', organisations: [{ id: ORG, name: 'E2E Org' }] });
	n8n = new N8nInstance({ name: 'uphance-e2e' });
	await n8n.start();
	cred = await createUphanceCredential(n8n, fake, { organisationId: ORG, urlToken: URL_TOKEN });
}, 900000);

afterAll(async () => {
	await stopAll(n8n, fake);
});

describe('Uphance Trigger in a real n8n', () => {
	test("credential test (n8n's Test button): signs in and selects the organisation; a wrong organisation or password is named", async () => {
		const testCredential = async (overrides: Record<string, string>) => {
			const data = { email: fake.email, password: fake.password, organisationId: String(ORG), urlToken: URL_TOKEN, baseUrl: fake.url, ...overrides };
			const c = await n8n.createCredential('uphanceApi', `Uphance test ${randomUUID().slice(0, 8)}`, data);
			const r = await n8n.rest('POST', '/rest/credentials/test', { credentials: { id: c.id, name: c.name, type: 'uphanceApi', data } });
			expect(r.status).toBe(200);
			return r.json.data;
		};
		expect(await testCredential({})).toMatchObject({ status: 'OK' });
		const wrongOrg = await testCredential({ organisationId: '1111' });
		expect(wrongOrg.status).toBe('Error');
		// the message the dialog shows: the sign-in worked, the organisation is the problem
		expect(wrongOrg.message).toMatch(/^Check the Uphance API credential: signed in, but organisation 1111 is not among .*9579/s);
		expect(wrongOrg.message).not.toMatch(/sign-in refused/i);
		const wrongPassword = await testCredential({ password: 'not-the-password' });
		expect(wrongPassword.status).toBe('Error');
		expect(wrongPassword.message).toMatch(/did not accept the email and password/);
		expect(wrongPassword.message).not.toContain('not-the-password');
		// an unreachable Base URL: the package's words, not n8n's generic "The service refused the connection"
		const closedPort: number = await freePort(); // bound, then closed: nothing listens there
		const unreachable = await testCredential({ baseUrl: `http://127.0.0.1:${closedPort}` });
		expect(unreachable).toEqual({
			status: 'Error',
			message: `Uphance is unavailable: Signing in (POST /oauth/token) failed: connection refused (http://127.0.0.1:${closedPort}/oauth/token). Check the Base URL in the Uphance API credential, or try again later.`,
		});
	});

	test('a credential without a Webhook URL Token: the workflow does not activate, and the error names the field', async () => {
		const noToken = await n8n.createCredential('uphanceApi', `Uphance no token ${randomUUID().slice(0, 8)}`, {
			email: fake.email,
			password: fake.password,
			organisationId: String(ORG),
			baseUrl: fake.url,
		});
		const { workflow, webhookId } = triggerToSet({
			nodeName: 'uphanceTrigger',
			triggerName: TRIGGER,
			parameters: {},
			credential: { type: 'uphanceApi', id: noToken.id, name: noToken.name },
		});
		const created = await n8n.createWorkflow(workflow);
		// n8n 2.8.4 activates at once and answers the error (400). n8n 2.40.7 accepts the request,
		// publishes in the background and records the error as the trigger's publication status, which
		// the editor shows (GET /rest/workflows/:id/publication-status). Either way the user gets the
		// node's message.
		const activation = await fetch(`${n8n.baseUrl}/api/v1/workflows/${created.id}/activate`, { method: 'POST', headers: { 'X-N8N-API-KEY': n8n.apiKey } });
		let shown = `${activation.status} ${await activation.text()}`;
		for (let i = 0; activation.status === 200 && !/no Webhook URL Token/.test(shown) && i < 60; i++) {
			await new Promise((r) => setTimeout(r, 500));
			const publication = await n8n.rest('GET', `/rest/workflows/${created.id}/publication-status`);
			const error = await n8n.rest('GET', `/rest/active-workflows/error/${created.id}`);
			shown = `publication status: ${JSON.stringify(publication.json)}; activation error: ${JSON.stringify(error.json)}`;
		}
		expect(shown).toMatch(/The Uphance API credential has no Webhook URL Token/);
		// nothing listens: a delivery gets n8n's 404, not a 503 that Uphance would retry for 48 hours
		const r = await post(n8n.webhookUrl(webhookId), webhookFor('pick_ticket').body);
		expect(show(r)).toMatch(/^404\b/);
		// with Require URL Token off, the same credential activates
		const off = triggerToSet({
			nodeName: 'uphanceTrigger',
			triggerName: TRIGGER,
			parameters: { requireUrlToken: false },
			credential: { type: 'uphanceApi', id: noToken.id, name: noToken.name },
		});
		const createdOff = await n8n.createWorkflow(off.workflow);
		await n8n.activate(createdOff.id, n8n.webhookUrl(off.webhookId));
		expect((await n8n.getWorkflow(createdOff.id)).active).toBe(true);
	});

	test('pick_ticket_update with the URL token -> 200, 1 execution with the API copy of the record', async () => {
		const wf = await newWorkflow();
		const w = webhookFor('pick_ticket');
		fake.clearLog();
		const r = await post(wf.urlWithToken, w.body);
		expect(show(r)).toMatch(/^200\b/);

		const [ex] = await n8n.waitForExecutions(wf.id, 1, 60000);
		expect(ex.status).toBe('success');
		const item = nodeOutput(ex, TRIGGER)[0];
		expect(item.json).toMatchObject({
			event: 'pick_ticket_update',
			resource: 'pick_ticket',
			action: 'update',
			id: w.id,
			recordSource: 'api',
			fetch: { status: 'fetched' },
		});
		expect(item.json.record).toEqual(w.apiRecord);
		expect(typeof item.json.deliveryKey).toBe('string');
		expect(Number.isNaN(Date.parse(item.json.receivedAt))).toBe(false);
		expect(nodeOutput(ex, SET_NODE)[0].json).toMatchObject({ event: 'pick_ticket_update', id: w.id, seenBySetNode: true });

		// signed in, selected the organisation, fetched the record with the bearer token
		const paths = fake.requests.map((q: any) => `${q.method} ${q.path}`);
		expect(paths).toContain('POST /oauth/token');
		expect(paths).toContain('POST /organisations/set_current_org');
		expect(paths).toContain(`GET /pick_tickets/${w.id}`);
	});

	test('without the URL token -> 401; with it -> 200 and the API copy', async () => {
		const wf = await newWorkflow();
		const w = webhookFor('pick_ticket');
		expect(show(await post(wf.url, w.body))).toMatch(/^401\b/);
		expect(show(await post(wf.urlWithToken, w.body))).toMatch(/^200\b/);
		const [ex] = await n8n.waitForExecutions(wf.id, 1, 60000);
		expect(nodeOutput(ex, TRIGGER)[0].json).toMatchObject({ event: 'pick_ticket_update', recordSource: 'api', record: w.apiRecord });
	});

	test('each resource is fetched from its endpoint and unwrapped from its envelope', async () => {
		const wf = await newWorkflow();
		const hooks = ['invoice', 'credit_note', 'product', 'receiving_ticket'].map((r) => webhookFor(r));
		for (const w of hooks) expect(show(await post(wf.urlWithToken, w.body))).toMatch(/^200\b/);
		const execs = await n8n.waitForExecutions(wf.id, hooks.length, 60000);
		for (const w of hooks) {
			const ex = execs.find((e: any) => nodeOutput(e, TRIGGER)[0].json.id === w.id);
			expect(ex).toBeDefined();
			const json = nodeOutput(ex, TRIGGER)[0].json;
			expect({ event: json.event, recordSource: json.recordSource, record: json.record }).toEqual({
				event: w.body.event,
				recordSource: 'api',
				record: w.apiRecord,
			});
		}
		expect(fake.requests.some((q: any) => q.path === '/invoices' && q.query.includes(`invoice_id=${hooks[0].id}`))).toBe(true);
	});

	test('missing or wrong URL token -> 401, no execution, no API call', async () => {
		const wf = await newWorkflow();
		const w = webhookFor('pick_ticket');
		fake.clearLog();
		expect(show(await post(wf.url, w.body))).toMatch(/^401\b/);
		expect(show(await post(`${wf.url}?token=wrong`, w.body))).toMatch(/^401\b/);
		await n8n.waitForExecutions(wf.id, 0, 10000);
		expect(fake.dataRequests()).toHaveLength(0);
	});

	test('bad bodies -> 400 naming what is wrong, no execution; other methods -> 405 with Allow: POST', async () => {
		const wf = await newWorkflow();
		for (const body of ['{}', '[]', '{"event":"pick_ticket_update"}', '{"event":"pick_ticket_update","pick_ticket":{}}', '{"pick_ticket":{"id":1}}']) {
			const r = await post(wf.urlWithToken, body);
			expect(`${body} -> ${show(r)}`).toMatch(/ -> 400\b/);
			expect(r.json).toEqual({ error: expect.any(String) });
		}
		const r = await post(wf.urlWithToken, 'not json', { 'content-type': 'text/plain' });
		expect(show(r)).toMatch(/^400\b/);
		expect(r.json).toEqual({ error: expect.stringMatching(/not valid JSON/) });
		for (const method of ['GET', 'PUT', 'PATCH', 'DELETE']) {
			const m = await fetch(wf.urlWithToken, { method });
			const text = await m.text();
			expect(`${method} -> ${m.status} ${text.slice(0, 200)}`).toMatch(/ -> 405 /);
			expect(m.headers.get('allow')).toBe('POST');
			expect(JSON.parse(text)).toEqual({ error: expect.stringContaining(`does not accept ${method}`) });
		}
		await n8n.waitForExecutions(wf.id, 0, 10000);
	});

	test('same delivery twice -> 1 execution, the second is 200 {duplicate: true} and fetches nothing', async () => {
		const wf = await newWorkflow();
		const w = webhookFor('pick_ticket');
		expect(show(await post(wf.urlWithToken, w.body))).toMatch(/^200\b/);
		await n8n.waitForExecutions(wf.id, 1, 60000, { settleMs: 500 });
		fake.clearLog();
		const r2 = await post(wf.urlWithToken, w.body);
		expect(show(r2)).toMatch(/^200\b/);
		expect(r2.json).toEqual({ received: true, duplicate: true });
		await n8n.waitForExecutions(wf.id, 1, 30000);
		expect(fake.dataRequests()).toHaveLength(0);
	});

	test('20 concurrent copies of one delivery -> 1 execution', async () => {
		const wf = await newWorkflow();
		const w = webhookFor('pick_ticket');
		const rs = await Promise.all(Array.from({ length: 20 }, () => post(wf.urlWithToken, w.body)));
		expect(rs.map((r) => r.status)).toEqual(Array(20).fill(200));
		await n8n.waitForExecutions(wf.id, 1, 60000);
	});

	test('delete events are not fetched: the record is the webhook body', async () => {
		const wf = await newWorkflow();
		const id = nextId++;
		fake.clearLog();
		const body = fakeUphanceMod.buildWebhookBody('pick_ticket_delete', { id });
		expect(show(await post(wf.urlWithToken, body))).toMatch(/^200\b/);
		const [ex] = await n8n.waitForExecutions(wf.id, 1, 60000);
		expect(nodeOutput(ex, TRIGGER)[0].json).toMatchObject({ event: 'pick_ticket_delete', id, recordSource: 'payload', record: { id }, fetch: { status: 'skipped' } });
		expect(fake.dataRequests()).toHaveLength(0);
	});

	test('API answers 429 (Retry-After: 1) then OK -> retried, 1 execution with the API record', async () => {
		const wf = await newWorkflow();
		const w = webhookFor('product');
		fake.failNext(1, 429, 1);
		const r = await post(wf.urlWithToken, w.body);
		expect(show(r)).toMatch(/^200\b/);
		const [ex] = await n8n.waitForExecutions(wf.id, 1, 60000);
		expect(nodeOutput(ex, TRIGGER)[0].json).toMatchObject({ recordSource: 'api', record: w.apiRecord });
	});

	test('API down (503) with "acknowledge after fetch" -> 503 to Uphance, no execution; the retry later succeeds', async () => {
		const wf = await newWorkflow({ acknowledge: 'afterFetch', options: { maxRetries: 0 } });
		const w = webhookFor('pick_ticket');
		fake.mode('503');
		try {
			const r = await post(wf.urlWithToken, w.body);
			expect(show(r)).toMatch(/^503\b/);
			await n8n.waitForExecutions(wf.id, 0, 5000);
		} finally {
			fake.mode('ok');
		}
		const r2 = await post(wf.urlWithToken, w.body);
		expect(show(r2)).toMatch(/^200\b/);
		expect(r2.json && r2.json.duplicate).toBeFalsy();
		const [ex] = await n8n.waitForExecutions(wf.id, 1, 60000);
		expect(nodeOutput(ex, TRIGGER)[0].json).toMatchObject({ recordSource: 'api', record: w.apiRecord });
	});

	test('API hangs with "acknowledge immediately" -> 200 while the API still holds the fetch; the execution reports the failed fetch and keeps the webhook body', async () => {
		// The fetch timeout is longer than the test: the API's answer comes only when the test releases
		// it, after Uphance was answered. A node that waited for the fetch would never answer first.
		const wf = await newWorkflow({ acknowledge: 'immediately', options: { fetchTimeoutSeconds: 600, maxRetries: 0 } });
		const w = webhookFor('pick_ticket');
		fake.clearLog();
		fake.failDataRequests('hang', 1);
		try {
			const r = await post(wf.urlWithToken, w.body);
			expect(show(r)).toMatch(/^200\b/);
			// answered with nothing from the record fetch: not sent yet, or held by the API
			expect(fake.dataRequests().filter((q: any) => q.repliedAt !== undefined)).toEqual([]);
			// the execution asks for the record, and the API holds it until released (504)
			for (const deadline = Date.now() + 60000; fake.dataRequests().length === 0; await new Promise((res) => setTimeout(res, 200)))
				if (Date.now() > deadline) throw new Error('the execution never fetched the record');
			expect(fake.dataRequests()[0]).toMatchObject({ status: 'hang' });
			fake.releaseHung();
			const [ex] = await n8n.waitForExecutions(wf.id, 1, 60000);
			const json = nodeOutput(ex, TRIGGER)[0].json;
			expect(json).toMatchObject({ recordSource: 'payload', fetch: { status: 'failed', statusCode: 504 } });
			expect(json.record).toEqual(w.body.pick_ticket);
		} finally {
			fake.releaseHung();
			fake.mode('ok');
		}
	});

	test('expired session token -> the node signs in again and fetches', async () => {
		const wf = await newWorkflow();
		const first = webhookFor('customer');
		expect(show(await post(wf.urlWithToken, first.body))).toMatch(/^200\b/);
		await n8n.waitForExecutions(wf.id, 1, 60000, { settleMs: 500 });
		const tokensBefore = fake.tokensIssued;
		fake.mode('expireTokens');
		const w = webhookFor('customer');
		expect(show(await post(wf.urlWithToken, w.body))).toMatch(/^200\b/);
		const execs = await n8n.waitForExecutions(wf.id, 2, 60000);
		const ex = execs.find((e: any) => nodeOutput(e, TRIGGER)[0].json.id === w.id);
		expect(nodeOutput(ex, TRIGGER)[0].json).toMatchObject({ recordSource: 'api', record: w.apiRecord });
		expect(fake.tokensIssued).toBeGreaterThan(tokensBefore);
	});
});
