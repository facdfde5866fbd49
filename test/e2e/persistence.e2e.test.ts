/**
 * End-to-end: the duplicate memory reaches n8n's database and outlives n8n (issue 8 §0).
 *
 * Every accepted delivery's key must be in the workflow's static data as soon as its execution has
 * run, without a later duplicate, refusal, ignored event or other execution doing the save: each
 * key is looked for right after its own execution, before the next delivery. So the first two tests
 * send only distinct deliveries before the restart (uplift.e2e.test.ts keeps the variant that sends
 * a duplicate first). Run with `npm run test:e2e` (see scripts/test-e2e.sh). One n8n per file.
 */
import { createHash, randomUUID } from 'crypto';

/* eslint-disable @typescript-eslint/no-var-requires */
const { N8nInstance, isFinished } = require('../support/n8nInstance');
const fakeUplift = require('../support/fakeUplift');
const fakeUphanceMod = require('../support/fakeUphance');
const { activeTriggerWorkflow } = require('../support/workflows');
const { post } = require('../support/http') as { post: (url: string, body: unknown, headers?: Record<string, string>) => Promise<Resp> };
const { createUphanceCredential, createUpliftWebhookCredential, stopAll } = require('../support/vendorCredentials');

type Resp = { status: number; text: string; json: any; ms: number };
type Delivery = { deliveryKey: string; send: () => Promise<Resp> };

/** distinct deliveries per trigger */
const N = 10;
const UPLIFT = 'Uplift Trigger';
const UPHANCE = 'Uphance Trigger';
const SECRET = 'e2e-uplift-secret-' + randomUUID().replace(/-/g, '');
const URL_TOKEN = 'e2e-url-token-' + randomUUID().replace(/-/g, '');
const ORG = 9579;

let n8n: any;
let uplift: any;
let uphance: any;
let upliftCred: { id: string; name: string };
let uphanceCred: { id: string; name: string };

const show = (r: Resp) => `${r.status} ${r.text.slice(0, 300)}`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * How the triggers store a delivery key: the first 16 characters of base64url(SHA-256(key)).
 * Delivery keys: `uplift:<event id>` (nodes/UpliftTrigger/upliftEvent.ts),
 * `uphance:<resource>:<id>:<updated_at>` (nodes/UphanceTrigger/uphanceEvent.ts uphanceDeliveryKey).
 */
const hashedKey = (deliveryKey: string) => createHash('sha256').update(deliveryKey, 'utf8').digest('base64url').slice(0, 16);

/**
 * Hashed key → accepted at (unix seconds), read from a node's static data:
 * `duplicateMemory = { format: 1, writer, revision, entries: [chunks] }`, each chunk a run of
 * 26-character entries: 16 characters of hashed key + 10 decimal digits of seconds.
 * Any other shape fails the test rather than reading as "no keys".
 */
function persistedKeys(nodeStaticData: any): Map<string, number> {
	const memory = nodeStaticData && nodeStaticData.duplicateMemory;
	const keys = new Map<string, number>();
	if (memory === undefined) return keys;
	expect(memory && memory.format === 1 && Array.isArray(memory.entries)).toBe(true);
	for (const chunk of memory.entries as string[]) {
		expect(chunk.length % 26).toBe(0);
		for (let at = 0; at < chunk.length; at += 26) keys.set(chunk.slice(at, at + 16), Number(chunk.slice(at + 16, at + 26)));
	}
	return keys;
}

/** The delivery keys a node has persisted in n8n's database, read through n8n's public API. */
async function keysInDatabase(workflowId: string, nodeName: string): Promise<Map<string, number>> {
	const staticData = await n8n.staticData(workflowId);
	return persistedKeys(staticData[`node:${nodeName}`]);
}

/**
 * Whether the delivery's key is in the database. Polled for a few seconds: n8n may list an execution
 * as finished a moment before its static data is written, and nothing else saves in the meantime.
 */
async function keySaved(workflowId: string, nodeName: string, deliveryKey: string): Promise<boolean> {
	for (const deadline = Date.now() + 15000; ; await sleep(250)) {
		if ((await keysInDatabase(workflowId, nodeName)).has(hashedKey(deliveryKey))) return true;
		if (Date.now() > deadline) return false;
	}
}

/** Number of executions once no new one has appeared for `quietMs` (and all have finished). */
async function settledExecutionCount(workflowId: string, quietMs = 2000): Promise<number> {
	let last = -1;
	for (const deadline = Date.now() + 120000; ; ) {
		await sleep(quietMs);
		const list = await n8n.listExecutions(workflowId, { includeData: false });
		if ((list.length === last && list.every(isFinished)) || Date.now() > deadline) return list.length;
		last = list.length;
	}
}

/**
 * The §0 scenario: N distinct deliveries, one at a time, nothing repeated and nothing refused in
 * between → N executions; then every key must be in the database, and after a restart the same N
 * deliveries must start nothing. Both figures are asserted together so a failure reports both.
 */
async function distinctDeliveriesSurviveRestart(label: string, wf: { id: string }, nodeName: string, deliveries: Delivery[]) {
	// Every save carries all the keys the process holds, so reading static data only after the last
	// execution would pass if only the last save worked. Each key is looked for after its own
	// execution has finished and before the next delivery is sent, when no other save can bring it.
	const missingAfterOwnExecution: string[] = [];
	for (const [i, d] of deliveries.entries()) {
		const r = await d.send();
		expect(`${d.deliveryKey}: ${show(r)}`).toMatch(/: 200\b/);
		expect(r.json && r.json.duplicate).not.toBe(true);
		await n8n.waitForExecutions(wf.id, i + 1, 60000, { settleMs: 0 });
		if (!(await keySaved(wf.id, nodeName, d.deliveryKey))) missingAfterOwnExecution.push(d.deliveryKey);
	}
	expect({ missingAfterOwnExecution }).toEqual({ missingAfterOwnExecution: [] });
	await n8n.waitForExecutions(wf.id, deliveries.length, 120000, { settleMs: 1000 });

	const persisted = await keysInDatabase(wf.id, nodeName);
	const missing = deliveries.filter((d) => !persisted.has(hashedKey(d.deliveryKey))).map((d) => d.deliveryKey);

	await n8n.restart();
	for (const d of deliveries) {
		const r = await d.send();
		expect(`redelivered ${d.deliveryKey}: ${show(r)}`).toMatch(/: 2\d\d\b/);
	}
	const newExecutions = (await settledExecutionCount(wf.id)) - deliveries.length;

	process.stderr.write(
		`[persistence e2e] ${label} on n8n ${n8n.version}: ${deliveries.length - missing.length}/${deliveries.length} keys in static data ` +
			`(${persisted.size} stored); after restart ${newExecutions} new executions\n`,
	);
	expect({ keysMissingFromStaticData: missing, newExecutionsAfterRestart: newExecutions }).toEqual({
		keysMissingFromStaticData: [],
		newExecutionsAfterRestart: 0,
	});
}

function upliftWorkflow(options: Record<string, unknown>) {
	const credential = { type: 'upliftWebhookApi', id: upliftCred.id, name: upliftCred.name };
	const parameters = { options: { downloadCsv: false, ...options } };
	return activeTriggerWorkflow(n8n, { nodeName: 'upliftTrigger', triggerName: UPLIFT, parameters, credential });
}

function upliftDelivery(url: string, id: string = 'evt_' + randomUUID()): Delivery {
	const d = fakeUplift.signedDelivery({ secret: SECRET, id, csvUrl: uplift.csvUrl('unused') });
	return { deliveryKey: `uplift:${id}`, send: () => post(url, d.body, d.headers) };
}

beforeAll(async () => {
	uplift = await fakeUplift.start({ apiKey: 'sk_unused' });
	uphance = await fakeUphanceMod.start({ email: 'e2e@uphance.example', password: 'uphance-e2e-password', organisations: [{ id: ORG, name: 'E2E Org' }] });
	n8n = new N8nInstance({ name: 'persistence-e2e' });
	await n8n.start();
	upliftCred = await createUpliftWebhookCredential(n8n, { signingSecret: SECRET });
	uphanceCred = await createUphanceCredential(n8n, uphance, { organisationId: ORG, urlToken: URL_TOKEN });
}, 900000);

afterAll(async () => {
	await stopAll(n8n, uplift, uphance);
});

describe('the duplicate memory in n8n’s database', () => {
	test(`Uplift: ${N} distinct signed deliveries -> all ${N} keys in static data; after a restart, redelivering them -> 0 new executions`, async () => {
		const wf = await upliftWorkflow({});
		const deliveries = Array.from({ length: N }, () => upliftDelivery(wf.url));
		await distinctDeliveriesSurviveRestart('Uplift', wf, UPLIFT, deliveries);
	});

	test(`Uphance: ${N} distinct deliveries (token in the URL, record fetched before answering) -> all ${N} keys in static data; after a restart -> 0 new executions`, async () => {
		const credential = { type: 'uphanceApi', id: uphanceCred.id, name: uphanceCred.name };
		const wf = await activeTriggerWorkflow(n8n, { nodeName: 'uphanceTrigger', triggerName: UPHANCE, parameters: {}, credential });
		const updatedAt = '2026-11-29T12:00:00.000Z';
		const deliveries = Array.from({ length: N }, (_, i): Delivery => {
			const id = 810000 + i;
			const record = uphance.setRecord('pick_ticket', id, { ...fakeUphanceMod.sampleRecord('pick_ticket', id), updated_at: updatedAt });
			const body = fakeUphanceMod.buildWebhookBody('pick_ticket_update', record);
			return { deliveryKey: `uphance:pick_ticket:${id}:${updatedAt}`, send: () => post(`${wf.url}?token=${URL_TOKEN}`, body) };
		});
		await distinctDeliveriesSurviveRestart('Uphance', wf, UPHANCE, deliveries);
		// each delivery went through the fake Uphance API (acknowledge: after the record is fetched)
		expect(uphance.dataRequests().filter((q: any) => q.status === 200).length).toBeGreaterThanOrEqual(N);
	});
});
