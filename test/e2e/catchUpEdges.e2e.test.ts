/**
 * End-to-end, catch-up's edges (issue 16), newest n8n only (scripts/test-all.sh leaves this file out
 * of the compatibility passes; test/e2e/catchUp.e2e.test.ts runs in every pass):
 * - Backfill From: each change since the date is emitted once, a restart emits nothing more;
 * - the vendor answers 429 with a Retry-After longer than a request may wait: the run stops, no
 *   listing happens before the wait has passed, the next run catches up, nothing lost or doubled.
 */
import { randomUUID } from 'crypto';

/* eslint-disable @typescript-eslint/no-var-requires */
const { N8nInstance } = require('../support/n8nInstance');
const fakeUphanceMod = require('../support/fakeUphance');
const { triggerToSet } = require('../support/workflows');
const { settled, triggerItems, bySource, catchUpRuns } = require('../support/catchUpRuns') as {
	settled: (n8n: any, workflowId: string, o?: { atLeast?: number; quietMs?: number; timeoutMs?: number }) => Promise<any[]>;
	triggerItems: (executions: any[], triggerName: string) => Array<{ executionId: string; items: any[] }>;
	bySource: (runs: Array<{ items: any[] }>) => Record<string, number>;
	catchUpRuns: (n8n: any, workflowId: string, after: number, count?: number, timeoutMs?: number) => Promise<number>;
};
const { createUphanceCredential, stopAll } = require('../support/vendorCredentials');

const UPHANCE = 'Uphance Trigger';
const URL_TOKEN = 'e2e-url-token-' + randomUUID().replace(/-/g, '');
const ORG = 9579;
const HOUR = 3_600_000;

let n8n: any;
let uphance: any;
let credential: { type: string; id: string; name: string };

beforeAll(async () => {
	uphance = await fakeUphanceMod.start({ email: 'e2e@uphance.example', password: 'uphance-e2e-password', organisations: [{ id: ORG, name: 'E2E Org' }] });
	n8n = new N8nInstance({ name: 'catch-up-edges-e2e' });
	await n8n.start();
	const c = await createUphanceCredential(n8n, uphance, { organisationId: ORG, urlToken: URL_TOKEN });
	credential = { type: 'uphanceApi', id: c.id, name: c.name };
}, 900000);

afterAll(async () => {
	await stopAll(n8n, uphance);
});

test('Backfill From, then a 429 with a long Retry-After: each change once, no listing during the wait, nothing lost', async () => {
	// Invoices changed 2 h ago (after the backfill date) and 5 h ago (before it).
	const at = (msAgo: number) => new Date(Date.now() - msAgo).toISOString();
	for (let i = 1; i <= 8; i++) uphance.setRecord('invoice', 500 + i, { id: 500 + i, invoice_number: `INV-${500 + i}`, created_at: at(2 * HOUR), updated_at: at(2 * HOUR) });
	for (let i = 1; i <= 2; i++) uphance.setRecord('invoice', 600 + i, { id: 600 + i, invoice_number: `INV-${600 + i}`, created_at: at(5 * HOUR), updated_at: at(5 * HOUR) });

	const { webhookId, workflow } = triggerToSet({
		nodeName: 'uphanceTrigger',
		triggerName: UPHANCE,
		parameters: { catchUp: true, catchUpOptions: { settleSeconds: 0, intervalMinutes: 1, backfillFrom: at(3 * HOUR) } },
		credential,
	});
	const wf = await n8n.createWorkflow(workflow);
	const from = n8n.logText().length;
	await n8n.activate(wf.id, n8n.webhookUrl(webhookId));
	await catchUpRuns(n8n, wf.id, from);
	let executions = await settled(n8n, wf.id, { atLeast: 8 });
	let runs = triggerItems(executions, UPHANCE);
	expect(bySource(runs)).toEqual({ catchUp: 8 });
	expect(runs.map((r) => `${r.items[0].json.event}:${r.items[0].json.id}`).sort()).toEqual(Array.from({ length: 8 }, (_, i) => `invoice_create:${501 + i}`));

	// Three new pick tickets, and the next list request is answered 429 with Retry-After 40 s (longer
	// than a request waits: the run ends and no listing may happen before the 40 s have passed).
	for (let i = 1; i <= 3; i++) uphance.setRecord('pick_ticket', 900 + i, { id: 900 + i, status: 'packed' });
	uphance.clearLog();
	uphance.failNext(1, 429, 40);
	const beforeRestart = n8n.logText().length;
	await n8n.restart();
	const afterFirst = await catchUpRuns(n8n, wf.id, beforeRestart);
	expect(n8n.logText().slice(beforeRestart, afterFirst)).toMatch(/run incomplete .*429/);
	const refusedAt = uphance.requests.find((r: any) => r.status === 429).at;
	// The following runs: skipped until the wait has passed, then one that catches up.
	const done = new RegExp(`Catch-up \\(".*" in workflow ${wf.id}\\): run done`);
	for (const deadline = Date.now() + 180_000; !done.test(n8n.logText().slice(afterFirst)); ) {
		if (Date.now() > deadline) throw new Error(`no catch-up run done within 180 s after the 429\n${n8n.logTail(30)}`);
		await new Promise((r) => setTimeout(r, 1000));
	}
	const lists = uphance.requests.filter((r: any) => /^\/(pick_tickets|invoices|credit_notes|receiving_tickets|products)$/.test(r.path) && r.at > refusedAt);
	expect(lists.length).toBeGreaterThan(0);
	expect(lists.filter((r: any) => r.at < refusedAt + 40_000)).toEqual([]);
	executions = await settled(n8n, wf.id, { atLeast: 11 });
	runs = triggerItems(executions, UPHANCE);
	expect(bySource(runs)).toEqual({ catchUp: 11 });
	expect(runs.filter((r) => r.items[0].json.resource === 'pick_ticket').map((r) => r.items[0].json.id).sort()).toEqual([901, 902, 903]);
	process.stderr.write(`[catch-up e2e] edges on n8n ${n8n.version}: backfill 8/8 once; after a 429 (Retry-After 40 s) the first list request came ${Math.round((lists[0].at - refusedAt) / 1000)} s later, 3/3 caught up\n`);
});
