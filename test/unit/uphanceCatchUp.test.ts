/**
 * Uphance's catch-up listing (nodes/UphanceTrigger/uphanceCatchUp.ts) against the real fake Uphance
 * API (test/support/fakeUphance.js) on 127.0.0.1: real HTTP, real sign-in through the credential's
 * preAuthentication (OAuth token + set_current_org), lists paged 100 at a time.
 */
import type { IDataObject, IHttpRequestOptions, IN8nHttpFullResponse } from 'n8n-workflow';

import type { CatchUpBounds, CatchUpListing, CatchUpResume, CatchUpWindow } from '../../nodes/shared/catchUp/types';
import type { SendRequest } from '../../nodes/shared/vendorHttp';
import {
	catchUpEventName,
	changeOfRecord,
	CATCH_UP_RESOURCES,
	listUphanceChanges,
	resourcesToList,
} from '../../nodes/UphanceTrigger/uphanceCatchUp';
import { parseUphanceEvent, uphanceChangeKey, uphanceCreatedKey, uphanceDeliveryKey } from '../../nodes/UphanceTrigger/uphanceEvent';
import { uphanceCredentials } from './helpers/actionContext';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const fakeUphance = require('../support/fakeUphance');

interface LoggedRequest {
	method: string;
	path: string;
	query: string;
	status: number | string | null;
	list?: boolean;
}
interface Fake {
	url: string;
	email: string;
	password: string;
	organisations: Array<{ id: number }>;
	requests: LoggedRequest[];
	setRecord(resource: string, id: number | string, record?: unknown): IDataObject;
	seed(resource: string, count: number, extra?: (i: number) => IDataObject, firstId?: number): void;
	record(resource: string, id: number | string): IDataObject;
	failNext(count: number, status?: number, retryAfter?: number): void;
	deleteRecord(resource: string, id: number | string): void;
	setListing(options: { perPage?: number; nextPage?: string; order?: string; meta?: boolean }): void;
	refuseList(path: string, status: number | null): void;
	clearLog(): void;
	close(): Promise<void>;
}

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const T = Date.parse('2026-03-01T12:00:00.000Z');
const iso = (ms: number) => new Date(ms).toISOString();
const WINDOW = { fromMs: T - HOUR, toMs: T - 2 * MINUTE };
const BOUNDS: CatchUpBounds = { maxPages: 20, maxRecords: 500 };

let fake: Fake;
let send: SendRequest;

beforeEach(async () => {
	fake = await fakeUphance.start({ organisations: [{ id: 9579, name: 'Uphance Demo' }] });
	const credentials = uphanceCredentials(fake);
	// n8n's httpRequestWithAuthentication: signs in (token, then set_current_org) on first use
	send = async (options: IHttpRequestOptions) =>
		(await credentials.requestWithAuthentication('uphanceApi', options)) as IN8nHttpFullResponse;
});
afterEach(async () => {
	await fake.close();
});

function list(
	selected: string[],
	{
		window = WINDOW,
		bounds = BOUNDS,
		isHandled = () => false,
		resume,
	}: { window?: CatchUpWindow; bounds?: CatchUpBounds; isHandled?: (key: string) => boolean; resume?: CatchUpResume } = {},
): Promise<CatchUpListing> {
	return listUphanceChanges(send, {
		baseUrl: fake.url,
		selected: new Set(selected),
		updateWindowMs: 14 * DAY,
		policy: { maxRetries: 2, timeoutMs: 10_000 },
		now: () => T,
	})(window, bounds, isHandled, resume);
}

/** A record as the fake stores it, with the times given. */
function put(resource: string, id: number, createdMs: number, updatedMs: number, extra: IDataObject = {}): IDataObject {
	return fake.setRecord(resource, id, {
		...fakeUphance.sampleRecord(resource, id, extra),
		created_at: iso(createdMs),
		updated_at: iso(updatedMs),
	});
}

const listRequests = () => fake.requests.filter((r) => r.list);
const queryOf = (r: LoggedRequest) => Object.fromEntries(new URLSearchParams(r.query).entries());
const ids = (listing: CatchUpListing) => listing.records.map((r) => (r.json as { id: number }).id);
const events = (listing: CatchUpListing) => Object.fromEntries(listing.records.map((r) => [String(r.json.id), r.json.event]));

describe('which records a listing returns', () => {
	it('keeps records whose updated_at lies in (from, to], among those created since min(from, now - update window)', async () => {
		put('product', 1, T - 3 * DAY, T - 30 * MINUTE); // updated in the window
		put('product', 2, T - 3 * DAY, T - 2 * HOUR); // before the window
		put('product', 3, T - 3 * DAY, T - MINUTE); // after the window (settling)
		put('product', 4, T - 3 * DAY, WINDOW.fromMs); // on the lower bound: excluded
		put('product', 5, T - 3 * DAY, WINDOW.toMs); // on the upper bound: included
		put('product', 6, T - 20 * DAY, T - 30 * MINUTE); // created before the update window: not listed
		const listing = await list(['product_create', 'product_update']);
		expect(ids(listing)).toEqual([1, 5]);
		expect(listing).toMatchObject({ complete: true, requests: 1 });
		expect(listing.error).toBeUndefined();
		const [request] = listRequests();
		expect(request.path).toBe('/products');
		// fixed by the window, not by the clock of the run: a scan over several runs asks the same
		expect(queryOf(request)).toEqual({ since_created_at: iso(WINDOW.toMs - 14 * DAY), page: '1' });
		expect(listing.records.map((r) => r.changedAtMs)).toEqual([T - 30 * MINUTE, WINDOW.toMs]);
	});

	it('a window older than the update window asks from the window start', async () => {
		put('product', 1, T - 20 * DAY, T - 19 * DAY);
		const old = { fromMs: T - 20 * DAY - MINUTE, toMs: T - 2 * MINUTE };
		const listing = await list(['product_update'], { window: old });
		expect(queryOf(listRequests()[0]).since_created_at).toBe(iso(old.fromMs));
		expect(ids(listing)).toEqual([1]);
	});

	it('names a change as Uphance would have: _create for a record created in the window, if selected, else _update', async () => {
		put('product', 1, T - 30 * MINUTE, T - 30 * MINUTE); // created in the window, never updated
		put('product', 2, T - 30 * MINUTE, T - 10 * MINUTE); // created in the window, then updated
		put('product', 3, T - 3 * DAY, T - 10 * MINUTE); // created before, updated in the window
		expect(events(await list(['product_create', 'product_update']))).toEqual({
			'1': 'product_create',
			'2': 'product_create',
			'3': 'product_update',
		});
		// only updates selected: a record created in the window and updated since is an update; one never updated is not emitted
		expect(events(await list(['product_update']))).toEqual({ '2': 'product_update', '3': 'product_update' });
		// only creates selected: the update of an older record is not emitted
		expect(events(await list(['product_create']))).toEqual({ '1': 'product_create', '2': 'product_create' });
	});

	it('skips draft pick tickets (they send no webhook); a published one created in the window is an update if only updates are selected', async () => {
		put('pick_ticket', 1, T - 30 * MINUTE, T - 30 * MINUTE, { status: 'draft' });
		put('pick_ticket', 2, T - 30 * MINUTE, T - 30 * MINUTE, { status: 'Draft' });
		put('pick_ticket', 3, T - 30 * MINUTE, T - 30 * MINUTE, { status: 'open' });
		expect(events(await list(['pick_ticket_update']))).toEqual({ '3': 'pick_ticket_update' });
		expect(events(await list(['pick_ticket_create', 'pick_ticket_update']))).toEqual({ '3': 'pick_ticket_create' });
	});

	it('skips records without a usable updated_at', async () => {
		put('product', 1, T - 30 * MINUTE, T - 20 * MINUTE);
		put('product', 2, T - 30 * MINUTE, T - 20 * MINUTE);
		put('product', 3, T - 30 * MINUTE, T - 20 * MINUTE);
		delete fake.record('product', 1).updated_at;
		fake.record('product', 2).updated_at = 'not a time';
		const listing = await list(['product_update']);
		expect(ids(listing)).toEqual([3]);
		expect(listing.complete).toBe(true);
	});

	it('lists only the resources whose events are selected', async () => {
		put('product', 1, T - 3 * DAY, T - 10 * MINUTE);
		put('invoice', 1, T - 3 * DAY, T - 10 * MINUTE);
		const listing = await list(['invoice_update']);
		expect(listRequests().map((r) => r.path)).toEqual(['/invoices']);
		expect(listing.records.map((r) => r.json.resource)).toEqual(['invoice']);
		fake.clearLog();
		await list(['*']);
		expect(listRequests().map((r) => r.path)).toEqual(['/pick_tickets', '/invoices', '/credit_notes', '/receiving_tickets', '/products']);
	});
});

describe('paging and bounds', () => {
	beforeEach(() => {
		fake.seed('product', 150, () => ({ created_at: iso(T - 30 * MINUTE), updated_at: iso(T - 20 * MINUTE) }));
	});

	it('pages through more than 100 records by meta.next_page', async () => {
		const listing = await list(['product_update']);
		expect(listing.records).toHaveLength(150);
		expect(listing).toMatchObject({ complete: true, requests: 2 });
		expect(listRequests().map((r) => queryOf(r).page)).toEqual(['1', '2']);
		expect(new Set(listing.records.map((r) => r.key)).size).toBe(150);
	});

	it('stops at maxPages and says the listing is incomplete', async () => {
		const listing = await list(['product_update'], { bounds: { maxPages: 1, maxRecords: 500 } });
		expect(listing.records).toHaveLength(100);
		expect(listing).toMatchObject({ complete: false, requests: 1 });
	});

	it('stops at maxRecords and says the listing is incomplete', async () => {
		const listing = await list(['product_update'], { bounds: { maxPages: 20, maxRecords: 5 } });
		expect(ids(listing)).toEqual([1, 2, 3, 4, 5]);
		expect(listing.complete).toBe(false);
	});

	it('leaves handled changes out before counting maxRecords, so a window full of handled changes completes', async () => {
		const handledUpTo = (n: number) => (key: string) => Number(key.split(':')[2]) <= n;
		const mostly = await list(['product_update'], { bounds: { maxPages: 20, maxRecords: 5 }, isHandled: handledUpTo(148) });
		expect(ids(mostly)).toEqual([149, 150]);
		expect(mostly).toMatchObject({ complete: true, requests: 2 });
		const all = await list(['product_update'], { bounds: { maxPages: 20, maxRecords: 5 }, isHandled: () => true });
		expect(all.records).toEqual([]);
		expect(all.complete).toBe(true);
	});

	it('says where it stopped, and goes on from there: a window larger than the caps is read once over several runs, not from page 1 each run', async () => {
		fake.seed('pick_ticket', 250, () => ({ status: 'packed', created_at: iso(T - 30 * MINUTE), updated_at: iso(T - 20 * MINUTE) }));
		const handled = new Set<string>();
		const bounds = { maxPages: 20, maxRecords: 100 };
		let resume: CatchUpResume | undefined;
		const runs: Array<{ got: number; pages: string[]; complete: boolean }> = [];
		for (let run = 0; run < 6; run++) {
			fake.clearLog();
			const listing = await list(['pick_ticket_update', 'product_update'], { bounds, isHandled: (k) => handled.has(k), resume });
			for (const r of listing.records) handled.add(r.key);
			runs.push({ got: listing.records.length, pages: listRequests().map((r) => `${r.path}?${new URLSearchParams(queryOf(r)).toString().replace(/%3A/g, ':')}`), complete: listing.complete });
			resume = listing.resume;
			if (listing.complete) break;
		}
		// 250 pick tickets then 150 products, 100 changes per run: a run stops before the 101st change,
		// and the next run goes on after the last id it read (since_id), not by page number
		const since = iso(WINDOW.toMs - 14 * DAY);
		const p = (path: string, page: number, sinceId?: number) =>
			`/${path}?since_created_at=${since}${sinceId !== undefined ? `&since_id=${sinceId}` : ''}&page=${page}`;
		expect(runs).toEqual([
			{ got: 100, pages: [p('pick_tickets', 1), p('pick_tickets', 2)], complete: false },
			{ got: 100, pages: [p('pick_tickets', 1, 100), p('pick_tickets', 2, 100)], complete: false },
			{ got: 100, pages: [p('pick_tickets', 1, 200), p('products', 1)], complete: false },
			{ got: 100, pages: [p('products', 1, 50)], complete: true },
		]);
		expect(handled.size).toBe(400);
	});

	it('isHandled is asked with the same keys the records carry (and, for records created in the window, whether their create was seen)', async () => {
		const asked: string[] = [];
		const listing = await list(['product_update'], { isHandled: (key) => (asked.push(key), false) });
		expect(asked.filter((k) => !k.endsWith(':created'))).toEqual(listing.records.map((r) => r.key));
		expect(asked.filter((k) => k.endsWith(':created')).length).toBeGreaterThan(0);
	});
});

describe('vendor trouble', () => {
	it('a 429 with a long Retry-After ends the listing with an error and the wait asked for', async () => {
		put('product', 1, T - 30 * MINUTE, T - 20 * MINUTE);
		fake.failNext(1, 429, 120);
		const listing = await list(['product_update']);
		expect(listing.complete).toBe(false);
		expect(listing.records).toEqual([]);
		expect(listing.error).toMatch(/^Listing products \(page 1\) failed: .*429/);
		expect(listing.retryAfterMs).toBe(120_000);
		expect(listing.requests).toBe(1);
		// not retried: the Retry-After is longer than a run waits
		expect(fake.requests.filter((r) => r.path === '/products')).toHaveLength(1);
	});

	it('a 429 with a short Retry-After is waited for and the listing completes', async () => {
		put('product', 1, T - 30 * MINUTE, T - 20 * MINUTE);
		fake.failNext(1, 429, 1);
		const listing = await list(['product_update']);
		expect(listing).toMatchObject({ complete: true });
		expect(listing.retryAfterMs).toBeUndefined();
		expect(ids(listing)).toEqual([1]);
	});
});

describe('the items', () => {
	it('have the webhook item shape, with the listed record as the record', async () => {
		const stored = put('pick_ticket', 42, T - 3 * DAY, T - 10 * MINUTE, { status: 'open' });
		const listing = await list(['*']);
		expect(listing.records).toHaveLength(1);
		const [change] = listing.records;
		expect(change.json).toMatchObject({
			event: 'pick_ticket_update',
			resource: 'pick_ticket',
			action: 'update',
			id: 42,
			recordSource: 'api',
			deliveryKey: change.key,
			receivedAt: iso(T),
			fetch: { status: 'fetched' },
		});
		expect(change.json.record).toEqual(stored);
		expect(change.changedAtMs).toBe(T - 10 * MINUTE);
	});

	it("keys a change exactly as the webhook path keys the same change (also when updated_at is formatted differently)", async () => {
		const stored = put('receiving_ticket', 7, T - 3 * DAY, T - 10 * MINUTE);
		const [change] = (await list(['receiving_ticket_update'])).records;
		for (const updatedAt of [stored.updated_at, String(stored.updated_at).replace(/Z$/, '+00:00')]) {
			const body = fakeUphance.buildWebhookBody('receiving_ticket_update', { ...stored, updated_at: updatedAt });
			const parsed = parseUphanceEvent(body);
			if (!parsed.ok) throw new Error('the webhook body did not parse');
			expect(uphanceDeliveryKey(parsed.value, Buffer.from(JSON.stringify(body)))).toBe(change.key);
		}
		// a create of the same state has the same key (the key names the change, not the event)
		const createBody = fakeUphance.buildWebhookBody('receiving_ticket_create', stored);
		const create = parseUphanceEvent(createBody);
		if (!create.ok) throw new Error('the webhook body did not parse');
		expect(uphanceDeliveryKey(create.value, Buffer.from(JSON.stringify(createBody)))).toBe(change.key);
		expect(change.key).toBe(`uphance:receiving_ticket:7:${iso(T - 10 * MINUTE)}`);
	});
});

describe('changeOfRecord, catchUpEventName, resourcesToList', () => {
	const runAt = new Date(T);
	it('changeOfRecord needs an id and a time in the window', () => {
		const record = { id: 5, created_at: iso(T - 3 * DAY), updated_at: iso(T - 10 * MINUTE) };
		const all = new Set(['*']);
		expect(changeOfRecord('product', record, WINDOW, all, 'products', runAt)?.key).toBe(uphanceChangeKey('product', 5, record.updated_at));
		expect(changeOfRecord('product', { ...record, id: undefined }, WINDOW, all, 'products', runAt)).toBeUndefined();
		expect(changeOfRecord('product', { ...record, updated_at: undefined }, WINDOW, all, 'products', runAt)).toBeUndefined();
		expect(changeOfRecord('product', { ...record, updated_at: iso(T) }, WINDOW, all, 'products', runAt)).toBeUndefined();
		// without created_at the record counts as created when it changed
		expect(changeOfRecord('product', { id: 5, updated_at: iso(T - 10 * MINUTE) }, WINDOW, all, 'products', runAt)?.json.event).toBe('product_create');
	});

	it('catchUpEventName', () => {
		const sel = (...names: string[]) => new Set(names);
		expect(catchUpEventName('invoice', true, false, sel('invoice_create', 'invoice_update'))).toBe('invoice_create');
		expect(catchUpEventName('invoice', true, true, sel('invoice_update'))).toBe('invoice_update');
		expect(catchUpEventName('invoice', true, false, sel('invoice_update'))).toBeUndefined();
		expect(catchUpEventName('invoice', false, true, sel('invoice_create'))).toBeUndefined();
		expect(catchUpEventName('invoice', false, false, sel('invoice_update'))).toBe('invoice_update');
		expect(catchUpEventName('pick_ticket', true, false, sel('pick_ticket_update'))).toBe('pick_ticket_update');
		expect(catchUpEventName('invoice', true, false, sel('*'))).toBe('invoice_create');
		// an empty selection selects everything
		expect(catchUpEventName('invoice', false, false, sel())).toBe('invoice_update');
	});

	it('resourcesToList', () => {
		const resources = (...names: string[]) => resourcesToList(new Set(names)).map((r) => r.resource);
		expect(resources('*')).toEqual(CATCH_UP_RESOURCES.map((r) => r.resource));
		expect(resources('pick_ticket_update')).toEqual(['pick_ticket']);
		expect(resources('product_create', 'invoice_update')).toEqual(['invoice', 'product']);
		// deletes cannot be listed
		expect(resources('invoice_delete')).toEqual([]);
		expect(resources('sales_order_update')).toEqual([]);
	});
});

describe('a scan that cannot skip (issue 19, findings 1-3)', () => {
	interface Scan {
		runs: CatchUpListing[];
		emitted: Map<string, number>;
	}
	/** Runs the listing as the runner does: same window, resume from the last run, until complete. */
	async function scan(selected: string[], bounds: CatchUpBounds, between: (run: number) => void = () => undefined): Promise<Scan> {
		const emitted = new Map<string, number>();
		const runs: CatchUpListing[] = [];
		let resume: CatchUpResume | undefined;
		for (let run = 0; run < 20; run++) {
			if (run > 0) between(run);
			const listing = await list(selected, { bounds, isHandled: (k) => emitted.has(k), resume });
			runs.push(listing);
			for (const r of listing.records) emitted.set(r.key, (emitted.get(r.key) ?? 0) + 1);
			resume = listing.resume;
			if (listing.complete) break;
		}
		return { runs, emitted };
	}
	const changedIds = (s: Scan) => [...s.emitted.keys()].map((k) => Number(k.split(':')[2])).sort((a, b) => a - b);
	const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

	it('records deleted and created between runs move no unread record onto a page already read: 0 lost, each once', async () => {
		// 250 invoices changed 50 minutes before the run (an outage that long), one page per run
		fake.seed('invoice', 250, () => ({ created_at: iso(T - 2 * HOUR), updated_at: iso(T - 50 * MINUTE) }));
		const result = await scan(['invoice_update'], { maxPages: 1, maxRecords: 500 }, (run) => {
			if (run === 1) for (let id = 1; id <= 10; id++) fake.deleteRecord('invoice', id); // read by run 1
			if (run === 2) for (let id = 251; id <= 255; id++) put('invoice', id, T - 40 * MINUTE, T - 30 * MINUTE);
		});
		expect(result.runs.at(-1)?.complete).toBe(true);
		expect(changedIds(result)).toEqual(range(1, 255));
		expect([...result.emitted.values()].every((n) => n === 1)).toBe(true);
		// one query per scan: since_created_at never moved with the clock
		expect(new Set(listRequests().map((r) => queryOf(r).since_created_at)).size).toBe(1);
	});

	it.each([
		['pages of 50', { perPage: 50 }],
		['pages of 30 whose next_page is a URL', { perPage: 30, nextPage: 'url' }],
	])('reads a list of %s to the end Uphance declares, not to the first short page', async (_name, listing) => {
		fake.setListing(listing);
		fake.seed('receiving_ticket', 120, () => ({ created_at: iso(T - 2 * HOUR), updated_at: iso(T - 30 * MINUTE) }));
		const result = await list(['receiving_ticket_update']);
		expect(result.complete).toBe(true);
		expect(ids(result)).toEqual(range(1, 120));
		expect(listRequests()).toHaveLength(Math.ceil(120 / listing.perPage));
	});

	it('a list not in id order keeps no position: the next run reads it from the start, and the memory drops what was seen', async () => {
		fake.setListing({ order: 'updated_desc' });
		fake.seed('product', 150, (i) => ({ created_at: iso(T - 2 * HOUR), updated_at: iso(T - 50 * MINUTE + i * 1000) }));
		const result = await scan(['product_update'], { maxPages: 20, maxRecords: 100 });
		expect(result.runs.map((r) => r.records.length)).toEqual([100, 50]);
		expect(result.runs[0].resume).toEqual({ parts: { products: {} } });
		expect(changedIds(result)).toEqual(range(1, 150));
	});

	it('a resource that always fails is skipped and reported; the others are read; once it works its changes come', async () => {
		fake.refuseList('products', 403);
		put('pick_ticket', 1, T - 3 * DAY, T - 20 * MINUTE, { status: 'packed' });
		put('invoice', 2, T - 3 * DAY, T - 20 * MINUTE);
		put('product', 3, T - 3 * DAY, T - 20 * MINUTE);
		const failing = await list(['*']);
		expect(events(failing)).toEqual({ '1': 'pick_ticket_update', '2': 'invoice_update' });
		expect(failing.complete).toBe(false);
		// the scan is over (nothing left but the failed part): the next run lists a new window from the cursor
		expect(failing.resume).toBeUndefined();
		expect(failing.failures).toEqual([{ part: 'products', statusCode: 403, error: expect.stringMatching(/^Listing products \(page 1\) failed: .*403/) }]);
		// every other resource was listed after the failing one
		expect(listRequests().map((r) => r.path)).toEqual(['/pick_tickets', '/invoices', '/credit_notes', '/receiving_tickets', '/products']);
		// and named, so the next window lists them from its end on (run.ts, partCursorMs)
		expect(failing.partsDone).toEqual(['pick_tickets', 'invoices', 'credit_notes', 'receiving_tickets']);
		fake.refuseList('products', null);
		const recovered = await list(['*'], { isHandled: (k) => failing.records.some((r) => r.key === k) });
		expect(events(recovered)).toEqual({ '3': 'product_update' });
		expect(recovered.complete).toBe(true);
	});

	it('a resource with its own window start (window.partFromMs) is listed from there; the others from the window start', async () => {
		put('invoice', 1, T - 3 * DAY, T - 50 * MINUTE); // listed by an earlier window that products failed in
		put('invoice', 2, T - 3 * DAY, T - 10 * MINUTE);
		put('product', 3, T - 3 * DAY, T - 50 * MINUTE);
		put('invoice', 4, T - 30 * MINUTE, T - 30 * MINUTE);
		const listing = await list(['invoice_create', 'invoice_update', 'product_update'], {
			window: { ...WINDOW, partFromMs: { invoices: T - 40 * MINUTE } },
		});
		// invoice 1 stays out even though the memory no longer holds its key (isHandled is false)
		expect(events(listing)).toEqual({ '2': 'invoice_update', '3': 'product_update', '4': 'invoice_create' });
		expect(listing.complete).toBe(true);
	});

	it('a resource with its own window start asks since_created_at from it where that is before now - update window', async () => {
		const since = (path: string) => queryOf(listRequests().find((r) => r.path === path) as LoggedRequest).since_created_at;
		await list(['invoice_update', 'product_update'], {
			window: { fromMs: T - 20 * DAY, toMs: T - 2 * MINUTE, partFromMs: { invoices: T - 16 * DAY } },
		});
		expect(since('/products')).toBe(iso(T - 20 * DAY));
		expect(since('/invoices')).toBe(iso(T - 16 * DAY));
	});

	it('an answer without meta is a failure that names it, never an empty list', async () => {
		fake.setListing({ meta: false });
		put('invoice', 2, T - 3 * DAY, T - 20 * MINUTE);
		const listing = await list(['invoice_update']);
		expect(listing.complete).toBe(false);
		expect(listing.failures?.[0].error).toBe('Listing invoices (page 1) failed: Uphance\'s answer to GET /invoices (page 1) has no `meta` object (top-level keys: "invoices")');
	});
});

describe('closing the trigger (issue 19, finding 10)', () => {
	it('ends a listing in flight: no request after the trigger closed, and the listing is incomplete', async () => {
		fake.seed('invoice', 250, () => ({ created_at: iso(T - 2 * HOUR), updated_at: iso(T - 50 * MINUTE) }));
		let closed = false;
		const listing = await listUphanceChanges(send, {
			baseUrl: fake.url,
			selected: new Set(['*']),
			updateWindowMs: 14 * DAY,
			policy: { maxRetries: 2, timeoutMs: 10_000 },
			now: () => T,
		})(WINDOW, BOUNDS, (key) => ((closed = listRequests().length >= 2), false), undefined, () => closed);
		expect(listRequests()).toHaveLength(2);
		expect(listing).toMatchObject({ complete: false, error: 'the trigger was closed' });
	});
});

describe('events named as Uphance would have sent them (issue 19, finding 5)', () => {
	it('a record whose create the workflow saw is an update, not a second create', async () => {
		put('pick_ticket', 8, T - 40 * MINUTE, T - 10 * MINUTE, { status: 'packed' });
		const unseen = await list(['pick_ticket_create', 'pick_ticket_update']);
		expect(events(unseen)).toEqual({ '8': 'pick_ticket_create' });
		// the create is remembered by record, so the execution records it (staticData.ts, aliases)
		expect(unseen.records[0].json.deliveryAliases).toEqual(['uphance:pick_ticket:8:created']);
		const seen = await list(['pick_ticket_create', 'pick_ticket_update'], { isHandled: (k) => k === 'uphance:pick_ticket:8:created' });
		expect(events(seen)).toEqual({ '8': 'pick_ticket_update' });
		expect(seen.records[0].json.deliveryAliases).toBeUndefined();
	});

	it('the webhook path records the same alias for a create', () => {
		const body = { event: 'pick_ticket_create', pick_ticket: { id: 8, updated_at: iso(T) } };
		const parsed = parseUphanceEvent(body);
		if (!parsed.ok) throw new Error('did not parse');
		expect(uphanceCreatedKey('pick_ticket', parsed.value.id)).toBe('uphance:pick_ticket:8:created');
	});
});

describe('times (issue 19, finding 11; issue 20)', () => {
	it('a listed change with an offset, or without milliseconds, keys as the webhook with Z and milliseconds', async () => {
		put('invoice', 4, T - 3 * DAY, T - 20 * MINUTE);
		fake.setRecord('invoice', 4, { ...fake.record('invoice', 4), updated_at: '2026-03-01T12:40:00+01:00' });
		const [change] = (await list(['invoice_update'])).records;
		expect(change.changedAtMs).toBe(Date.parse('2026-03-01T11:40:00Z'));
		for (const webhookTime of ['2026-03-01T11:40:00.000Z', '2026-03-01T11:40:00.357Z', '2026-03-01T11:40:00Z', '2026-03-01T11:40:00'])
			expect(uphanceChangeKey('invoice', 4, webhookTime)).toBe(change.key);
	});
});
