import { NodeApiError, NodeOperationError } from 'n8n-workflow';
import type { IDataObject, IExecuteFunctions, IHttpRequestMethods } from 'n8n-workflow';

import { signInRefusal, uphanceBaseUrl } from '../../../credentials/UphanceApi.credentials';
import { describeKeys, unwrapSingleRecord } from '../../shared/singleRecord';
import { unexpectedAnswerError, vendorRequest } from '../../shared/vendorHttp';
import type { ApiRequestOptions, VendorApi } from '../../shared/vendorHttp';
import { readUphancePage } from './pages';

/**
 * Uphance transport: base URL from the `uphanceApi` credential (sign-in, organisation selection and
 * re-sign-in on 401 happen in the credential), page-number lists (`page=N` until `meta.next_page` is
 * null), and the envelopes Uphance wraps single records in.
 */

const UPHANCE: VendorApi = {
	vendor: 'Uphance',
	credentialType: 'uphanceApi',
	baseUrl: uphanceBaseUrl,
	// a wrong password or organisation: retrying would only sign in again, and be refused again
	refusal: signInRefusal,
};

export async function uphanceRequest(
	ctx: IExecuteFunctions,
	itemIndex: number,
	method: IHttpRequestMethods,
	path: string,
	options: ApiRequestOptions = {},
): Promise<IDataObject> {
	return await vendorRequest(ctx, UPHANCE, itemIndex, method, path, options);
}

/**
 * Pages `GET path?page=N` to the page Uphance calls the last (./pages.ts: `next_page` as a number
 * or a URL, `total_pages`; pages of any size), or until `limit` records are collected. Only one
 * page of the raw answer is held at a time; records go straight into the result. An answer without
 * the list or `meta` is an error naming what is missing.
 */
export async function uphanceList(
	ctx: IExecuteFunctions,
	itemIndex: number,
	path: string,
	key: string,
	qs: IDataObject,
	limit: number | undefined,
): Promise<IDataObject[]> {
	const records: IDataObject[] = [];
	for (
		let page: number | undefined = 1, guard = 0;
		page !== undefined && guard < 100_000;
		guard++
	) {
		const body = await uphanceRequest(ctx, itemIndex, 'GET', path, { qs: { ...qs, page } });
		const read = readUphancePage(body, key, page);
		if (!read.ok) throw unexpectedAnswerError(ctx, itemIndex, read.error, body);
		for (const record of read.page.records) {
			records.push(record);
			if (limit !== undefined && records.length >= limit) return records;
		}
		page = read.page.next;
	}
	return records;
}

export interface UnwrapOptions {
	/** the requested id: a record with another id is an error, a longer list is searched for it */
	id?: string;
	/**
	 * The answer may be the bare record (an object with an `id`), for the endpoints whose answer
	 * is the record itself: GET /sales_orders/{id} (the public clients C1 and C2 read the whole
	 * answer as the order, docs/uphance-api.md §4) and POST /payments (undocumented answer; the
	 * payment is recorded by then, so a bare payment must not be reported as a failure).
	 */
	bareAllowed?: boolean;
	/** for the error message: "GET /credit_notes/7" */
	request?: string;
	/** the record's name in messages (default: the first key) */
	name?: string;
}

/**
 * The record of a single-record answer: `{pick_ticket: {...}}`, `{credit_notes: {...}}` (what
 * Uphance answers for a credit note) or `{credit_notes: [{...}]}`, under the singular or the plural
 * key; the bare record only with `bareAllowed`. An empty list is "Uphance has no …". Any other
 * answer throws a NodeApiError naming the expected keys and the top-level keys found, never a value
 * (the rule is nodes/shared/singleRecord.ts, shared with the Uphance Trigger's record fetch).
 */
export function unwrapOne(
	ctx: IExecuteFunctions,
	itemIndex: number,
	body: IDataObject,
	/** the keys the record may be under, the documented one first (records.ts, `keys`) */
	keys: string[],
	what: string,
	options: UnwrapOptions = {},
): IDataObject {
	const request = options.request ?? 'the request';
	const singular = options.name ?? keys[0];
	const unwrapped = unwrapSingleRecord(body, {
		keys,
		id: options.id,
		bareAllowed: options.bareAllowed,
		vendor: 'Uphance',
		what: singular,
		request,
	});
	if (unwrapped.ok) return unwrapped.record;
	if (unwrapped.problem === 'empty')
		throw new NodeOperationError(ctx.getNode(), `Uphance has no ${what}`, {
			itemIndex,
			description: unwrapped.message,
		});
	// Only names go into the error (n8n shows and stores it): the message, the expected keys, the
	// top-level keys of the answer. Uphance answered 2xx, so there is no HTTP code to report.
	throw new NodeApiError(
		ctx.getNode(),
		{
			message: unwrapped.message,
			expectedKeys: keys,
			topLevelKeys: describeKeys(body),
		},
		{
			message: unwrapped.message,
			description: /^(POST|PUT|PATCH|DELETE) /.test(request)
				? `Uphance accepted ${request} (${what}), so the change probably took effect, but its answer is in a form the node does not know. Check in Uphance before running the node again.`
				: `Uphance answered ${request} (${what}) in a form the node does not know. Nothing was taken from the answer.`,
			itemIndex,
		},
	);
}
