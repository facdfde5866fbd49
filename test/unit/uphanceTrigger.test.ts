/**
 * The Uphance Trigger through n8n-like webhook/execute contexts, against the real fake Uphance API
 * (test/support/fakeUphance.js) on 127.0.0.1: real HTTP, real sign-in, real token renewal.
 */
import type { IDataObject, INodeExecutionData } from 'n8n-workflow';

import { UphanceApi } from '../../credentials/UphanceApi.credentials';
import { MEMORY_FIELD } from '../../nodes/shared/duplicateMemory/staticData';
import { UphanceTrigger } from '../../nodes/UphanceTrigger/UphanceTrigger.node';
import type { StubNodeSetup } from './helpers/n8nStubs';
import { callWebhook, CredentialStore, executeContext, RecordingLogger, StaticDataRow } from './helpers/n8nStubs';

/* eslint-disable @typescript-eslint/no-var-requires */
const fakeUphance = require('../support/fakeUphance');

interface FakeRequest {
	method: string;
	path: string;
	query: string;
	auth: string | null;
	status: number | string | null;
	resource?: string;
	id?: string;
	at: number;
	/** when the fake sent its answer; absent while it holds the request (a hang) */
	repliedAt?: number;
}

interface Fake {
	url: string;
	requests: FakeRequest[];
	tokensIssued: number;
	clearLog(): void;
	mode(m: 'ok' | '503' | '429' | 'hang' | 'expireTokens'): void;
	failDataRequests(m: '503' | '429' | 'hang', count?: number): void;
	addResource(resource: string): void;
	setHangDelay(ms: number): void;
	setRecord(resource: string, id: number | string, record?: unknown): IDataObject;
	setCreditNoteEnvelope(form: 'object' | 'list'): void;
	setRawAnswer(resource: string, id: number | string, body: unknown): void;
	deleteRecord(resource: string, id: number | string): void;
	dataRequests(): FakeRequest[];
	tokenRequests(): FakeRequest[];
	close(): Promise<void>;
}

const EMAIL = 'ops@brand.example';
const PASSWORD = 'uphance-password-must-not-leak-7731';
const URL_TOKEN = 'url-token-must-not-leak-Zq81kP0vX3';
const ORG = 9579;
const NODE_NAME = 'Uphance Trigger';

let fake: Fake;

beforeAll(async () => {
	fake = await fakeUphance.start({ email: EMAIL, password: PASSWORD, organisations: [{ id: ORG, name: 'Uphance Demo' }], hangDelayMs: 20_000 });
});

afterAll(async () => {
	await fake.close();
});

beforeEach(() => {
	fake.mode('ok');
	fake.clearLog();
});

/** Every session token the fake handed out in this file, to prove none leaks. */
const sessionTokensSeen = new Set<string>();

function credentials(overrides: Record<string, string> = {}) {
	return new CredentialStore(
		{ uphanceApi: new UphanceApi() },
		{ uphanceApi: { email: EMAIL, password: PASSWORD, organisationId: String(ORG), urlToken: URL_TOKEN, baseUrl: fake.url, sessionToken: '', ...overrides } },
	);
}

let counter = 0;

function setup(parameters: Record<string, unknown> = {}, extra: Partial<StubNodeSetup> = {}): StubNodeSetup {
	counter++;
	return {
		nodeName: NODE_NAME,
		workflowId: `uphance-wf-${counter}-${Date.now()}`,
		parameters: {
			events: ['*'],
			additionalEvents: '',
			requireUrlToken: true,
			fetchRecord: true,
			acknowledge: 'afterFetch',
			options: {},
			...parameters,
		},
		credentials: credentials(),
		staticData: new StaticDataRow(),
		logger: new RecordingLogger(),
		...extra,
	};
}

const node = new UphanceTrigger();

function assertNoSecrets(text: string, s: StubNodeSetup) {
	const token = s.credentials?.data.uphanceApi?.sessionToken;
	if (typeof token === 'string' && token) sessionTokensSeen.add(token);
	for (const secret of [PASSWORD, URL_TOKEN, ...sessionTokensSeen]) expect(text).not.toContain(secret);
	expect(text).not.toMatch(/\n\s+at .+:\d+:\d+/); // no stack trace
}

/** POSTs a body to the trigger (with the URL token unless told otherwise) and checks for leaks. */
async function deliver(s: StubNodeSetup, body: unknown, opts: { token?: string | null; ip?: string; raw?: string; method?: string } = {}) {
	const query = opts.token === null ? {} : { token: opts.token ?? URL_TOKEN };
	const call = await callWebhook(node, s, {
		body: opts.raw ?? JSON.stringify(body),
		headers: { 'content-type': 'application/json', 'user-agent': 'Uphance' },
		query,
		ip: opts.ip,
		method: opts.method,
	});
	const items = (call.result?.workflowData as INodeExecutionData[][] | undefined)?.[0];
	assertNoSecrets(JSON.stringify(call.response.body ?? '') + JSON.stringify(call.result ?? {}) + call.logger.text(), s);
	expect(call.response.statusCode).not.toBe(500);
	return { call, items, status: call.response.statusCode, error: (call.response.body as { error?: string } | undefined)?.error };
}

/** Runs the node's execute step on the emitted items, as n8n does inside the execution. */
async function execute(s: StubNodeSetup, items: INodeExecutionData[]) {
	const { ctx, logger, finish } = executeContext(s, items);
	const [out] = await node.execute.call(ctx as never);
	finish();
	assertNoSecrets(JSON.stringify(out) + logger.text(), s);
	return out;
}

function memoryOf(s: StubNodeSetup) {
	return s.staticData!.nodeData(NODE_NAME)?.[MEMORY_FIELD];
}

let nextId = 10_000;
const newId = () => nextId++;

function webhookBody(event: string, record: IDataObject) {
	return fakeUphance.buildWebhookBody(event, record) as IDataObject;
}

describe('Uphance Trigger: canonical record (acknowledge after the fetch)', () => {
	it('emits the API copy of the record with the documented item fields', async () => {
		const id = newId();
		const apiRecord = fake.setRecord('pick_ticket', id);
		// the fake writes the organisation's offset, as Uphance does (test/support/fakeUphance.js)
		expect(apiRecord.updated_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+01:00$/);
		const s = setup();
		const { status, items } = await deliver(s, webhookBody('pick_ticket_update', apiRecord));
		expect(status).toBe(200);
		expect(items).toHaveLength(1);
		const json = items![0].json;
		expect(json).toEqual({
			event: 'pick_ticket_update',
			resource: 'pick_ticket',
			action: 'update',
			id,
			record: apiRecord,
			recordSource: 'api',
			// the key names the instant in UTC to the second, whatever offset Uphance wrote
			deliveryKey: `uphance:pick_ticket:${id}:${new Date(Date.parse(String(apiRecord.updated_at))).toISOString()}`,
			source: 'webhook',
			receivedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
			fetch: { status: 'fetched', statusCode: 200, attempts: 1, endpoint: `/pick_tickets/${id}` },
		});
		const fetches = fake.dataRequests();
		expect(fetches).toHaveLength(1);
		expect(fetches[0].auth).toMatch(/^Bearer tok_/);
		// sign-in happened once: token, organisation check, set_current_org
		expect(fake.requests.map((r) => r.path).slice(0, 3)).toEqual(['/oauth/token', '/organisations', '/organisations/set_current_org']);
	});

	it('emits the API record, not the body, for a forged body with a valid token', async () => {
		const id = newId();
		const apiRecord = fake.setRecord('invoice', id, { id, invoice_number: 'INV-REAL', grand_total: '199.00', updated_at: '2024-05-01T03:04:05.123Z' });
		const forged = { id, invoice_number: 'INV-REAL', grand_total: '0.01', bank_account: 'NL00 FORGED', updated_at: '2024-05-01T03:04:05.123Z' };
		const { status, items } = await deliver(setup(), { event: 'invoice_update', invoice: forged });
		expect(status).toBe(200);
		expect(items![0].json.record).toEqual(apiRecord);
		expect(items![0].json.recordSource).toBe('api');
		expect(JSON.stringify(items![0].json)).not.toContain('FORGED');
		// the forged amount as the JSON string it would be if it leaked (a bare 0.01 also matches a
		// receivedAt such as ...:00.014Z)
		expect(JSON.stringify(items![0].json)).not.toContain(JSON.stringify(forged.grand_total));
		expect(fake.dataRequests()[0]).toMatchObject({ path: '/invoices', query: `?invoice_id=${id}` });
	});

	it.each([
		['pick_ticket', 'pick_ticket_create', (id: number) => `/pick_tickets/${id}`],
		['receiving_ticket', 'receiving_ticket_update', (id: number) => `/receiving_tickets/${id}`],
		['product', 'product_update', (id: number) => `/products/${id}`],
		['customer', 'customer_update', (id: number) => `/customers/${id}`],
		['credit_note', 'credit_note_create', (id: number) => `/credit_notes/${id}`],
		['invoice', 'invoice_create', () => '/invoices'],
		['sales_order', 'sales_order_update', (id: number) => `/sales_orders/${id}`],
	])('fetches a %s from its endpoint and unwraps its envelope', async (resource, event, path) => {
		const id = newId();
		const apiRecord = fake.setRecord(resource, id);
		const { items } = await deliver(setup(), webhookBody(event, { ...apiRecord, note: 'body copy' }));
		expect(items![0].json).toMatchObject({ resource, record: apiRecord, recordSource: 'api', fetch: { status: 'fetched' } });
		expect((items![0].json.record as IDataObject).note).toBeUndefined();
		expect(fake.dataRequests().map((r) => r.path)).toEqual([path(id)]);
	});

	it('tries GET /<resource>s/{id} for a resource it does not know', async () => {
		fake.addResource('season');
		const id = newId();
		const apiRecord = { id, name: 'SS25', updated_at: '2024-02-02T00:00:00Z' };
		fake.setRecord('season', id, apiRecord);
		const { items } = await deliver(setup(), { event: 'season_update', season: { id, name: 'stale' } });
		expect(items![0].json).toMatchObject({ resource: 'season', record: apiRecord, recordSource: 'api' });
		expect(fake.dataRequests().map((r) => r.path)).toEqual([`/seasons/${id}`]);
	});

	it('emits the payload, marked so, when the guessed endpoint of an unknown resource does not exist', async () => {
		const id = newId();
		const { status, items } = await deliver(setup(), { event: 'widget_create', widget: { id, colour: 'red' } });
		expect(status).toBe(200);
		expect(items![0].json).toMatchObject({
			record: { id, colour: 'red' },
			recordSource: 'payload',
			fetch: { status: 'notFound', statusCode: 404, error: expect.stringMatching(/does not know "widget"/) },
		});
		expect(fake.requests.some((r) => r.path === `/widgets/${id}`)).toBe(true);
	});

	it('does not hold back an unknown resource when its guessed endpoint fails (no 503 for a guess)', async () => {
		fake.addResource('season');
		const id = newId();
		fake.setRecord('season', id, { id, name: 'SS26' });
		fake.failDataRequests('503', 3);
		const { status, items } = await deliver(setup({ options: { maxRetries: 2, fetchTimeoutSeconds: 5 } }), { event: 'season_update', season: { id, name: 'body' } });
		fake.mode('ok');
		expect(status).toBe(200);
		expect(items![0].json).toMatchObject({ record: { id, name: 'body' }, recordSource: 'payload', fetch: { status: 'failed', statusCode: 503, attempts: 3 } });
	});

	it('emits the payload with the outcome stated when the record answers 404', async () => {
		const id = newId();
		const { status, items } = await deliver(setup(), webhookBody('pick_ticket_update', { id, status: 'packed' }));
		expect(status).toBe(200);
		expect(items![0].json).toMatchObject({
			record: { id, status: 'packed' },
			recordSource: 'payload',
			fetch: { status: 'notFound', statusCode: 404, attempts: 1, error: expect.stringMatching(/404 for pick_ticket/) },
		});
	});

	it('never fetches a delete event', async () => {
		const id = newId();
		fake.setRecord('pick_ticket', id);
		const { status, items } = await deliver(setup(), webhookBody('pick_ticket_delete', { id }));
		expect(status).toBe(200);
		expect(items![0].json).toMatchObject({ action: 'delete', record: { id }, recordSource: 'payload', fetch: { status: 'skipped' } });
		expect(fake.dataRequests()).toHaveLength(0);
		expect(fake.requests).toHaveLength(0);
	});

	it('does not fetch when Fetch Canonical Record is off', async () => {
		const id = newId();
		fake.setRecord('product', id);
		const { items } = await deliver(setup({ fetchRecord: false }), webhookBody('product_update', { id, name: 'body' }));
		expect(items![0].json).toMatchObject({ record: { id, name: 'body' }, recordSource: 'payload', fetch: { status: 'skipped' } });
		expect(fake.requests).toHaveLength(0);
	});
});

describe('Uphance Trigger: the Uphance API misbehaving', () => {
	it('renews an expired session token once and then succeeds', async () => {
		const s = setup();
		const first = newId();
		fake.setRecord('product', first);
		await deliver(s, webhookBody('product_update', { id: first }));
		const issued = fake.tokensIssued;
		const oldToken = s.credentials!.data.uphanceApi.sessionToken;

		fake.mode('expireTokens');
		fake.clearLog();
		const second = newId();
		const apiRecord = fake.setRecord('product', second);
		const { status, items } = await deliver(s, webhookBody('product_update', { id: second }));
		expect(status).toBe(200);
		expect(items![0].json).toMatchObject({ record: apiRecord, recordSource: 'api', fetch: { status: 'fetched' } });
		expect(fake.tokensIssued - issued).toBe(1);
		expect(s.credentials!.data.uphanceApi.sessionToken).not.toBe(oldToken);
		expect(fake.requests.map((r) => `${r.path} ${r.status}`)).toEqual([
			`/products/${second} 401`,
			'/oauth/token 200',
			'/organisations 200',
			'/organisations/set_current_org 201',
			`/products/${second} 200`,
		]);
	});

	it('waits for Retry-After on a 429 and then succeeds', async () => {
		const id = newId();
		const apiRecord = fake.setRecord('credit_note', id);
		const s = setup({ options: { fetchTimeoutSeconds: 10, maxRetries: 2 } });
		// sign in first, so the timing below is the fetch alone
		await deliver(s, webhookBody('credit_note_delete', { id }));
		fake.clearLog();
		fake.failDataRequests('429', 1);
		const { status, items } = await deliver(s, webhookBody('credit_note_update', { id }));
		expect(status).toBe(200);
		expect(items![0].json).toMatchObject({ record: apiRecord, fetch: { status: 'fetched', attempts: 2 } });
		const [throttled, ok, ...more] = fake.dataRequests();
		expect(more).toEqual([]);
		expect(throttled.status).toBe(429);
		expect(ok.status).toBe(200);
		expect(ok.at - throttled.repliedAt!).toBeGreaterThanOrEqual(950); // Retry-After: 1, counted from the 429
	});

	it('answers 503 when 429 persists past the retries, within the fetch timeout', async () => {
		const id = newId();
		fake.setRecord('product', id);
		const s = setup({ options: { fetchTimeoutSeconds: 4, maxRetries: 1 } });
		fake.failDataRequests('429', 5);
		const { status, error, items } = await deliver(s, webhookBody('product_update', { id }));
		expect(status).toBe(503);
		expect(error).toMatch(/not accepted; Uphance will deliver it again.*HTTP 429/);
		expect(items).toBeUndefined();
		expect(fake.dataRequests()).toHaveLength(2);
		fake.mode('ok');
	});

	it('answers 503 without recording the key while the API is down, then accepts the redelivery exactly once', async () => {
		const id = newId();
		const apiRecord = fake.setRecord('receiving_ticket', id);
		const s = setup({ options: { fetchTimeoutSeconds: 3, maxRetries: 2 } });
		const body = webhookBody('receiving_ticket_update', { ...apiRecord });
		// signed in before the outage; the execution saves the key (n8n 2.40, see StaticDataRow)
		const before = await deliver(s, webhookBody('receiving_ticket_update', fake.setRecord('receiving_ticket', newId())));
		await execute(s, before.items!);
		const memoryBefore = JSON.stringify(memoryOf(s));
		expect(memoryBefore).toMatch(/"entries":\["[A-Za-z0-9_-]{16}\d{10}/);

		fake.mode('503');
		fake.clearLog();
		const down = await deliver(s, body);
		expect(down.status).toBe(503);
		expect(down.items).toBeUndefined();
		expect(down.error).toMatch(/HTTP 503/);
		expect(JSON.stringify(memoryOf(s))).toBe(memoryBefore);
		expect(fake.requests.filter((r) => r.path === `/receiving_tickets/${id}`).map((r) => r.status)).toEqual([503, 503, 503]); // 1 + 2 retries

		fake.mode('ok');
		const redelivered = await deliver(s, body);
		expect(redelivered.status).toBe(200);
		expect(redelivered.items![0].json).toMatchObject({ record: apiRecord, recordSource: 'api' });
		await execute(s, redelivered.items!);
		expect(JSON.stringify(memoryOf(s))).not.toBe(memoryBefore);

		const again = await deliver(s, body);
		expect(again.status).toBe(200);
		expect(again.call.response.body).toEqual({ received: true, duplicate: true });
		expect(again.items).toBeUndefined();
	});

	it('bounds a hanging record fetch by the fetch timeout, retries included, and answers 503', async () => {
		const id = newId();
		fake.setRecord('pick_ticket', id);
		const s = setup({ options: { fetchTimeoutSeconds: 1, maxRetries: 2 } });
		await deliver(s, webhookBody('pick_ticket_update', fake.setRecord('pick_ticket', newId()))); // signs in
		fake.clearLog();
		fake.failDataRequests('hang', 3);
		const started = Date.now();
		const { status, error } = await deliver(s, webhookBody('pick_ticket_update', { id }));
		expect(status).toBe(503);
		expect(error).toMatch(/timed out/);
		expect(Date.now() - started).toBeGreaterThanOrEqual(900); // it did wait for the fetch timeout
		const [held, ...retries] = fake.dataRequests();
		// answered while the fake still held the fetch (it holds for 20 s): the node gave up by itself
		expect(held).toMatchObject({ status: 'hang' });
		expect(held.repliedAt).toBeUndefined();
		expect(retries).toEqual([]); // the deadline left no time for a retry
		fake.mode('ok');
	});

	it('bounds a hanging sign-in too (n8n runs it before the request)', async () => {
		fake.setHangDelay(20_000);
		fake.mode('hang');
		const { status } = await deliver(setup({ options: { fetchTimeoutSeconds: 1, maxRetries: 0 } }), webhookBody('product_update', { id: newId() }));
		expect(status).toBe(503);
		// answered while the fake still held the sign-in (for 20 s), and nothing was fetched
		const [signIn, ...others] = fake.requests;
		expect(signIn).toMatchObject({ path: '/oauth/token', status: 'hang' });
		expect(signIn.repliedAt).toBeUndefined();
		expect(others).toEqual([]);
		fake.mode('ok');
	});

	it('does not retry a refused sign-in: one attempt, the item states what to fix', async () => {
		const id = newId();
		const s = setup({}, { credentials: credentials({ password: 'an-old-password-also-secret' }) });
		const { status, items } = await deliver(s, webhookBody('invoice_update', { id, total: 5 }));
		expect(status).toBe(200);
		expect(items![0].json).toMatchObject({
			recordSource: 'payload',
			fetch: { status: 'failed', attempts: 1, error: expect.stringMatching(/did not accept the email and password/) },
		});
		expect(JSON.stringify(items)).not.toContain('an-old-password-also-secret');
		expect(fake.tokenRequests()).toHaveLength(1);
	});
});

describe('Uphance Trigger: acknowledge immediately', () => {
	it('answers without fetching, then fetches in the execution', async () => {
		const id = newId();
		const apiRecord = fake.setRecord('pick_ticket', id);
		const s = setup({ acknowledge: 'immediately' });
		const { status, items } = await deliver(s, webhookBody('pick_ticket_update', { id, status: 'forged' }));
		expect(status).toBe(200);
		expect(items![0].json.fetch).toMatchObject({ status: 'pending' });
		expect(fake.requests).toHaveLength(0);

		const [out] = await execute(s, items!);
		expect(out.json).toMatchObject({ record: apiRecord, recordSource: 'api', fetch: { status: 'fetched' }, receivedAt: items![0].json.receivedAt, deliveryKey: items![0].json.deliveryKey });
		expect(out.pairedItem).toEqual({ item: 0 });
		expect(fake.dataRequests()).toHaveLength(1);
	});

	it('attaches a failed fetch to the item instead of losing the event', async () => {
		const id = newId();
		const s = setup({ acknowledge: 'immediately', options: { maxRetries: 1, fetchTimeoutSeconds: 2 } });
		const { items } = await deliver(s, webhookBody('product_update', { id, name: 'from body' }));
		fake.failDataRequests('503', 2);
		const [out] = await execute(s, items!);
		expect(out.json).toMatchObject({
			id,
			record: { id, name: 'from body' },
			recordSource: 'payload',
			fetch: { status: 'failed', statusCode: 503, attempts: 2, error: expect.stringMatching(/HTTP 503/) },
		});
	});

	it('passes afterFetch items through the execute step untouched', async () => {
		const id = newId();
		fake.setRecord('product', id);
		const s = setup();
		const { items } = await deliver(s, webhookBody('product_update', { id }));
		fake.clearLog();
		const [out] = await execute(s, items!);
		expect(out.json).toEqual(items![0].json);
		expect(fake.requests).toHaveLength(0);
	});
});

describe('Uphance Trigger: credit note envelopes and answers of unexpected shape', () => {
	// Recorded-style answer from the public clients' evidence (test/fixtures/vendor/uphance).
	// eslint-disable-next-line @typescript-eslint/no-require-imports
	const creditNote = (require('../fixtures/vendor/uphance/credit_note.object.json') as { credit_notes: IDataObject }).credit_notes;
	const MARKER = 'VALUE-MUST-NOT-LEAK-2290';

	afterEach(() => fake.setCreditNoteEnvelope('object'));

	it.each(['object', 'list'] as const)('emits the API record (recordSource api) when GET /credit_notes/{id} answers the %s form', async (form) => {
		const id = newId();
		fake.setCreditNoteEnvelope(form);
		const apiRecord = fake.setRecord('credit_note', id, { ...creditNote, id });
		const { status, items } = await deliver(setup(), webhookBody('credit_note_update', { id, grand_total: '0.01', note: 'body copy' }));
		expect(status).toBe(200);
		expect(items).toHaveLength(1);
		expect(items![0].json).toMatchObject({
			resource: 'credit_note',
			id,
			record: apiRecord,
			recordSource: 'api',
			fetch: { status: 'fetched', statusCode: 200, attempts: 1, endpoint: `/credit_notes/${id}` },
		});
		// the record itself, never the envelope
		expect(items![0].json.record).not.toHaveProperty('credit_notes');
		expect((items![0].json.record as IDataObject).line_items).toEqual(creditNote.line_items);
	});

	it('answers 502 naming the missing field and the keys found, starts no execution, and accepts the redelivery once the answer is readable', async () => {
		const id = newId();
		const apiRecord = fake.setRecord('credit_note', id);
		fake.setRawAnswer('credit_note', id, { credit_note_data: { id, grand_total: MARKER }, meta: { note: MARKER } });
		const s = setup();
		const payload = webhookBody('credit_note_update', { id, grand_total: '0.01' });
		const refused = await deliver(s, payload);
		expect(refused.status).toBe(502);
		expect(refused.items).toBeUndefined();
		expect(refused.error).toBe(
			`The credit_note could not be read from the Uphance API's answer, so this delivery was not accepted; Uphance will deliver it again. Uphance's answer to GET /credit_notes/${id} has no \`credit_notes\` or \`credit_note\` (an object, or a list of one). Top-level keys found: "credit_note_data", "meta".`,
		);
		const everything = JSON.stringify(refused.call.response.body) + refused.call.logger.text();
		expect(everything).not.toContain(MARKER);
		expect(everything).not.toContain('0.01');
		expect(refused.call.logger.lines.filter((l) => l.level === 'warn').map((l) => l.message)).toEqual([
			expect.stringMatching(/^Uphance delivery refused with 502: .*has no `credit_notes` or `credit_note`/),
		]);
		expect(memoryOf(s)).toBeUndefined(); // the key was released: the redelivery is processed

		fake.setRawAnswer('credit_note', id, null);
		const redelivered = await deliver(s, payload);
		expect(redelivered.status).toBe(200);
		expect(redelivered.items![0].json).toMatchObject({ record: apiRecord, recordSource: 'api' });
		expect((await deliver(s, payload)).call.response.body).toEqual({ received: true, duplicate: true });
	});

	it.each([
		['a record with another id', (id: number) => ({ credit_notes: { id: id + 1, grand_total: MARKER } }), /with a credit_note whose `id` is not \d+\.$/],
		['a list of several without the id', (id: number) => ({ credit_notes: [{ id: id + 1 }, { id: id + 2, grand_total: MARKER }] }), /lists 2 records under `credit_notes`, none with id \d+; one credit_note was expected\.$/],
		['the key holding null', () => ({ credit_notes: null }), /has `credit_notes`, but it holds null: .*Top-level keys found: "credit_notes"\.$/],
		['an empty object', () => ({}), /Top-level keys found: none \(an empty object\)\.$/],
	])('answers 502 to %s, without values', async (_name, answer, message) => {
		const id = newId();
		fake.setRecord('credit_note', id);
		fake.setRawAnswer('credit_note', id, answer(id));
		const { status, items, error, call } = await deliver(setup(), webhookBody('credit_note_create', { id }));
		expect(status).toBe(502);
		expect(items).toBeUndefined();
		expect(error).toMatch(/^The credit_note could not be read from the Uphance API's answer/);
		expect(error).toMatch(message);
		expect(JSON.stringify(call.response.body)).not.toContain(MARKER);
	});

	it('answers 502 for the other documented resources too (a pick ticket without its envelope)', async () => {
		const id = newId();
		fake.setRecord('pick_ticket', id);
		fake.setRawAnswer('pick_ticket', id, { ticket: { id } });
		const { status, error } = await deliver(setup(), webhookBody('pick_ticket_update', { id }));
		expect(status).toBe(502);
		expect(error).toMatch(/has no `pick_ticket` or `pick_tickets` \(an object, or a list of one\)\. Top-level keys found: "ticket"\.$/);
	});

	it('still emits "not found" for an empty list (as for a 404): the record is gone, a redelivery would not help', async () => {
		const id = newId();
		fake.setRecord('credit_note', id);
		fake.setRawAnswer('credit_note', id, { credit_notes: [] });
		const { status, items } = await deliver(setup(), webhookBody('credit_note_update', { id, grand_total: '1.00' }));
		expect(status).toBe(200);
		expect(items![0].json).toMatchObject({ recordSource: 'payload', fetch: { status: 'notFound', error: expect.stringMatching(/empty `credit_notes` list/) } });
	});

	it('never holds back a guessed endpoint: an unknown resource with an unreadable answer emits the payload, marked', async () => {
		fake.addResource('season');
		const id = newId();
		fake.setRecord('season', id, { id, name: 'SS27' });
		fake.setRawAnswer('season', id, { seasons_page: [] });
		const { status, items } = await deliver(setup(), { event: 'season_update', season: { id, name: 'body' } });
		expect(status).toBe(200);
		expect(items![0].json).toMatchObject({
			record: { id, name: 'body' },
			recordSource: 'payload',
			fetch: { status: 'failed', error: expect.stringMatching(/has no `season` or `seasons`.*"seasons_page".*does not know "season"/) },
		});
	});

	it('with Acknowledge Immediately (Uphance already answered), describes the unreadable answer in the item', async () => {
		const id = newId();
		fake.setRecord('credit_note', id);
		fake.setRawAnswer('credit_note', id, { data: { id } });
		const s = setup({ acknowledge: 'immediately' });
		const { status, items } = await deliver(s, webhookBody('credit_note_update', { id, grand_total: '2.00' }));
		expect(status).toBe(200);
		const [out] = await execute(s, items!);
		expect(out.json).toMatchObject({
			record: { id, grand_total: '2.00' },
			recordSource: 'payload',
			fetch: { status: 'failed', statusCode: 200, error: expect.stringMatching(/has no `credit_notes` or `credit_note`.*Top-level keys found: "data"\. The record is the webhook body\.$/) },
		});
	});
});

describe('Uphance Trigger: refusals and idempotency', () => {
	const body = () => webhookBody('pick_ticket_update', { id: newId(), updated_at: '2024-05-01T03:04:05.123Z' });

	it.each([
		['no token', null, /has no \?token=/],
		['a wrong token', 'url-token-guess', /does not match/],
	])('answers 401 to %s, starts nothing and fetches nothing', async (_name, token, message) => {
		const s = setup();
		const { status, error, items } = await deliver(s, body(), { token });
		expect(status).toBe(401);
		expect(error).toMatch(message);
		expect(items).toBeUndefined();
		expect(memoryOf(s)).toBeUndefined();
		expect(fake.requests).toHaveLength(0);
	});

	it('accepts a delivery without token only when Require URL Token is off', async () => {
		const { status, items } = await deliver(setup({ requireUrlToken: false, fetchRecord: false }), body(), { token: null });
		expect(status).toBe(200);
		expect(items).toHaveLength(1);
	});

	it('shows a warning notice when the token is off', () => {
		const notice = node.description.properties.find((p) => p.name === 'tokenOffNotice');
		expect(notice?.type).toBe('notice');
		expect(notice?.displayOptions).toEqual({ show: { requireUrlToken: [false] } });
		const setupNotice = node.description.properties.find((p) => p.name === 'setupNotice');
		expect(setupNotice?.displayName).toMatch(/Apps → Uphance API → New Webhook.*Production URL.*\?token=/);
	});

	it('answers 400 to a body that is not JSON', async () => {
		const { status, error, items } = await deliver(setup(), undefined, { raw: 'event=pick_ticket_update' });
		expect(status).toBe(400);
		expect(error).toMatch(/not valid JSON/);
		expect(items).toBeUndefined();
	});

	it.each([
		['no event', { pick_ticket: { id: 1 } }, /missing field `event`/],
		['no resource object', { event: 'pick_ticket_update', invoice: { id: 1 } }, /missing field `pick_ticket`/],
		['no id', { event: 'pick_ticket_update', pick_ticket: { status: 'x' } }, /missing field `pick_ticket.id`/],
	])('answers 400 naming what is missing: %s', async (_name, payload, message) => {
		const { status, error, items } = await deliver(setup(), payload);
		expect(status).toBe(400);
		expect(error).toMatch(message);
		expect(items).toBeUndefined();
		expect(fake.requests).toHaveLength(0);
	});

	it('acknowledges an unselected event with 200, no execution and no fetch', async () => {
		const s = setup({ events: ['invoice_create'], additionalEvents: 'sales_order_create' });
		const skipped = await deliver(s, body());
		expect(skipped.status).toBe(200);
		expect(skipped.call.response.body).toEqual({ received: true, ignored: expect.any(String) });
		expect(skipped.items).toBeUndefined();
		expect(fake.requests).toHaveLength(0);
		const id = newId();
		fake.setRecord('sales_order', id);
		const typed = await deliver(s, webhookBody('sales_order_create', { id }));
		expect(typed.items).toHaveLength(1);
	});

	it('answers a repeated delivery with 200 and no execution, fetching once', async () => {
		const id = newId();
		const apiRecord = fake.setRecord('pick_ticket', id);
		const s = setup();
		const payload = webhookBody('pick_ticket_update', apiRecord);
		const first = await deliver(s, payload);
		expect(first.items).toHaveLength(1);
		const second = await deliver(s, payload);
		expect(second.status).toBe(200);
		expect(second.call.response.body).toEqual({ received: true, duplicate: true });
		expect(second.items).toBeUndefined();
		expect(fake.dataRequests()).toHaveLength(1);
		// a later update of the same record is a new delivery
		const third = await deliver(s, webhookBody('pick_ticket_update', { ...apiRecord, updated_at: '2030-01-01T00:00:00.000Z' }));
		expect(third.items).toHaveLength(1);
	});

	it('lets concurrent copies of one delivery start one execution', async () => {
		const id = newId();
		const apiRecord = fake.setRecord('product', id);
		const s = setup();
		const payload = webhookBody('product_update', apiRecord);
		const calls = await Promise.all(Array.from({ length: 10 }, () => deliver(s, payload)));
		expect(calls.every((c) => c.status === 200)).toBe(true);
		expect(calls.filter((c) => c.items !== undefined)).toHaveLength(1);
	});

	it('answers a copy that arrives while the first is failing with 503 too, so the delivery is not lost', async () => {
		const id = newId();
		const apiRecord = fake.setRecord('product', id);
		const s = setup({ options: { fetchTimeoutSeconds: 3, maxRetries: 1 } });
		const payload = webhookBody('product_update', apiRecord);
		fake.mode('503');
		const calls = await Promise.all(Array.from({ length: 5 }, () => deliver(s, payload)));
		fake.mode('ok');
		// Before: the copies were answered 200 "duplicate" while the first was still fetching, and
		// the vendor, told they had arrived, never delivered the event again.
		expect(calls.map((c) => c.status)).toEqual([503, 503, 503, 503, 503]);
		expect(calls.filter((c) => c.items !== undefined)).toHaveLength(0);
		const retried = await deliver(s, payload);
		expect(retried.status).toBe(200);
		expect(retried.items).toHaveLength(1);
		expect((await deliver(s, payload)).call.response.body).toEqual({ received: true, duplicate: true });
	});

	it('answers 403 outside the IP allowlist (IPv4 and IPv6) and accepts inside it', async () => {
		const s = setup({ fetchRecord: false, options: { ipAllowlist: '203.0.113.0/24, 2001:db8::/32' } });
		const outside = await deliver(s, body(), { ip: '::ffff:198.51.100.7' });
		expect(outside.status).toBe(403);
		expect(outside.items).toBeUndefined();
		expect((await deliver(s, body(), { ip: '::ffff:203.0.113.9' })).status).toBe(200);
		expect((await deliver(s, body(), { ip: '2001:db8::1' })).status).toBe(200);
		expect((await deliver(s, body(), { ip: '2001:db9::1' })).status).toBe(403);
	});

	it.each(['GET', 'PUT', 'PATCH', 'DELETE'])('answers 405 with Allow: POST to %s, starts nothing and fetches nothing', async (method) => {
		const s = setup();
		const { status, error, items, call } = await deliver(s, body(), { method });
		expect(status).toBe(405);
		expect(call.response.headers.allow).toBe('POST');
		expect(error).toMatch(new RegExp(`does not accept ${method}`));
		expect(items).toBeUndefined();
		expect(memoryOf(s)).toBeUndefined();
		expect(fake.requests).toHaveLength(0);
	});

	it('releases a key claimed and then thrown on (the credential failing in the "after fetch" step): 503, and the retry runs once', async () => {
		// With the URL token off, nothing reads the credential before the delivery's key is claimed;
		// the record fetch reads it (for the Base URL) after the claim. The first read throws here, as
		// n8n's getCredentials does when a credential cannot be loaded or decrypted.
		const id = newId();
		const apiRecord = fake.setRecord('pick_ticket', id);
		const store = credentials();
		let reads = 0;
		const get = store.get.bind(store);
		store.get = async (type: string) => {
			if (++reads === 1) throw new Error('Credentials could not be decrypted (injected)');
			return await get(type);
		};
		const s = setup({ requireUrlToken: false }, { credentials: store });
		const payload = webhookBody('pick_ticket_update', apiRecord);

		const thrown = await deliver(s, payload, { token: null });
		expect(thrown.status).toBe(503);
		expect(thrown.error).toMatch(/could not process this delivery; it was not accepted, so it can be retried/);
		expect(thrown.items).toBeUndefined();
		expect(reads).toBe(1);
		expect(thrown.call.logger.text()).toMatch(/injected/);
		expect(fake.dataRequests()).toHaveLength(0);

		// Uphance's retry: processed (not answered "duplicate"), one execution with the API record
		const retry = await deliver(s, payload, { token: null });
		expect(retry.status).toBe(200);
		expect(retry.items).toHaveLength(1);
		expect(retry.items![0].json).toMatchObject({ id, record: apiRecord, recordSource: 'api' });
		const [out] = await execute(s, retry.items!);
		expect(out.json).toMatchObject({ id, recordSource: 'api' });

		// and only once: a further copy is a duplicate
		const again = await deliver(s, payload, { token: null });
		expect(again.status).toBe(200);
		expect(again.call.response.body).toEqual({ received: true, duplicate: true });
		expect(again.items).toBeUndefined();
		expect(fake.dataRequests()).toHaveLength(1);
	});

	it('answers 503 (never 500) when the credential is missing', async () => {
		const { status, error } = await deliver(setup({}, { credentials: undefined }), body());
		expect(status).toBe(503);
		expect(error).toMatch(/could not process this delivery/);
	});

	it('always emits in a manual test run, even a delivery seen before', async () => {
		const s = setup({ fetchRecord: false });
		const payload = body();
		await deliver(s, payload);
		const manual = await deliver({ ...s, mode: 'manual' }, payload);
		expect(manual.items).toHaveLength(1);
	});
});

describe('Uphance Trigger activation: a missing URL token is reported before the first delivery', () => {
	const trigger = new UphanceTrigger();
	// What n8n gives webhookMethods on activation and on "Listen for test event" (IHookFunctions).
	const hook = (requireUrlToken: boolean, urlToken: string | undefined) => ({
		getNode: () => ({ id: 'n', name: 'Uphance Trigger', type: 'n8n-nodes-uphance-uplift.uphanceTrigger', typeVersion: 1.1, position: [0, 0], parameters: {} }),
		getNodeParameter: (name: string, fallback: unknown) => (name === 'requireUrlToken' ? requireUrlToken : fallback),
		getCredentials: async () => ({ email: 'a@b.c', password: 'p', organisationId: '1', ...(urlToken === undefined ? {} : { urlToken }) }),
	});
	const activate = async (requireUrlToken: boolean, urlToken: string | undefined) => {
		const ctx = hook(requireUrlToken, urlToken) as never;
		const methods = trigger.webhookMethods.default;
		// n8n runs create only when checkExists answers false
		if (await methods.checkExists.call(ctx)) return true;
		return await methods.create.call(ctx);
	};

	it.each([[undefined], ['']])('refuses to activate with Require URL Token on and the token %p, naming the field to fill', async (token) => {
		const error = (await activate(true, token).catch((e: Error) => e)) as Error & { description?: string };
		expect(error).toBeInstanceOf(Error);
		expect(error.message).toBe('The Uphance API credential has no Webhook URL Token');
		expect(error.description).toMatch(/Production URL followed by \?token=/);
	});

	it('activates with a token, or with the token check turned off', async () => {
		expect(await activate(true, 'a-long-random-secret')).toBe(true);
		expect(await activate(false, undefined)).toBe(true);
	});

	it('shows the chosen events by name on the canvas', () => {
		const subtitle = String(trigger.description.subtitle);
		// eslint-disable-next-line @typescript-eslint/no-implied-eval
		const evaluate = new Function('$parameter', `return ${subtitle.slice(3, -2)}`) as (p: unknown) => string;
		expect(evaluate({ events: ['pick_ticket_update'] })).toBe('Pick Ticket Updated');
		expect(evaluate({ events: ['sales_order_create', 'invoice_delete'] })).toBe('sales_order_create, Invoice Deleted');
	});
});
