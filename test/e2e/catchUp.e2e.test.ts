/**
 * End-to-end: catch-up (issue 16). A real n8n with the package installed, the fake Uphance and
 * Uplift APIs on 127.0.0.1 playing the vendors, including their webhooks: Uphance retries a refused
 * delivery and gives up (giveUpAfterMs stands in for its 48 h); Uplift gives up at once.
 *
 * Each trigger runs with Catch Up on, a settle delay of 0 and a one-minute interval, so a run
 * happens about 10 s after every start and then every minute. Executions are read back through
 * n8n's API and counted by `source` ('webhook' or 'catchUp'). Run with `npm run test:e2e`.
 */
import { createHash, randomUUID } from 'crypto';

/* eslint-disable @typescript-eslint/no-var-requires */
const { N8nInstance } = require('../support/n8nInstance');
const { settled: settledIn, triggerItems, bySource, catchUpRuns: catchUpRunsIn } = require('../support/catchUpRuns') as {
	settled: (n8n: any, workflowId: string, opts?: { atLeast?: number; quietMs?: number; timeoutMs?: number }) => Promise<any[]>;
	triggerItems: (executions: any[], triggerName: string) => Array<{ executionId: string; items: any[] }>;
	bySource: (runs: Array<{ items: any[] }>) => Record<string, number>;
	catchUpRuns: (n8n: any, workflowId: string, after: number, count?: number, timeoutMs?: number) => Promise<number>;
};
const fakeUplift = require('../support/fakeUplift');
const fakeUphanceMod = require('../support/fakeUphance');
const { triggerToSet } = require('../support/workflows');
const { post } = require('../support/http') as { post: (url: string, body: unknown, headers?: Record<string, string>) => Promise<Resp> };
const { createUphanceCredential, createUpliftCredential, createUpliftTriggerCredential, stopAll } = require('../support/vendorCredentials');

type Resp = { status: number; text: string; json: any; ms: number };

const UPLIFT = 'Uplift Trigger';
const UPHANCE = 'Uphance Trigger';
const SECRET = 'e2e-uplift-secret-' + randomUUID().replace(/-/g, '');
const URL_TOKEN = 'e2e-url-token-' + randomUUID().replace(/-/g, '');
const API_KEY = 'sk_catchup_' + randomUUID().replace(/-/g, '');
const ORG = 9579;
const CATCH_UP = { catchUp: true, catchUpOptions: { settleSeconds: 0, intervalMinutes: 1 } };

let n8n: any;
let uplift: any;
let uphance: any;
let uphanceCred: { id: string; name: string };
let upliftApiCred: { id: string; name: string };
let upliftHookCred: { type: string; id: string; name: string };

const hashedKey = (key: string) => createHash('sha256').update(key, 'utf8').digest('base64url').slice(0, 16);

async function activate(workflow: any, webhookId: string): Promise<{ id: string; url: string }> {
	const wf = await n8n.createWorkflow(workflow);
	const url = n8n.webhookUrl(webhookId);
	await n8n.activate(wf.id, url);
	return { id: wf.id, url };
}

const settled = (workflowId: string, opts?: { atLeast?: number; quietMs?: number; timeoutMs?: number }): Promise<any[]> => settledIn(n8n, workflowId, opts);
const catchUpRuns = (workflowId: string, after: number, count?: number, timeoutMs?: number): Promise<number> => catchUpRunsIn(n8n, workflowId, after, count, timeoutMs);

beforeAll(async () => {
	uplift = await fakeUplift.start({ apiKey: API_KEY });
	uplift.setExportPolls(1);
	uphance = await fakeUphanceMod.start({
		email: 'e2e@uphance.example',
		password: 'uphance-e2e-password',
		organisations: [{ id: ORG, name: 'E2E Org' }],
		retryEveryMs: 1000,
		giveUpAfterMs: 8000,
	});
	n8n = new N8nInstance({ name: 'catch-up-e2e', env: { N8N_LOG_LEVEL: 'info' } });
	await n8n.start();
	uphanceCred = await createUphanceCredential(n8n, uphance, { organisationId: ORG, urlToken: URL_TOKEN });
	upliftApiCred = await createUpliftCredential(n8n, uplift, { apiKey: API_KEY });
	upliftHookCred = await createUpliftTriggerCredential(n8n, { signingSecret: SECRET });
}, 900000);

afterAll(async () => {
	await stopAll(n8n, uplift, uphance);
});

describe('Uphance: nothing lost while n8n was away', () => {
	test('first activation emits no history; an outage past the retry window is caught up once per change; webhook redeliveries, later runs and a restart start nothing more', async () => {
		// History: records that exist before the first activation are never emitted.
		for (let id = 1; id <= 5; id++) uphance.setRecord('pick_ticket', 100 + id, { id: 100 + id, status: 'packed' });
		// Products created a week ago: their later updates are found by the update scan (window 14 days).
		const weekAgo = new Date(Date.now() - 7 * 86_400_000).toISOString();
		for (let id = 1; id <= 10; id++) uphance.setRecord('product', 700 + id, { id: 700 + id, name: 'Tee', created_at: weekAgo, updated_at: weekAgo });

		const { webhookId, workflow } = triggerToSet({
			nodeName: 'uphanceTrigger',
			triggerName: UPHANCE,
			parameters: { ...CATCH_UP, fetchRecord: true },
			credential: { type: 'uphanceApi', id: uphanceCred.id, name: uphanceCred.name },
		});
		const logFrom = n8n.logText().length;
		const wf = await activate(workflow, webhookId);
		uphance.setWebhook(wf.url, URL_TOKEN);
		uphance.setDeliveryPolicy('deliver');

		// 1. The first run stores a starting point with one execution that has no output.
		await catchUpRuns(wf.id, logFrom);
		let executions = await settled(wf.id, { atLeast: 1 });
		expect(bySource(triggerItems(executions, UPHANCE))).toEqual({ 'no output': 1 });
		const stored = (await n8n.staticData(wf.id))[`node:${UPHANCE}`];
		expect(stored && stored.catchUp && typeof stored.catchUp.since).toBe('string');

		// 2. Five live changes by webhook: five executions.
		const live = [];
		for (let id = 1; id <= 5; id++) live.push(uphance.setRecord('pick_ticket', 200 + id, { id: 200 + id, status: 'packed' }));
		await Promise.all(live.map((r: any) => uphance.emit('pick_ticket_create', r)));
		executions = await settled(wf.id, { atLeast: 6 });
		expect(bySource(triggerItems(executions, UPHANCE))).toEqual({ 'no output': 1, webhook: 5 });

		// 3. n8n goes away; 30 changes over 3 resources; Uphance retries each delivery, then gives up.
		await n8n.stop();
		uphance.setDeliveryPolicy('refuse');
		const changes: Array<{ resource: string; id: number; event: string }> = [];
		const outage: Array<Promise<any>> = [];
		for (let i = 1; i <= 10; i++) {
			const ticket = uphance.setRecord('pick_ticket', 300 + i, { id: 300 + i, status: 'packed' });
			outage.push(uphance.emit('pick_ticket_create', ticket));
			changes.push({ resource: 'pick_ticket', id: 300 + i, event: 'pick_ticket_create' });
			const invoice = uphance.setRecord('invoice', 400 + i, { id: 400 + i, invoice_number: `INV-${400 + i}` });
			outage.push(uphance.emit('invoice_create', invoice));
			changes.push({ resource: 'invoice', id: 400 + i, event: 'invoice_create' });
			const product = uphance.setRecord('product', 700 + i, { ...uphance.record('product', 700 + i), name: `Tee v${i}` });
			outage.push(uphance.emit('product_update', product));
			changes.push({ resource: 'product', id: 700 + i, event: 'product_update' });
		}
		const outcomes = await Promise.all(outage);
		expect(outcomes.filter((o: any) => o.gaveUp).length).toBe(30);

		// 4. n8n starts: the first run catches up each of the 30 changes once, with the API's record.
		const restartFrom = n8n.logText().length;
		uphance.setDeliveryPolicy('deliver');
		await n8n.restart();
		await catchUpRuns(wf.id, restartFrom);
		executions = await settled(wf.id, { atLeast: 36 });
		const runs = triggerItems(executions, UPHANCE);
		const caught = runs.filter((r) => r.items.length > 0 && r.items[0].json.source === 'catchUp');
		expect(caught.length).toBe(30);
		const seen = caught.map((r) => `${r.items[0].json.event}:${r.items[0].json.id}`).sort();
		expect(seen).toEqual(changes.map((c) => `${c.event}:${c.id}`).sort());
		for (const r of caught) {
			const json = r.items[0].json;
			expect(r.items).toHaveLength(1);
			expect(json.record).toEqual(uphance.record(json.resource, json.id));
			expect(json.recordSource).toBe('api');
			expect(json.deliveryKey).toBe(`uphance:${json.resource}:${json.id}:${new Date(json.record.updated_at).toISOString()}`);
		}
		expect(bySource(runs)).toEqual({ 'no output': 1, webhook: 5, catchUp: 30 });

		// 5. Late redeliveries of every change (the 5 live ones and the 30 caught up): all duplicates.
		const again = await Promise.all(
			[...live.map((r: any) => ['pick_ticket_create', r] as const), ...changes.map((c) => [c.event, uphance.record(c.resource, c.id)] as const)].map(
				([event, record]) => post(`${wf.url}?token=${URL_TOKEN}`, { event, [event.replace(/_[a-z]+$/, '')]: record }),
			),
		);
		expect(again.filter((r) => !(r.status === 200 && r.json && r.json.duplicate)).map((r) => `${r.status} ${r.text}`)).toEqual([]);

		// 6. A restart and its run, which lists the outage's window again (the stored cursor is the
		// one the caught-up items carried): nothing new. The memory kept every key.
		await n8n.restart();
		const afterRestart = n8n.logText().length;
		await catchUpRuns(wf.id, afterRestart);
		executions = await settled(wf.id, { atLeast: 36 });
		expect(bySource(triggerItems(executions, UPHANCE))).toEqual({ 'no output': 1, webhook: 5, catchUp: 30 });
		const memory = (await n8n.staticData(wf.id))[`node:${UPHANCE}`].duplicateMemory;
		const keys = new Set<string>();
		for (const chunk of memory.entries as string[]) for (let at = 0; at < chunk.length; at += 26) keys.add(chunk.slice(at, at + 16));
		for (const c of changes) {
			const record = uphance.record(c.resource, c.id);
			expect(keys.has(hashedKey(`uphance:${c.resource}:${c.id}:${new Date(record.updated_at).toISOString()}`))).toBe(true);
		}
		process.stderr.write(`[catch-up e2e] Uphance on n8n ${n8n.version}: ${JSON.stringify(bySource(triggerItems(executions, UPHANCE)))}\n`);
	});
});

describe('Uplift: nothing lost while n8n was away', () => {
	test('no history at first activation; captures completed while n8n was down arrive once each with their CSV; captures the webhook delivered are never emitted again', async () => {
		const { webhookId, workflow } = triggerToSet({
			nodeName: 'upliftTrigger',
			triggerName: UPLIFT,
			parameters: { ...CATCH_UP, catchUpOptions: { ...CATCH_UP.catchUpOptions, processingAllowanceHours: 1 } },
			credential: upliftHookCred,
		});
		workflow.nodes[0].credentials.upliftApi = { id: upliftApiCred.id, name: upliftApiCred.name };
		// History: 5 captures completed 30 minutes before the first activation, within the Processing
		// Allowance (1 h) of its window. A first activation emits no history (issue 19, finding 4).
		const history = new Set<string>();
		for (let i = 0; i < 5; i++) {
			const sessionId = randomUUID();
			history.add(sessionId);
			uplift.addCapture({ session_id: sessionId, athlete_id: randomUUID(), activity: 'baseball', movement: 'pitch', capture_time: new Date(Date.now() - 30 * 60_000).toISOString(), status: 'completed', csv: 'frame,time\n0,0\n' });
		}
		const logFrom = n8n.logText().length;
		const wf = await activate(workflow, webhookId);
		await catchUpRuns(wf.id, logFrom);
		let executions = await settled(wf.id, { atLeast: 1 });
		expect(bySource(triggerItems(executions, UPLIFT))).toEqual({ 'no output': 1 });

		// Three captures delivered by webhook (their events name <capture uuid>_1).
		const delivered = [];
		for (let i = 0; i < 3; i++) {
			const sessionId = randomUUID();
			const csv = `frame,time,delivered\n0,0.000,${i}\n`;
			uplift.setCsv(`live-${i}`, csv);
			uplift.addCapture({ session_id: sessionId, athlete_id: randomUUID(), activity: 'baseball', movement: 'pitch', capture_time: new Date().toISOString(), status: 'completed', csv });
			const d = fakeUplift.signedDelivery({ secret: SECRET, captureId: sessionId, csvUrl: uplift.csvUrl(`live-${i}`) });
			const r = await post(wf.url, d.body, d.headers);
			expect(r.status).toBe(200);
			delivered.push(sessionId);
		}
		executions = await settled(wf.id, { atLeast: 4 });
		expect(bySource(triggerItems(executions, UPLIFT))).toEqual({ 'no output': 1, webhook: 3 });

		// n8n goes away; 20 captures complete meanwhile (Uplift gives up on their webhooks at once).
		await n8n.stop();
		const missed = new Map<string, string>();
		for (let i = 0; i < 20; i++) {
			const sessionId = randomUUID();
			const csv = `frame,time,pelvis_rotation\n0,0.25,${i}.5\n1,0.5,${i}.7\n`;
			missed.set(sessionId, csv);
			uplift.addCapture({ session_id: sessionId, athlete_id: randomUUID(), activity: i % 2 ? 'baseball' : 'golf', movement: i % 2 ? 'pitch' : 'full_swing', capture_time: new Date().toISOString(), status: 'completed', csv });
		}
		const restartFrom = n8n.logText().length;
		await n8n.restart();
		await catchUpRuns(wf.id, restartFrom);
		executions = await settled(wf.id, { atLeast: 24 });
		const runs = triggerItems(executions, UPLIFT);
		const caught = runs.filter((r) => r.items.length > 0 && r.items[0].json.source === 'catchUp');
		expect(caught.map((r) => r.items[0].json.data.object.id).sort()).toEqual([...missed.keys()].sort());
		expect(caught.filter((r) => history.has(r.items[0].json.data.object.id))).toEqual([]);
		for (const r of caught) {
			const item = r.items[0];
			expect(item.json.type).toBe('movement.analytics.created');
			expect(item.json.fetch.csv.status).toBe('downloaded');
			const content = (await n8n.downloadBinary(item.binary.data)).toString('utf8');
			const sent = missed.get(item.json.data.object.id)!;
			// the export's rows carry the CSV's columns, after Uplift's session and athlete columns
			const rows: string[] = content.trim().split('\n');
			expect(rows[0]).toBe('sessionid,athleteid,frame,time,pelvis_rotation');
			expect(rows.slice(1).map((row: string) => row.split(',').slice(2).join(','))).toEqual(sent.trim().split('\n').slice(1));
		}
		expect(bySource(runs)).toEqual({ 'no output': 1, webhook: 3, catchUp: 20 });

		// A restart and its run, which lists the same captures again: nothing new (the webhook's
		// captures and the caught-up ones are all known, from static data).
		const beforeRestart = n8n.logText().length;
		await n8n.restart();
		await catchUpRuns(wf.id, beforeRestart);
		executions = await settled(wf.id, { atLeast: 24 });
		expect(bySource(triggerItems(executions, UPLIFT))).toEqual({ 'no output': 1, webhook: 3, catchUp: 20 });
		process.stderr.write(`[catch-up e2e] Uplift on n8n ${n8n.version}: ${JSON.stringify(bySource(triggerItems(executions, UPLIFT)))}\n`);
	});
});
