import type { IDataObject, IN8nHttpFullResponse } from 'n8n-workflow';

import {
	EXPORT_TRIES,
	exportCsvText,
	listUpliftChanges,
	upliftCaptureAlias,
	upliftCaptureKey,
} from '../../nodes/UpliftTrigger/upliftCatchUp';
import type { UpliftCatchUpOptions } from '../../nodes/UpliftTrigger/upliftCatchUp';
import type { CatchUpBounds, CatchUpListing } from '../../nodes/shared/catchUp/types';
import type { SendRequest } from '../../nodes/shared/vendorHttp';
import { upliftApiSend } from './helpers/n8nStubs';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const fakeUplift = require('../support/fakeUplift');

type Fake = Awaited<ReturnType<typeof fakeUplift.start>>;
interface LoggedRequest {
	method: string;
	path: string;
	query: string;
	body?: IDataObject;
	injected?: number;
}
interface ExportJob {
	jobId: string;
	request: IDataObject;
}

let fake: Fake;
beforeEach(async () => {
	fake = await fakeUplift.start();
});
afterEach(async () => {
	await fake.close();
});

/** The request helper n8n would give the trigger: the `upliftApi` credential's Bearer header added. */
const sendVia = (f: Fake): SendRequest => upliftApiSend(f.apiKey);

const HOUR = 3_600_000;
const T0 = Date.parse('2026-03-01T12:00:00Z');
const iso = (ms: number) => new Date(ms).toISOString().replace('.000Z', 'Z');
const BOUNDS: CatchUpBounds = { maxPages: 20, maxRecords: 200 };

function list(
	window: { fromMs: number; toMs: number; floorMs?: number },
	bounds: CatchUpBounds = BOUNDS,
	{ isHeld, ...options }: Partial<UpliftCatchUpOptions> & { isHeld?: (key: string) => boolean } = {},
): Promise<CatchUpListing> {
	return listUpliftChanges(sendVia(fake), fake.apiBaseUrl, {
		processingAllowanceMs: HOUR,
		exportPollMs: 10,
		exportTimeoutMs: 5_000,
		...options,
	})(window, bounds, isHeld ?? (() => false));
}

const listCalls = (): LoggedRequest[] =>
	fake.requests.filter((r: LoggedRequest) => r.path === '/v1/captures');
const offsetsOf = (calls: LoggedRequest[]) =>
	calls.map((r) => new URLSearchParams(r.query).get('offset'));
const jobs = (): ExportJob[] => fake.exportJobs;
const csvOf = (listing: CatchUpListing, id: string) =>
	(
		listing.records.find((r) => r.key === upliftCaptureKey(id))?.json.fetch as
			| { csv: IDataObject }
			| undefined
	)?.csv;
const idsOf = (listing: CatchUpListing) =>
	listing.records.map((r) => (r.json.data as { object: { id: string } }).object.id);

describe('keys', () => {
	it('catch-up keys a capture by its session id', () => {
		expect(upliftCaptureKey('abc-123')).toBe('uplift:capture:abc-123');
	});

	it('a movement.analytics.created event stands for the capture before its _n (inferred mapping)', () => {
		const event = fakeUplift.buildEvent({ captureId: 'c0ffee00-1111-2222-3333-444455556666' });
		expect(event.data.object.id).toBe('c0ffee00-1111-2222-3333-444455556666_2');
		expect(upliftCaptureAlias(event)).toBe('uplift:capture:c0ffee00-1111-2222-3333-444455556666');
		// `_n` > 1 and `_1` name the same capture: one capture, one alias, whichever event came
		expect(upliftCaptureAlias(fakeUplift.buildEvent({ captureId: 'c0ffee00-1111-2222-3333-444455556666', movementIndex: 1 }))).toBe(
			'uplift:capture:c0ffee00-1111-2222-3333-444455556666',
		);
		// only a UUID before `_n` is taken for a capture id (Uplift's ids are UUIDs, uplift-api.md §2.2)
		expect(upliftCaptureAlias(fakeUplift.buildEvent({ captureId: 'x_y', movementIndex: 1 }))).toBeUndefined();
	});

	it('other events and ids without _n have no alias', () => {
		expect(upliftCaptureAlias(fakeUplift.buildEvent({ type: 'webhook.created' }))).toBeUndefined();
		const event = fakeUplift.buildEvent({});
		event.data.object.id = 'no-index-suffix';
		expect(upliftCaptureAlias(event)).toBeUndefined();
		event.data.object.id = 42;
		expect(upliftCaptureAlias(event)).toBeUndefined();
		expect(upliftCaptureAlias(undefined)).toBeUndefined();
	});

	it("a webhook's alias equals catch-up's key of the same capture (so catch-up skips it)", async () => {
		fake.addCapture({ session_id: fakeUplift.DEFAULT_CAPTURE_ID, capture_time: iso(T0) });
		const listing = await list({ fromMs: T0 - HOUR, toMs: T0 + HOUR });
		expect(listing.records.map((r) => r.key)).toEqual([upliftCaptureAlias(fakeUplift.buildEvent())]);
		const held = new Set([upliftCaptureAlias(fakeUplift.buildEvent())]);
		fake.clearLog();
		const again = await list({ fromMs: T0 - HOUR, toMs: T0 + HOUR }, BOUNDS, {
			isHeld: (key) => held.has(key),
		});
		expect(again.records).toEqual([]);
		expect(again.complete).toBe(true);
		// nothing to export for a held capture
		expect(fake.requests.filter((r: LoggedRequest) => r.path === '/v1/data/export')).toHaveLength(0);
	});
});

describe('listing', () => {
	it('keeps completed captures with capture_time in (from − allowance, to]', async () => {
		const from = T0;
		const to = T0 + 2 * HOUR;
		const at: Array<[string, number, string?]> = [
			['before-allowance', from - HOUR - 1000],
			['at-allowance-edge', from - HOUR], // excluded: the window is open at its start
			['inside-allowance', from - HOUR + 1000],
			['inside', from + HOUR],
			['at-end', to], // included: closed at its end
			['after-end', to + 1000],
			['processing', from + HOUR, 'processing'],
			['errored', from + HOUR, 'error'],
		];
		for (const [id, ms, status] of at)
			fake.addCapture({ session_id: id, capture_time: iso(ms), status: status ?? 'completed' });
		const listing = await list({ fromMs: from, toMs: to });
		expect(idsOf(listing)).toEqual(['inside-allowance', 'inside', 'at-end']);
		expect(listing.records.map((r) => r.changedAtMs)).toEqual([from - HOUR + 1000, from + HOUR, to]);
		expect(listing.complete).toBe(true);
		expect(listing.error).toBeUndefined();
		// asked Uplift for completed captures, 500 a page
		const query = new URLSearchParams(listCalls()[0].query);
		expect([query.get('status'), query.get('limit'), query.get('offset')]).toEqual([
			'completed',
			'500',
			'0',
		]);
		// without the allowance the capture completed "late" is not seen
		const strict = await list({ fromMs: from, toMs: to }, BOUNDS, { processingAllowanceMs: 0 });
		expect(idsOf(strict)).toEqual(['inside', 'at-end']);
	});

	it('builds items shaped like the webhook items, with the CSV of the capture', async () => {
		fake.addCapture({
			session_id: 'sess-1',
			athlete_id: 'ath-9',
			activity: 'baseball',
			movement: 'hitting',
			capture_time: '2026-03-01T12:30:05Z',
			fps_detected: 120,
			csv: 'frame,peak_power,side\n0,1.5,left\n1,2,right\n',
		});
		const listing = await list({ fromMs: T0, toMs: T0 + HOUR });
		expect(listing.records).toHaveLength(1);
		const record = listing.records[0];
		expect(record.key).toBe('uplift:capture:sess-1');
		expect(record.changedAtMs).toBe(Date.parse('2026-03-01T12:30:05Z'));
		expect(record.json).toMatchObject({
			id: 'capture:sess-1',
			object: 'event',
			type: 'movement.analytics.created',
			created: '2026-03-01T12:30:05.000Z',
			apiVersion: null,
			// recorded by the execution, so the capture's webhook event arriving later starts nothing
			deliveryAliases: ['uplift:caughtUp:sess-1'],
			data: {
				object: {
					id: 'sess-1',
					activity: 'baseball',
					movement: 'hitting',
					athlete: { id: 'ath-9' },
					capture: { session_id: 'sess-1', status: 'completed', fps_detected: 120 },
				},
			},
		});
		expect(csvOf(listing, 'sess-1')).toMatchObject({
			status: 'fetched',
			source: 'export',
			text: 'sessionid,athleteid,frame,peak_power,side\nsess-1,ath-9,0,1.5,left\nsess-1,ath-9,1,2,right\n',
			fileName: 'uplift_sess-1.csv',
			rows: 2,
		});
		// list + create + polls + one results page
		expect(listing.requests).toBe(fake.requests.length);
	});

	it('pages by offset until total_count, counting pages against maxPages', async () => {
		for (let i = 0; i < 1000; i++)
			fake.addCapture({
				session_id: `c-${String(i).padStart(4, '0')}`,
				// only every 250th capture is in the window
				capture_time: iso(i % 250 === 0 ? T0 + i * 1000 : T0 - 10 * HOUR),
			});
		const all = await list({ fromMs: T0, toMs: T0 + HOUR });
		expect(offsetsOf(listCalls())).toEqual(['0', '500']); // total_count reached: no third, empty page
		expect(idsOf(all)).toEqual(['c-0000', 'c-0250', 'c-0500', 'c-0750']);
		expect(all.complete).toBe(true);

		fake.clearLog();
		const capped = await list({ fromMs: T0, toMs: T0 + HOUR }, { maxPages: 1, maxRecords: 200 });
		expect(offsetsOf(listCalls())).toEqual(['0']);
		expect(idsOf(capped)).toEqual(['c-0000', 'c-0250']);
		expect(capped.complete).toBe(false);
	});

	it('a short page ends the paging (no total_count needed)', async () => {
		for (let i = 0; i < 501; i++) fake.addCapture({ session_id: `s-${i}`, capture_time: iso(T0 - 5 * HOUR) });
		const listing = await list({ fromMs: T0, toMs: T0 + HOUR });
		expect(offsetsOf(listCalls())).toEqual(['0', '500']);
		expect(listing).toMatchObject({ records: [], complete: true, requests: 2 });
	});

	it('caps at maxRecords, oldest first, and says the listing is incomplete', async () => {
		for (let i = 0; i < 5; i++)
			fake.addCapture({ session_id: `m-${i}`, capture_time: iso(T0 + (5 - i) * 60_000) });
		const listing = await list({ fromMs: T0, toMs: T0 + HOUR }, { maxPages: 20, maxRecords: 3 });
		expect(idsOf(listing)).toEqual(['m-4', 'm-3', 'm-2']);
		expect(listing.complete).toBe(false);
		// only the kept captures are exported
		expect(jobs()).toHaveLength(1);
		expect(jobs()[0].request).toMatchObject({
			startTime: Math.floor((T0 + 60_000) / 1000) - 1,
			endTime: Math.floor((T0 + 3 * 60_000) / 1000) + 1,
		});
		expect(listing.records.every((r) => (r.json.fetch as { csv: IDataObject }).csv.status === 'fetched')).toBe(true);
	});
});

describe('export', () => {
	it('one job per (activity, movement); each capture gets its own rows', async () => {
		const csvA = 'frame,peak_power\n0,10\n1,11\n2,12\n';
		const csvB = 'frame,peak_power\n0,20\n1,21\n';
		const csvC = 'frame,peak_power\n0,30\n';
		const csvD = 'frame,bat_speed\n0,70.5\n1,71\n';
		fake.addCapture({ session_id: 'a', athlete_id: 'ath-1', capture_time: iso(T0 + 60_000), csv: csvA });
		fake.addCapture({ session_id: 'b', athlete_id: 'ath-2', capture_time: iso(T0 + 120_000), csv: csvB });
		// held (delivered by webhook): in the export's range, so its rows come back, but it is not an item
		fake.addCapture({ session_id: 'held', athlete_id: 'ath-1', capture_time: iso(T0 + 90_000), csv: csvC });
		fake.addCapture({
			session_id: 'd',
			athlete_id: 'ath-1',
			activity: 'baseball',
			movement: 'hitting',
			capture_time: iso(T0 + 30_000),
			csv: csvD,
		});
		const listing = await list({ fromMs: T0, toMs: T0 + HOUR }, BOUNDS, {
			isHeld: (key) => key === upliftCaptureKey('held'),
		});
		expect(idsOf(listing)).toEqual(['d', 'a', 'b']);
		expect(listing.complete).toBe(true);

		const requests = jobs()
			.map((j) => j.request)
			.sort((x, y) => String(x.activity).localeCompare(String(y.activity)));
		expect(requests).toEqual([
			{
				activity: 'baseball',
				movement: 'hitting',
				athletes: ['ath-1'],
				startTime: Math.floor((T0 + 30_000) / 1000) - 1,
				endTime: Math.floor((T0 + 30_000) / 1000) + 1,
				dateMode: 'capture_time',
			},
			{
				activity: 'jump',
				movement: 'single_leg',
				athletes: ['ath-1', 'ath-2'],
				startTime: Math.floor((T0 + 60_000) / 1000) - 1,
				endTime: Math.floor((T0 + 120_000) / 1000) + 1,
				dateMode: 'capture_time',
			},
		]);
		// the fake interleaves the sessions' rows; each CSV must hold its own, in order
		expect(csvOf(listing, 'a')?.text).toBe(
			'sessionid,athleteid,frame,peak_power\na,ath-1,0,10\na,ath-1,1,11\na,ath-1,2,12\n',
		);
		expect(csvOf(listing, 'b')?.text).toBe(
			'sessionid,athleteid,frame,peak_power\nb,ath-2,0,20\nb,ath-2,1,21\n',
		);
		expect(csvOf(listing, 'd')?.text).toBe(
			'sessionid,athleteid,frame,bat_speed\nd,ath-1,0,70.5\nd,ath-1,1,71\n',
		);
		expect(csvOf(listing, 'held')).toBeUndefined();
	});

	it('pages the results 500 rows at a time', async () => {
		const lines = Array.from({ length: 700 }, (_, i) => `${i},${i * 2}`);
		fake.addCapture({ session_id: 'long', capture_time: iso(T0 + 1000), csv: `frame,v\n${lines.join('\n')}\n` });
		const listing = await list({ fromMs: T0, toMs: T0 + HOUR });
		const results = fake.requests.filter((r: LoggedRequest) => r.path.endsWith('/results'));
		expect(offsetsOf(results)).toEqual(['0', '500']);
		expect(csvOf(listing, 'long')).toMatchObject({ status: 'fetched', rows: 700 });
		expect(String(csvOf(listing, 'long')?.text).split('\n')).toHaveLength(702); // header + rows + ''
	});

	it('a failed export job holds its capture back (the listing is incomplete) and is tried again; after EXPORT_TRIES runs the capture comes with the error; other groups are unaffected', async () => {
		fake.addCapture({ session_id: 'ok', capture_time: iso(T0 + 1000) });
		fake.addCapture({ session_id: 'bad', activity: 'baseball', movement: 'hitting', capture_time: iso(T0 + 2000) });
		fake.setExportOutcome('FAILED', { activity: 'baseball', movement: 'hitting' });
		// one lister, as one activation of the trigger has (it counts the failed tries)
		const lister = listUpliftChanges(sendVia(fake), fake.apiBaseUrl, { processingAllowanceMs: HOUR, exportPollMs: 10, exportTimeoutMs: 5_000 });
		const handled = new Set<string>();
		const run = async () => {
			const listing = await lister({ fromMs: T0, toMs: T0 + HOUR }, BOUNDS, (k) => handled.has(k));
			for (const r of listing.records) handled.add(r.key);
			return listing;
		};
		const first = await run();
		expect(idsOf(first)).toEqual(['ok']);
		expect(first.complete).toBe(false);
		expect(first.error).toMatch(/^The export of capture bad failed \(try 1 of 3\): Export job job-\d+ ended FAILED: Export failed: no captures in range$/);
		expect(csvOf(first, 'ok')).toMatchObject({ status: 'fetched', source: 'export' });
		const second = await run();
		expect(idsOf(second)).toEqual([]);
		expect(second.complete).toBe(false);
		const third = await run();
		expect(idsOf(third)).toEqual(['bad']);
		expect(third.complete).toBe(true);
		const failed = csvOf(third, 'bad');
		expect(failed).toMatchObject({ status: 'failed', source: 'export' });
		expect(failed).not.toHaveProperty('final');
		expect(failed?.text).toBeUndefined();
		expect(failed?.error).toMatch(/^Export job job-\d+ ended FAILED: Export failed: no captures in range$/);
		expect(EXPORT_TRIES).toBe(3);
	});

	it('an export that fails once comes with its CSV on the next run', async () => {
		fake.addCapture({ session_id: 'flaky', activity: 'baseball', movement: 'hitting', capture_time: iso(T0 + 2000) });
		fake.setExportOutcome('FAILED', { activity: 'baseball', movement: 'hitting' });
		const lister = listUpliftChanges(sendVia(fake), fake.apiBaseUrl, { processingAllowanceMs: HOUR, exportPollMs: 10, exportTimeoutMs: 5_000 });
		const first = await lister({ fromMs: T0, toMs: T0 + HOUR }, BOUNDS, () => false);
		expect(first.records).toEqual([]);
		fake.setExportOutcome('COMPLETED', { activity: 'baseball', movement: 'hitting' });
		const second = await lister({ fromMs: T0, toMs: T0 + HOUR }, BOUNDS, () => false);
		expect(idsOf(second)).toEqual(['flaky']);
		expect(csvOf(second, 'flaky')).toMatchObject({ status: 'fetched', source: 'export' });
		expect(second.complete).toBe(true);
	});

	it('a first activation emits no history: the Processing Allowance reaches back no further than the floor', async () => {
		fake.addCapture({ session_id: 'before', capture_time: iso(T0 - 2 * 60_000) });
		fake.addCapture({ session_id: 'after', capture_time: iso(T0 + 60_000) });
		const noFloor = await list({ fromMs: T0, toMs: T0 + HOUR });
		expect(idsOf(noFloor)).toEqual(['before', 'after']);
		const floored = await list({ fromMs: T0, toMs: T0 + HOUR, floorMs: T0 });
		expect(idsOf(floored)).toEqual(['after']);
	});

	it('an export job that does not finish in time is described, not waited for (and the capture held back for the next run)', async () => {
		fake.addCapture({ session_id: 'slow', capture_time: iso(T0 + 1000) });
		fake.setExportPolls(1_000_000);
		const started = Date.now();
		const listing = await list({ fromMs: T0, toMs: T0 + HOUR }, BOUNDS, {
			exportPollMs: 20,
			exportTimeoutMs: 300,
		});
		expect(Date.now() - started).toBeLessThan(3_000);
		expect(idsOf(listing)).toEqual([]);
		expect(listing.complete).toBe(false);
		expect(listing.error).toMatch(/^The export of capture slow failed \(try 1 of 3\): Export job job-\d+ was still RUNNING after 0.3 s$/);
		const polls = fake.requests.filter((r: LoggedRequest) => /\/job\/[^/]+$/.test(r.path));
		expect(polls.length).toBeGreaterThan(2);
		expect(polls.length).toBeLessThan(30);
	});

	it('a capture naming no activity is kept with the reason', async () => {
		fake.addCapture({ session_id: 'bare', activity: null, capture_time: iso(T0 + 1000) });
		const listing = await list({ fromMs: T0, toMs: T0 + HOUR });
		expect(csvOf(listing, 'bare')).toMatchObject({ status: 'failed', error: expect.stringMatching(/no activity or movement/) });
		expect(jobs()).toHaveLength(0);
	});
});

describe('listing failures', () => {
	const page2 = (entry: LoggedRequest) =>
		entry.path === '/v1/captures' && new URLSearchParams(entry.query).get('offset') === '500';

	it('a 429 whose Retry-After is longer than the policy waits ends the listing with retryAfterMs', async () => {
		for (let i = 0; i < 600; i++) fake.addCapture({ session_id: `r-${i}`, capture_time: iso(T0 + i * 1000) });
		fake.failNext(1, 429, 60, page2);
		const started = Date.now();
		const listing = await list({ fromMs: T0, toMs: T0 + HOUR });
		expect(Date.now() - started).toBeLessThan(5_000);
		expect(listing.complete).toBe(false);
		expect(listing.retryAfterMs).toBe(60_000);
		expect(listing.error).toBe('Listing Uplift captures failed: HTTP 429');
		// page 1 was read, but nothing is exported while Uplift asks to wait: those captures are
		// listed again by the next run (the listing is incomplete, the cursor stays)
		expect(listing.records).toEqual([]);
		expect(jobs()).toHaveLength(0);
		expect(listing.requests).toBe(2);
		expect(listCalls().map((r) => r.injected ?? 200)).toEqual([200, 429]);
	});

	it('a short Retry-After is waited for and the listing completes', async () => {
		fake.addCapture({ session_id: 'w', capture_time: iso(T0 + 1000) });
		fake.failNext(1, 429, 1, (e: LoggedRequest) => e.path === '/v1/captures');
		const started = Date.now();
		const listing = await list({ fromMs: T0, toMs: T0 + HOUR });
		expect(Date.now() - started).toBeGreaterThanOrEqual(950);
		expect(listing).toMatchObject({ complete: true });
		expect(listing.retryAfterMs).toBeUndefined();
		expect(idsOf(listing)).toEqual(['w']);
	});

	it('another failure returns what was read, with CSVs, as incomplete', async () => {
		for (let i = 0; i < 500; i++)
			fake.addCapture({ session_id: `p-${i}`, capture_time: iso(i < 2 ? T0 + (i + 1) * 1000 : T0 - 9 * HOUR) });
		fake.addCapture({ session_id: 'on-page-2', capture_time: iso(T0 + 5000) });
		fake.failNext(1, 500, 1, page2);
		const listing = await list({ fromMs: T0, toMs: T0 + HOUR }, BOUNDS, { policy: { maxRetries: 0 } });
		expect(listing.complete).toBe(false);
		expect(listing.error).toBe('Listing Uplift captures failed: HTTP 500');
		expect(listing.retryAfterMs).toBeUndefined();
		expect(idsOf(listing)).toEqual(['p-0', 'p-1']);
		expect(csvOf(listing, 'p-0')).toMatchObject({ status: 'fetched' });
	});

	it('an answer without a captures list is an error, not an empty listing', async () => {
		const listing = await listUpliftChanges(
			async () => ({ statusCode: 200, headers: {}, body: { data: [] } }) as IN8nHttpFullResponse,
			'http://127.0.0.1:1/v1',
			{ processingAllowanceMs: 0 },
		)({ fromMs: T0, toMs: T0 + HOUR }, BOUNDS, () => false);
		expect(listing).toMatchObject({ records: [], complete: false, requests: 1 });
		expect(listing.error).toMatch(/has no `captures` list \(top-level keys: "data"\)/);
	});
});

describe('exportCsvText', () => {
	it('quotes what needs quoting and writes empty fields for null', () => {
		expect(exportCsvText(['a', 'b', 'c'], [{ a: 'x,y', b: 'say "hi"', c: null }, { a: 1, b: undefined, c: { k: 1 } }])).toBe(
			'a,b,c\n"x,y","say ""hi""",\n1,,"{""k"":1}"\n',
		);
	});
});
