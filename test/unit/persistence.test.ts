/**
 * The duplicate memory across restarts and processes, through both triggers, with the n8n stand-in
 * following n8n 2.40's rule: a webhook request's static-data writes are not saved when it starts an
 * execution; the execution saves what its nodes write when it ends (test/unit/helpers/n8nStubs.ts).
 * What users send: distinct deliveries, none repeated, then a restart and the vendor's redeliveries.
 */
import type { INodeExecutionData } from 'n8n-workflow';

import { UphanceApi } from '../../credentials/UphanceApi.credentials';
import { UpliftWebhookApi } from '../../credentials/UpliftWebhookApi.credentials';
import { MEMORY_FIELD } from '../../nodes/shared/duplicateMemory/staticData';
import { hashDeliveryKey } from '../../nodes/shared/duplicateMemory/store';
import type { PersistedMemory } from '../../nodes/shared/duplicateMemory/store';
import { signSha256 } from '../../nodes/shared/signature';
import type { StubNodeSetup, WebhookCall } from './helpers/n8nStubs';
import { callWebhook, CredentialStore, executeContext, RecordingLogger, runExecution, StaticDataRow } from './helpers/n8nStubs';

const SECRET = 'persistence-signing-secret';
const URL_TOKEN = 'persistence-url-token-0123456789';
const N = 10;

type TriggerNode = { webhook: (this: never) => Promise<unknown>; execute: (this: never) => Promise<INodeExecutionData[][]> };

/** A new n8n process: the node modules loaded again, with an empty in-process memory. */
function newProcess(): { uplift: TriggerNode; uphance: TriggerNode } {
	let nodes: { uplift: TriggerNode; uphance: TriggerNode } | undefined;
	jest.isolateModules(() => {
		nodes = {
			uplift: new (require('../../nodes/UpliftTrigger/UpliftTrigger.node').UpliftTrigger)(),
			uphance: new (require('../../nodes/UphanceTrigger/UphanceTrigger.node').UphanceTrigger)(),
		};
	});
	return nodes!;
}

interface Vendor {
	name: 'uplift' | 'uphance';
	setup: (row: StaticDataRow, workflowId: string, n8nVersion?: '2.40' | '2.8') => StubNodeSetup;
	request: (i: number) => { body: string; headers: Record<string, string>; query?: Record<string, string> };
	deliveryKey: (i: number) => string;
}

const vendors: Vendor[] = [
	{
		name: 'uplift',
		setup: (staticData, workflowId, n8nVersion) => ({
			nodeName: 'Uplift Trigger',
			workflowId,
			n8nVersion,
			staticData,
			parameters: { events: ['*'], additionalEvents: '', verifySignature: true, options: { downloadCsv: false } },
			credentials: new CredentialStore({ upliftWebhookApi: new UpliftWebhookApi() }, { upliftWebhookApi: { signingSecret: SECRET, previousSigningSecret: '' } }),
		}),
		request: (i) => {
			const body = JSON.stringify({ id: `evt_persist_${i}`, object: 'event', type: 'movement.analytics.created', created: 1678231553088, data: { object: { id: `obj_${i}` } } });
			return { body, headers: { 'content-type': 'application/json', 'x-uplift-signature-256': signSha256(SECRET, body) } };
		},
		deliveryKey: (i) => `uplift:evt_persist_${i}`,
	},
	{
		name: 'uphance',
		setup: (staticData, workflowId, n8nVersion) => ({
			nodeName: 'Uphance Trigger',
			workflowId,
			n8nVersion,
			staticData,
			parameters: { events: ['*'], additionalEvents: '', requireUrlToken: true, fetchRecord: false, options: {} },
			credentials: new CredentialStore(
				{ uphanceApi: new UphanceApi() },
				{ uphanceApi: { email: 'ops@example.com', password: 'pw', organisationId: '1', urlToken: URL_TOKEN, baseUrl: 'http://127.0.0.1:9', sessionToken: '' } },
			),
		}),
		request: (i) => ({
			body: JSON.stringify({ event: 'pick_ticket_update', pick_ticket: { id: 5000 + i, updated_at: '2026-11-29T10:00:00Z' } }),
			headers: { 'content-type': 'application/json' },
			query: { token: URL_TOKEN },
		}),
		deliveryKey: (i) => `uphance:pick_ticket:${5000 + i}:2026-11-29T10:00:00.000Z`,
	},
];

const started = (call: WebhookCall) => call.result?.workflowData !== undefined;
/** Hashed keys in the saved row: 26-character entries (16 of key, 10 of seconds), decoded here. */
function savedKeys(row: StaticDataRow, nodeName: string): string[] {
	const packed = ((row.nodeData(nodeName)?.[MEMORY_FIELD] as PersistedMemory | undefined)?.entries ?? []).join('');
	return Array.from({ length: packed.length / 26 }, (_v, i) => packed.slice(i * 26, i * 26 + 16));
}

let workflows = 0;

describe.each(vendors)('$name trigger: accepted deliveries reach the database without any repeat', (vendor) => {
	it(`${N} distinct deliveries, each run to its end: the row holds all ${N} keys, and after a restart all ${N} redeliveries start nothing`, async () => {
		const row = new StaticDataRow();
		const wf = `persist-${vendor.name}-${++workflows}`;
		const before = newProcess()[vendor.name];
		const s = vendor.setup(row, wf);
		for (let i = 0; i < N; i++) {
			const call = await callWebhook(before, s, vendor.request(i));
			expect(started(call)).toBe(true);
			await runExecution(before, s, call);
		}
		expect(savedKeys(row, s.nodeName!).sort()).toEqual(Array.from({ length: N }, (_v, i) => hashDeliveryKey(vendor.deliveryKey(i))).sort());

		const after = newProcess()[vendor.name];
		const redelivered = await Promise.all(Array.from({ length: N }, (_v, i) => callWebhook(after, s, vendor.request(i))));
		expect(redelivered.map((c) => c.response.statusCode)).toEqual(Array(N).fill(200));
		expect(redelivered.filter(started)).toHaveLength(0);
	});

	it('each execution saves its own key: after every single execution, a restarted n8n reading the row recognises that delivery', async () => {
		// Every save carries the whole memory, so checking only after the last execution would pass
		// if only the last save worked. Here the row is read after each execution, before the next
		// delivery, by a new process (no in-process memory), on a copy so the check saves nothing.
		const row = new StaticDataRow();
		const wf = `persist-each-${vendor.name}-${++workflows}`;
		const running = newProcess()[vendor.name];
		const s = vendor.setup(row, wf);
		const notRecognised: number[] = [];
		for (let i = 0; i < N; i++) {
			const call = await callWebhook(running, s, vendor.request(i));
			expect(started(call)).toBe(true);
			const saved = row.json;
			await runExecution(running, s, call);
			expect(row.json).not.toBe(saved); // the execution itself saved

			const copy = new StaticDataRow();
			copy.json = row.json;
			const restarted = newProcess()[vendor.name];
			const redelivered = await callWebhook(restarted, { ...s, staticData: copy }, vendor.request(i));
			expect(redelivered.response.statusCode).toBe(200);
			if (started(redelivered)) notRecognised.push(i);
		}
		expect(notRecognised).toEqual([]);
	});

	it('the webhook phase alone is not enough on n8n 2.40 (what this file guards against), and is on 2.8', async () => {
		for (const [version, expected] of [
			['2.40', 0],
			['2.8', N],
		] as const) {
			const row = new StaticDataRow();
			const nodes = newProcess();
			const s = vendor.setup(row, `persist-webhook-only-${version}-${++workflows}`, version);
			for (let i = 0; i < N; i++) expect(started(await callWebhook(nodes[vendor.name], s, vendor.request(i)))).toBe(true);
			expect(savedKeys(row, s.nodeName!)).toHaveLength(expected);
		}
	});

	it('queue mode: accepted on one webhook process, executed on a worker, redelivered to another webhook process → no second execution', async () => {
		const row = new StaticDataRow();
		const s = vendor.setup(row, `persist-queue-${vendor.name}-${++workflows}`);
		const [webhookA, worker, webhookB] = [newProcess(), newProcess(), newProcess()].map((p) => p[vendor.name]);
		for (let i = 0; i < N; i++) {
			const call = await callWebhook(webhookA, s, vendor.request(i));
			// the worker runs the execution and saves at its end
			const { ctx, finish } = executeContext(s, (call.result!.workflowData as INodeExecutionData[][])[0]);
			await worker.execute.call(ctx as never);
			finish();
		}
		const redelivered = await Promise.all(Array.from({ length: N }, (_v, i) => callWebhook(webhookB, s, vendor.request(i))));
		expect(redelivered.filter(started)).toHaveLength(0);
	});

	it('a manual test run never records its delivery', async () => {
		const row = new StaticDataRow();
		const nodes = newProcess();
		const s = { ...vendor.setup(row, `persist-manual-${++workflows}`), mode: 'manual' as const };
		const call = await callWebhook(nodes[vendor.name], s, vendor.request(0));
		await runExecution(nodes[vendor.name], s, call);
		expect(savedKeys(row, s.nodeName!)).toEqual([]);
		expect(started(await callWebhook(nodes[vendor.name], { ...s, mode: 'webhook' }, vendor.request(0)))).toBe(true);
	});
});

describe.each(vendors)('$name trigger, queue mode on n8n 2.40.7: the catch-up cursor stays stored', (vendor) => {
	// On a 2.40.7 worker an execution starts with empty static data and its save replaces static data
	// whole (StaticDataRow.load, queueWorker240). Without the cursor carried from webhook() and stored
	// again, a webhook delivery's execution removed it, and a restarted main skipped what changed
	// while it was away ("no stored cursor; starting now").
	const SINCE = '2026-12-01T08:00:00.000Z';
	const START = '2026-11-20T00:00:00.000Z';
	const storedRow = (nodeName: string) => {
		const row = new StaticDataRow();
		row.json = JSON.stringify({ [`node:${nodeName}`]: { catchUp: { format: 1, since: SINCE, start: START } } });
		return row;
	};
	const cursorIn = (row: StaticDataRow, nodeName: string) => row.nodeData(nodeName)?.catchUp;
	const deliverAndExecute = async (webhookProcess: TriggerNode, worker: TriggerNode, s: StubNodeSetup, i: number) => {
		const call = await callWebhook(webhookProcess, s, vendor.request(i));
		expect(started(call)).toBe(true);
		const items = (call.result!.workflowData as INodeExecutionData[][])[0];
		const { ctx, finish } = executeContext({ ...s, queueWorker240: true }, items);
		const [out] = await worker.execute.call(ctx as never);
		finish();
		return out;
	};

	it('a delivery taken by one webhook process and executed by a worker that never saw the cursor: the save keeps the cursor and its start, and the output does not show it', async () => {
		const s = vendor.setup(new StaticDataRow(), `queue-cursor-${vendor.name}-${++workflows}`);
		const row = storedRow(s.nodeName!);
		const setup = { ...s, staticData: row };
		const out = await deliverAndExecute(newProcess()[vendor.name], newProcess()[vendor.name], setup, 0);
		expect(cursorIn(row, s.nodeName!)).toEqual({ format: 1, since: SINCE, start: START });
		expect(savedKeys(row, s.nodeName!)).toEqual([hashDeliveryKey(vendor.deliveryKey(0))]);
		expect(out).toHaveLength(1);
		expect(Object.keys(out[0].json)).not.toContain('storedCatchUpCursor');
		expect(out[0].json.deliveryKey).toBe(vendor.deliveryKey(0));
	});

	it('after the webhook process and the worker restart, and with two webhook processes and two workers taking turns, every save still holds the cursor', async () => {
		const s = vendor.setup(new StaticDataRow(), `queue-cursor-turns-${vendor.name}-${++workflows}`);
		const row = storedRow(s.nodeName!);
		const setup = { ...s, staticData: row };
		let webhookProcesses = [newProcess()[vendor.name], newProcess()[vendor.name]];
		let workers = [newProcess()[vendor.name], newProcess()[vendor.name]];
		const lacking: number[] = [];
		for (let i = 0; i < 8; i++) {
			if (i === 4) {
				// everything restarts: no process remembers anything
				webhookProcesses = [newProcess()[vendor.name], newProcess()[vendor.name]];
				workers = [newProcess()[vendor.name], newProcess()[vendor.name]];
			}
			await deliverAndExecute(webhookProcesses[i % 2], workers[Math.floor(i / 2) % 2], setup, i);
			if ((cursorIn(row, s.nodeName!) as { since?: string } | undefined)?.since !== SINCE) lacking.push(i);
		}
		expect(lacking).toEqual([]);
	});

	it('a cursor a later save moved forward is the one carried on: the webhook process reads it, a worker that never saw it stores it', async () => {
		const s = vendor.setup(new StaticDataRow(), `queue-cursor-newer-${vendor.name}-${++workflows}`);
		const row = storedRow(s.nodeName!);
		const setup = { ...s, staticData: row };
		const webhookProcess = newProcess()[vendor.name];
		await deliverAndExecute(webhookProcess, newProcess()[vendor.name], setup, 0);
		// catch-up's execution on another worker stored a newer cursor
		const NEWER = '2026-12-01T09:00:00.000Z';
		const stored = JSON.parse(row.json);
		stored[`node:${s.nodeName}`].catchUp.since = NEWER;
		row.json = JSON.stringify(stored);
		await deliverAndExecute(webhookProcess, newProcess()[vendor.name], setup, 1);
		expect(cursorIn(row, s.nodeName!)).toEqual({ format: 1, since: NEWER, start: START });
	});

	it('in regular mode the execution stores nothing new for the cursor and the output is the same', async () => {
		const s = vendor.setup(new StaticDataRow(), `regular-cursor-${vendor.name}-${++workflows}`);
		const row = storedRow(s.nodeName!);
		const setup = { ...s, staticData: row };
		const n8n = newProcess()[vendor.name];
		const call = await callWebhook(n8n, setup, vendor.request(0));
		const out = await runExecution(n8n, setup, call);
		expect(cursorIn(row, s.nodeName!)).toEqual({ format: 1, since: SINCE, start: START });
		expect(Object.keys(out[0].json)).not.toContain('storedCatchUpCursor');
	});
});

describe.each(vendors)("$name trigger, queue mode on n8n 2.40.7 with two workers: n8n's processed-data table catches what static data lost", (vendor) => {
	const onWorker = async (worker: TriggerNode, s: StubNodeSetup, items: INodeExecutionData[]) => {
		const logger = new RecordingLogger();
		const { ctx, finish } = executeContext({ ...s, queueWorker240: true, logger }, items);
		const [out] = await worker.execute.call(ctx as never);
		finish();
		return { out, logger };
	};
	const itemsOf = (call: WebhookCall) => (call.result!.workflowData as INodeExecutionData[][])[0];

	it('a repeat that reaches a webhook process while static data holds only the other worker\'s keys starts an execution that passes nothing on, and says why', async () => {
		const row = new StaticDataRow();
		const s = vendor.setup(row, `two-workers-${vendor.name}-${++workflows}`);
		const webhookA = newProcess()[vendor.name];
		const [worker1, worker2] = [newProcess()[vendor.name], newProcess()[vendor.name]];
		expect((await onWorker(worker1, s, itemsOf(await callWebhook(webhookA, s, vendor.request(0))))).out).toHaveLength(1);
		expect((await onWorker(worker2, s, itemsOf(await callWebhook(webhookA, s, vendor.request(1))))).out).toHaveLength(1);
		// worker 2 saved last: static data holds delivery 1's key only (what 2.40.7 does)
		expect(savedKeys(row, s.nodeName!)).toEqual([hashDeliveryKey(vendor.deliveryKey(1))]);

		const webhookB = newProcess()[vendor.name];
		const repeat = await callWebhook(webhookB, s, vendor.request(0));
		expect(started(repeat)).toBe(true); // static data could not tell: an execution starts
		const { out, logger } = await onWorker(worker2, s, itemsOf(repeat));
		expect(out).toEqual([]);
		expect(logger.text()).toContain(`An earlier execution already had this delivery (${vendor.deliveryKey(0)})`);
	});

	it("catch-up's item of a change a webhook delivered, run by the other worker, passes nothing on", async () => {
		const row = new StaticDataRow();
		const s = vendor.setup(row, `two-workers-catchup-${vendor.name}-${++workflows}`);
		const webhookA = newProcess()[vendor.name];
		const [worker1, worker2] = [newProcess()[vendor.name], newProcess()[vendor.name]];
		await onWorker(worker1, s, itemsOf(await callWebhook(webhookA, s, vendor.request(0))));
		await onWorker(worker2, s, itemsOf(await callWebhook(webhookA, s, vendor.request(1))));
		const at = new Date().toISOString();
		const caughtUp = (i: number) => ({ json: { deliveryKey: vendor.deliveryKey(i), receivedAt: at, source: 'catchUp', catchUp: { runAt: at, since: at } } });
		const { out } = await onWorker(worker2, s, [caughtUp(0), caughtUp(1), caughtUp(2)]);
		expect(out.map((item) => item.json.deliveryKey)).toEqual([vendor.deliveryKey(2)]);
	});

	it('regular mode: the processed-data table is used at most once, by the first execution (static data arrives with the memory after that)', async () => {
		const row = new StaticDataRow();
		const s = vendor.setup(row, `regular-processed-${vendor.name}-${++workflows}`);
		const n8n = newProcess()[vendor.name];
		for (let i = 0; i < 5; i++) expect(await runExecution(n8n, s, await callWebhook(n8n, s, vendor.request(i)))).toHaveLength(1);
		expect(row.processedCalls).toBe(1);
	});
});

describe("recordedByEarlierExecutions (n8n's processed-data table)", () => {
	const ctxWith = (checkProcessedAndRecord: (...args: unknown[]) => Promise<unknown>) => ({ helpers: { checkProcessedAndRecord } }) as never;
	/** a module of its own per test: the recent keys are per process */
	const fresh = () => {
		let mod: typeof import('../../nodes/shared/duplicateMemory/processedData') | undefined;
		jest.isolateModules(() => {
			mod = require('../../nodes/shared/duplicateMemory/processedData');
		});
		return mod!;
	};
	const tableOf = (row: StaticDataRow) => {
		const sent: Array<Array<string | number>> = [];
		const call = async (items: Array<string | number>, _scope: unknown, o: { maxEntries?: number }) => {
			sent.push(items);
			return row.checkProcessedAndRecord('n:x', items, o.maxEntries);
		};
		return { ctx: ctxWith(call as never), sent };
	};

	it('records keys and aliases, and reports only candidates whose delivery key was recorded before (an alias found is no repeat)', async () => {
		const row = new StaticDataRow();
		const workerA = fresh();
		const workerB = fresh();
		const log: string[] = [];
		expect(await workerA.recordedByEarlierExecutions(tableOf(row).ctx, 'wf/node', [{ index: 0, deliveryKey: 'k1', aliases: ['capture:1'] }], 100, (m) => log.push(m))).toEqual(new Set());
		const again = await workerB.recordedByEarlierExecutions(
			tableOf(row).ctx,
			'wf/node',
			[
				{ index: 0, deliveryKey: 'k1', aliases: [] },
				{ index: 1, deliveryKey: 'k2', aliases: ['capture:1'] },
				{ index: 2, deliveryKey: 'capture:1', aliases: [] },
			],
			100,
			(m) => log.push(m),
		);
		expect([...again].sort()).toEqual([0, 2]);
		expect(log).toEqual(['An earlier execution already had this delivery (k1); it is left out of this execution.', 'An earlier execution already had this delivery (capture:1); it is left out of this execution.']);
	});

	it('a key lost to another worker writing the table at the same moment is recorded again by the next call of the worker that recorded it, for RECENT_MS', async () => {
		const row = new StaticDataRow();
		const worker = fresh();
		const t0 = Date.parse('2026-12-07T00:00:00Z');
		const { ctx, sent } = tableOf(row);
		await worker.recordedByEarlierExecutions(ctx, 'wf/node', [{ index: 0, deliveryKey: 'k1', aliases: [] }], 100, () => undefined, t0);
		row.processed.set('n:x', []); // the other worker's write, read before k1 was added, replaced the row
		await worker.recordedByEarlierExecutions(ctx, 'wf/node', [{ index: 0, deliveryKey: 'k2', aliases: [] }], 100, () => undefined, t0 + 1000);
		expect(sent[1]).toEqual(['k2', 'k1']);
		const other = fresh(); // a repeat of k1 on the other worker is now recognised
		expect(await other.recordedByEarlierExecutions(tableOf(row).ctx, 'wf/node', [{ index: 0, deliveryKey: 'k1', aliases: [] }], 100, () => undefined, t0 + 2000)).toEqual(new Set([0]));
		// past RECENT_MS a key is no longer sent again
		await worker.recordedByEarlierExecutions(ctx, 'wf/node', [{ index: 0, deliveryKey: 'k3', aliases: [] }], 100, () => undefined, t0 + 1000 + worker.RECENT_MS);
		expect(sent[2]).toEqual(['k3']);
		// a node unused for RECENT_MS is forgotten
		await worker.recordedByEarlierExecutions(ctx, 'wf/second', [{ index: 0, deliveryKey: 'k4', aliases: [] }], 100, () => undefined, t0 + 1000 + worker.RECENT_MS);
		expect(worker.nodesWithRecentKeys()).toBe(2);
		await worker.recordedByEarlierExecutions(ctx, 'wf/second', [{ index: 0, deliveryKey: 'k5', aliases: [] }], 100, () => undefined, t0 + 1000 + 2 * worker.RECENT_MS);
		expect(worker.nodesWithRecentKeys()).toBe(1);
	});

	it('a repeat run by the worker that recorded the key is recognised even if the table lost it; a failing call lets other items go on and says so', async () => {
		const worker = fresh();
		const log: string[] = [];
		const failing = async () => {
			throw new Error('duplicate key value violates unique constraint "PK_processed_data"');
		};
		expect(await worker.recordedByEarlierExecutions(ctxWith(failing), 'wf/node', [{ index: 0, deliveryKey: 'k1', aliases: [] }], 100, (m) => log.push(m))).toEqual(new Set());
		expect(log).toEqual([`The check in n8n's processed-data table failed (duplicate key value violates unique constraint "PK_processed_data"); the items go on unless this process recorded them, so a repeat is possible.`]);
		const empty = new StaticDataRow();
		expect(await worker.recordedByEarlierExecutions(tableOf(empty).ctx, 'wf/node', [{ index: 0, deliveryKey: 'k1', aliases: [] }, { index: 1, deliveryKey: 'k2', aliases: [] }], 100, () => undefined)).toEqual(new Set([0]));
		// another node's keys are its own
		expect(await worker.recordedByEarlierExecutions(tableOf(new StaticDataRow()).ctx, 'wf/other', [{ index: 0, deliveryKey: 'k1', aliases: [] }], 100, () => undefined)).toEqual(new Set());
	});
});
