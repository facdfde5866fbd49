import { createHash } from 'crypto';

import { isEventSelected, selectedEventNames } from '../../nodes/shared/eventSelection';
import { checkUrlToken } from '../../nodes/UphanceTrigger/urlToken';
import { parseUphanceEvent, splitEventName, uphanceChangeKey, uphanceDeliveryKey } from '../../nodes/UphanceTrigger/uphanceEvent';
import type { UphanceEvent } from '../../nodes/UphanceTrigger/uphanceEvent';
import { extractRecord, recordEndpoint } from '../../nodes/Uphance/transport/records';
import { pendingFetchOfItem, pendingOrSkipped, skippedOutcome, uphanceItemJson } from '../../nodes/UphanceTrigger/uphanceRecord';

function parsed(body: unknown): UphanceEvent {
	const step = parseUphanceEvent(body);
	if (!step.ok) throw new Error(`expected a valid event, got ${step.refusal.message}`);
	return step.value;
}

function refusal(body: unknown): { status: number; message: string } {
	const step = parseUphanceEvent(body);
	if (step.ok) throw new Error('expected a refusal');
	return step.refusal;
}

describe('event names', () => {
	it.each([
		['pick_ticket_update', 'pick_ticket', 'update'],
		['receiving_ticket_delete', 'receiving_ticket', 'delete'],
		['credit_note_create', 'credit_note', 'create'],
		['product_create', 'product', 'create'],
		['sales_order_shipped', 'sales_order', 'shipped'],
	])('splits %s on the last underscore', (event, resource, action) => {
		expect(splitEventName(event)).toEqual({ resource, action });
	});

	it.each(['pickticket', '_update', 'pick_ticket_', ''])('has no resource/action in %p', (event) => {
		expect(splitEventName(event)).toBeUndefined();
	});
});

describe('parsing the webhook body', () => {
	it('takes the resource object named by the event', () => {
		const event = parsed({ event: 'pick_ticket_update', pick_ticket: { id: 123, updated_at: '2024-05-01T03:04:05.123Z', status: 'shipped' } });
		expect(event).toMatchObject({ event: 'pick_ticket_update', resource: 'pick_ticket', action: 'update', id: 123 });
		expect(event.payload.status).toBe('shipped');
	});

	it('accepts string ids and unknown events with their resource object', () => {
		const event = parsed({ event: 'season_create', season: { id: 'S-7' } });
		expect(event).toMatchObject({ resource: 'season', action: 'create', id: 'S-7' });
	});

	it.each([
		['no event', { pick_ticket: { id: 1 } }, /missing field `event`/],
		['event not a string', { event: 5, pick_ticket: { id: 1 } }, /field `event` must be string/],
		['empty event', { event: '  ', pick_ticket: { id: 1 } }, /`event`/],
		['event without action', { event: 'pickticket', pickticket: { id: 1 } }, /not of the form <resource>_<action>/],
		['resource object missing (body uses the event name as key)', { event: 'pick_ticket_update', pick_ticket_update: { id: 1 } }, /missing field `pick_ticket`/],
		['resource object missing', { event: 'invoice_create' }, /missing field `invoice`/],
		['resource is an array', { event: 'invoice_create', invoice: [{ id: 1 }] }, /non-object field `invoice`/],
		['resource without id', { event: 'invoice_create', invoice: { number: 'X' } }, /missing field `invoice.id`/],
		['resource with an object id', { event: 'invoice_create', invoice: { id: { a: 1 } } }, /unusable field `invoice.id`/],
		['body is an array', [{ event: 'invoice_create' }], /must be object/],
	])('refuses with 400 naming what is missing: %s', (_name, body, message) => {
		const r = refusal(body);
		expect(r.status).toBe(400);
		expect(r.message).toMatch(message);
	});
});

describe('event selection', () => {
	it('selects everything with All Events, and typed names case-insensitively', () => {
		expect(isEventSelected('anything_new', selectedEventNames(['*'], ''))).toBe(true);
		const chosen = selectedEventNames(['pick_ticket_update'], ' Sales_Order_Create,customer_update ');
		expect(isEventSelected('pick_ticket_update', chosen)).toBe(true);
		expect(isEventSelected('sales_order_create', chosen)).toBe(true);
		expect(isEventSelected('customer_update', chosen)).toBe(true);
		expect(isEventSelected('pick_ticket_delete', chosen)).toBe(false);
	});
});

describe('delivery keys', () => {
	it('uses resource, id and updated_at: the key catch-up computes from the listed record', () => {
		const body = { event: 'pick_ticket_update', pick_ticket: { id: 123, updated_at: '2024-05-01T03:04:05.123Z' } };
		// to the whole second: the API writes whole seconds where a webhook body may carry milliseconds
		expect(uphanceDeliveryKey(parsed(body), Buffer.from(JSON.stringify(body)))).toBe('uphance:pick_ticket:123:2024-05-01T03:04:05.000Z');
		expect(uphanceChangeKey('pick_ticket', 123, '2024-05-01T03:04:05.123Z')).toBe(uphanceDeliveryKey(parsed(body), Buffer.from(JSON.stringify(body))));
	});

	it('reads updated_at as a time, so the webhook and the API may format it differently', () => {
		expect(uphanceChangeKey('invoice', 9, '2024-05-01T03:04:05.123+00:00')).toBe('uphance:invoice:9:2024-05-01T03:04:05.000Z');
		expect(uphanceChangeKey('invoice', 9, '2024-05-01T05:04:05.123+02:00')).toBe('uphance:invoice:9:2024-05-01T03:04:05.000Z');
		expect(uphanceChangeKey('invoice', 9, '2024-05-01T05:04:05+02:00')).toBe('uphance:invoice:9:2024-05-01T03:04:05.000Z');
		expect(uphanceChangeKey('invoice', 9, '2024-04-30T22:04:05.999-05:00')).toBe('uphance:invoice:9:2024-05-01T03:04:05.000Z');
		// no zone: UTC, on every process (nodes/shared/time.ts)
		expect(uphanceChangeKey('invoice', 9, '2024-05-01T03:04:05')).toBe('uphance:invoice:9:2024-05-01T03:04:05.000Z');
		expect(uphanceChangeKey('invoice', 9, 'not a time')).toBe('uphance:invoice:9:not a time');
		expect(uphanceChangeKey('invoice', 9, undefined)).toBeUndefined();
		expect(uphanceChangeKey('invoice', 9, '  ')).toBeUndefined();
	});

	it('is the same for a redelivery with reordered fields and differs for a new update', () => {
		const a = { event: 'invoice_update', invoice: { id: 9, updated_at: '2024-05-01T00:00:00.000Z', total: 1 } };
		const b = { invoice: { total: 1, updated_at: '2024-05-01T00:00:00.000Z', id: 9 }, event: 'invoice_update' };
		const c = { event: 'invoice_update', invoice: { id: 9, updated_at: '2024-05-01T00:00:01.000Z', total: 2 } };
		const key = (x: unknown) => uphanceDeliveryKey(parsed(x), Buffer.from(JSON.stringify(x)));
		expect(key(a)).toBe(key(b));
		expect(key(a)).not.toBe(key(c));
		// a create and an update showing the same updated_at show the same state: one change
		expect(key({ ...a, event: 'invoice_create' })).toBe(key(a));
		// a delete never passes for the last update of the same record
		expect(key({ ...a, event: 'invoice_delete' })).not.toBe(key(a));
		expect(key({ ...a, event: 'invoice_delete' })).toBe('uphance:invoice_delete:9:2024-05-01T00:00:00.000Z');
	});

	it('falls back to the SHA-256 of the raw body without updated_at', () => {
		const raw = Buffer.from('{"event":"pick_ticket_delete","pick_ticket":{"id":5}}');
		const expected = `uphance:sha256:${createHash('sha256').update(raw).digest('hex')}`;
		expect(uphanceDeliveryKey(parsed(JSON.parse(raw.toString())), raw)).toBe(expected);
		expect(expected).toMatch(/^uphance:sha256:[0-9a-f]{64}$/);
	});
});

describe('URL token', () => {
	const TOKEN = 'url-token-9f8e7d6c5b4a';

	it('accepts the exact token', () => {
		expect(checkUrlToken(TOKEN, { token: TOKEN }).ok).toBe(true);
	});

	it.each([
		['missing', {}, /has no \?token=/],
		['empty', { token: '' }, /has no \?token=/],
		['wrong', { token: 'url-token-9f8e7d6c5b4b' }, /does not match/],
		['a prefix', { token: TOKEN.slice(0, -1) }, /does not match/],
		['repeated parameter', { token: [TOKEN, TOKEN] }, /does not match/],
	])('answers 401 when the token is %s, without echoing it', (_name, query, message) => {
		const r = checkUrlToken(TOKEN, query as never);
		expect(r.ok).toBe(false);
		const refusal = r.ok ? undefined : r.refusal;
		expect(refusal?.status).toBe(401);
		expect(refusal?.message).toMatch(message);
		expect(refusal?.message).not.toContain(TOKEN);
	});

	it('answers 503 when the credential has no token (misconfiguration, Uphance retries)', () => {
		const r = checkUrlToken('', { token: 'x' });
		expect(r.ok ? 200 : r.refusal.status).toBe(503);
	});
});

describe('endpoints and envelopes per resource', () => {
	const record = (id: number | string, extra = {}) => ({ id, updated_at: '2024-01-01T00:00:00Z', ...extra });

	it.each([
		['pick_ticket', 7, '/pick_tickets/7', undefined, { pick_ticket: record(7) }],
		['receiving_ticket', 7, '/receiving_tickets/7', undefined, { receiving_ticket: record(7) }],
		['product', 7, '/products/7', undefined, { product: record(7) }],
		['customer', 7, '/customers/7', undefined, { customer: record(7) }],
		['credit_note', 7, '/credit_notes/7', undefined, { credit_notes: record(7) }],
		['credit_note', 7, '/credit_notes/7', undefined, { credit_notes: [record(7)] }],
		['invoice', 7, '/invoices', { invoice_id: '7' }, { invoices: [record(7)], meta: { total_count: 1 } }],
		['sales_order', 7, '/sales_orders/7', undefined, { sales_order: record(7) }],
		['sales_order', 7, '/sales_orders/7', undefined, record(7)],
		['season', 7, '/seasons/7', undefined, { season: record(7) }],
	])('%s %s → GET %s, record taken out of the envelope', (resource, id, path, qs, body) => {
		const endpoint = recordEndpoint(resource, id)!;
		expect(endpoint.path).toBe(path);
		expect(endpoint.qs).toEqual(qs);
		const extracted = extractRecord(body, endpoint, resource, id);
		expect(extracted).toEqual({ found: true, record: record(7) });
	});

	it('marks only the documented resources as known', () => {
		expect(recordEndpoint('pick_ticket', 1)!.known).toBe(true);
		expect(recordEndpoint('season', 1)!.known).toBe(false);
	});

	it('encodes ids and refuses resource names that are not plain words', () => {
		expect(recordEndpoint('pick_ticket', '../organisations')!.path).toBe('/pick_tickets/..%2Forganisations');
		expect(recordEndpoint('../admin', 1)).toBeUndefined();
		expect(recordEndpoint('a/b', 1)).toBeUndefined();
	});

	it('picks the matching element of a list, and never another record', () => {
		const endpoint = recordEndpoint('invoice', 2)!;
		expect(extractRecord({ invoices: [record(1), record(2)] }, endpoint, 'invoice', 2)).toEqual({ found: true, record: record(2) });
		expect(extractRecord({ invoices: [] }, endpoint, 'invoice', 2)).toMatchObject({ found: false, notFound: true });
		// the API ignored the filter and returned other invoices: not this one, and an answer the
		// node cannot read (not "not found")
		expect(extractRecord({ invoices: [record(1), record(3)] }, endpoint, 'invoice', 2)).toEqual({
			found: false,
			notFound: false,
			error: "Uphance's answer to GET /invoices?invoice_id=2 lists 2 records under `invoices`, none with id 2; one invoice was expected.",
		});
	});

	it('reports a missing envelope or a different record as a failure', () => {
		const endpoint = recordEndpoint('pick_ticket', 5)!;
		expect(extractRecord({ something: {} }, endpoint, 'pick_ticket', 5)).toMatchObject({ found: false, notFound: false, error: expect.stringMatching(/no `pick_ticket` or `pick_tickets` \(an object, or a list of one\)\. Top-level keys found: "something"\./) });
		expect(extractRecord({ pick_ticket: record(6) }, endpoint, 'pick_ticket', 5)).toMatchObject({ found: false, notFound: false, error: expect.stringMatching(/pick_ticket whose `id` is not 5/) });
		expect(extractRecord('oops', endpoint, 'pick_ticket', 5)).toMatchObject({ found: false });
		// the bare record is accepted only where the envelope is undocumented
		expect(extractRecord(record(5), endpoint, 'pick_ticket', 5)).toMatchObject({ found: false });
	});

	it('does not fetch deletes, or anything when fetching is off', () => {
		expect(skippedOutcome(parsed({ event: 'pick_ticket_delete', pick_ticket: { id: 1 } }), true)).toMatchObject({ status: 'skipped', reason: expect.stringMatching(/Delete/) });
		expect(skippedOutcome(parsed({ event: 'pick_ticket_update', pick_ticket: { id: 1 } }), false)).toMatchObject({ status: 'skipped' });
		expect(skippedOutcome(parsed({ event: 'pick_ticket_update', pick_ticket: { id: 1 } }), true)).toBeUndefined();
	});
});

describe('output item', () => {
	const event = parsed({ event: 'product_update', product: { id: 301, name: 'from body' } });
	const at = new Date('2024-05-01T10:00:00.000Z');

	it('carries the API copy when fetched', () => {
		const json = uphanceItemJson(event, 'k', at, { outcome: { status: 'fetched', statusCode: 200, attempts: 1 }, record: { id: 301, name: 'from API' }, transient: false });
		expect(json).toEqual({
			event: 'product_update',
			resource: 'product',
			action: 'update',
			id: 301,
			record: { id: 301, name: 'from API' },
			recordSource: 'api',
			source: 'webhook',
			deliveryKey: 'k',
			receivedAt: '2024-05-01T10:00:00.000Z',
			fetch: { status: 'fetched', statusCode: 200, attempts: 1 },
		});
	});

	it('carries the payload otherwise', () => {
		const json = uphanceItemJson(event, 'k', at, { outcome: { status: 'notFound', statusCode: 404 } });
		expect(json).toMatchObject({ record: { name: 'from body' }, recordSource: 'payload', fetch: { status: 'notFound' } });
	});

	it('reads back a pending fetch for the execute step, from the item uphanceItemJson wrote', () => {
		const json = uphanceItemJson(event, 'k', at, { outcome: pendingOrSkipped(event, true) });
		expect(pendingFetchOfItem(json)).toEqual({ event, deliveryKey: 'k', receivedAtMs: at.getTime() });
		expect(pendingFetchOfItem({ ...json, record: 'x' })).toBeUndefined();
		expect(pendingFetchOfItem(uphanceItemJson(event, 'k', at, { outcome: { status: 'notFound', statusCode: 404 } }))).toBeUndefined();
	});
});
