import type { IDataObject } from 'n8n-workflow';

import { unwrapSingleRecord } from '../../shared/singleRecord';

/**
 * Where Uphance serves the records of a resource: its list (`GET /<collection>`, answering
 * `{<collection>: [...], meta}`, read by nodes/Uphance/transport/pages.ts) and one record, with
 * the keys its answer holds it under (docs/uphance-api.md §3–4). The one table the Uphance
 * Trigger's record fetch (nodes/UphanceTrigger/uphanceRecord.ts) and catch-up
 * (nodes/UphanceTrigger/uphanceCatchUp.ts) and the Uphance node's Get and Get Many operations
 * (nodes/Uphance/descriptions.ts) read, so all ask the same endpoints and accept the same envelopes.
 */
interface RecordKind {
	/** the list path, below the base URL: `GET /<collection>/<id>` */
	collection: string;
	/** the key the record is documented under (named in messages) */
	envelope: string;
	/** the record is asked for as `GET /<collection>?<byQuery>=<id>` instead */
	byQuery?: string;
	/** the answer may be the bare record (envelope undocumented) */
	bareAllowed?: boolean;
	/** the endpoint and envelope are documented or read by public clients, not guessed */
	documented: boolean;
}

const RECORDS: Record<string, RecordKind> = {
	pick_ticket: { collection: 'pick_tickets', envelope: 'pick_ticket', documented: true },
	receiving_ticket: {
		collection: 'receiving_tickets',
		envelope: 'receiving_ticket',
		documented: true,
	},
	product: { collection: 'products', envelope: 'product', documented: true },
	customer: { collection: 'customers', envelope: 'customer', documented: true },
	// One object under the plural key, `{"credit_notes": {...}}`, as the public clients read it
	// (docs/uphance-api.md §4); the older reading, a list of one, is accepted too.
	credit_note: { collection: 'credit_notes', envelope: 'credit_notes', documented: true },
	// `GET /invoices?invoice_id=ID` → `{invoices: [record]}`, as the public clients fetch one invoice.
	invoice: {
		collection: 'invoices',
		envelope: 'invoices',
		byQuery: 'invoice_id',
		documented: true,
	},
	// Envelope undocumented: `sales_order` if present, else the bare record (the public clients C1
	// and C2 read the whole answer of GET /sales_orders/{id} as the order).
	sales_order: {
		collection: 'sales_orders',
		envelope: 'sales_order',
		bareAllowed: true,
		documented: true,
	},
	// The envelope `{payment}` is inferred (docs/uphance-api.md §4).
	payment: { collection: 'payments', envelope: 'payment', documented: false },
};

/** Resources Uphance lists but the nodes never read one by one. */
const LIST_ONLY: Record<string, string> = {
	production_order: 'production_orders',
	season: 'seasons',
};

/** The list of a resource: `GET <path>`, the records under `key` (docs/uphance-api.md §3). */
export function listEndpoint(resource: string): { path: string; key: string } {
	const collection = Object.prototype.hasOwnProperty.call(RECORDS, resource)
		? RECORDS[resource].collection
		: LIST_ONLY[resource];
	if (!collection) throw new Error(`No Uphance list endpoint for ${resource}`);
	return { path: `/${collection}`, key: collection };
}

export interface RecordEndpoint {
	/** path below the base URL, id already encoded */
	path: string;
	qs?: IDataObject;
	/** the key the record is documented under (named in messages) */
	envelope: string;
	/**
	 * every key the record is accepted under, the documented one first: the singular and the
	 * plural, each holding the record as an object or a list of one (nodes/shared/singleRecord.ts)
	 */
	keys: string[];
	/** the answer may be the bare record (envelope undocumented) */
	bareAllowed: boolean;
	/** documented or read by public clients; a guessed endpoint never holds a delivery back */
	known: boolean;
	/** for messages: `GET /invoices?invoice_id=7` */
	request: string;
}

const RESOURCE_NAME = /^[a-z][a-z0-9_]{0,60}$/i;

/** The documented key first, then the resource's singular and plural names. */
const keysOf = (envelope: string, resource: string) => [
	...new Set([envelope, resource, `${resource}s`]),
];

/**
 * The GET request that returns one record of `resource` (Uphance's name: `pick_ticket`), or
 * undefined when the resource name is unusable in a URL. A resource not in the table is guessed as
 * `GET /<resource>s/<id>`, bare record allowed, and marked not known.
 */
export function recordEndpoint(resource: string, id: number | string): RecordEndpoint | undefined {
	const kind: RecordKind | undefined = Object.prototype.hasOwnProperty.call(RECORDS, resource)
		? RECORDS[resource]
		: undefined;
	if (!kind && !RESOURCE_NAME.test(resource)) return undefined;
	const { collection, envelope, byQuery, bareAllowed, documented } = kind ?? {
		collection: `${resource}s`,
		envelope: resource,
		bareAllowed: true,
		documented: false,
	};
	const base = {
		envelope,
		keys: keysOf(envelope, resource),
		bareAllowed: bareAllowed === true,
		known: documented,
	};
	if (byQuery)
		return {
			...base,
			path: `/${collection}`,
			qs: { [byQuery]: String(id) },
			request: `GET /${collection}?${byQuery}=${String(id)}`,
		};
	const path = `/${collection}/${encodeURIComponent(String(id))}`;
	return { ...base, path, request: `GET ${path}` };
}

/** For descriptions: `GET /pick_tickets/{ID}`, `GET /invoices?invoice_id={ID}`. */
export function recordRequestShape(resource: string): string {
	const kind = RECORDS[resource];
	if (!kind) throw new Error(`No Uphance record endpoint for ${resource}`);
	return kind.byQuery
		? `GET /${kind.collection}?${kind.byQuery}={ID}`
		: `GET /${kind.collection}/{ID}`;
}

export type ExtractedRecord =
	| { found: true; record: IDataObject }
	| {
			found: false;
			/** the answer says there is no such record (an empty list), as a 404 does */
			notFound: boolean;
			/** names the expected keys and lists the top-level keys found; never a value */
			error: string;
	  };

/**
 * Takes the record out of the answer's envelope: an object or a list of one under the singular or
 * plural key, the element with the id of a longer list, or (where allowed) the bare record. Any
 * other answer, or a record with another id, is an unexpected answer (`notFound: false`).
 */
export function extractRecord(
	body: unknown,
	endpoint: RecordEndpoint,
	resource: string,
	id: number | string,
): ExtractedRecord {
	const unwrapped = unwrapSingleRecord(body, {
		keys: endpoint.keys,
		id,
		bareAllowed: endpoint.bareAllowed,
		vendor: 'Uphance',
		what: resource,
		request: endpoint.request,
	});
	if (unwrapped.ok) return { found: true, record: unwrapped.record };
	return { found: false, notFound: unwrapped.problem === 'empty', error: unwrapped.message };
}
