import { NodeApiError } from 'n8n-workflow';

import { Uplift } from '../../nodes/Uplift/Uplift.node';
import { runAction, upliftCredentials } from './helpers/actionContext';
import type { Params } from './helpers/actionContext';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const fakeUplift = require('../support/fakeUplift');

type Fake = Awaited<ReturnType<typeof fakeUplift.start>>;
let fake: Fake;
const node = new Uplift();

beforeEach(async () => {
	fake = await fakeUplift.start();
});
afterEach(async () => {
	await fake.close();
});

const run = (params: Params, extra: { items?: object[]; continueOnFail?: boolean } = {}) =>
	runAction(node, { params, credentials: upliftCredentials(fake), ...(extra as object) });
const v1 = (path: string) => fake.requests.filter((r: { path: string }) => r.path === `/v1${path}`);

describe('Uplift node: captures', () => {
	it('is usable as a tool', () => {
		expect(node.description.usableAsTool).toBe(true);
	});

	it('Get returns the capture, with the API key as Bearer', async () => {
		fake.setCapture('cap-1', { status: 'processing' });
		const { output } = await run(
			{ resource: 'capture', operation: 'get', captureId: '={{ $json.captureId }}' },
			{ items: [{ captureId: 'cap-1' }] },
		);
		expect(output[0]).toEqual({
			json: expect.objectContaining({ session_id: 'cap-1', status: 'processing' }),
			pairedItem: { item: 0 },
		});
		expect(v1('/captures/cap-1')[0].authorization).toBe(`Bearer ${fake.apiKey}`);
	});

	it('Get Many pages by limit/offset (≤ 500 a call) and sends the filters', async () => {
		for (let i = 0; i < 1203; i++)
			fake.setCapture(`c-${i}`, {
				activity: 'baseball',
				status: i % 3 === 0 ? 'error' : 'completed',
			});
		const all = await run({
			resource: 'capture',
			operation: 'getAll',
			returnAll: true,
			filters: { status: 'completed', activity: 'baseball' },
		});
		expect(all.output).toHaveLength(802);
		expect(
			v1('/captures').map((r: { query: string }) => new URLSearchParams(r.query).get('offset')),
		).toEqual(['0', '500']);
		expect(new URLSearchParams(v1('/captures')[0].query).get('limit')).toBe('500');
		fake.clearLog();
		const some = await run({
			resource: 'capture',
			operation: 'getAll',
			returnAll: false,
			limit: 7,
			filters: {},
		});
		expect(some.output).toHaveLength(7);
		expect(new URLSearchParams(v1('/captures')[0].query).get('limit')).toBe('7');
	});

	it('Get Many of an answer without the `captures` list fails naming the keys found, never as an empty list', async () => {
		fake.setCapture('c-1', {});
		fake.setListKey('captures', 'data');
		const failed = await run({ resource: 'capture', operation: 'getAll', returnAll: true, filters: {} }, { continueOnFail: true });
		expect(failed.output).toHaveLength(1);
		expect(failed.output[0].json.error).toBe(
			'Uplift\'s answer to GET /captures (offset 0) has no `captures` list (top-level keys: "data", "total_count", "offset", "limit")',
		);
	});

	it("a 404 (Uplift's documented body) becomes a NodeApiError with Uplift's message and the capture asked for; continueOnFail makes an item of it", async () => {
		await expect(
			run({ resource: 'capture', operation: 'get', captureId: 'nope' }),
		).rejects.toBeInstanceOf(NodeApiError);
		// docs.uplift.ai: {"error":"NotFound","message":"Capture not found."}, no id in it
		expect(v1('/captures/nope').length).toBeGreaterThan(0);
		await expect(run({ resource: 'capture', operation: 'get', captureId: 'nope' })).rejects.toThrow(
			'Uplift answered HTTP 404 (not found) to GET /captures/nope: Capture not found.',
		);
		const { output } = await run(
			{ resource: 'capture', operation: 'get', captureId: 'nope' },
			{ continueOnFail: true },
		);
		expect(output[0]).toMatchObject({
			json: {
				statusCode: 404,
				error: 'Uplift answered HTTP 404 (not found) to GET /captures/nope: Capture not found.',
			},
			pairedItem: { item: 0 },
		});
		expect(JSON.stringify(output)).not.toContain(fake.apiKey);
	});

	it('a 401 does not leak the API key', async () => {
		const credentials = upliftCredentials({ ...fake, apiKey: 'sk_wrong_secret_key' });
		let message = '';
		try {
			await runAction(node, {
				params: { resource: 'capture', operation: 'get', captureId: 'x' },
				credentials,
			});
		} catch (e) {
			message = JSON.stringify({
				m: (e as Error).message,
				d: (e as NodeApiError).description,
				c: (e as { cause?: unknown }).cause,
			});
		}
		expect(message).toContain('401');
		expect(message).not.toContain('sk_wrong_secret_key');
	});

	it('429 honours Retry-After', async () => {
		fake.setCapture('cap-1');
		fake.failNext(1, 429, 1);
		const t0 = Date.now();
		const { output } = await run({ resource: 'capture', operation: 'get', captureId: 'cap-1' });
		expect(output[0].json.session_id).toBe('cap-1');
		expect(Date.now() - t0).toBeGreaterThanOrEqual(950);
		expect(v1('/captures/cap-1').map((r: { injected?: number }) => r.injected ?? 200)).toEqual([
			429, 200,
		]);
	});
});

describe('Uplift node: athletes', () => {
	it('Create, Update and Get Many by custom attribute', async () => {
		const created = await run({
			resource: 'athlete',
			operation: 'create',
			firstName: 'Ada',
			additionalFields: { last_name: 'L', height: 70 },
			customAttributes: { pair: [{ name: 'team', value: 'XYZ' }] },
		});
		expect(created.output[0].json).toMatchObject({
			first_name: 'Ada',
			last_name: 'L',
			height: 70,
			custom_attributes: { team: 'XYZ' },
		});
		await run({
			resource: 'athlete',
			operation: 'create',
			firstName: 'Bo',
			additionalFields: {},
			customAttributes: { pair: [{ name: 'team', value: 'ABC' }] },
		});
		const id = String(created.output[0].json.id);
		const updated = await run({
			resource: 'athlete',
			operation: 'update',
			athleteId: id,
			updateFields: { email: 'ada@example.com' },
			customAttributes: {},
		});
		expect(updated.output[0].json).toMatchObject({
			id,
			first_name: 'Ada',
			email: 'ada@example.com',
		});
		const found = await run({
			resource: 'athlete',
			operation: 'getAll',
			returnAll: true,
			attributeFilters: { pair: [{ name: 'team', value: 'XYZ' }] },
			sortedBy: '',
		});
		expect(found.output.map((o) => o.json.first_name)).toEqual(['Ada']);
	});

	it('Create succeeds on the 200 Uplift documents; Update with an empty value deletes a custom attribute and clears a field', async () => {
		const created = await run({
			resource: 'athlete',
			operation: 'create',
			firstName: 'Cy',
			additionalFields: { last_name: 'D' },
			customAttributes: {
				pair: [
					{ name: 'team', value: 'XYZ' },
					{ name: 'sport', value: 'MLB' },
				],
			},
		});
		const id = String(created.output[0].json.id);
		expect(created.output[0].json).toMatchObject({
			first_name: 'Cy',
			custom_attributes: { team: 'XYZ', sport: 'MLB' },
		});
		// the fake answers Create as docs.uplift.ai documents it: 200, not 201
		const raw = await fetch(`${fake.apiBaseUrl}/athletes`, {
			method: 'POST',
			headers: { authorization: `Bearer ${fake.apiKey}`, 'content-type': 'application/json' },
			body: JSON.stringify({ first_name: 'Raw' }),
		});
		expect(raw.status).toBe(200);

		const updated = await run({
			resource: 'athlete',
			operation: 'update',
			athleteId: id,
			updateFields: { last_name: '' },
			customAttributes: { pair: [{ name: 'team', value: '' }] },
		});
		expect(v1(`/athletes/${id}`)[0].body).toEqual({
			last_name: '',
			custom_attributes: { team: '' },
		});
		expect(updated.output[0].json.custom_attributes).toEqual({ sport: 'MLB' });
		expect(updated.output[0].json).not.toHaveProperty('last_name');
	});

	it('Update without fields is refused before any call', async () => {
		await expect(
			run({
				resource: 'athlete',
				operation: 'update',
				athleteId: 'ath-1',
				updateFields: {},
				customAttributes: {},
			}),
		).rejects.toThrow(/at least one field/);
		expect(v1('/athletes/ath-1')).toHaveLength(0);
	});
});

describe('Uplift node: data export', () => {
	const runParams = {
		resource: 'dataExport',
		operation: 'run',
		activity: 'baseball',
		movement: 'hitting',
		startTime: '2024-01-01T00:00:00Z',
		endTime: '',
		dateMode: 'capture_time',
		options: { pollIntervalSeconds: 1, timeoutSeconds: 20, metrics: 'peak_power, frame' },
	};

	it('Run creates the job, polls until COMPLETED and returns one item per row (500 a call)', async () => {
		fake.setExportRows(1234);
		fake.setExportPolls(1);
		const { output } = await run(runParams);
		expect(output).toHaveLength(1234);
		expect(output[1233].json).toMatchObject({ frame: 3, athleteid: 'ath-1' });
		expect(output.every((o) => (o.pairedItem as { item: number }).item === 0)).toBe(true);
		const job = fake.exportJobs[0];
		expect(job.request).toMatchObject({
			activity: 'baseball',
			movement: 'hitting',
			startTime: 1704067200,
			dateMode: 'capture_time',
			metrics: ['peak_power', 'frame'],
		});
		expect(job.polls).toBe(2);
		const resultCalls = v1(`/data/export/job/${job.jobId}/results`);
		expect(
			resultCalls.map((r: { query: string }) => new URLSearchParams(r.query).get('offset')),
		).toEqual(['0', '500', '1000']);
		expect(
			resultCalls.every(
				(r: { query: string }) => Number(new URLSearchParams(r.query).get('limit')) <= 500,
			),
		).toBe(true);
	});

	it('Run fails with the job error when the job FAILED', async () => {
		fake.setExportOutcome('FAILED');
		await expect(run(runParams)).rejects.toThrow(
			/ended FAILED: Export failed: no captures in range/,
		);
	});

	it('Run gives up after the timeout and names the job', async () => {
		fake.setExportPolls(100);
		const error = (await run({ ...runParams, options: { pollIntervalSeconds: 1, timeoutSeconds: 2 } }).catch(
			(e: Error) => e,
		)) as Error;
		expect(error.message).toMatch(/job-\d+ is still RUNNING after 2 s/);
		// It stopped because of the timeout, not because the job finished (it needed 100 polls): at
		// most one poll per interval within the 2 s, plus the first.
		const jobId = /(job-\d+)/.exec(error.message)![1];
		const job = fake.exportJobs.find((j: { jobId: string }) => j.jobId === jobId);
		expect(job.polls).toBeGreaterThanOrEqual(1);
		expect(job.polls).toBeLessThanOrEqual(3);
	});

	it('Get Job and Get Results for users who poll themselves', async () => {
		fake.setExportRows(12);
		fake.setExportPolls(0);
		const created = await fetch(`${fake.apiBaseUrl}/data/export`, {
			method: 'POST',
			headers: { authorization: `Bearer ${fake.apiKey}`, 'content-type': 'application/json' },
			body: JSON.stringify({ activity: 'a', movement: 'm', startTime: 1 }),
		});
		const { jobId } = (await created.json()) as { jobId: string };
		const job = await run({ resource: 'dataExport', operation: 'getJob', jobId });
		expect(job.output[0].json.status).toBe('COMPLETED');
		const rows = await run({
			resource: 'dataExport',
			operation: 'getResults',
			jobId,
			returnAll: false,
			limit: 5,
		});
		expect(rows.output).toHaveLength(5);
		const all = await run({
			resource: 'dataExport',
			operation: 'getResults',
			jobId,
			returnAll: true,
		});
		expect(all.output).toHaveLength(12);
	});
});
