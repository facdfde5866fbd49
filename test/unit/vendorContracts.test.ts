/**
 * Contract tests (issue 20, "Match the real vendors"): recorded-style answers built from the public
 * evidence (test/fixtures/vendor/*, each file's source in the README beside it) go through the very
 * code the nodes parse them with, and the test says what the node gets.
 *
 * Uphance: single records (the trigger's `extractRecord`, the action node's `unwrapOne`), the
 * duplicate key of one change seen with the organisation's offset and with `Z` (`uphanceChangeKey`,
 * `uphanceDeliveryKey`), list pages (`readUphancePage`) and the catch-up listing that pages through
 * them (`listUphanceChanges`). Uplift: the Uplift node end to end against a server that answers only
 * the fixtures, and the Uplift Trigger's catch-up listing (`listUpliftChanges`).
 */
import * as fs from 'fs';
import * as http from 'http';
import * as path from 'path';
import type {
	IDataObject,
	IExecuteFunctions,
	IHttpRequestOptions,
	IN8nHttpFullResponse,
} from 'n8n-workflow';

import { readUphancePage } from '../../nodes/Uphance/transport/pages';
import { unwrapOne } from '../../nodes/Uphance/transport';
import { listUphanceChanges } from '../../nodes/UphanceTrigger/uphanceCatchUp';
import {
	parseUphanceEvent,
	uphanceChangeKey,
	uphanceDeliveryKey,
} from '../../nodes/UphanceTrigger/uphanceEvent';
import { extractRecord, recordEndpoint } from '../../nodes/Uphance/transport/records';
import { Uplift } from '../../nodes/Uplift/Uplift.node';
import { listUpliftChanges, upliftCaptureKey } from '../../nodes/UpliftTrigger/upliftCatchUp';
import { parseVendorTime } from '../../nodes/shared/time';
import type { SendRequest } from '../../nodes/shared/vendorHttp';
import { runAction, upliftCredentials } from './helpers/actionContext';

const FIXTURES = path.join(__dirname, '..', 'fixtures', 'vendor');
const raw = (vendor: string, name: string) => fs.readFileSync(path.join(FIXTURES, vendor, name));
const uphance = (name: string) => JSON.parse(raw('uphance', name).toString('utf8')) as IDataObject;
const uplift = (name: string) => JSON.parse(raw('uplift', name).toString('utf8')) as IDataObject;

const ctx = {
	getNode: () => ({
		id: 'node-1',
		name: 'Uphance',
		type: 'test.uphance',
		typeVersion: 1,
		position: [0, 0],
		parameters: {},
	}),
} as unknown as IExecuteFunctions;

/** A `send` that answers from a table instead of the network, as n8n's helper returns answers. */
function replaySend(
	answer: (options: IHttpRequestOptions) => { status?: number; body: unknown },
	log: IHttpRequestOptions[] = [],
): SendRequest {
	return async (options: IHttpRequestOptions) => {
		log.push(options);
		const { status = 200, body } = answer(options);
		return { statusCode: status, headers: {}, body } as IN8nHttpFullResponse;
	};
}

describe('Uphance: a pick ticket with the organisation offset, and the same change by webhook', () => {
	const answer = uphance('pick_ticket.offset.json');
	const record = answer.pick_ticket as IDataObject;
	const hookBytes = raw('uphance', 'webhook.pick_ticket_update.z_millis.json');
	const hook = JSON.parse(hookBytes.toString('utf8')) as IDataObject;

	it('the API writes +01:00 to the whole second; the webhook body writes Z with milliseconds; one instant', () => {
		expect(record.updated_at).toBe('2026-03-01T13:00:00.000+01:00');
		expect((hook.pick_ticket as IDataObject).updated_at).toBe('2026-03-01T12:00:00.000Z');
		expect(parseVendorTime(record.updated_at)).toBe(Date.parse('2026-03-01T12:00:00Z'));
		expect(parseVendorTime(record.created_at)).toBe(Date.parse('2026-03-01T11:58:41Z'));
	});

	it('the trigger (extractRecord) and the action node (unwrapOne) get the record itself, times as Uphance wrote them', () => {
		expect(
			extractRecord(answer, recordEndpoint('pick_ticket', 731204)!, 'pick_ticket', 731204),
		).toEqual({ found: true, record });
		expect(
			unwrapOne(ctx, 0, answer, ['pick_ticket', 'pick_tickets'], 'pick ticket 731204', {
				id: '731204',
				request: 'GET /pick_tickets/731204',
			}),
		).toEqual(record);
	});

	it('the webhook body and the API copy give one duplicate key: the instant in UTC, to the second', () => {
		const event = parseUphanceEvent(hook);
		expect(event).toMatchObject({
			ok: true,
			value: { event: 'pick_ticket_update', resource: 'pick_ticket', action: 'update', id: 731204 },
		});
		const key = 'uphance:pick_ticket:731204:2026-03-01T12:00:00.000Z';
		expect(uphanceChangeKey('pick_ticket', 731204, record.updated_at)).toBe(key);
		if (!event.ok) throw new Error('unreachable');
		expect(uphanceDeliveryKey(event.value, hookBytes)).toBe(key);
	});
});

describe('Uphance: an invoice by id (GET /invoices?invoice_id=)', () => {
	const answer = uphance('invoice.by_id.json');
	const record = (answer.invoices as IDataObject[])[0];

	it('both readers take the one invoice out of the list, times with +01:00 as the help article shows', () => {
		expect(record.created_at).toBe('2019-08-01T20:43:25.000+01:00');
		expect(extractRecord(answer, recordEndpoint('invoice', 131066)!, 'invoice', 131066)).toEqual({
			found: true,
			record,
		});
		expect(
			unwrapOne(ctx, 0, answer, ['invoice', 'invoices'], 'invoice 131066', {
				id: '131066',
				request: 'GET /invoices',
			}),
		).toEqual(record);
	});
});

describe('Uphance: list pages (readUphancePage)', () => {
	it('next_page as a number: the records, the next page and the count', () => {
		const body = uphance('pick_tickets.page1.next_number.json');
		const read = readUphancePage(body, 'pick_tickets', 1);
		expect(read).toEqual({
			ok: true,
			page: { records: body.pick_tickets, next: 2, totalCount: 205 },
		});
	});

	it('next_page as a URL: the page number is read from its `page` parameter', () => {
		const body = uphance('pick_tickets.page2.next_url.json');
		expect((body.meta as IDataObject).next_page).toMatch(/^https:\/\/api\.uphance\.com\//);
		expect(readUphancePage(body, 'pick_tickets', 2)).toEqual({
			ok: true,
			page: { records: body.pick_tickets, next: 3, totalCount: 205 },
		});
	});

	it('the last page (next_page null, total_pages reached) ends the list', () => {
		const body = uphance('pick_tickets.page3.last.json');
		expect(readUphancePage(body, 'pick_tickets', 3)).toEqual({
			ok: true,
			page: { records: body.pick_tickets, totalCount: 205 },
		});
	});

	it('a production-order page (50 a page; 3 records here) does not end the list: meta does', () => {
		const body = uphance('production_orders.page1.json');
		const read = readUphancePage(body, 'production_orders', 1);
		expect(read).toEqual({
			ok: true,
			page: { records: body.production_orders, next: 2, totalCount: 187 },
		});
		// the same page without next_page still goes on, by total_pages
		const meta = { ...(body.meta as IDataObject), next_page: null };
		expect(readUphancePage({ ...body, meta }, 'production_orders', 1)).toMatchObject({
			ok: true,
			page: { next: 2 },
		});
	});

	it('a sales-order page lists the draft with the others, times in Z', () => {
		const body = uphance('sales_orders.page1.draft.json');
		const read = readUphancePage(body, 'sales_orders', 1);
		expect(read.ok && read.page.records.map((r) => [r.id, r.status])).toEqual([
			[862329, 'draft'],
			[862330, 'confirmed'],
		]);
		expect(read.ok && read.page.next).toBeUndefined();
	});
});

describe('Uphance: catch-up pages through the recorded pages (listUphanceChanges)', () => {
	const pages: Record<string, IDataObject> = {
		'1': uphance('pick_tickets.page1.next_number.json'),
		'2': uphance('pick_tickets.page2.next_url.json'),
		'3': uphance('pick_tickets.page3.last.json'),
	};

	it('reads pages 1, 2 and 3 (the last named by URL), emits every change but the draft, keyed in UTC', async () => {
		const log: IHttpRequestOptions[] = [];
		const send = replaySend((o) => {
			expect(o.url).toBe('https://uphance.example/pick_tickets');
			return { body: pages[String((o.qs as IDataObject).page)] };
		}, log);
		const listing = await listUphanceChanges(send, {
			baseUrl: 'https://uphance.example',
			selected: new Set(['pick_ticket_create', 'pick_ticket_update']),
			updateWindowMs: 14 * 86_400_000,
			policy: { maxRetries: 0, timeoutMs: 5_000 },
			now: () => Date.parse('2026-03-01T12:00:00Z'),
		})(
			{ fromMs: Date.parse('2026-03-01T00:00:00Z'), toMs: Date.parse('2026-03-01T12:00:00Z') },
			{ maxPages: 10, maxRecords: 100 },
			() => false,
		);
		expect(log.map((o) => (o.qs as IDataObject).page)).toEqual([1, 2, 3]);
		expect(listing.complete).toBe(true);
		const ids = listing.records.map((r) => r.json.id);
		expect(ids).toEqual([731101, 731102, 731103, 731201, 731202, 731203, 731302]);
		expect(ids).not.toContain(731301); // status draft: a draft sends no webhook
		// created 09:00+01:00 (in the window, not seen yet: a create), changed 10:10+01:00: keyed 09:10 UTC
		expect(listing.records[0]).toMatchObject({
			key: 'uphance:pick_ticket:731101:2026-03-01T09:10:00.000Z',
			json: { event: 'pick_ticket_create', record: (pages['1'].pick_tickets as IDataObject[])[0] },
		});
		expect(listing.records.map((r) => r.changedAtMs)).toContain(Date.parse('2026-03-01T10:50:00Z'));
	});
});

/** A server that answers the Uplift node's requests from the fixtures only. */
async function upliftReplay(routes: Record<string, () => { status?: number; body: unknown }>) {
	const requests: Array<{ method: string; path: string; query: string; body: string }> = [];
	const server = http.createServer((req, res) => {
		const chunks: Buffer[] = [];
		req.on('data', (c: Buffer) => chunks.push(c));
		req.on('end', () => {
			const url = new URL(req.url ?? '/', 'http://x');
			requests.push({
				method: req.method ?? '',
				path: url.pathname,
				query: url.search,
				body: Buffer.concat(chunks).toString('utf8'),
			});
			const route = routes[`${req.method} ${url.pathname}`];
			const { status = 200, body } = route
				? route()
				: { status: 404, body: { error: 'NotFound', message: 'no such route in the replay' } };
			const text = JSON.stringify(body);
			res.writeHead(status, {
				'content-type': 'application/json',
				'content-length': Buffer.byteLength(text),
			});
			res.end(text);
		});
	});
	await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
	const port = (server.address() as { port: number }).port;
	return {
		requests,
		apiBaseUrl: `http://127.0.0.1:${port}/v1`,
		apiKey: 'sk_test_contract',
		close: () =>
			new Promise<void>((resolve) => {
				server.closeAllConnections();
				server.close(() => resolve());
			}),
	};
}

describe('Uplift node: the recorded answers, end to end', () => {
	const JOB = String(uplift('export.created.json').jobId);
	let replay: Awaited<ReturnType<typeof upliftReplay>>;
	let jobAnswer = 'export.job.completed.json';
	beforeEach(async () => {
		jobAnswer = 'export.job.completed.json';
		replay = await upliftReplay({
			'GET /v1/captures': () => ({ body: uplift('captures.list.json') }),
			[`GET /v1/captures/${String(uplift('capture.get.json').session_id)}`]: () => ({
				body: uplift('capture.get.json'),
			}),
			'GET /v1/captures/nope': () => ({ status: 404, body: uplift('capture.not_found.json') }),
			'POST /v1/athletes': () => ({ status: 200, body: uplift('athlete.created.json') }),
			[`POST /v1/athletes/${String((uplift('athlete.updated.json').athlete as IDataObject).id)}`]:
				() => ({ body: uplift('athlete.updated.json') }),
			'POST /v1/data/export': () => ({ body: uplift('export.created.json') }),
			[`GET /v1/data/export/job/${JOB}`]: () => ({ body: uplift(jobAnswer) }),
			[`GET /v1/data/export/job/${JOB}/results`]: () => ({ body: uplift('export.results.json') }),
		});
	});
	afterEach(async () => {
		await replay.close();
	});
	const run = (params: IDataObject, continueOnFail = false) =>
		runAction(new Uplift(), { params, credentials: upliftCredentials(replay), continueOnFail });

	it('Capture → Get Many: one item per listed capture, extra fields kept', async () => {
		const { output } = await run({
			resource: 'capture',
			operation: 'getAll',
			returnAll: true,
			filters: { status: 'completed' },
		});
		expect(output.map((o) => o.json)).toEqual(uplift('captures.list.json').captures);
		expect(output[1].json.handedness).toBe('right');
	});

	it('Capture → Get: the capture itself (Uplift sends it without an envelope)', async () => {
		const capture = uplift('capture.get.json');
		const { output } = await run({
			resource: 'capture',
			operation: 'get',
			captureId: capture.session_id,
		});
		expect(output[0].json).toEqual(capture);
	});

	it('Capture → Get of an unknown capture: the documented 404 body, the message names the request', async () => {
		await expect(run({ resource: 'capture', operation: 'get', captureId: 'nope' })).rejects.toThrow(
			'Uplift answered HTTP 404 (not found) to GET /captures/nope: Capture not found.',
		);
		const { output } = await run(
			{ resource: 'capture', operation: 'get', captureId: 'nope' },
			true,
		);
		expect(output[0].json).toEqual({
			error: 'Uplift answered HTTP 404 (not found) to GET /captures/nope: Capture not found.',
			statusCode: 404,
		});
	});

	it('Athlete → Create on the documented 200, and Update: the athlete out of {athlete}', async () => {
		const created = await run({
			resource: 'athlete',
			operation: 'create',
			firstName: 'Ada',
			additionalFields: { last_name: 'Lovelace', height: 66 },
			customAttributes: { pair: [{ name: 'team', value: 'XYZ' }] },
		});
		expect(created.output[0].json).toEqual(uplift('athlete.created.json').athlete);
		const updated = await run({
			resource: 'athlete',
			operation: 'update',
			athleteId: (uplift('athlete.updated.json').athlete as IDataObject).id,
			updateFields: { email: 'ada@example.com' },
			customAttributes: { pair: [{ name: 'team', value: '' }] },
		});
		expect(updated.output[0].json).toEqual(uplift('athlete.updated.json').athlete);
		expect(JSON.parse(replay.requests[replay.requests.length - 1].body)).toEqual({
			email: 'ada@example.com',
			custom_attributes: { team: '' },
		});
	});

	it('Data Export → Run: job created, COMPLETED, one item per result row', async () => {
		const { output } = await run({
			resource: 'dataExport',
			operation: 'run',
			activity: 'baseball',
			movement: 'hitting',
			startTime: '2026-03-01T00:00:00Z',
			endTime: '',
			dateMode: 'capture_time',
			options: { pollIntervalSeconds: 1, timeoutSeconds: 10 },
		});
		expect(output.map((o) => o.json)).toEqual(uplift('export.results.json').rows);
		const job = await run({ resource: 'dataExport', operation: 'getJob', jobId: JOB });
		expect(job.output[0].json).toEqual(uplift('export.job.completed.json'));
	});

	it('Data Export → Run of a FAILED job: the error carries the job and its errorMessage', async () => {
		jobAnswer = 'export.job.failed.json';
		await expect(
			run({
				resource: 'dataExport',
				operation: 'run',
				activity: 'baseball',
				movement: 'hitting',
				startTime: '2026-03-01T00:00:00Z',
				endTime: '',
				dateMode: 'capture_time',
				options: { pollIntervalSeconds: 1, timeoutSeconds: 10 },
			}),
		).rejects.toThrow(
			`Uplift export job ${JOB} ended FAILED: No data found for the given parameters`,
		);
	});
});

describe('Uplift Trigger catch-up: the recorded list, job and results (listUpliftChanges)', () => {
	it('emits both completed captures, each with its own rows of the export as CSV', async () => {
		const JOB = String(uplift('export.created.json').jobId);
		const log: IHttpRequestOptions[] = [];
		const send = replaySend((o) => {
			const url = String(o.url);
			if (url.endsWith('/captures')) return { body: uplift('captures.list.json') };
			if (url.endsWith('/data/export')) return { body: uplift('export.created.json') };
			if (url.endsWith(`/data/export/job/${JOB}`))
				return { body: uplift('export.job.completed.json') };
			if (url.endsWith(`/data/export/job/${JOB}/results`))
				return { body: uplift('export.results.json') };
			return { status: 404, body: uplift('capture.not_found.json') };
		}, log);
		const listing = await listUpliftChanges(send, 'https://api.uplift.example/v1', {
			processingAllowanceMs: 3_600_000,
			exportPollMs: 1,
			exportTimeoutMs: 5_000,
		})(
			{ fromMs: Date.parse('2026-03-01T11:00:00Z'), toMs: Date.parse('2026-03-01T12:00:00Z') },
			{ maxPages: 5, maxRecords: 10 },
			() => false,
		);
		const [first, second] = uplift('captures.list.json').captures as IDataObject[];
		expect(listing.complete).toBe(true);
		expect(listing.records.map((r) => r.key)).toEqual([
			upliftCaptureKey(String(first.session_id)),
			upliftCaptureKey(String(second.session_id)),
		]);
		expect(log.find((o) => String(o.url).endsWith('/captures'))?.qs).toMatchObject({
			status: 'completed',
			offset: 0,
		});
		expect(log.find((o) => String(o.url).endsWith('/data/export'))?.body).toMatchObject({
			activity: 'baseball',
			movement: 'hitting',
			dateMode: 'capture_time',
			athletes: [first.athlete_id],
		});
		const csv = (i: number) => (listing.records[i].json.fetch as { csv: IDataObject }).csv;
		expect(csv(0)).toMatchObject({ status: 'fetched', source: 'export', jobId: JOB, rows: 3 });
		const lines = String(csv(0).text).trim().split(/\r?\n/);
		expect(lines[0].split(',')).toEqual(expect.arrayContaining(['frame', 'time', 'peak_power']));
		expect(lines).toHaveLength(4);
		expect(String(csv(1).text)).toContain('225');
		expect(String(csv(0).text)).not.toContain('225');
	});
});
