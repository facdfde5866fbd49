import { NodeApiError, NodeOperationError } from 'n8n-workflow';
import type { IDataObject, IExecuteFunctions, IHttpRequestMethods, JsonObject } from 'n8n-workflow';

import { signInRefusal, uphanceBaseUrl } from '../../../credentials/UphanceApi.credentials';
import { vendorRequest } from '../../shared/vendorHttp';
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
		if (!read.ok)
			throw new NodeApiError(ctx.getNode(), body as JsonObject, {
				message: read.error,
				itemIndex,
			});
		for (const record of read.page.records) {
			records.push(record);
			if (limit !== undefined && records.length >= limit) return records;
		}
		page = read.page.next;
	}
	return records;
}

/** `{pick_ticket: {...}}`, `{credit_notes: [{...}]}` or the bare record. */
export function unwrapOne(
	ctx: IExecuteFunctions,
	itemIndex: number,
	body: IDataObject,
	singular: string,
	plural: string,
	what: string,
): IDataObject {
	const one = body[singular];
	if (typeof one === 'object' && one !== null && !Array.isArray(one)) return one as IDataObject;
	const many = body[plural];
	if (Array.isArray(many)) {
		if (many.length === 0)
			throw new NodeOperationError(ctx.getNode(), `Uphance has no ${what}`, { itemIndex });
		return many[0] as IDataObject;
	}
	return body;
}
