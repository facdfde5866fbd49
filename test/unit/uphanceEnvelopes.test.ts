/**
 * Contract tests of Uphance's single-record answers (issue 20, "Match the real vendors"):
 * the answers in test/fixtures/vendor/uphance/ go through the parsing code the nodes use, the
 * Uphance Trigger's `extractRecord` and the action node's `unwrapOne`, and come out as the record
 * itself. Answers of unexpected shape are errors that name the expected keys and list the keys
 * found, never a value. Then the action node end to end against the fake Uphance API.
 */
import * as fs from 'fs';
import * as path from 'path';
import { NodeApiError, NodeOperationError } from 'n8n-workflow';
import type { IDataObject, IExecuteFunctions } from 'n8n-workflow';

import { unwrapOne } from '../../nodes/Uphance/transport';
import { Uphance } from '../../nodes/Uphance/Uphance.node';
import { extractRecord, recordEndpoint } from '../../nodes/Uphance/transport/records';
import { runAction, uphanceCredentials } from './helpers/actionContext';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const fakeUphance = require('../support/fakeUphance');

const FIXTURES = path.join(__dirname, '..', 'fixtures', 'vendor', 'uphance');
const fixture = (name: string) => JSON.parse(fs.readFileSync(path.join(FIXTURES, name), 'utf8')) as IDataObject;

const ctx = {
	getNode: () => ({ id: 'node-1', name: 'Uphance', type: 'test.uphance', typeVersion: 1, position: [0, 0], parameters: {} }),
} as unknown as IExecuteFunctions;

/** The action node's reading of a credit note answer, as its Get does it (getOperation: the same table). */
const unwrapCreditNote = (body: unknown, id: number | string) => {
	const endpoint = recordEndpoint('credit_note', String(id))!;
	return unwrapOne(ctx, 0, body as IDataObject, endpoint.keys, `credit note ${String(id)}`, {
		id: String(id),
		request: endpoint.request,
		name: 'credit_note',
	});
};

/** The trigger's reading of the same answer. */
const extractCreditNote = (body: unknown, id: number | string) =>
	extractRecord(body, recordEndpoint('credit_note', id)!, 'credit_note', id);

const thrown = (fn: () => unknown): Error => {
	try {
		fn();
	} catch (error) {
		return error as Error;
	}
	throw new Error('expected a throw');
};

describe('credit note fixtures (recorded-style answers built from the public clients)', () => {
	const object = fixture('credit_note.object.json');
	const list = fixture('credit_note.list.json');
	const record = object.credit_notes as IDataObject;

	it('are the two forms of one answer: an object, and a list of one, under `credit_notes`', () => {
		expect(Object.keys(object)).toEqual(['credit_notes']);
		expect(Array.isArray(object.credit_notes)).toBe(false);
		expect(list).toEqual({ credit_notes: [record] });
		// the fields the public clients read (C2 CreditNote.from_data, C1's credit note synchronizer)
		expect(record).toMatchObject({ id: 48213, credit_note_number: 1042, line_items: [expect.objectContaining({ line_quantities: expect.any(Array) })] });
	});

	it.each([
		['credit_note.object.json', object],
		['credit_note.list.json', list],
	])('%s: the trigger (extractRecord) and the action node (unwrapOne) get the record itself', (_name, body) => {
		expect(extractCreditNote(body, 48213)).toEqual({ found: true, record });
		expect(extractCreditNote(body, '48213')).toEqual({ found: true, record });
		expect(unwrapCreditNote(body, 48213)).toEqual(record);
		// never the envelope
		expect(unwrapCreditNote(body, 48213)).not.toHaveProperty('credit_notes');
	});

	it('also accepts the record under the singular key, as either form', () => {
		expect(extractCreditNote({ credit_note: record }, 48213)).toEqual({ found: true, record });
		expect(extractCreditNote({ credit_note: [record] }, 48213)).toEqual({ found: true, record });
		expect(unwrapCreditNote({ credit_note: record }, 48213)).toEqual(record);
		expect(unwrapCreditNote({ credit_note: [record] }, 48213)).toEqual(record);
	});

	it('picks the record with the id out of a longer list', () => {
		const other = { ...record, id: 48214 };
		expect(extractCreditNote({ credit_notes: [other, record] }, 48213)).toEqual({ found: true, record });
		expect(unwrapCreditNote({ credit_notes: [other, record] }, 48213)).toEqual(record);
	});
});

describe('single-record answers of unexpected shape', () => {
	// Every value below is a marker that must never reach a message.
	const SECRET = 'VALUE-MUST-NOT-LEAK-4471';
	const rec = (id: number) => ({ id, credit_note_number: SECRET, grand_total: SECRET });

	const cases: Array<[string, unknown, RegExp, RegExp]> = [
		[
			'no envelope key',
			{ data: rec(7), meta: { token: SECRET } },
			/has no `credit_notes` or `credit_note` \(an object, or a list of one\)/,
			/Top-level keys found: "data", "meta"\./,
		],
		['an empty object', {}, /has no `credit_notes` or `credit_note`/, /Top-level keys found: none \(an empty object\)\./],
		['the key holding null', { credit_notes: null }, /has `credit_notes`, but it holds null: expected `credit_notes` or `credit_note`/, /Top-level keys found: "credit_notes"\./],
		['the key holding a string', { credit_notes: SECRET }, /has `credit_notes`, but it holds a string/, /Top-level keys found: "credit_notes"\./],
		['the bare record', rec(7), /has no `credit_notes` or `credit_note`/, /Top-level keys found: "id", "credit_note_number", "grand_total"\./],
		['a JSON array', [rec(7)], /is not a JSON object with `credit_notes` or `credit_note`/, /Top-level keys found: none \(the answer is a JSON array\)\./],
		['a string', SECRET, /is not a JSON object/, /Top-level keys found: none \(the answer is a string\)\./],
		['a record with another id', { credit_notes: rec(8) }, /answered GET \/credit_notes\/7 with a credit_note whose `id` is not 7\./, /^/],
		['a list of one with another id', { credit_notes: [rec(8)] }, /with a credit_note whose `id` is not 7\./, /^/],
		['a list of several without the id', { credit_notes: [rec(8), rec(9)] }, /lists 2 records under `credit_notes`, none with id 7; one credit_note was expected\./, /^/],
		['a list of several without ids', { credit_notes: [{ number: SECRET }, { number: SECRET }] }, /lists 2 records under `credit_notes`, none with id 7/, /^/],
		['a list of non-objects', { credit_notes: [SECRET] }, /has a `credit_notes` list whose elements are not all objects/, /^/],
	];

	it.each(cases)('%s: the trigger reports an unreadable answer (not "not found"), naming the field', (_name, body, what, keys) => {
		const extracted = extractCreditNote(body, 7);
		expect(extracted).toMatchObject({ found: false, notFound: false });
		const error = (extracted as { error: string }).error;
		expect(error).toMatch(/^Uphance('s answer to| answered) GET \/credit_notes\/7 /);
		expect(error).toMatch(what);
		expect(error).toMatch(keys);
		expect(error).not.toContain(SECRET);
	});

	it.each(cases)('%s: the action node throws a NodeApiError naming the field, without values', (_name, body, what, keys) => {
		const error = thrown(() => unwrapCreditNote(body, 7));
		expect(error).toBeInstanceOf(NodeApiError);
		// the same table (nodes/Uphance/transport/records.ts), so the same keys named as the trigger names
		expect(error.message).toMatch(what);
		expect(error.message).toMatch(keys);
		const everything = JSON.stringify({ ...error, message: error.message, description: (error as NodeApiError).description });
		expect(everything).not.toContain(SECRET);
		expect((error as NodeApiError).description).toMatch(/GET \/credit_notes\/7 \(credit note 7\) in a form the node does not know/);
	});

	it('an empty list is "no such record": notFound for the trigger, "Uphance has no …" for the action node', () => {
		expect(extractCreditNote({ credit_notes: [] }, 7)).toEqual({
			found: false,
			notFound: true,
			error: 'Uphance answered GET /credit_notes/7 with an empty `credit_notes` list: no credit_note with id 7.',
		});
		const error = thrown(() => unwrapCreditNote({ credit_notes: [] }, 7));
		expect(error).toBeInstanceOf(NodeOperationError);
		expect(error.message).toBe('Uphance has no credit note 7');
	});

	it('lists at most 20 keys, each cut at 60 characters', () => {
		const many = Object.fromEntries(Array.from({ length: 25 }, (_, i) => [`k${i}`, SECRET]));
		const long = { ['x'.repeat(100)]: SECRET };
		expect((extractCreditNote(many, 7) as { error: string }).error).toMatch(/"k19" and 5 more\.$/);
		expect((extractCreditNote(long, 7) as { error: string }).error).toMatch(new RegExp(`"${'x'.repeat(60)}…"\\.$`));
	});

	it('a write whose answer is unreadable says the change probably took effect', () => {
		const error = thrown(() =>
			unwrapOne(ctx, 0, { ok: true }, ['pick_ticket', 'pick_tickets'], 'pick ticket 5', { id: '5', request: 'PUT /pick_tickets/5/ship' }),
		) as NodeApiError;
		expect(error.message).toMatch(/PUT \/pick_tickets\/5\/ship has no `pick_ticket` or `pick_tickets`.*Top-level keys found: "ok"\./);
		expect(error.description).toMatch(/probably took effect.*Check in Uphance before running the node again/);
	});

	it('the bare record passes only where allowed, and only with the requested id', () => {
		const bare = { id: 5, order_number: 'SO-5' };
		const opts = { id: '5', request: 'GET /sales_orders/5' };
		expect(unwrapOne(ctx, 0, bare, ['sales_order', 'sales_orders'], 'sales order 5', { ...opts, bareAllowed: true })).toEqual(bare);
		expect(() => unwrapOne(ctx, 0, bare, ['pick_ticket', 'pick_tickets'], 'pick ticket 5', opts)).toThrow(NodeApiError);
		expect(() => unwrapOne(ctx, 0, { id: 6 }, ['sales_order', 'sales_orders'], 'sales order 5', { ...opts, bareAllowed: true })).toThrow(/whose `id` is not 5/);
		expect(() => unwrapOne(ctx, 0, { order_number: 'SO-5' }, ['sales_order', 'sales_orders'], 'sales order 5', { ...opts, bareAllowed: true })).toThrow(
			/has no `sales_order` or `sales_orders` \(an object, or a list of one\), nor is it the bare record\. Top-level keys found: "order_number"\./,
		);
		// the trigger: the same rule for its sales orders
		expect(extractRecord(bare, recordEndpoint('sales_order', 5)!, 'sales_order', 5)).toEqual({ found: true, record: bare });
		expect(extractRecord(bare, recordEndpoint('pick_ticket', 5)!, 'pick_ticket', 5)).toMatchObject({ found: false, notFound: false });
	});
});

describe('Uphance node against the fake API: single-record answers', () => {
	type Fake = Awaited<ReturnType<typeof fakeUphance.start>>;
	let fake: Fake;
	const node = new Uphance();
	beforeEach(async () => {
		fake = await fakeUphance.start();
	});
	afterEach(async () => {
		await fake.close();
	});
	const run = (params: IDataObject, continueOnFail = false) =>
		runAction(node, { params, credentials: uphanceCredentials(fake), continueOnFail });

	it.each(['object', 'list'])('Credit Note Get returns the record itself when Uphance answers the %s form', async (form) => {
		fake.setCreditNoteEnvelope(form);
		const stored = fake.setRecord('credit_note', 48213, fixture('credit_note.object.json').credit_notes);
		const { output } = await run({ resource: 'creditNote', operation: 'get', creditNoteId: '48213' });
		expect(output.map((o) => o.json)).toEqual([stored]);
	});

	it('Credit Note Get of an unexpected answer fails with the keys found, never the record or the envelope', async () => {
		fake.setRecord('credit_note', 7);
		fake.setRawAnswer('credit_note', 7, { result: { id: 7, grand_total: 'VALUE-MUST-NOT-LEAK' } });
		const error = await run({ resource: 'creditNote', operation: 'get', creditNoteId: '7' }).then(
			() => undefined,
			(e: unknown) => e as NodeApiError,
		);
		expect(error).toBeInstanceOf(NodeApiError);
		expect(error!.message).toBe(
			"Uphance's answer to GET /credit_notes/7 has no `credit_notes` or `credit_note` (an object, or a list of one). Top-level keys found: \"result\".",
		);
		const failed = await run({ resource: 'creditNote', operation: 'get', creditNoteId: '7' }, true);
		expect(failed.output).toHaveLength(1);
		expect(failed.output[0].json.error).toMatch(/has no `credit_notes` or `credit_note`/);
		expect(JSON.stringify(failed.output)).not.toContain('VALUE-MUST-NOT-LEAK');
	});

	it('Get of a record with another id fails instead of returning the other record', async () => {
		fake.setRecord('pick_ticket', 5);
		fake.setRawAnswer('pick_ticket', 5, { pick_ticket: { id: 6, status: 'shipped' } });
		await expect(run({ resource: 'pickTicket', operation: 'get', pickTicketId: '5' })).rejects.toThrow(
			/GET \/pick_tickets\/5 with a pick_ticket whose `id` is not 5/,
		);
	});

	it('Sales Order Get still accepts the bare record (the public clients read the whole answer as the order)', async () => {
		const bare = { id: 2, order_number: 'SO-2', status: 'open' };
		fake.setRecord('sales_order', 2);
		fake.setRawAnswer('sales_order', 2, bare);
		const { output } = await run({ resource: 'salesOrder', operation: 'get', salesOrderId: '2' });
		expect(output[0].json).toEqual(bare);
	});
});
