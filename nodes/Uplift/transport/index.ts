import type { IDataObject, IExecuteFunctions, IHttpRequestMethods } from 'n8n-workflow';

import { vendorRequest } from '../../shared/vendorHttp';
import type { ApiRequestOptions, VendorApi } from '../../shared/vendorHttp';
import { upliftBaseUrl } from '../../../credentials/UpliftApi.credentials';

/** Uplift transport: base URL and API key from the `upliftApi` credential, limit/offset lists. */

/** Uplift answers at most 500 rows or captures a call. */
export const MAX_PAGE = 500;

const UPLIFT: VendorApi = { vendor: 'Uplift', credentialType: 'upliftApi', baseUrl: upliftBaseUrl };

export async function upliftRequest(
	ctx: IExecuteFunctions,
	itemIndex: number,
	method: IHttpRequestMethods,
	path: string,
	options: ApiRequestOptions = {},
): Promise<IDataObject> {
	return await vendorRequest(ctx, UPLIFT, itemIndex, method, path, options);
}

/**
 * Pages `GET path?limit=&offset=` (≤ 500 a call) until a short page, `total_count` or `limit`
 * records. `pick` reads the page's records from the answer.
 */
export async function upliftList(
	ctx: IExecuteFunctions,
	itemIndex: number,
	path: string,
	qs: IDataObject,
	limit: number | undefined,
	pick: (body: IDataObject) => IDataObject[],
): Promise<IDataObject[]> {
	const records: IDataObject[] = [];
	let offset = 0;
	for (let guard = 0; guard < 1_000_000; guard++) {
		const want = limit === undefined ? MAX_PAGE : Math.min(MAX_PAGE, limit - records.length);
		const body = await upliftRequest(ctx, itemIndex, 'GET', path, {
			qs: { ...qs, limit: want, offset },
		});
		const page = pick(body);
		for (const record of page) {
			records.push(record);
			if (limit !== undefined && records.length >= limit) return records;
		}
		offset += page.length;
		const total = Number(body.total_count);
		if (page.length < want || page.length === 0 || (Number.isFinite(total) && offset >= total))
			return records;
	}
	return records;
}
