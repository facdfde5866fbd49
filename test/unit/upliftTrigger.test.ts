import { createServer } from 'http';
import type { AddressInfo } from 'net';
import type { Server } from 'http';
import type { INodeExecutionData } from 'n8n-workflow';

import { UpliftWebhookApi } from '../../credentials/UpliftWebhookApi.credentials';
import { MEMORY_FIELD } from '../../nodes/shared/duplicateMemory/staticData';
import { signSha256 } from '../../nodes/shared/signature';
import { UpliftTrigger } from '../../nodes/UpliftTrigger/UpliftTrigger.node';
import type { StubNodeSetup } from './helpers/n8nStubs';
import { callWebhook, CredentialStore, executeContext, RecordingLogger, runExecution, StaticDataRow } from './helpers/n8nStubs';
import { upliftCaptureKey, upliftCaughtUpKey } from '../../nodes/UpliftTrigger/upliftCatchUp';

const SECRET = 'test-signing-secret-0123456789abcdef';
const PREVIOUS = 'old-signing-secret';
const API_KEY = 'sk_test_api_key_do_not_leak';

let server: Server;
let baseUrl = '';
const served: Array<{ path: string; authorization?: string }> = [];
let csvDelayMs = 0;
let csvStatusQueue: number[] = [];

beforeAll(async () => {
	server = createServer((req, res) => {
		served.push({ path: req.url ?? '', authorization: req.headers.authorization });
		const url = new URL(req.url ?? '/', 'http://x');
		if (url.pathname.startsWith('/files/')) {
			const status = csvStatusQueue.shift() ?? 200;
			setTimeout(() => {
				if (status !== 200) {
					res.writeHead(status, status === 429 ? { 'retry-after': '0' } : {});
					res.end('busy');
					return;
				}
				res.writeHead(200, { 'content-type': 'text/csv' });
				res.end('frame,hip_angle\n0,12.5\n1,13.0\n');
			}, csvDelayMs);
			return;
		}
		if (url.pathname.startsWith('/v1/captures/')) {
			if (req.headers.authorization !== `Bearer ${API_KEY}`) {
				res.writeHead(401, { 'content-type': 'application/json' });
				res.end('{"error":"unauthorized"}');
				return;
			}
			const id = decodeURIComponent(url.pathname.split('/').pop() ?? '');
			res.writeHead(200, { 'content-type': 'application/json' });
			res.end(JSON.stringify({ session_id: id, status: 'completed', activity: 'jump', movement: 'single_leg' }));
			return;
		}
		res.writeHead(404);
		res.end();
	});
	await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
	baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
	await new Promise<void>((resolve) => server.close(() => resolve()));
});

beforeEach(() => {
	served.length = 0;
	csvDelayMs = 0;
	csvStatusQueue = [];
});

let workflowCounter = 0;

function credentials(overrides: Record<string, string> = {}) {
	return new CredentialStore(
		{ upliftWebhookApi: new UpliftWebhookApi() },
		{ upliftWebhookApi: { signingSecret: SECRET, previousSigningSecret: '', ...overrides } },
	);
}

function setup(parameters: Record<string, unknown> = {}, extra: Partial<StubNodeSetup> = {}): StubNodeSetup {
	workflowCounter++;
	return {
		nodeName: 'Uplift Trigger',
		workflowId: `uplift-wf-${workflowCounter}-${Date.now()}`,
		parameters: { events: ['*'], additionalEvents: '', verifySignature: true, options: {}, ...parameters },
		credentials: credentials(),
		staticData: new StaticDataRow(),
		logger: new RecordingLogger(),
		...extra,
	};
}

function analyticsEvent(id = 'evt-71f91209', expires = Date.now() + 7 * 86_400_000) {
	return {
		id,
		object: 'event',
		type: 'movement.analytics.created',
		api_version: '01/01/2022',
		created: 1678231553088,
		data: {
			object: {
				id: '719df2e0-c9dd-462d-a1dd-8023c81e091f_2',
				activity: 'jump',
				movement: 'single_leg',
				data: { url: `${baseUrl}/files/uplift_data_export_20230307232552.csv?Expires=1&Signature=abc`, expires },
				athlete: { id: '9fc8ff9e-8353-53f9-b66f-c6a1f6f3950a', name: 'jeff bezos' },
			},
		},
	};
}

function signed(body: string, secret = SECRET) {
	return { body, headers: { 'Content-Type': 'application/json', 'X-Uplift-Signature-256': signSha256(secret, body) } };
}

const node = new UpliftTrigger();

describe('Uplift Trigger webhook', () => {
	it('accepts a delivery signed with the current secret and emits the event item', async () => {
		const s = setup();
		const body = JSON.stringify(analyticsEvent());
		const call = await callWebhook(node, s, signed(body));
		expect(call.response.statusCode).toBe(200);
		const items = (call.result!.workflowData as INodeExecutionData[][])[0];
		expect(items).toHaveLength(1);
		expect(items[0].json).toMatchObject({
			id: 'evt-71f91209',
			type: 'movement.analytics.created',
			created: '2023-03-07T23:25:53.088Z',
			apiVersion: '01/01/2022',
			object: 'event',
			deliveryKey: 'uplift:evt-71f91209',
			data: { object: { activity: 'jump' } },
		});
		expect(typeof items[0].json.receivedAt).toBe('string');
		// the acknowledgement happened without any follow-up request
		expect(served).toHaveLength(0);
	});

	it('accepts a delivery signed with the previous secret during a rotation', async () => {
		const s = setup({}, { credentials: credentials({ previousSigningSecret: PREVIOUS }) });
		const call = await callWebhook(node, s, signed(JSON.stringify(analyticsEvent('evt-rot')), PREVIOUS));
		expect(call.response.statusCode).toBe(200);
		expect(call.result!.workflowData).toBeDefined();
	});

	it.each([
		['missing header', (body: string) => ({ body, headers: { 'content-type': 'application/json' } }), /header is missing/],
		['wrong secret', (body: string) => signed(body, 'not-the-secret'), /does not match/],
		['tampered body', (body: string) => ({ body: body.replace('jump', 'jumq'), headers: signed(body).headers }), /does not match/],
		['re-serialised body', (body: string) => ({ body: JSON.stringify(JSON.parse(body), null, 1), headers: signed(body).headers }), /does not match/],
		['malformed header', (body: string) => ({ body, headers: { 'x-uplift-signature-256': 'sha1=abc' } }), /not of the form/],
	])('answers 401 and starts nothing for a %s', async (_name, build, message) => {
		const s = setup();
		const body = JSON.stringify(analyticsEvent(`evt-${_name}`));
		const call = await callWebhook(node, s, build(body));
		expect(call.response.statusCode).toBe(401);
		expect((call.response.body as { error: string }).error).toMatch(message);
		expect(call.result!.workflowData).toBeUndefined();
		expect(call.staticData.nodeData('Uplift Trigger')?.[MEMORY_FIELD]).toBeUndefined();
		expect(JSON.stringify(call.response.body)).not.toContain(SECRET);
		expect(call.logger.text()).not.toContain(SECRET);
	});

	it('answers 400 for a body that is not JSON, even when correctly signed', async () => {
		const call = await callWebhook(node, setup(), signed('{"id": "x", '));
		expect(call.response.statusCode).toBe(400);
		expect((call.response.body as { error: string }).error).toMatch(/not valid JSON/);
		expect(call.result!.workflowData).toBeUndefined();
	});

	it.each([
		['id', { object: 'event', type: 't', data: { object: {} } }, /missing field `id`/],
		['type', { id: 'e', object: 'event', data: { object: {} } }, /missing field `type`/],
		['data', { id: 'e', type: 't' }, /missing field `data`/],
		['data.object', { id: 'e', type: 't', data: {} }, /missing field `data.object`/],
	])('answers 400 naming the missing field %s', async (_field, envelope, message) => {
		const call = await callWebhook(node, setup(), signed(JSON.stringify(envelope)));
		expect(call.response.statusCode).toBe(400);
		expect((call.response.body as { error: string }).error).toMatch(message);
		expect(call.result!.workflowData).toBeUndefined();
	});

	it('answers 405 to another method', async () => {
		const body = JSON.stringify(analyticsEvent());
		const call = await callWebhook(node, setup(), { ...signed(body), method: 'GET' });
		expect(call.response.statusCode).toBe(405);
		expect(call.response.headers.allow).toBe('POST');
		expect(call.result!.workflowData).toBeUndefined();
	});

	it('answers 403 to a caller outside the allowlist and accepts one inside it', async () => {
		const s = setup({ options: { ipAllowlist: '54.245.28.22, 10.0.0.0/8' } });
		const body = JSON.stringify(analyticsEvent('evt-ip'));
		const outside = await callWebhook(node, s, { ...signed(body), ip: '::ffff:127.0.0.1' });
		expect(outside.response.statusCode).toBe(403);
		expect(outside.result!.workflowData).toBeUndefined();
		const inside = await callWebhook(node, s, { ...signed(body), ip: '::ffff:54.245.28.22' });
		expect(inside.response.statusCode).toBe(200);
		expect(inside.result!.workflowData).toBeDefined();
	});

	it('acknowledges an unselected event type with 2xx and starts nothing', async () => {
		const s = setup({ events: ['movement.analytics.created'] });
		const body = JSON.stringify({ ...analyticsEvent('evt-wh'), type: 'webhook.created' });
		const call = await callWebhook(node, s, signed(body));
		expect(call.response.statusCode).toBe(200);
		expect(call.response.body).toEqual({ received: true, ignored: expect.any(String) });
		expect(call.result!.workflowData).toBeUndefined();
	});

	it('accepts unknown event types under All Events and typed-in names when selected', async () => {
		const unknown = JSON.stringify({ ...analyticsEvent('evt-new'), type: 'capture.processed', extra: { future: true } });
		const all = await callWebhook(node, setup(), signed(unknown));
		expect(all.result!.workflowData).toBeDefined();
		const typed = await callWebhook(node, setup({ events: [], additionalEventTypes: 'capture.processed' }), signed(unknown));
		expect(typed.result!.workflowData).toBeDefined();
	});

	it('answers a repeat with 2xx and starts no execution, across requests (static data)', async () => {
		const s = setup();
		const body = JSON.stringify(analyticsEvent('evt-dup'));
		const first = await callWebhook(node, s, signed(body));
		expect(first.result!.workflowData).toBeDefined();
		const second = await callWebhook(node, s, signed(body));
		expect(second.response.statusCode).toBe(200);
		expect(second.response.body).toEqual({ received: true, duplicate: true });
		expect(second.result!.workflowData).toBeUndefined();
	});

	it('an event of a capture catch-up already emitted starts nothing (the change reached the workflow once); other captures, and a second analytics of a capture a webhook delivered, still do', async () => {
		const s = setup();
		const capture = '719df2e0-c9dd-462d-a1dd-8023c81e091f';
		// the execution of a catch-up item (as run.ts emits it: upliftCatchUp.ts's record with its alias)
		const caughtUp: INodeExecutionData = {
			json: {
				id: `capture:${capture}`,
				type: 'movement.analytics.created',
				deliveryKey: upliftCaptureKey(capture),
				deliveryAliases: [upliftCaughtUpKey(capture)],
				receivedAt: new Date().toISOString(),
				source: 'catchUp',
				catchUp: { runAt: new Date().toISOString(), since: new Date(Date.now() - 3_600_000).toISOString() },
				data: { object: { id: capture } },
			},
		};
		const { ctx, finish } = executeContext(s, [caughtUp]);
		const [passed] = await node.execute!.call(ctx as never);
		finish();
		expect(passed).toHaveLength(1);
		// its webhook event (data.object.id <capture>_2) arrives later: answered as a duplicate
		const late = await callWebhook(node, s, signed(JSON.stringify(analyticsEvent('evt-late'))));
		expect(late.response.statusCode).toBe(200);
		expect(late.response.body).toEqual({ received: true, duplicate: true });
		expect(late.result!.workflowData).toBeUndefined();
		// another capture's event starts its execution
		const other = analyticsEvent('evt-other');
		other.data.object.id = '8d4f1b2c-0000-4000-8000-000000000001_1';
		expect((await callWebhook(node, s, signed(JSON.stringify(other)))).result!.workflowData).toBeDefined();
		// two analytics of one capture, both by webhook, both start (the capture key is only an alias)
		const second = analyticsEvent('evt-other-2');
		second.data.object.id = '8d4f1b2c-0000-4000-8000-000000000001_2';
		expect((await callWebhook(node, s, signed(JSON.stringify(second)))).result!.workflowData).toBeDefined();
	});

	it('lets 100 concurrent copies of one delivery start exactly one execution', async () => {
		const s = setup();
		const body = JSON.stringify(analyticsEvent('evt-burst'));
		const calls = await Promise.all(Array.from({ length: 100 }, () => callWebhook(node, s, signed(body))));
		expect(calls.every((c) => c.response.statusCode === 200)).toBe(true);
		expect(calls.filter((c) => c.result!.workflowData !== undefined)).toHaveLength(1);
	});

	it('always shows the event in a manual test run, even when it was seen before', async () => {
		const s = setup();
		const body = JSON.stringify(analyticsEvent('evt-manual'));
		await callWebhook(node, s, signed(body));
		const manual = await callWebhook(node, { ...s, mode: 'manual' }, signed(body));
		expect(manual.result!.workflowData).toBeDefined();
	});

	it('answers 503 (retry later) when verification is on but the credential has no secret', async () => {
		const s = setup({}, { credentials: credentials({ signingSecret: '' }) });
		const call = await callWebhook(node, s, signed(JSON.stringify(analyticsEvent())));
		expect(call.response.statusCode).toBe(503);
		expect(call.result!.workflowData).toBeUndefined();
	});

	it('accepts unsigned deliveries only when verification is explicitly off', async () => {
		const s = setup({ verifySignature: false });
		const call = await callWebhook(node, s, { body: JSON.stringify(analyticsEvent('evt-nosig')) });
		expect(call.response.statusCode).toBe(200);
		expect(call.result!.workflowData).toBeDefined();
	});
});

describe('Uplift Trigger follow-ups (execute step, after the acknowledgement)', () => {
	async function acceptAndRun(parameters: Record<string, unknown> = {}, event = analyticsEvent(`evt-f-${Math.random()}`)) {
		const s = setup(parameters);
		const call = await callWebhook(node, s, parameters.verifySignature === false ? { body: JSON.stringify(event) } : signed(JSON.stringify(event)));
		const out = await runExecution(node, s, call);
		return out[0];
	}

	it('downloads the CSV without an Authorization header and attaches it as binary data', async () => {
		const item = await acceptAndRun();
		expect(item.json.fetch).toMatchObject({ csv: { status: 'downloaded', fileName: 'uplift_data_export_20230307232552.csv', binaryProperty: 'data' } });
		const binary = item.binary!.data as unknown as { bytes: Buffer; mimeType: string; fileName: string };
		expect(binary.mimeType).toBe('text/csv');
		expect(binary.bytes.toString()).toContain('frame,hip_angle');
		expect(served.filter((r) => r.path.startsWith('/files/'))).toHaveLength(1);
		expect(served[0].authorization).toBeUndefined();
	});

	it('uses the configured binary property name', async () => {
		const item = await acceptAndRun({ options: { binaryPropertyName: 'kinematics' } });
		expect(item.binary?.kinematics).toBeDefined();
		expect(item.binary?.data).toBeUndefined();
	});

	it('skips an expired link and says so in the item', async () => {
		const item = await acceptAndRun({}, analyticsEvent('evt-expired', Date.now() - 1000));
		expect(item.json.fetch).toMatchObject({ csv: { status: 'expired' } });
		expect(item.binary).toBeUndefined();
		expect(served).toHaveLength(0);
	});

	it('retries a 503 and a 429 and then succeeds', async () => {
		csvStatusQueue = [503, 429];
		const item = await acceptAndRun({ options: { maxRetries: 3 } });
		expect(item.json.fetch).toMatchObject({ csv: { status: 'downloaded', attempts: 3 } });
	});

	it('emits the event with the error attached when the download keeps failing', async () => {
		csvStatusQueue = [500, 500, 500];
		const item = await acceptAndRun({ options: { maxRetries: 1 } });
		expect(item.json.fetch).toMatchObject({ csv: { status: 'failed', statusCode: 500, attempts: 2 } });
		expect(item.json.id).toBeDefined();
	});

	it('times out a slow download and still emits the event', async () => {
		csvDelayMs = 1500;
		const item = await acceptAndRun({ options: { fetchTimeoutSeconds: 1, maxRetries: 0 } });
		expect(item.json.fetch).toMatchObject({ csv: { status: 'failed', error: expect.stringMatching(/timed out/) } });
	});

	it('does not download links from unverified deliveries', async () => {
		const item = await acceptAndRun({ verifySignature: false });
		expect(item.json.fetch).toMatchObject({ csv: { status: 'skipped' } });
		expect(served).toHaveLength(0);
	});
});

describe('Uplift Trigger: one version, its own signing-secret credential, no API key needed', () => {
	const unknown = () => JSON.stringify({ ...analyticsEvent(`evt-more-${Math.random()}`), type: 'capture.processed' });

	it('selects typed-in event types from Additional Events', async () => {
		const select = (additionalEvents: string) => setup({ events: ['movement.analytics.created'], additionalEvents });
		expect((await callWebhook(node, select('capture.processed'), signed(unknown()))).result!.workflowData).toBeDefined();
		expect((await callWebhook(node, select(''), signed(unknown()))).result!.workflowData).toBeUndefined();
	});

	it('bounds a slow download by Fetch Timeout', async () => {
		csvDelayMs = 2500;
		const s = setup({ options: { fetchTimeoutSeconds: 1, maxRetries: 0 } });
		const call = await callWebhook(node, s, signed(JSON.stringify(analyticsEvent(`evt-slow-${Math.random()}`))));
		const [item] = await runExecution(node, s, call);
		expect(item.json.fetch).toMatchObject({ csv: { status: 'failed', error: expect.stringMatching(/timed out/) } });
	});

	it('verifies deliveries with the Uplift Webhook API credential alone (no Uplift API credential exists)', async () => {
		const s = setup();
		const ok = await callWebhook(node, s, signed(JSON.stringify(analyticsEvent(`evt-own-${Math.random()}`))));
		expect(ok.response.statusCode).toBe(200);
		expect(ok.result!.workflowData).toBeDefined();
		const [item] = await runExecution(node, s, ok);
		expect(item.json.fetch).toMatchObject({ csv: { status: 'downloaded' } });
		const wrong = await callWebhook(node, setup(), signed(JSON.stringify(analyticsEvent(`evt-own-${Math.random()}`)), 'another-secret'));
		expect(wrong.response.statusCode).toBe(401);
		expect(wrong.result!.workflowData).toBeUndefined();
	});

	it('has no Fetch Capture option and ignores one saved in the parameters', async () => {
		const options = node.description.properties.find((p) => p.name === 'options');
		expect((options!.options as Array<{ name: string }>).map((o) => o.name)).not.toContain('fetchCapture');
		const s = setup({ options: { fetchCapture: true } });
		const call = await callWebhook(node, s, signed(JSON.stringify(analyticsEvent(`evt-cap-${Math.random()}`))));
		const [item] = await runExecution(node, s, call);
		expect(item.json.fetch).not.toHaveProperty('capture');
		expect(served.some((r) => r.path.startsWith('/v1/captures/'))).toBe(false);
	});

	it('has one version, not 1 (n8n evaluates an expression per request for typeVersion 1), and a credential test n8n runs through testedBy', async () => {
		expect(node.description.version).toBe(1.1);
		expect(node.description.credentials).toEqual([
			{ name: 'upliftWebhookApi', required: true, testedBy: 'upliftWebhookSecret' },
			// catch-up's API key: optional, shown only while Catch Up Missed Events is on
			{ name: 'upliftApi', required: false, displayOptions: { show: { catchUp: [true] } } },
		]);
		expect(JSON.stringify(node.description.properties)).not.toContain('@version');
		const test = node.methods.credentialTest.upliftWebhookSecret;
		const run = async (data: Record<string, string>) =>
			await test.call({} as never, { id: 'c', name: 'Uplift', type: 'upliftWebhookApi', data });
		expect(await run({ signingSecret: SECRET })).toMatchObject({ status: 'OK' });
		expect(await run({ signingSecret: '  ' })).toEqual({ status: 'Error', message: expect.stringMatching(/^Enter the Signing Secret/) });
		expect(await run({})).toMatchObject({ status: 'Error' });
	});

	it('shows the chosen events by name on the canvas', () => {
		const subtitle = String(node.description.subtitle);
		expect(subtitle.startsWith('={{') && subtitle.endsWith('}}')).toBe(true);
		// eslint-disable-next-line @typescript-eslint/no-implied-eval
		const evaluate = new Function('$parameter', `return ${subtitle.slice(3, -2)}`) as (p: unknown) => string;
		expect(evaluate({ events: ['movement.analytics.created', 'capture.processed'] })).toBe('Movement Analytics Created, capture.processed');
		expect(evaluate({ events: ['*'] })).toBe('All events');
		expect(evaluate({})).toBe('');
	});
});
