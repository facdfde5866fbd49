/**
 * End-to-end: the Uphance and Uplift action nodes in a real n8n (one instance), against the fake
 * vendor APIs. The pick-ticket flow is examples/uphance-pick-ticket-ship-workflow.json.
 */
import { randomUUID } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';

/* eslint-disable @typescript-eslint/no-var-requires */
const { N8nInstance, nodeOutput, REPO_ROOT } = require('../support/n8nInstance');
const fakeUphanceMod = require('../support/fakeUphance');
const { PACKAGE } = require('../support/workflows');
const { post } = require('../support/http');

const ORG = 9579;
const URL_TOKEN = 'e2e-actions-token-' + randomUUID().replace(/-/g, '');

let n8n: any;
let fake: any;
let cred: { id: string; name: string };

/** The example workflow with this run's credential and a fresh webhook id. */
function exampleWorkflow(file: string) {
	const wf = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'examples', file), 'utf8'));
	const webhookId = randomUUID();
	for (const node of wf.nodes) {
		if (node.credentials?.uphanceApi) node.credentials.uphanceApi = { id: cred.id, name: cred.name };
		if (node.webhookId) node.webhookId = webhookId;
	}
	wf.name = `${wf.name} ${webhookId.slice(0, 8)}`;
	return { wf, webhookId };
}

beforeAll(async () => {
	fake = await fakeUphanceMod.start({ email: 'e2e@uphance.example', password: 'uphance-actions-password', organisations: [{ id: ORG, name: 'E2E Org' }] });
	n8n = new N8nInstance({ name: 'actions-e2e' });
	await n8n.start();
	cred = await n8n.createCredential('uphanceApi', 'Uphance (fake)', {
		email: fake.email,
		password: fake.password,
		organisationId: String(ORG),
		urlToken: URL_TOKEN,
		baseUrl: fake.url,
	});
}, 900000);

afterAll(async () => {
	if (n8n) await n8n.stop();
	if (fake) await fake.close();
});

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
		const ids = [810001, 810002];
		for (const id of ids) fake.setRecord('pick_ticket', id, fakeUphanceMod.sampleRecord('pick_ticket', id, { status: 'packed' }));
		fake.clearLog();
		// copies: a redelivery repeats the original bytes, not the record as it is after the workflow ran
		const bodies = ids.map((id) => JSON.parse(JSON.stringify(fakeUphanceMod.buildWebhookBody('pick_ticket_update', fake.record('pick_ticket', id)))));
		for (const body of bodies) expect((await post(`${url}?token=${URL_TOKEN}`, body)).status).toBe(200);
		await n8n.waitForExecutions(created.id, 2, 120000);
		// Uphance redelivers the first event: the trigger recognises it, nothing runs, nothing is written.
		const again = await post(`${url}?token=${URL_TOKEN}`, bodies[0]);
		expect(again.status).toBe(200);
		const executions = await n8n.waitForExecutions(created.id, 2, 60000);
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
});
