/**
 * The fake Uphance API's own behaviour that the catch-up tests rely on (docs/catch-up.md §5,
 * §6): record timestamps, list filters and paging, webhook sending with Uphance's retries and
 * give-up, the "n8n is down" policy, and the echo of the workflow's own writes. Real HTTP both ways:
 * the fake on one loopback port, a tiny webhook receiver on another.
 */
import * as http from 'http';

/* eslint-disable @typescript-eslint/no-require-imports */
const fakeUphance = require('../support/fakeUphance');
const { freePort } = require('../support/n8nInstance') as { freePort: () => Promise<number> };

type Rec = Record<string, unknown> & { id: number; created_at: string; updated_at: string };
interface Attempt {
	event: string;
	id: number;
	updated_at: string;
	at: number;
	status?: number;
	error?: string;
	delivered: boolean;
	refused?: boolean;
	gaveUp?: boolean;
}
interface Outcome {
	delivered: boolean;
	gaveUp: boolean;
	attempts: number;
}
interface Fake {
	url: string;
	email: string;
	password: string;
	writes: Array<{ method: string; path: string; query: Record<string, string> }>;
	webhookAttempts: Attempt[];
	webhookUrl: string | null;
	setRecord(resource: string, id: number, record?: object): Rec;
	seed(resource: string, count: number, extra?: (i: number) => object, firstId?: number): void;
	record(resource: string, id: number): Rec;
	setWebhook(url: string | null, token?: string): void;
	emit(event: string, record: object): Promise<Outcome>;
	setDeliveryPolicy(policy: 'deliver' | 'refuse'): void;
	setDeliveryTiming(t: { retryEveryMs?: number; giveUpAfterMs?: number; deliveryTimeoutMs?: number }): void;
	setEchoes(on: boolean): void;
	setCreditNoteEnvelope(form: 'object' | 'list'): void;
	creditNoteEnvelope: 'object' | 'list';
	setRawAnswer(resource: string, id: number, body: unknown): void;
	setWebhookTimeFormat(form: 'sameAsApi' | 'zMillis'): void;
	setShipNeedsTracking(on: boolean): void;
	setListing(options: { perPage?: number; nextPage?: 'number' | 'url'; order?: 'id' | 'updated_desc'; meta?: boolean }): void;
	utcOffset: string;
	formatTime(value: number | string): string;
	parseTime(text: string): number;
	pendingDeliveries(): number;
	flushDeliveries(): Promise<void>;
	giveUpPending(): void;
	close(): Promise<void>;
}

const ORG = 9579;
/** Whole seconds with the organisation's offset, the fake's default '+01:00' (as Uphance writes them). */
const ISO_PLUS_ONE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\+01:00$/;
const ISO_MS_Z = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

/** A webhook receiver on loopback: answers `status` (settable) and keeps what it received. */
async function startReceiver() {
	const received: Array<{ url: string; body: { event: string; pick_ticket?: Rec } & Record<string, unknown> }> = [];
	const answers: number[] = []; // consumed one per request; then `status`
	const r = {
		status: 200,
		received,
		url: '',
		answerNext: (...statuses: number[]) => answers.push(...statuses),
		close: () =>
			new Promise<void>((resolve) => {
				server.closeAllConnections();
				server.close(() => resolve());
			}),
	};
	const server = http.createServer((req, res) => {
		const chunks: Buffer[] = [];
		req.on('data', (c: Buffer) => chunks.push(c));
		req.on('end', () => {
			received.push({ url: req.url || '', body: JSON.parse(Buffer.concat(chunks).toString('utf8')) });
			const status = answers.length ? answers.shift()! : r.status;
			res.writeHead(status, { 'content-type': 'application/json' });
			res.end(JSON.stringify({ ok: status < 300 }));
		});
	});
	await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
	r.url = `http://127.0.0.1:${(server.address() as { port: number }).port}/webhook/abc`;
	return r;
}

let fake: Fake;
let receiver: Awaited<ReturnType<typeof startReceiver>>;

beforeEach(async () => {
	fake = await fakeUphance.start({ organisations: [{ id: ORG, name: 'Demo' }], retryEveryMs: 40, giveUpAfterMs: 400 });
	receiver = await startReceiver();
});
afterEach(async () => {
	await fake.close();
	await receiver.close();
});

/** Signs in as the fake requires: password grant, then set_current_org. Returns the bearer token. */
async function signIn(): Promise<string> {
	const t = await fetch(`${fake.url}/oauth/token`, {
		method: 'POST',
		headers: { 'content-type': 'application/json' },
		body: JSON.stringify({ email: fake.email, password: fake.password, grant_type: 'password' }),
	});
	expect(t.status).toBe(200);
	const { access_token: token } = (await t.json()) as { access_token: string };
	const o = await fetch(`${fake.url}/organisations/set_current_org`, {
		method: 'POST',
		headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
		body: JSON.stringify({ organizationId: ORG }),
	});
	expect(o.status).toBe(201);
	return token;
}

async function api(token: string, method: string, path: string) {
	const r = await fetch(`${fake.url}${path}`, { method, headers: { authorization: `Bearer ${token}` } });
	return { status: r.status, json: (await r.json()) as Record<string, unknown> };
}

async function list(token: string, path: string, key: string) {
	const { status, json } = await api(token, 'GET', path);
	expect(status).toBe(200);
	return { ids: (json[key] as Rec[]).map((r) => r.id), meta: json.meta as Record<string, unknown> };
}

const until = async (cond: () => boolean, ms = 3000) => {
	const end = Date.now() + ms;
	while (!cond()) {
		if (Date.now() > end) throw new Error('condition not met in time');
		await new Promise((r) => setTimeout(r, 10));
	}
};

describe('fake Uphance: record timestamps', () => {
	it("every record has created_at and updated_at (whole seconds, the organisation's offset); setting it again keeps created_at and moves updated_at strictly later", () => {
		expect(fake.utcOffset).toBe('+01:00');
		const first = fake.setRecord('pick_ticket', 1);
		expect(first.created_at).toMatch(ISO_PLUS_ONE);
		expect(first.updated_at).toMatch(ISO_PLUS_ONE);
		const bare = fake.setRecord('season', 2, { id: 2, name: 'SS26' });
		expect(bare.created_at).toMatch(ISO_PLUS_ONE);
		expect(bare.updated_at).toBe(bare.created_at);
		let previous = first;
		for (let i = 0; i < 20; i++) {
			// many within one second: each still strictly later, by a whole second
			const next = fake.setRecord('pick_ticket', 1, { ...fake.record('pick_ticket', 1), status: `s${i}` });
			expect(next.created_at).toBe(first.created_at);
			expect(Date.parse(next.updated_at)).toBeGreaterThan(Date.parse(previous.updated_at));
			expect(next.updated_at).toMatch(ISO_PLUS_ONE);
			previous = next;
		}
		expect(fake.record('pick_ticket', 1)).toEqual(previous);
	});

	it.each([
		[{ utcOffset: '-05:00', millis: true }, '2026-03-01T07:00:00.000-05:00'],
		[{ utcOffset: '+00:00' }, '2026-03-01T12:00:00+00:00'],
		[{ utcOffset: 'Z', millis: true }, '2026-03-01T12:00:00.000Z'],
		[{}, '2026-03-01T13:00:00+01:00'],
	])('start(%j) writes 12:00:00.456 UTC as %s (to the whole second)', async (opts, written) => {
		const other = await fakeUphance.start(opts);
		try {
			expect(other.formatTime(Date.parse('2026-03-01T12:00:00.456Z'))).toBe(written);
			expect(other.parseTime(written)).toBe(Date.parse('2026-03-01T12:00:00Z'));
			const rec = other.setRecord('invoice', 1);
			expect(other.parseTime(rec.updated_at)).toBeGreaterThan(0);
			expect(rec.updated_at.slice(19)).toBe(written.slice(19));
		} finally {
			await other.close();
		}
	});

	it('reads every offset, and a time without a zone as UTC, whatever the process zone', () => {
		const noon = Date.parse('2026-03-01T12:00:00Z');
		for (const t of ['2026-03-01T12:00:00Z', '2026-03-01T13:00:00+01:00', '2026-03-01T07:00:00.000-0500', '2026-03-01T12:00:00', '2026-03-01T12:00:00.000+00:00'])
			expect([t, fake.parseTime(t)]).toEqual([t, noon]);
		expect(fake.parseTime('not a time')).toBeNaN();
		expect(() => fakeUphance.start({ utcOffset: 'CET' })).toThrow(/unreadable utcOffset/);
		expect(() => fakeUphance.start({ webhookTimeFormat: 'iso' })).toThrow(/unknown webhook time format/);
	});

	it('moves updated_at strictly later than a given one in another offset (compared as instants)', () => {
		const future = new Date(Date.now() + 3600_000);
		const given = fakeUphance.formatTime(future.getTime(), { utcOffset: '-05:00' });
		fake.setRecord('pick_ticket', 3, { id: 3, updated_at: given });
		const next = fake.setRecord('pick_ticket', 3, { ...fake.record('pick_ticket', 3), status: 'x' });
		expect(next.updated_at).toMatch(ISO_PLUS_ONE);
		expect(Date.parse(next.updated_at) - Math.floor(future.getTime() / 1000) * 1000).toBe(1000);
	});

	it('keeps timestamps a test gives explicitly', () => {
		const rec = fake.setRecord('invoice', 7, { id: 7, created_at: '2024-05-01T03:04:05.123Z', updated_at: '2024-05-02T03:04:05.123Z' });
		expect(rec).toMatchObject({ created_at: '2024-05-01T03:04:05.123Z', updated_at: '2024-05-02T03:04:05.123Z' });
		const again = fake.setRecord('invoice', 7, { ...rec, updated_at: '2024-06-01T00:00:00.000Z' });
		expect(again).toMatchObject({ created_at: '2024-05-01T03:04:05.123Z', updated_at: '2024-06-01T00:00:00.000Z' });
	});

	it('the tracking PUT and the ship PUT set their fields and move updated_at strictly later', async () => {
		const token = await signIn();
		// copies: the fake's writes change the stored record in place
		const before = { ...fake.setRecord('pick_ticket', 42, fakeUphance.sampleRecord('pick_ticket', 42, { status: 'packed' })) };
		const t = await api(token, 'PUT', '/pick_tickets/42?tracking_number=TRK-1&carrier=dhl');
		expect(t.status).toBe(200);
		const tracked = { ...fake.record('pick_ticket', 42) };
		expect(tracked).toMatchObject({ tracking_number: 'TRK-1', carrier: 'dhl', status: 'packed', created_at: before.created_at });
		expect(Date.parse(tracked.updated_at)).toBeGreaterThan(Date.parse(before.updated_at));
		expect(t.json.pick_ticket).toEqual(tracked);
		const trackedAt = tracked.updated_at;
		const s = await api(token, 'PUT', '/pick_tickets/42/ship');
		expect(s.status).toBe(200);
		const shipped = fake.record('pick_ticket', 42);
		expect(shipped).toMatchObject({ status: 'shipped', tracking_number: 'TRK-1', created_at: before.created_at });
		expect(Date.parse(shipped.updated_at)).toBeGreaterThan(Date.parse(trackedAt));
		expect(fake.writes.map((w) => `${w.method} ${w.path}`)).toEqual(['PUT /pick_tickets/42', 'PUT /pick_tickets/42/ship']);
	});

	it('ships a ticket without a tracking number (no source says Uphance refuses it); the assumed refusal is opt-in', async () => {
		const token = await signIn();
		fake.setRecord('pick_ticket', 43, fakeUphance.sampleRecord('pick_ticket', 43, { status: 'packed' }));
		expect((await api(token, 'PUT', '/pick_tickets/43/ship')).status).toBe(200);
		expect(fake.record('pick_ticket', 43)).toMatchObject({ status: 'shipped' });
		expect(fake.record('pick_ticket', 43).tracking_number).toBeUndefined();

		fake.setShipNeedsTracking(true);
		fake.setRecord('pick_ticket', 44, fakeUphance.sampleRecord('pick_ticket', 44, { status: 'packed' }));
		expect(await api(token, 'PUT', '/pick_tickets/44/ship')).toEqual({ status: 422, json: { errors: ['Tracking number must be set before shipping'] } });
		expect(fake.record('pick_ticket', 44).status).toBe('packed');
		fake.setShipNeedsTracking(false);
		expect((await api(token, 'PUT', '/pick_tickets/44/ship')).status).toBe(200);
	});
});

describe('fake Uphance: lists', () => {
	const LISTS: Array<[string, string]> = [
		['pick_ticket', 'pick_tickets'],
		['invoice', 'invoices'],
		['receiving_ticket', 'receiving_tickets'],
		['product', 'products'],
		['credit_note', 'credit_notes'],
	];

	it.each(LISTS)('%s: ascending ids, since_id (greater than), since_created_at (>=), 100 a page with meta', async (resource, path) => {
		const token = await signIn();
		const t0 = Date.parse('2026-01-01T00:00:00.000Z');
		const createdAt = (id: number) => new Date(t0 + id * 60000).toISOString();
		// seeded out of order: the list still comes back by id
		for (const id of [...Array.from({ length: 250 }, (_, i) => 250 - i)])
			fake.setRecord(resource, id, fakeUphance.sampleRecord(resource, id, { created_at: createdAt(id) }));

		const page1 = await list(token, `/${path}?page=1`, path);
		expect(page1.ids).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
		expect(page1.meta).toEqual({ current_page: 1, next_page: 2, prev_page: null, total_pages: 3, total_count: 250 });
		const page3 = await list(token, `/${path}?page=3`, path);
		expect(page3.ids).toEqual(Array.from({ length: 50 }, (_, i) => i + 201));
		expect(page3.meta).toMatchObject({ current_page: 3, next_page: null, prev_page: 2 });

		const sinceId = await list(token, `/${path}?since_id=180&page=1`, path);
		expect(sinceId.ids).toEqual(Array.from({ length: 70 }, (_, i) => i + 181));
		expect(sinceId.meta).toMatchObject({ next_page: null, total_count: 70, total_pages: 1 });

		const since = await list(token, `/${path}?since_created_at=${encodeURIComponent(createdAt(240))}`, path);
		expect(since.ids).toEqual(Array.from({ length: 11 }, (_, i) => i + 240)); // 240 itself: >=
		// the same instant in the organisation's offset, or in another, selects the same records
		for (const offset of ['+01:00', '-05:00']) {
			const at = fakeUphance.formatTime(Date.parse(createdAt(240)), { utcOffset: offset });
			expect((await list(token, `/${path}?since_created_at=${encodeURIComponent(at)}`, path)).ids).toEqual(since.ids);
		}

		const nothing = await list(token, `/${path}?since_id=250`, path);
		expect(nothing.ids).toEqual([]);
		expect(nothing.meta).toMatchObject({ next_page: null, total_count: 0 });
	});

	it('since_created_at and the newest-change order compare instants, not texts, across offsets', async () => {
		const token = await signIn();
		// 1: 12:00 UTC written +01:00; 2: 11:30 UTC written -05:00 (its text sorts after 1's); 3: 12:30 UTC as Z
		fake.setRecord('product', 1, { id: 1, created_at: '2026-03-01T13:00:00+01:00', updated_at: '2026-03-01T13:00:00+01:00' });
		fake.setRecord('product', 2, { id: 2, created_at: '2026-03-01T06:30:00-05:00', updated_at: '2026-03-01T06:30:00-05:00' });
		fake.setRecord('product', 3, { id: 3, created_at: '2026-03-01T12:30:00.000Z', updated_at: '2026-03-01T12:30:00.000Z' });
		expect((await list(token, `/products?since_created_at=${encodeURIComponent('2026-03-01T12:00:00Z')}`, 'products')).ids).toEqual([1, 3]);
		expect((await list(token, `/products?since_created_at=${encodeURIComponent('2026-03-01T12:00:00')}`, 'products')).ids).toEqual([1, 3]);
		fake.setListing({ order: 'updated_desc' });
		expect((await list(token, '/products', 'products')).ids).toEqual([3, 1, 2]);
	});

	it('GET /invoices?since_id without invoice_id is the list; with invoice_id the single invoice', async () => {
		const token = await signIn();
		fake.seed('invoice', 5);
		expect((await list(token, '/invoices?since_id=3', 'invoices')).ids).toEqual([4, 5]);
		expect((await list(token, '/invoices?invoice_id=2', 'invoices')).ids).toEqual([2]);
	});
});

describe('fake Uphance: single-record answers', () => {
	it('answers GET /credit_notes/:id with one object under the plural key by default', async () => {
		const token = await signIn();
		const rec = fake.setRecord('credit_note', 7);
		expect(fake.creditNoteEnvelope).toBe('object');
		expect(await api(token, 'GET', '/credit_notes/7')).toEqual({ status: 200, json: { credit_notes: rec } });
	});

	it('answers the older list-of-one form when asked, at start or later', async () => {
		const token = await signIn();
		const rec = fake.setRecord('credit_note', 7);
		fake.setCreditNoteEnvelope('list');
		expect(await api(token, 'GET', '/credit_notes/7')).toEqual({ status: 200, json: { credit_notes: [rec] } });
		fake.setCreditNoteEnvelope('object');
		expect((await api(token, 'GET', '/credit_notes/7')).json).toEqual({ credit_notes: rec });
		expect(() => fake.setCreditNoteEnvelope('array' as never)).toThrow(/unknown credit note envelope/);

		const listFake = await fakeUphance.start({ creditNoteEnvelope: 'list' });
		try {
			expect(listFake.creditNoteEnvelope).toBe('list');
		} finally {
			await listFake.close();
		}
		expect(() => fakeUphance.start({ creditNoteEnvelope: 'array' })).toThrow(/unknown credit note envelope/);
	});

	it('answers a raw body, as is, to the GET of a record when told to, until told to stop', async () => {
		const token = await signIn();
		const rec = fake.setRecord('credit_note', 8);
		fake.setRawAnswer('credit_note', 8, { data: { id: 8 } });
		expect(await api(token, 'GET', '/credit_notes/8')).toEqual({ status: 200, json: { data: { id: 8 } } });
		fake.setRawAnswer('credit_note', 8, null);
		expect((await api(token, 'GET', '/credit_notes/8')).json).toEqual({ credit_notes: rec });
	});
});

describe('fake Uphance: webhook sending', () => {
	it('POSTs {event, <resource>: record} as JSON to the full URL, token included', async () => {
		fake.setWebhook(`${receiver.url}?token=secret-1`);
		const rec = fake.setRecord('pick_ticket', 5);
		const outcome = await fake.emit('pick_ticket_update', rec);
		expect(outcome).toEqual({ delivered: true, gaveUp: false, attempts: 1 });
		expect(receiver.received).toHaveLength(1);
		expect(receiver.received[0].url).toBe('/webhook/abc?token=secret-1');
		expect(receiver.received[0].body).toEqual({ event: 'pick_ticket_update', pick_ticket: rec });
		expect(fake.webhookAttempts).toEqual([
			{ event: 'pick_ticket_update', id: 5, updated_at: rec.updated_at, at: expect.any(Number), status: 200, delivered: true },
		]);
		fake.setWebhook(receiver.url, 'tok-2');
		expect(fake.webhookUrl).toBe(`${receiver.url}?token=tok-2`);
		await fake.emit('invoice_create', fake.setRecord('invoice', 6));
		expect(receiver.received[1].body).toMatchObject({ event: 'invoice_create', invoice: { id: 6 } });
		fake.setWebhook(null);
		expect(() => fake.emit('pick_ticket_update', rec)).toThrow(/setWebhook/);
	});

	it("'zMillis' sends the record's times as `Z` with milliseconds, the same instants; the API answer keeps the offset", async () => {
		const token = await signIn();
		fake.setWebhook(receiver.url);
		const rec = fake.setRecord('pick_ticket', 15);
		expect(rec.updated_at).toMatch(ISO_PLUS_ONE);
		await fake.emit('pick_ticket_update', rec); // default 'sameAsApi': as stored
		expect(receiver.received[0].body.pick_ticket).toEqual(rec);
		fake.setWebhookTimeFormat('zMillis');
		await fake.emit('pick_ticket_update', rec);
		const sent = receiver.received[1].body.pick_ticket!;
		expect(sent.updated_at).toMatch(ISO_MS_Z);
		expect(sent.created_at).toMatch(ISO_MS_Z);
		expect(Date.parse(sent.updated_at)).toBe(Date.parse(rec.updated_at));
		expect(Date.parse(sent.created_at)).toBe(Date.parse(rec.created_at));
		expect({ ...sent, created_at: rec.created_at, updated_at: rec.updated_at }).toEqual(rec);
		expect(fake.webhookAttempts[1].updated_at).toBe(sent.updated_at); // the attempt log says what was sent
		expect((await api(token, 'GET', '/pick_tickets/15')).json).toEqual({ pick_ticket: rec });
		expect(() => fake.setWebhookTimeFormat('iso' as never)).toThrow(/unknown webhook time format/);
	});

	it('retries a non-2xx answer every retryEveryMs with the same body until delivered', async () => {
		fake.setWebhook(receiver.url);
		receiver.answerNext(503, 500);
		const rec = fake.setRecord('pick_ticket', 8);
		const done = fake.emit('pick_ticket_update', rec);
		fake.setRecord('pick_ticket', 8, { ...rec, status: 'changed later' }); // retries repeat the emitted copy
		expect(fake.pendingDeliveries()).toBe(1);
		expect(await done).toEqual({ delivered: true, gaveUp: false, attempts: 3 });
		expect(fake.pendingDeliveries()).toBe(0);
		expect(fake.webhookAttempts.map((a) => [a.status, a.delivered])).toEqual([
			[503, false],
			[500, false],
			[200, true],
		]);
		const gaps = fake.webhookAttempts.slice(1).map((a, i) => a.at - fake.webhookAttempts[i].at);
		for (const g of gaps) expect(g).toBeGreaterThanOrEqual(35);
		expect(new Set(receiver.received.map((r) => JSON.stringify(r.body))).size).toBe(1);
		expect(receiver.received[2].body.pick_ticket!.status).toBe(rec.status);
	});

	it('gives up after giveUpAfterMs; the last attempt says gaveUp; flushDeliveries resolves then', async () => {
		fake.setWebhook(receiver.url);
		receiver.status = 503;
		const t0 = Date.now();
		fake.emit('pick_ticket_update', fake.setRecord('pick_ticket', 9));
		fake.emit('pick_ticket_update', fake.setRecord('pick_ticket', 10));
		expect(fake.pendingDeliveries()).toBe(2);
		await fake.flushDeliveries();
		const took = Date.now() - t0;
		expect(took).toBeGreaterThanOrEqual(300);
		expect(took).toBeLessThan(2000);
		expect(fake.pendingDeliveries()).toBe(0);
		for (const id of [9, 10]) {
			const mine = fake.webhookAttempts.filter((a) => a.id === id);
			expect(mine.length).toBeGreaterThanOrEqual(3); // ~10 at 40 ms; fewer when the machine is busy
			expect(mine.every((a) => a.status === 503 && !a.delivered)).toBe(true);
			expect(mine.map((a) => a.gaveUp === true)).toEqual([...Array(mine.length - 1).fill(false), true]);
			// no attempt is started after the window (the timer that starts it may run a little late)
			expect(mine[mine.length - 1].at - mine[0].at).toBeLessThan(400 + 250);
		}
	});

	it('a network error is an attempt with `error`, retried like a non-2xx', async () => {
		fake.setWebhook(`http://127.0.0.1:${await freePort()}/webhook/x`);
		fake.setDeliveryTiming({ giveUpAfterMs: 150 });
		const outcome = await fake.emit('product_update', fake.setRecord('product', 11));
		expect(outcome).toMatchObject({ delivered: false, gaveUp: true });
		expect(outcome.attempts).toBeGreaterThanOrEqual(2);
		expect(fake.webhookAttempts.every((a) => typeof a.error === 'string' && a.status === undefined && !a.delivered)).toBe(true);
	});

	it("'refuse' (n8n down) records not-delivered attempts without any HTTP request, retries, and gives up", async () => {
		fake.setWebhook(receiver.url);
		fake.setDeliveryPolicy('refuse');
		const outcome = await fake.emit('pick_ticket_update', fake.setRecord('pick_ticket', 12));
		expect(outcome).toMatchObject({ delivered: false, gaveUp: true });
		expect(receiver.received).toHaveLength(0);
		expect(fake.webhookAttempts.length).toBe(outcome.attempts);
		expect(fake.webhookAttempts.every((a) => a.refused === true && !a.delivered && a.status === undefined)).toBe(true);
		expect(fake.webhookAttempts[fake.webhookAttempts.length - 1].gaveUp).toBe(true);
	});

	it("a refused delivery still within the retry window arrives once the policy is 'deliver' again", async () => {
		fake.setWebhook(receiver.url);
		fake.setDeliveryPolicy('refuse');
		fake.setDeliveryTiming({ giveUpAfterMs: 5000 });
		const done = fake.emit('pick_ticket_update', fake.setRecord('pick_ticket', 13));
		await until(() => fake.webhookAttempts.length >= 2);
		fake.setDeliveryPolicy('deliver');
		expect(await done).toMatchObject({ delivered: true, gaveUp: false });
		expect(receiver.received).toHaveLength(1);
		expect(fake.webhookAttempts[fake.webhookAttempts.length - 1]).toMatchObject({ status: 200, delivered: true });
	});

	it('giveUpPending() drops every pending delivery at once (the 48 h have passed)', async () => {
		fake.setWebhook(receiver.url);
		fake.setDeliveryPolicy('refuse');
		fake.setDeliveryTiming({ giveUpAfterMs: 60000 });
		const done = fake.emit('pick_ticket_update', fake.setRecord('pick_ticket', 14));
		expect(fake.pendingDeliveries()).toBe(1);
		fake.giveUpPending();
		expect(fake.pendingDeliveries()).toBe(0);
		expect(await done).toMatchObject({ delivered: false, gaveUp: true, attempts: 1 });
		expect(fake.webhookAttempts).toEqual([expect.objectContaining({ id: 14, refused: true, delivered: false, gaveUp: true })]);
		await fake.flushDeliveries();
	});
});

describe('fake Uphance: echoes of the workflow\'s own writes', () => {
	it('a tracking PUT and a ship PUT each send pick_ticket_update with the updated record', async () => {
		const token = await signIn();
		fake.setWebhook(`${receiver.url}?token=t`);
		fake.setRecord('pick_ticket', 77, fakeUphance.sampleRecord('pick_ticket', 77, { status: 'packed' }));
		expect((await api(token, 'PUT', '/pick_tickets/77?tracking_number=TRK-77&carrier=dhl')).status).toBe(200);
		await fake.flushDeliveries();
		const afterTracking = { ...fake.record('pick_ticket', 77) };
		expect(receiver.received).toHaveLength(1);
		expect(receiver.received[0].url).toBe('/webhook/abc?token=t');
		expect(receiver.received[0].body).toEqual({ event: 'pick_ticket_update', pick_ticket: afterTracking });
		expect(receiver.received[0].body.pick_ticket).toMatchObject({ tracking_number: 'TRK-77', carrier: 'dhl', status: 'packed' });

		expect((await api(token, 'PUT', '/pick_tickets/77/ship')).status).toBe(200);
		await fake.flushDeliveries();
		const afterShip = fake.record('pick_ticket', 77);
		expect(receiver.received).toHaveLength(2);
		expect(receiver.received[1].body).toEqual({ event: 'pick_ticket_update', pick_ticket: afterShip });
		expect(afterShip.status).toBe('shipped');
		// two echoes, two different updated_at: two different delivery keys for a receiver
		expect(fake.webhookAttempts.map((a) => [a.event, a.id, a.updated_at, a.delivered])).toEqual([
			['pick_ticket_update', 77, afterTracking.updated_at, true],
			['pick_ticket_update', 77, afterShip.updated_at, true],
		]);
		expect(afterShip.updated_at).not.toBe(afterTracking.updated_at);
		expect(fake.writes).toHaveLength(2);
	});

	it('a write that fails (a ticket that is not there: 404; the opt-in 422) echoes nothing; no webhook URL, nothing is sent', async () => {
		const token = await signIn();
		fake.setRecord('pick_ticket', 78, fakeUphance.sampleRecord('pick_ticket', 78, { status: 'packed' }));
		expect((await api(token, 'PUT', '/pick_tickets/78?tracking_number=TRK-78')).status).toBe(200); // no URL yet
		fake.setWebhook(receiver.url);
		expect((await api(token, 'PUT', '/pick_tickets/7900/ship')).status).toBe(404);
		fake.setShipNeedsTracking(true);
		fake.setRecord('pick_ticket', 79, fakeUphance.sampleRecord('pick_ticket', 79, { status: 'packed' }));
		expect((await api(token, 'PUT', '/pick_tickets/79/ship')).status).toBe(422);
		await fake.flushDeliveries();
		expect(fake.webhookAttempts).toEqual([]);
		expect(receiver.received).toHaveLength(0);
	});

	it('setEchoes(false): the writes happen and are recorded, no webhook is sent', async () => {
		const token = await signIn();
		fake.setWebhook(receiver.url);
		fake.setEchoes(false);
		fake.setRecord('pick_ticket', 80, fakeUphance.sampleRecord('pick_ticket', 80, { status: 'packed' }));
		expect((await api(token, 'PUT', '/pick_tickets/80?tracking_number=TRK-80')).status).toBe(200);
		expect((await api(token, 'PUT', '/pick_tickets/80/ship')).status).toBe(200);
		await fake.flushDeliveries();
		expect(fake.writes.map((w) => w.path)).toEqual(['/pick_tickets/80', '/pick_tickets/80/ship']);
		expect(fake.record('pick_ticket', 80).status).toBe('shipped');
		expect(fake.webhookAttempts).toEqual([]);
		expect(receiver.received).toHaveLength(0);
		fake.setEchoes(true);
		expect((await api(token, 'PUT', '/pick_tickets/80?carrier=ups')).status).toBe(200);
		await fake.flushDeliveries();
		expect(receiver.received).toHaveLength(1);
	});

	it('an echo refused while n8n is down is recorded as not delivered', async () => {
		const token = await signIn();
		fake.setWebhook(receiver.url);
		fake.setDeliveryPolicy('refuse');
		fake.setRecord('pick_ticket', 81, fakeUphance.sampleRecord('pick_ticket', 81, { status: 'packed' }));
		expect((await api(token, 'PUT', '/pick_tickets/81?tracking_number=TRK-81')).status).toBe(200);
		await fake.flushDeliveries();
		expect(receiver.received).toHaveLength(0);
		expect(fake.webhookAttempts.length).toBeGreaterThan(0);
		expect(fake.webhookAttempts.every((a) => a.id === 81 && a.refused && !a.delivered)).toBe(true);
		expect(fake.webhookAttempts[fake.webhookAttempts.length - 1].gaveUp).toBe(true);
	});
});
