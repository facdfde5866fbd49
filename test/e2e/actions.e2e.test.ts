/**
 * End-to-end: the Uphance and Uplift action nodes in a real n8n (one instance), against the fake
 * vendor APIs. The three action-node examples run as imported: examples/uphance-pick-ticket-ship-
 * workflow.json (a delivery), examples/uplift-capture-workflow.json (a signed delivery) and
 * examples/uplift-scheduled-export-workflow.json (run now through n8n's manual-run endpoint, as the
 * editor's "Execute workflow" does; n8n's public API cannot start a schedule).
 */
import { randomUUID } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';

/* eslint-disable @typescript-eslint/no-var-requires */
const { N8nInstance, nodeOutput, REPO_ROOT } = require('../support/n8nInstance');
const fakeUphanceMod = require('../support/fakeUphance');
const fakeUpliftMod = require('../support/fakeUplift');
const { runManually } = require('../support/manualRun');
const { PACKAGE } = require('../support/workflows');
const { post } = require('../support/http');
const { createUphanceCredential, createUpliftCredential, createUpliftWebhookCredential, stopAll } = require('../support/vendorCredentials');

const ORG = 9579;
const URL_TOKEN = 'e2e-actions-token-' + randomUUID().replace(/-/g, '');
const UPLIFT_KEY = 'sk_e2e_actions_' + randomUUID().replace(/-/g, '');
const UPLIFT_SECRET = 'e2e-actions-uplift-secret-' + randomUUID();

let n8n: any;
let fake: any;
let uplift: any;
let cred: { id: string; name: string };
let upliftCred: { id: string; name: string };
let upliftWebhookCred: { id: string; name: string };

/** The example workflow with this run's credentials (in place of its placeholders) and a fresh webhook id. */
function exampleWorkflow(file: string) {
	const wf = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'examples', file), 'utf8'));
	const webhookId = randomUUID();
	for (const node of wf.nodes) {
		for (const [type, c] of Object.entries(node.credentials || {}) as Array<[string, { id: string }]>) {
			expect(c.id).toBe('REPLACE_WITH_YOUR_CREDENTIAL_ID');
			const mine = { uphanceApi: cred, upliftApi: upliftCred, upliftWebhookApi: upliftWebhookCred }[type];
			if (!mine) throw new Error(`${file}: node "${node.name}" uses credential type ${type}`);
			node.credentials[type] = { id: mine.id, name: mine.name };
		}
		if (node.webhookId) node.webhookId = webhookId;
	}
	wf.name = `${wf.name} ${webhookId.slice(0, 8)}`;
	return { wf, webhookId };
}

beforeAll(async () => {
	fake = await fakeUphanceMod.start({ email: 'e2e@uphance.example', password: 'uphance-actions-password', organisations: [{ id: ORG, name: 'E2E Org' }] });
	n8n = new N8nInstance({ name: 'actions-e2e' });
	await n8n.start();
	cred = await createUphanceCredential(n8n, fake, { organisationId: ORG, urlToken: URL_TOKEN });
	uplift = await fakeUpliftMod.start({ apiKey: UPLIFT_KEY });
	upliftCred = await createUpliftCredential(n8n, uplift, { apiKey: UPLIFT_KEY });
	upliftWebhookCred = await createUpliftWebhookCredential(n8n, { signingSecret: UPLIFT_SECRET });
}, 900000);

afterAll(async () => {
	await stopAll(n8n, fake, uplift);
});

/**
 * The Uphance examples run as imported, with catch-up on (its default): about 10 s after activation
 * it stores its starting point with one execution without output (README, "Nothing lost while n8n
 * was away"). Waited for first, so the deliveries' executions are counted on top of it.
 */
async function catchUpStartingPoint(workflowId: string): Promise<void> {
	const [first] = await n8n.waitForExecutions(workflowId, 1, 60000, { settleMs: 0 });
	expect(first.mode).toBe('trigger');
	expect(nodeOutput(first, 'Uphance Trigger')).toEqual([]);
}

describe('Uphance and Uplift action nodes in a real n8n', () => {
	test('n8n lists both nodes and their tool variants', async () => {
		const r = await fetch(`${n8n.baseUrl}/types/nodes.json`, { headers: { cookie: n8n.cookie || '', 'browser-id': 'e2e-browser' } });
		expect(r.status).toBe(200);
		const names = ((await r.json()) as Array<{ name: string }>).map((t) => t.name);
		for (const n of ['uphance', 'uphanceTool', 'uplift', 'upliftTool']) expect(names).toContain(`${PACKAGE}.${n}`);
		expect(names).not.toContain(`${PACKAGE}.uphanceTriggerTool`);
	});

	test('Trigger (pick_ticket_update) → Update Tracking → Mark Shipped: one tracking update and one ship per delivery, none for a redelivery', async () => {
		const { wf, webhookId } = exampleWorkflow('uphance-pick-ticket-ship-workflow.json');
		const created = await n8n.createWorkflow(wf);
		const url = n8n.webhookUrl(webhookId);
		await n8n.activate(created.id, url);
		await catchUpStartingPoint(created.id);
		const ids = [810001, 810002];
		for (const id of ids) fake.setRecord('pick_ticket', id, fakeUphanceMod.sampleRecord('pick_ticket', id, { status: 'packed' }));
		fake.clearLog();
		// copies: a redelivery repeats the original bytes, not the record as it is after the workflow ran
		const bodies = ids.map((id) => JSON.parse(JSON.stringify(fakeUphanceMod.buildWebhookBody('pick_ticket_update', fake.record('pick_ticket', id)))));
		for (const body of bodies) expect((await post(`${url}?token=${URL_TOKEN}`, body)).status).toBe(200);
		await n8n.waitForExecutions(created.id, 3, 120000);
		// Uphance redelivers the first event: the trigger recognises it, nothing runs, nothing is written.
		const again = await post(`${url}?token=${URL_TOKEN}`, bodies[0]);
		expect(again.status).toBe(200);
		const executions = (await n8n.waitForExecutions(created.id, 3, 60000)).filter((e: any) => e.mode !== 'trigger');
		expect(executions.map((e: any) => e.status)).toEqual(['success', 'success']);
		const writes = fake.writes.map((w: any) => `${w.method} ${w.path}`).sort();
		expect(writes).toEqual(['PUT /pick_tickets/810001', 'PUT /pick_tickets/810001/ship', 'PUT /pick_tickets/810002', 'PUT /pick_tickets/810002/ship']);
		expect(fake.writes.find((w: any) => w.path === '/pick_tickets/810001').query).toEqual({ tracking_number: 'TRK-SH-810001', carrier: 'dhl', shipping_cost: '9.95' });
		for (const id of ids) expect(fake.record('pick_ticket', id)).toMatchObject({ status: 'shipped', tracking_number: `TRK-SH-${id}` });
		const shipped = nodeOutput(executions[0], 'Mark Shipped');
		expect(shipped).toHaveLength(1);
		expect(shipped[0].json.status).toBe('shipped');
		expect(JSON.stringify(executions)).not.toContain(fake.password);
	});

	test('example "Uphance: shipped pick tickets": only Pick Ticket Updated events whose ticket is shipped reach the summary', async () => {
		const { wf, webhookId } = exampleWorkflow('uphance-trigger-workflow.json');
		const created = await n8n.createWorkflow(wf);
		const url = n8n.webhookUrl(webhookId);
		await n8n.activate(created.id, url);
		await catchUpStartingPoint(created.id);
		const shippedId = 880001;
		const openId = 880002;
		const records = [
			fake.setRecord('pick_ticket', shippedId, { ...fakeUphanceMod.sampleRecord('pick_ticket', shippedId), status: 'shipped' }),
			fake.setRecord('pick_ticket', openId, { ...fakeUphanceMod.sampleRecord('pick_ticket', openId), status: 'open' }),
		];
		for (const record of records) {
			const r = await post(`${url}?token=${URL_TOKEN}`, fakeUphanceMod.buildWebhookBody('pick_ticket_update', record));
			expect(r.status).toBe(200);
		}
		// another event type is acknowledged and starts nothing
		const other = await post(`${url}?token=${URL_TOKEN}`, fakeUphanceMod.buildWebhookBody('invoice_update', { id: 5, updated_at: new Date().toISOString() }));
		expect(other.json).toMatchObject({ ignored: expect.anything() });
		const executions = await n8n.waitForExecutions(created.id, 3, 60000);
		const summaries = executions.flatMap((e: any) => nodeOutput(e, 'Summarise') ?? []);
		expect(summaries.map((i: any) => [i.json.id, i.json.status])).toEqual([[String(shippedId), 'shipped']]);
	});

	test('Get Many with Return All over 250 pick tickets returns 250 items from three pages', async () => {
		fake.seed('pick_ticket', 250, () => ({ warehouse_name: 'Bulk' }), 1);
		const webhookId = randomUUID();
		const trigger = {
			id: randomUUID(),
			name: 'Uphance Trigger',
			type: `${PACKAGE}.uphanceTrigger`,
			typeVersion: 1.1,
			position: [0, 0],
			webhookId,
			parameters: { events: ['sales_order_update'], requireUrlToken: true, fetchRecord: false, acknowledge: 'afterFetch', options: {} },
			credentials: { uphanceApi: { id: cred.id, name: cred.name } },
		};
		const list = {
			id: randomUUID(),
			name: 'All Pick Tickets',
			type: `${PACKAGE}.uphance`,
			typeVersion: 1,
			position: [260, 0],
			parameters: { resource: 'pickTicket', operation: 'getAll', returnAll: true, filters: { warehouseName: 'Bulk' } },
			credentials: { uphanceApi: { id: cred.id, name: cred.name } },
		};
		const created = await n8n.createWorkflow({
			name: `Get Many ${webhookId.slice(0, 8)}`,
			nodes: [trigger, list],
			connections: { 'Uphance Trigger': { main: [[{ node: 'All Pick Tickets', type: 'main', index: 0 }]] } },
		});
		const url = n8n.webhookUrl(webhookId);
		await n8n.activate(created.id, url);
		fake.clearLog();
		const r = await post(`${url}?token=${URL_TOKEN}`, fakeUphanceMod.buildWebhookBody('sales_order_update', { id: 1, updated_at: new Date().toISOString() }));
		expect(r.status).toBe(200);
		const [execution] = await n8n.waitForExecutions(created.id, 1, 120000);
		expect(execution.status).toBe('success');
		const out = nodeOutput(execution, 'All Pick Tickets');
		expect(out).toHaveLength(250);
		expect(new Set(out.map((i: any) => i.json.id)).size).toBe(250);
		const pages = fake.requests.filter((q: any) => q.method === 'GET' && q.path === '/pick_tickets').map((q: any) => q.query);
		expect(pages.map((q: string) => new URLSearchParams(q).get('page'))).toEqual(['1', '2', '3']);
	});

	test('Uplift Trigger → Extract From File → Get Capture (example): the capture the delivery names, once per delivery', async () => {
		const { wf, webhookId } = exampleWorkflow('uplift-capture-workflow.json');
		const created = await n8n.createWorkflow(wf);
		const url = n8n.webhookUrl(webhookId);
		await n8n.activate(created.id, url);
		const captureId = randomUUID();
		uplift.setCapture(captureId, { athlete_id: 'ath-e2e', activity: 'baseball', movement: 'hitting' });
		uplift.setCsv('capture-e2e', fakeUpliftMod.DEFAULT_CSV);
		uplift.clearLog();
		const d = fakeUpliftMod.signedDelivery({ secret: UPLIFT_SECRET, captureId, movementIndex: 3, csvUrl: uplift.csvUrl('capture-e2e') });
		expect((await post(url, d.body, d.headers)).status).toBe(200);
		const [execution] = await n8n.waitForExecutions(created.id, 1, 120000);
		expect(execution.status).toBe('success');
		// the trigger attached the CSV, Extract From File split it into its 3 rows ...
		const rows = nodeOutput(execution, 'CSV to rows');
		expect(rows.map((r: any) => r.json.frame)).toEqual(['0', '1', '2']);
		// ... and Get Capture ran once (Execute Once), with the id taken from the trigger item by expression
		const out = nodeOutput(execution, 'Get Capture');
		expect(out).toHaveLength(1);
		expect(out[0].json).toMatchObject({ session_id: captureId, athlete_id: 'ath-e2e', status: 'completed', activity: 'baseball', movement: 'hitting' });
		expect(out[0].pairedItem).toMatchObject({ item: 0 });
		const apiCalls = uplift.requests.filter((q: any) => q.path.startsWith('/v1/'));
		expect(apiCalls.map((q: any) => `${q.method} ${q.path}`)).toEqual([`GET /v1/captures/${captureId}`]);
		expect(apiCalls[0].authorization).toBe(`Bearer ${UPLIFT_KEY}`);
		expect(JSON.stringify(execution)).not.toContain(UPLIFT_KEY);
		expect(JSON.stringify(execution)).not.toContain(UPLIFT_SECRET);
	});

	test('Schedule Trigger → Data Export Run (example), run now: one item per result row, from three result pages', async () => {
		const { wf } = exampleWorkflow('uplift-scheduled-export-workflow.json');
		const trigger = wf.nodes.find((n: any) => n.type === 'n8n-nodes-base.scheduleTrigger');
		expect(trigger).toBeDefined();
		const created = await n8n.createWorkflow(wf);
		// active as a user would have it (its schedule does not fire during the test) ...
		await n8n.activate(created.id);
		uplift.setExportRows(1234);
		uplift.setExportPolls(1);
		uplift.clearLog();
		const t0 = Math.floor(Date.now() / 1000);
		// ... and run now, as the editor's "Execute workflow" does
		const execution = await runManually(n8n, created.id, trigger.name, { timeoutMs: 120000 });
		expect(execution.status).toBe('success');
		expect(execution.mode).toBe('manual');
		const rows = nodeOutput(execution, 'Data Export Run');
		expect(rows).toHaveLength(1234);
		expect(rows[0].json).toEqual({ sessionid: 's-0', athleteid: 'ath-1', frame: 0, peak_power: 0 });
		expect(rows[1233].json).toMatchObject({ sessionid: 's-123', frame: 3 });
		expect(rows.every((r: any) => r.pairedItem && r.pairedItem.item === 0)).toBe(true);
		const calls = uplift.requests.filter((q: any) => q.path.startsWith('/v1/'));
		const created1 = calls.filter((q: any) => q.method === 'POST' && q.path === '/v1/data/export');
		expect(created1).toHaveLength(1);
		const body = created1[0].body;
		expect(body).toMatchObject({ activity: 'baseball', movement: 'hitting', dateMode: 'capture_time' });
		// "now": taken after the run was started and before the export request reached Uplift
		expect(body.endTime).toBeGreaterThanOrEqual(t0);
		expect(body.endTime).toBeLessThanOrEqual(Math.floor(created1[0].at / 1000));
		// the last 24 hours (23 or 25 across a DST change)
		expect(body.endTime - body.startTime).toBeGreaterThanOrEqual(23 * 3600 - 1);
		expect(body.endTime - body.startTime).toBeLessThanOrEqual(25 * 3600 + 1);
		const jobId = uplift.exportJobs[uplift.exportJobs.length - 1].jobId;
		// polled until COMPLETED (RUNNING once, then COMPLETED), then paged 500 rows a call
		expect(calls.filter((q: any) => q.path === `/v1/data/export/job/${jobId}`)).toHaveLength(2);
		const pages = calls.filter((q: any) => q.path === `/v1/data/export/job/${jobId}/results`).map((q: any) => new URLSearchParams(q.query));
		expect(pages.map((q: URLSearchParams) => [q.get('limit'), q.get('offset')])).toEqual([
			['500', '0'],
			['500', '500'],
			['500', '1000'],
		]);
		expect(JSON.stringify(execution)).not.toContain(UPLIFT_KEY);
		await n8n.deactivate(created.id);
	});
});
