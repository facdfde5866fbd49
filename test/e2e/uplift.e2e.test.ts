/**
 * End-to-end: Uplift Trigger installed as a community package in a real n8n, driven over real HTTP.
 * Run with `npm run test:e2e` (see scripts/test-e2e.sh). One n8n per file; one workflow per scenario.
 */
import { execFileSync } from 'child_process';
import { randomUUID } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';

/* eslint-disable @typescript-eslint/no-var-requires */
const { N8nInstance, nodeOutput } = require('../support/n8nInstance');
const fakeUplift = require('../support/fakeUplift');
const { activeTriggerWorkflow, SET_NODE } = require('../support/workflows');
const { post } = require('../support/http') as { post: (url: string, body: unknown, headers?: Record<string, string>) => Promise<Resp> };
const { createUpliftWebhookCredential, stopAll } = require('../support/vendorCredentials');

const TRIGGER = 'Uplift Trigger';
const SECRET = 'e2e-uplift-secret-' + randomUUID().replace(/-/g, '');
const API_KEY = 'sk_e2e_' + randomUUID().replace(/-/g, '');
const CSV = 'frame,time,pelvis_rotation\n0,0.000,12.5\n1,0.033,13.1\n';
/** E2E_PASS=compat (the n8n 2.8.4 and 1.123.81 passes of `npm test`) uses a smaller burst. */
const BULK = process.env.E2E_PASS === 'compat' ? 50 : 200;

type Resp = { status: number; text: string; json: any; ms: number };

/** status + body, so a failed status assertion shows what n8n answered */
const show = (r: Resp) => `${r.status} ${r.text.slice(0, 500)}`;

let n8n: any;
let fake: any;
let cred: { id: string; name: string };

async function newWorkflow(parameters: Record<string, unknown> = {}) {
	const credential = { type: 'upliftWebhookApi', id: cred.id, name: cred.name };
	const wf = await activeTriggerWorkflow(n8n, { nodeName: 'upliftTrigger', triggerName: TRIGGER, parameters, credential });
	return { id: wf.id as string, url: wf.url as string };
}

beforeAll(async () => {
	fake = await fakeUplift.start({ apiKey: API_KEY });
	n8n = new N8nInstance({ name: 'uplift-e2e' });
	await n8n.start();
	cred = await createUpliftWebhookCredential(n8n, { signingSecret: SECRET });
}, 900000);

afterAll(async () => {
	await stopAll(n8n, fake);
});

describe('Uplift Trigger in a real n8n', () => {
	test('package: the tarball and the installed package carry no zod, and the node requires zod at run time', () => {
		const listing = execFileSync('tar', ['tzf', n8n.tarball], { encoding: 'utf8' });
		expect(listing).not.toMatch(/(^|\/)node_modules\//m);
		expect(listing).not.toMatch(/zod/);
		expect(fs.existsSync(path.join(n8n.packageDir, 'node_modules', 'zod'))).toBe(false);
		expect(fs.existsSync(path.join(n8n.packageDir, 'node_modules', 'n8n-workflow'))).toBe(false);
		// zod must come from n8n's own node_modules, not from one next to the installed package
		expect(fs.existsSync(path.join(n8n.folder, '.n8n', 'nodes', 'node_modules', 'zod'))).toBe(false);
		const dist = path.join(n8n.packageDir, 'dist');
		const grep = execFileSync('grep', ['-rlE', 'require\\("zod"\\)', dist], { encoding: 'utf8' });
		expect(grep.trim()).not.toBe('');
	});

	test('icons: n8n serves the light and dark icon of both triggers and both credentials from the package', async () => {
		const nodes = await n8n.rest('GET', '/types/nodes.json');
		const credentials = await n8n.rest('GET', '/types/credentials.json');
		expect(nodes.status).toBe(200);
		expect(credentials.status).toBe(200);
		const ours = [...nodes.json, ...credentials.json].filter((t: any) => /uphance|uplift/i.test(String(t.name)));
		expect(ours.map((t: any) => String(t.name).replace(/^.*\./, '')).sort()).toEqual(expect.arrayContaining(['uphanceApi', 'uphanceTrigger', 'upliftApi', 'upliftTrigger', 'upliftWebhookApi']));
		const urls = ours.flatMap((t: any) => (typeof t.iconUrl === 'string' ? [t.iconUrl] : [t.iconUrl?.light, t.iconUrl?.dark]));
		expect(urls.length).toBeGreaterThanOrEqual(8);
		for (const url of urls) {
			expect(typeof url).toBe('string');
			const r = await fetch(`${n8n.baseUrl}/${url}`);
			const text = await r.text();
			expect(`${r.status} ${url}`).toBe(`200 ${url}`);
			expect(text).toContain('<svg');
		}
	});

	test("credential test (n8n's Test button): the right API key connects, a wrong one is refused", async () => {
		const testCredential = async (apiKey: string) => {
			const data = { apiKey, baseUrl: fake.apiBaseUrl };
			const c = await n8n.createCredential('upliftApi', `Uplift test ${randomUUID().slice(0, 8)}`, data);
			const r = await n8n.rest('POST', '/rest/credentials/test', { credentials: { id: c.id, name: c.name, type: 'upliftApi', data } });
			expect(r.status).toBe(200);
			return r.json.data;
		};
		expect(await testCredential(API_KEY)).toMatchObject({ status: 'OK' });
		expect(await testCredential('sk_wrong_key')).toMatchObject({ status: 'Error' });
	});

	test('valid signed movement.analytics.created -> 200 fast, 1 execution with event, CSV binary, Set node output', async () => {
		const wf = await newWorkflow();
		const csvName = 'valid-' + randomUUID();
		fake.setCsv(csvName, CSV);
		const d = fakeUplift.signedDelivery({ secret: SECRET, csvUrl: fake.csvUrl(csvName) });

		const r = await post(wf.url, d.body, d.headers);
		expect(show(r)).toMatch(/^200\b/);
		expect(r.text).toBe('');

		const [ex] = await n8n.waitForExecutions(wf.id, 1, 60000);
		expect(ex.status).toBe('success');
		const out = nodeOutput(ex, TRIGGER);
		expect(out).toHaveLength(1);
		const item = out[0];
		expect(item.json).toMatchObject({
			id: d.event.id,
			type: 'movement.analytics.created',
			apiVersion: '01/01/2022',
			object: 'event',
			data: { object: d.event.data.object },
		});
		expect(item.json.created).toBe(new Date(d.event.created).toISOString());
		expect(typeof item.json.deliveryKey).toBe('string');
		expect(item.json.deliveryKey.length).toBeGreaterThan(0);
		expect(Number.isNaN(Date.parse(item.json.receivedAt))).toBe(false);
		expect(item.json.fetch.csv.status).toBe('downloaded');

		const bin = item.binary && item.binary.data;
		expect(bin).toBeDefined();
		expect(bin.fileName).toMatch(/\.csv$/);
		expect(bin.mimeType).toMatch(/^text\/csv/);
		expect(n8n.binaryContent(bin).toString('utf8')).toBe(CSV);

		const setOut = nodeOutput(ex, SET_NODE);
		expect(setOut).toHaveLength(1);
		expect(setOut[0].json).toMatchObject({ id: d.event.id, type: 'movement.analytics.created', seenBySetNode: true });

		const csvReqs = fake.csvRequests(csvName);
		expect(csvReqs).toHaveLength(1);
		expect(csvReqs[0].authorization).toBeNull();
	});

	test('missing signature, wrong secret, tampered body -> 401 JSON error and no execution', async () => {
		const wf = await newWorkflow();
		const csvUrl = fake.csvUrl('unused');

		const unsigned = fakeUplift.signedDelivery({ secret: null, csvUrl });
		const r1 = await post(wf.url, unsigned.body, unsigned.headers);
		expect(show(r1)).toMatch(/^401\b/);
		expect(r1.json && r1.json.error).toBeTruthy();

		const wrong = fakeUplift.signedDelivery({ secret: SECRET + '-wrong', csvUrl });
		const r2 = await post(wf.url, wrong.body, wrong.headers);
		expect(show(r2)).toMatch(/^401\b/);
		expect(r2.json && r2.json.error).toBeTruthy();

		const good = fakeUplift.signedDelivery({ secret: SECRET, csvUrl });
		const tampered = good.body.replace('sample athlete', 'someone else');
		expect(tampered).not.toBe(good.body);
		const r3 = await post(wf.url, tampered, good.headers);
		expect(show(r3)).toMatch(/^401\b/);
		expect(r3.json && r3.json.error).toBeTruthy();

		await n8n.waitForExecutions(wf.id, 0, 10000);
	});

	test('bad bodies -> 400 (never 500); unselected event type -> 200 without execution', async () => {
		const wf = await newWorkflow({ events: ['webhook.created'] });
		const sign = (body: string) => ({ 'content-type': 'application/json', 'x-uplift-signature-256': fakeUplift.sign(SECRET, body) });

		const notJson = 'this is { not json';
		// With content-type application/json, n8n's own body parser rejects invalid JSON with 422
		// before the node runs (n8n webhook-helpers parseRequestBody; README, "What n8n answers before
		// the node runs"; the details are in test/e2e/beforeTheNode.e2e.test.ts).
		const r1 = await post(wf.url, notJson, sign(notJson));
		expect(show(r1)).toMatch(/^422\b/);
		expect(r1.json).toMatchObject({ code: 422, message: 'Failed to parse request body' });
		// As text/plain the body reaches the node, which must answer 400 itself.
		const r1b = await post(wf.url, notJson, { ...sign(notJson), 'content-type': 'text/plain' });
		expect(show(r1b)).toMatch(/^400\b/);

		const notEnvelope = JSON.stringify({ hello: 'world' });
		const r2 = await post(wf.url, notEnvelope, sign(notEnvelope));
		expect(show(r2)).toMatch(/^400\b/);
		expect(r2.text).toMatch(/\b(id|type|object|created|data)\b/);

		for (const body of ['[]', 'null', '"x"', '{}', '{"id":"x","object":"event","type":"webhook.created","api_version":"01/01/2022","created":"yesterday","data":{}}']) {
			const r = await post(wf.url, body, sign(body));
			expect(`${body} -> ${show(r)}`).toMatch(/ -> 400\b/);
		}

		const movement = fakeUplift.signedDelivery({ secret: SECRET, csvUrl: fake.csvUrl('unused') });
		const r3 = await post(wf.url, movement.body, movement.headers);
		expect(show(r3)).toMatch(/^200\b/);

		const created = fakeUplift.signedDelivery({ secret: SECRET, type: 'webhook.created' });
		const r4 = await post(wf.url, created.body, created.headers);
		expect(show(r4)).toMatch(/^200\b/);

		const [ex] = await n8n.waitForExecutions(wf.id, 1, 60000);
		const out = nodeOutput(ex, TRIGGER);
		expect(out[0].json).toMatchObject({ id: created.event.id, type: 'webhook.created' });
		expect(out[0].json.fetch).toEqual({});
	});

	test('the Uplift Webhook API credential alone (no API key): its test passes; signed -> CSV; forged -> 401', async () => {
		const webhookCred = await createUpliftWebhookCredential(n8n, { signingSecret: SECRET });
		// n8n's Test button on a credential holding only the signing secret: no network, no "Couldn't connect"
		const tested = await n8n.rest('POST', '/rest/credentials/test', {
			credentials: { id: webhookCred.id, name: webhookCred.name, type: 'upliftWebhookApi', data: { signingSecret: SECRET, previousSigningSecret: '' } },
		});
		expect(tested.status).toBe(200);
		expect(tested.json.data).toMatchObject({ status: 'OK' });
		const empty = await n8n.rest('POST', '/rest/credentials/test', {
			credentials: { id: webhookCred.id, name: webhookCred.name, type: 'upliftWebhookApi', data: { signingSecret: '' } },
		});
		expect(empty.json.data).toMatchObject({ status: 'Error', message: expect.stringMatching(/^Enter the Signing Secret/) });

		const wf = await activeTriggerWorkflow(n8n, {
			nodeName: 'upliftTrigger',
			triggerName: TRIGGER,
			parameters: { events: ['movement.analytics.created'] },
			credential: { type: 'upliftWebhookApi', id: webhookCred.id, name: webhookCred.name },
		});
		const csvName = 'own-cred-' + randomUUID();
		fake.setCsv(csvName, CSV);
		const d = fakeUplift.signedDelivery({ secret: SECRET, csvUrl: fake.csvUrl(csvName) });
		expect(show(await post(wf.url, d.body, d.headers))).toMatch(/^200\b/);
		const forged = fakeUplift.signedDelivery({ secret: SECRET + 'x', csvUrl: fake.csvUrl(csvName) });
		expect(show(await post(wf.url, forged.body, forged.headers))).toMatch(/^401\b/);
		const [ex] = await n8n.waitForExecutions(wf.id, 1, 60000);
		const item = nodeOutput(ex, TRIGGER)[0];
		expect(item.json).toMatchObject({ id: d.event.id, fetch: { csv: { status: 'downloaded' } } });
		expect(n8n.binaryContent(item.binary.data).toString('utf8')).toBe(CSV);
	});

	test('Additional Events selects, the outcome is under fetch, Fetch Timeout bounds a slow download', async () => {
		const wf = await newWorkflow({ events: ['webhook.created'], additionalEvents: 'movement.analytics.created', options: { fetchTimeoutSeconds: 20 } });
		const csvName = 'more-' + randomUUID();
		fake.setCsv(csvName, CSV);
		const d = fakeUplift.signedDelivery({ secret: SECRET, csvUrl: fake.csvUrl(csvName) });
		expect(show(await post(wf.url, d.body, d.headers))).toMatch(/^200\b/);
		const [ex] = await n8n.waitForExecutions(wf.id, 1, 60000);
		const item = nodeOutput(ex, TRIGGER)[0];
		expect(item.json).toMatchObject({ id: d.event.id, fetch: { csv: { status: 'downloaded' } } });
		expect(n8n.binaryContent(item.binary.data).toString('utf8')).toBe(CSV);
		// without the typed-in name the same event is acknowledged and ignored
		const narrow = await newWorkflow({ events: ['webhook.created'] });
		const d2 = fakeUplift.signedDelivery({ secret: SECRET, csvUrl: fake.csvUrl(csvName) });
		expect(show(await post(narrow.url, d2.body, d2.headers))).toMatch(/^200\b.*ignored/);
		// Fetch Timeout reaches the node through n8n's parameter resolution
		const slow = await newWorkflow({ options: { fetchTimeoutSeconds: 1, maxRetries: 0 } });
		const slowName = 'slow-' + randomUUID();
		fake.setCsv(slowName, CSV);
		fake.holdCsv(); // the CSV server answers only when released, so only the timeout can end the download
		try {
			const d3 = fakeUplift.signedDelivery({ secret: SECRET, csvUrl: fake.csvUrl(slowName) });
			expect(show(await post(slow.url, d3.body, d3.headers))).toMatch(/^200\b/);
			const [slowEx] = await n8n.waitForExecutions(slow.id, 1, 60000);
			expect(nodeOutput(slowEx, TRIGGER)[0].json.fetch.csv).toMatchObject({ status: 'failed', error: expect.stringMatching(/timed out/) });
			expect(fake.csvRequests(slowName).filter((q: any) => q.repliedAt !== undefined)).toEqual([]);
		} finally {
			fake.releaseCsv();
		}
	});

	// shared by the de-duplication and restart scenarios
	const repeats: { wf?: { id: string; url: string }; deliveries: Array<{ body: string; headers: Record<string, string> }> } = { deliveries: [] };
	const bulk: { wf?: { id: string; url: string }; deliveries: Array<{ body: string; headers: Record<string, string> }> } = { deliveries: [] };

	test('wrong method -> 405 with Allow: POST; caller outside the IP allowlist -> 403; inside -> 200', async () => {
		const wf = await newWorkflow();
		for (const method of ['GET', 'PUT', 'PATCH', 'DELETE']) {
			const r = await fetch(wf.url, { method });
			const text = await r.text();
			expect(`${method} -> ${r.status} ${text.slice(0, 200)}`).toMatch(/ -> 405 /);
			expect(r.headers.get('allow')).toBe('POST');
		}

		const outside = await newWorkflow({ options: { ipAllowlist: '54.245.28.22' } });
		const d1 = fakeUplift.signedDelivery({ secret: SECRET, type: 'webhook.created' });
		const r1 = await post(outside.url, d1.body, d1.headers);
		expect(show(r1)).toMatch(/^403\b/);

		const inside = await newWorkflow({ options: { ipAllowlist: '54.245.28.22, 127.0.0.1, ::1' } });
		const d2 = fakeUplift.signedDelivery({ secret: SECRET, type: 'webhook.created' });
		expect(show(await post(inside.url, d2.body, d2.headers))).toMatch(/^200\b/);

		await n8n.waitForExecutions(wf.id, 0, 5000);
		await n8n.waitForExecutions(outside.id, 0, 5000);
		await n8n.waitForExecutions(inside.id, 1, 60000);
	});

	test('same delivery twice, seconds apart -> 1 execution; second answer is 200 {duplicate: true}', async () => {
		repeats.wf = await newWorkflow();
		const d = fakeUplift.signedDelivery({ secret: SECRET, csvUrl: fake.csvUrl('dup') });
		repeats.deliveries.push(d);
		const r1 = await post(repeats.wf.url, d.body, d.headers);
		expect(show(r1)).toMatch(/^200\b/);
		await new Promise((r) => setTimeout(r, 2000));
		const r2 = await post(repeats.wf.url, d.body, d.headers);
		expect(show(r2)).toMatch(/^200\b/);
		expect(r2.json).toEqual({ received: true, duplicate: true });
		await n8n.waitForExecutions(repeats.wf.id, 1, 60000);
	});

	test('50 concurrent copies of one delivery -> 1 execution', async () => {
		const wf = await newWorkflow();
		const d = fakeUplift.signedDelivery({ secret: SECRET, csvUrl: fake.csvUrl('concurrent') });
		const rs = await Promise.all(Array.from({ length: 50 }, () => post(wf.url, d.body, d.headers)));
		expect(rs.map((r) => r.status)).toEqual(Array(50).fill(200));
		const dupes = rs.filter((r) => r.json && r.json.duplicate === true).length;
		expect(dupes).toBe(49);
		await n8n.waitForExecutions(wf.id, 1, 60000);
	});

	test(`${BULK} concurrent distinct deliveries -> ${BULK} executions; redelivering all ${BULK} -> 0 new`, async () => {
		bulk.wf = await newWorkflow({ options: { downloadCsv: false } });
		for (let i = 0; i < BULK; i++) bulk.deliveries.push(fakeUplift.signedDelivery({ secret: SECRET, csvUrl: fake.csvUrl('bulk') }));
		const t0 = Date.now();
		const rs = await Promise.all(bulk.deliveries.map((d) => post(bulk.wf!.url, d.body, d.headers)));
		const statuses = rs.map((r) => r.status);
		expect(statuses.filter((s) => s !== 200)).toEqual([]);
		expect(rs.filter((r) => r.json && r.json.duplicate).length).toBe(0);
		process.stderr.write(`[uplift e2e] ${BULK} concurrent deliveries answered in ${Date.now() - t0} ms (max ${Math.max(...rs.map((r) => r.ms))} ms)\n`);
		const execs = await n8n.waitForExecutions(bulk.wf.id, BULK, 180000, { settleMs: 3000 });
		const ids = new Set(execs.map((e: any) => nodeOutput(e, TRIGGER)[0].json.id));
		expect(ids.size).toBe(BULK);
		expect(execs.filter((e: any) => e.status !== 'success').length).toBe(0);

		const again = await Promise.all(bulk.deliveries.map((d) => post(bulk.wf!.url, d.body, d.headers)));
		expect(again.filter((r) => r.status !== 200)).toEqual([]);
		expect(again.filter((r) => r.json && r.json.duplicate === true).length).toBe(BULK);
		await n8n.waitForExecutions(bulk.wf.id, BULK, 30000, { settleMs: 3000 });
	});

	test('after an n8n restart, redelivering earlier deliveries -> 0 new executions', async () => {
		expect(repeats.wf && bulk.wf).toBeTruthy();
		const t0 = Date.now();
		await n8n.restart();
		process.stderr.write(`[uplift e2e] restart took ${Date.now() - t0} ms\n`);

		const r1 = await post(repeats.wf!.url, repeats.deliveries[0].body, repeats.deliveries[0].headers);
		expect(show(r1)).toMatch(/^200\b/);
		expect(r1.json).toEqual({ received: true, duplicate: true });

		const rs = await Promise.all(bulk.deliveries.map((d) => post(bulk.wf!.url, d.body, d.headers)));
		expect(rs.filter((r) => r.status !== 200)).toEqual([]);
		const notDupes = rs.filter((r) => !(r.json && r.json.duplicate === true)).length;
		expect(notDupes).toBe(0);

		await n8n.waitForExecutions(repeats.wf!.id, 1, 30000, { settleMs: 2000 });
		await n8n.waitForExecutions(bulk.wf!.id, BULK, 30000, { settleMs: 2000 });
	});

	test('CSV server holding its answer -> the webhook answers first, and the execution has the CSV once the server replies', async () => {
		// The CSV server answers only when the test releases it, after the webhook was answered: a node
		// that waited for the download would never answer first. (The time it saves is measured in
		// bench/n8n.js, "slow follow-up".)
		const wf = await newWorkflow();
		const csvName = 'slow-' + randomUUID();
		fake.setCsv(csvName, CSV);
		fake.holdCsv();
		try {
			const d = fakeUplift.signedDelivery({ secret: SECRET, csvUrl: fake.csvUrl(csvName) });
			const r = await post(wf.url, d.body, d.headers);
			expect(show(r)).toMatch(/^200\b/);
			// answered with nothing of the CSV served: not requested yet, or held by the server
			expect(fake.csvRequests(csvName).filter((q: any) => q.repliedAt !== undefined)).toEqual([]);
			for (const deadline = Date.now() + 60000; fake.csvRequests(csvName).length === 0; await new Promise((res) => setTimeout(res, 200)))
				if (Date.now() > deadline) throw new Error('the execution never requested the CSV');
			fake.releaseCsv();
			const [ex] = await n8n.waitForExecutions(wf.id, 1, 60000);
			expect(ex.status).toBe('success');
			const item = nodeOutput(ex, TRIGGER)[0];
			expect(item.json.fetch.csv.status).toBe('downloaded');
			expect(n8n.binaryContent(item.binary.data).toString('utf8')).toBe(CSV);
			expect(nodeOutput(ex, SET_NODE)[0].json).toMatchObject({ id: d.event.id, seenBySetNode: true });
			// the download the execution made is the one the server held
			const [download, ...more] = fake.csvRequests(csvName);
			expect(more).toEqual([]);
			expect(download.repliedAt).toBeGreaterThanOrEqual(download.at);
		} finally {
			fake.releaseCsv();
		}
	});
});
