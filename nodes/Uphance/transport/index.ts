import { NodeOperationError } from 'n8n-workflow';
import type { IDataObject, IExecuteFunctions, IHttpRequestMethods } from 'n8n-workflow';

import { signInRefusal, uphanceBaseUrl } from '../../../credentials/UphanceApi.credentials';
import { vendorRequest } from '../../shared/vendorHttp';
import type { ApiRequestOptions, VendorApi } from '../../shared/vendorHttp';

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
 * Pages `GET path?page=N` until `meta.next_page` is null (or `limit` records are collected). Only
 * one page of the raw answer is held at a time; records go straight into the result.
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
	let page = 1;
	for (let guard = 0; guard < 100_000; guard++) {
		const body = await uphanceRequest(ctx, itemIndex, 'GET', path, { qs: { ...qs, page } });
		const list = body[key];
		if (list !== undefined && !Array.isArray(list)) {
			throw new NodeOperationError(
				ctx.getNode(),
				`Uphance answered GET ${path} without a "${key}" list`,
				{ itemIndex },
			);
		}
		for (const record of (list ?? []) as IDataObject[]) {
			records.push(record);
			if (limit !== undefined && records.length >= limit) return records;
		}
		const next = Number((body.meta as IDataObject | undefined)?.next_page);
		if (!Number.isFinite(next) || next <= page || !list || list.length === 0) return records;
		page = next;
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
