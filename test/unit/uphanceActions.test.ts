import { NodeApiError } from 'n8n-workflow';

import { Uphance } from '../../nodes/Uphance/Uphance.node';
import { runAction, uphanceCredentials } from './helpers/actionContext';
import type { Params } from './helpers/actionContext';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const fakeUphance = require('../support/fakeUphance');

type Fake = Awaited<ReturnType<typeof fakeUphance.start>>;
let fake: Fake;
const node = new Uphance();

beforeEach(async () => {
	fake = await fakeUphance.start();
});
afterEach(async () => {
	await fake.close();
});

const run = (params: Params, extra: { items?: object[]; continueOnFail?: boolean } = {}) =>
	runAction(node, { params, credentials: uphanceCredentials(fake), ...(extra as object) });

const listCalls = (path: string) =>
	fake.requests.filter(
		(r: { method: string; path: string }) => r.method === 'GET' && r.path === path,
	);

/** A trigger item as the Uphance Trigger emits it (numeric id, resource, record). */
const triggerItem = (id: number) => ({
	event: 'pick_ticket_update',
	resource: 'pick_ticket',
	action: 'update',
	id,
	record: { id },
});

describe('Uphance node: description', () => {
	it('is usable as a tool and every operation has a handler', () => {
		expect(node.description.usableAsTool).toBe(true);
		const resources = (node.description.properties[0].options as Array<{ value: string }>).map(
			(o) => o.value,
		);
		const operations = node.description.properties.filter((p) => p.name === 'operation');
		expect(operations).toHaveLength(resources.length);
		expect(
			operations.flatMap((p) => (p.options as Array<{ value: string }>).map((o) => o.value)).length,
		).toBe(23);
	});
});

describe('Uphance node: pick tickets', () => {
	it('Get accepts the trigger item id by expression (a number) and pairs the item', async () => {
		fake.setRecord('pick_ticket', 4242);
		const { output } = await run(
			{ resource: 'pickTicket', operation: 'get', pickTicketId: '={{ $json.id }}' },
			{ items: [triggerItem(4242), triggerItem(4242)] },
		);
		expect(output.map((o) => o.json.id)).toEqual([4242, 4242]);
		expect(output.map((o) => o.pairedItem)).toEqual([{ item: 0 }, { item: 1 }]);
		expect(fake.tokensIssued).toBe(1);
	});

	it('Get Many with Return All pages until meta.next_page is null (250 records, 3 pages)', async () => {
		fake.seed('pick_ticket', 250);
		const { output } = await run({
			resource: 'pickTicket',
			operation: 'getAll',
			returnAll: true,
			filters: {},
		});
		expect(output).toHaveLength(250);
		expect(new Set(output.map((o) => o.json.id)).size).toBe(250);
		expect(listCalls('/pick_tickets').map((r: { query: string }) => r.query)).toEqual([
			'?page=1',
			'?page=2',
			'?page=3',
		]);
		expect(output.every((o) => (o.pairedItem as { item: number }).item === 0)).toBe(true);
	});

	it('Get Many over an answer without meta throws a NodeApiError that names it, with key names only, never a value of the answer', async () => {
		fake.seed('pick_ticket', 3, () => ({ tracking_number: 'SECRET-VALUE-7731' }));
		fake.setListing({ meta: false });
		const failed = run({ resource: 'pickTicket', operation: 'getAll', returnAll: true, filters: {} });
		await expect(failed).rejects.toThrow(/has no `meta` object \(top-level keys: "pick_tickets"\)/);
		const error = (await failed.catch((e: unknown) => e)) as Record<string, unknown>;
		// n8n keeps the error's response part (errorResponse) with the execution and shows it
		const kept = JSON.stringify([error.message, error.description, error.errorResponse, error.context]);
		expect(kept).toContain('pick_tickets');
		expect(kept).not.toContain('SECRET-VALUE-7731');
	});

	it('Get Many with a Limit stops after the page that reaches it', async () => {
		fake.seed('pick_ticket', 250);
		const { output } = await run({
			resource: 'pickTicket',
			operation: 'getAll',
			returnAll: false,
			limit: 120,
			filters: {},
		});
		expect(output).toHaveLength(120);
		expect(listCalls('/pick_tickets')).toHaveLength(2);
	});

	it('Get Many sends the filters as Uphance query parameters', async () => {
		fake.seed('pick_ticket', 5, (i: number) => ({
			warehouse_name: i % 2 ? 'East' : 'West',
			order_number: String(1000 + i),
		}));
		const { output } = await run({
			resource: 'pickTicket',
			operation: 'getAll',
			returnAll: true,
			filters: {
				warehouseName: 'East',
				sinceId: '1',
				orderNumber: '1003',
				orderId: '',
				shipmentNumber: '',
			},
		});
		expect(output.map((o) => o.json.id)).toEqual([4]);
		const q = new URLSearchParams(listCalls('/pick_tickets')[0].query);
		expect(q.get('filter[warehouse_name]')).toBe('East');
		expect(q.get('since_id')).toBe('1');
		expect(q.get('by_order_number')).toBe('1003');
		expect(q.has('by_order_id')).toBe(false);
	});

	it('Update Tracking sends PUT with query parameters, then Mark Shipped ships it', async () => {
		fake.setRecord(
			'pick_ticket',
			7,
			fakeUphance.sampleRecord('pick_ticket', 7, { status: 'packed' }),
		);
		const tracked = await run(
			{
				resource: 'pickTicket',
				operation: 'updateTracking',
				pickTicketId: '={{ $json.id }}',
				trackingNumber: 'TRK1',
				carrier: 'dhl',
				shippingCost: '9.95',
			},
			{ items: [triggerItem(7)] },
		);
		expect(tracked.output[0].json).toMatchObject({
			id: 7,
			tracking_number: 'TRK1',
			carrier: 'dhl',
		});
		const shipped = await run(
			{ resource: 'pickTicket', operation: 'markShipped', pickTicketId: '={{ $json.id }}' },
			{ items: [triggerItem(7)] },
		);
		expect(shipped.output[0].json.status).toBe('shipped');
		expect(
			fake.writes.map((w: { method: string; path: string; query: object }) => [
				w.method,
				w.path,
				w.query,
			]),
		).toEqual([
			[
				'PUT',
				'/pick_tickets/7',
				{ tracking_number: 'TRK1', carrier: 'dhl', shipping_cost: '9.95' },
			],
			['PUT', '/pick_tickets/7/ship', {}],
		]);
	});

	it('a vendor error becomes a NodeApiError with the vendor message and status, without secrets', async () => {
		let caught: unknown;
		try {
			await run({ resource: 'pickTicket', operation: 'markShipped', pickTicketId: '99' });
		} catch (error) {
			caught = error;
		}
		expect(caught).toBeInstanceOf(NodeApiError);
		const e = caught as NodeApiError;
		expect(e.httpCode).toBe('404');
		expect(e.message).toContain('pick_ticket 99 not found');
		const text = JSON.stringify({
			message: e.message,
			description: e.description,
			context: e.context,
			cause: (e as { cause?: unknown }).cause,
		});
		expect(text).not.toContain(fake.password);
		expect(text).not.toMatch(/tok_[0-9a-f]{8}/);
	});

	it('continueOnFail gives an error item paired with its input, and the others still run', async () => {
		fake.setRecord('pick_ticket', 1);
		const { output } = await run(
			{ resource: 'pickTicket', operation: 'get', pickTicketId: '={{ $json.id }}' },
			{ items: [triggerItem(404), triggerItem(1)], continueOnFail: true },
		);
		expect(output[0]).toMatchObject({ json: { statusCode: 404 }, pairedItem: { item: 0 } });
		expect(String(output[0].json.error)).toContain('not found');
		expect(output[1]).toMatchObject({ json: { id: 1 }, pairedItem: { item: 1 } });
	});

	it('an empty id says how to map it', async () => {
		await expect(
			run(
				{ resource: 'pickTicket', operation: 'get', pickTicketId: '={{ $json.id }}' },
				{ items: [{}] },
			),
		).rejects.toThrow(/pickTicketId" is empty/);
	});
});

describe('Uphance node: transport', () => {
	it('429 waits for Retry-After, then succeeds', async () => {
		fake.setRecord('pick_ticket', 5);
		fake.failNext(1, 429, 1);
		const t0 = Date.now();
		const { output } = await run({ resource: 'pickTicket', operation: 'get', pickTicketId: '5' });
		expect(output[0].json.id).toBe(5);
		expect(Date.now() - t0).toBeGreaterThanOrEqual(950);
		expect(fake.dataRequests().map((r: { status: number }) => r.status)).toEqual([429, 200]);
	});

	it('a GET is retried after a 503; a payment POST is not', async () => {
		fake.setRecord('pick_ticket', 5);
		fake.failNext(1, 503);
		const ok = await run({ resource: 'pickTicket', operation: 'get', pickTicketId: '5' });
		expect(ok.output[0].json.id).toBe(5);
		fake.clearLog();
		fake.failNext(1, 503);
		await expect(
			run({
				resource: 'payment',
				operation: 'create',
				amount: 10,
				invoiceId: '3',
				additionalFields: {},
			}),
		).rejects.toMatchObject({ httpCode: '503' });
		expect(fake.requests.filter((r: { path: string }) => r.path === '/payments')).toHaveLength(1);
	});

	it('a refused sign-in is not retried and says what to fix', async () => {
		const credentials = uphanceCredentials({ ...fake, password: 'an-old-password-also-secret' });
		const failed = runAction(node, {
			params: { resource: 'pickTicket', operation: 'get', pickTicketId: '5' },
			credentials,
		});
		await expect(failed).rejects.toThrow(/Check the Uphance API credential: .*did not accept/);
		await expect(failed).rejects.not.toThrow(/an-old-password-also-secret/);
		expect(fake.tokenRequests()).toHaveLength(1);
	});

	it('signs in again when Uphance answers 401 to an expired token', async () => {
		fake.setRecord('pick_ticket', 5);
		const credentials = uphanceCredentials(fake);
		await runAction(node, {
			params: { resource: 'pickTicket', operation: 'get', pickTicketId: '5' },
			credentials,
		});
		fake.mode('expireTokens');
		const { output } = await runAction(node, {
			params: { resource: 'pickTicket', operation: 'get', pickTicketId: '5' },
			credentials,
		});
		expect(output[0].json.id).toBe(5);
		expect(fake.tokensIssued).toBe(2);
	});
});

describe('Uphance node: other resources', () => {
	it('Sales Order Get unwraps {sales_order}; Get Many filters by order number', async () => {
		fake.seed('sales_order', 3, (i: number) => ({ order_number: `SO-${i}` }));
		const one = await run({ resource: 'salesOrder', operation: 'get', salesOrderId: '2' });
		expect(one.output[0].json).toMatchObject({ id: 2 });
		const many = await run({
			resource: 'salesOrder',
			operation: 'getAll',
			returnAll: true,
			filters: { orderNumber: 'SO-2' },
		});
		expect(many.output.map((o) => o.json.id)).toEqual([3]);
	});

	it('Invoice Get uses ?invoice_id= and takes invoices[0]; Get Many lists', async () => {
		fake.seed('invoice', 3);
		const one = await run({ resource: 'invoice', operation: 'get', invoiceId: '3' });
		expect(one.output[0].json).toMatchObject({ id: 3, invoice_number: 'INV-3' });
		expect(fake.requests.some((r: { query: string }) => r.query === '?invoice_id=3')).toBe(true);
		const many = await run({
			resource: 'invoice',
			operation: 'getAll',
			returnAll: true,
			filters: { sinceId: '1' },
		});
		expect(many.output.map((o) => o.json.id)).toEqual([2, 3]);
	});

	it('Invoice Get of an unknown invoice fails clearly', async () => {
		await expect(run({ resource: 'invoice', operation: 'get', invoiceId: '77' })).rejects.toThrow(
			/no invoice 77/,
		);
	});

	it('Credit Note Get takes the record out of {credit_notes: {...}} and {credit_notes: [{...}]}; Get Many lists', async () => {
		fake.seed('credit_note', 2);
		expect(fake.creditNoteEnvelope).toBe('object');
		const one = await run({ resource: 'creditNote', operation: 'get', creditNoteId: '2' });
		expect(one.output[0].json).toEqual(fake.record('credit_note', 2));
		fake.setCreditNoteEnvelope('list');
		const fromList = await run({ resource: 'creditNote', operation: 'get', creditNoteId: '2' });
		expect(fromList.output[0].json).toEqual(fake.record('credit_note', 2));
		fake.setCreditNoteEnvelope('object');
		const many = await run({
			resource: 'creditNote',
			operation: 'getAll',
			returnAll: true,
			filters: {},
		});
		expect(many.output).toHaveLength(2);
	});

	it('Product Get and Get Many by product identifier', async () => {
		fake.seed('product', 3, (i: number) => ({ product_identifier: `STYLE-${i}` }));
		const one = await run({ resource: 'product', operation: 'get', productId: '1' });
		expect(one.output[0].json).toMatchObject({ id: 1, name: 'Organic Tee' });
		const many = await run({
			resource: 'product',
			operation: 'getAll',
			returnAll: true,
			filters: { productIdentifier: 'STYLE-1' },
		});
		expect(many.output.map((o) => o.json.id)).toEqual([2]);
	});

	it('Customer, Receiving Ticket: Get and Get Many', async () => {
		fake.seed('customer', 2);
		fake.seed('receiving_ticket', 2);
		expect(
			(await run({ resource: 'customer', operation: 'get', customerId: '2' })).output[0].json.name,
		).toBe('Sample Boutique');
		expect(
			(await run({ resource: 'customer', operation: 'getAll', returnAll: true, filters: {} }))
				.output,
		).toHaveLength(2);
		expect(
			(await run({ resource: 'receivingTicket', operation: 'get', receivingTicketId: '1' }))
				.output[0].json.production_order_number,
		).toBe('PO-77');
		expect(
			(
				await run({
					resource: 'receivingTicket',
					operation: 'getAll',
					returnAll: false,
					limit: 1,
					filters: {},
				})
			).output,
		).toHaveLength(1);
	});

	it('Production Order Get Many pages 50 at a time; Season Get Many', async () => {
		fake.seed('production_order', 120);
		fake.seed('season', 2);
		expect(
			(await run({ resource: 'productionOrder', operation: 'getAll', returnAll: true })).output,
		).toHaveLength(120);
		expect(listCalls('/production_orders')).toHaveLength(3);
		expect(
			(await run({ resource: 'season', operation: 'getAll', returnAll: true })).output,
		).toHaveLength(2);
	});

	it('SKU Find by EAN returns one item per matching SKU, none for an unknown EAN', async () => {
		fake.seed('sku', 3, (i: number) => ({ ean: i === 1 ? '8712345678906' : `000${i}` }));
		const found = await run({ resource: 'sku', operation: 'findByEan', ean: '8712345678906' });
		expect(found.output.map((o) => o.json.id)).toEqual([2]);
		expect(
			(await run({ resource: 'sku', operation: 'findByEan', ean: 'nope' })).output,
		).toHaveLength(0);
	});

	it('Payment Create, Get and Get Many', async () => {
		const created = await run({
			resource: 'payment',
			operation: 'create',
			amount: 25.5,
			invoiceId: '3',
			additionalFields: { reference: 'BANK-1', date: '2026-01-31' },
		});
		expect(created.output[0].json).toMatchObject({
			amount: 25.5,
			invoice_id: '3',
			reference: 'BANK-1',
		});
		const id = String(created.output[0].json.id);
		expect(
			(await run({ resource: 'payment', operation: 'get', paymentId: id })).output[0].json
				.reference,
		).toBe('BANK-1');
		expect(
			(await run({ resource: 'payment', operation: 'getAll', returnAll: true })).output,
		).toHaveLength(1);
	});
});

describe('Uphance node: stock adjust', () => {
	const params = {
		resource: 'stock',
		operation: 'adjust',
		lines: { line: [{ skuId: '11', quantity: 3 }] },
		idempotencyKey: '',
		additionalFields: { comments: 'recount' },
	};

	it('sends a stable default idempotency key: running the same item again adjusts once', async () => {
		const first = await run(params, { items: [{ orderId: 1 }] });
		const again = await run(params, { items: [{ orderId: 1 }] });
		expect(first.output[0].json.idempotency_key).toMatch(/^n8n-[0-9a-f]{64}$/);
		expect(again.output[0].json.idempotency_key).toBe(first.output[0].json.idempotency_key);
		expect(again.output[0].json.stock_operation).toEqual(first.output[0].json.stock_operation);
		const statuses = fake.requests
			.filter((r: { path: string }) => r.path === '/stock_operations')
			.map((r: { status: number }) => r.status);
		expect(statuses).toEqual([201, 200]);
		expect(fake.writes[0].body).toMatchObject({
			stock_operation: { line_quantities: [{ sku_id: '11', quantity: 3 }], comments: 'recount' },
		});
	});

	it('a different item or an explicit key is a new adjustment', async () => {
		const a = await run(params, { items: [{ orderId: 1 }] });
		const b = await run(params, { items: [{ orderId: 2 }] });
		const c = await run(
			{ ...params, idempotencyKey: 'order-1-recount' },
			{ items: [{ orderId: 1 }] },
		);
		expect(new Set([a, b, c].map((r) => r.output[0].json.idempotency_key)).size).toBe(3);
		expect(c.output[0].json.idempotency_key).toBe('order-1-recount');
	});

	it('refuses an adjustment without lines', async () => {
		await expect(run({ ...params, lines: {} })).rejects.toThrow(/at least one line/);
		expect(fake.writes).toHaveLength(0);
	});
});
