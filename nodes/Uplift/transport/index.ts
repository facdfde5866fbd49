import type { IDataObject, IExecuteFunctions, IHttpRequestMethods } from 'n8n-workflow';

import { unexpectedAnswerError, vendorRequest } from '../../shared/vendorHttp';
import type { ApiRequestOptions, VendorApi } from '../../shared/vendorHttp';
import { upliftBaseUrl } from '../../../credentials/UpliftApi.credentials';
import { MAX_PAGE, readUpliftPage } from './pages';

export { MAX_PAGE };

/** Uplift transport: base URL and API key from the `upliftApi` credential, limit/offset lists (./pages.ts). */

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
 * Pages `GET path?limit=&offset=` (at most 500 a call) until the list ends (./pages.ts: where
 * `total_count` says, or a short page) or `limit` records are collected. An answer without the
 * list is an error naming what is missing, never an empty list.
 */
export async function upliftList(
	ctx: IExecuteFunctions,
	itemIndex: number,
	path: string,
	key: string,
	qs: IDataObject,
	limit: number | undefined,
	options: { bareListAllowed?: boolean } = {},
): Promise<IDataObject[]> {
	const records: IDataObject[] = [];
	for (
		let offset: number | undefined = 0, guard = 0;
		offset !== undefined && guard < 1_000_000;
		guard++
	) {
		const want = limit === undefined ? MAX_PAGE : Math.min(MAX_PAGE, limit - records.length);
		const body = await upliftRequest(ctx, itemIndex, 'GET', path, {
			qs: { ...qs, limit: want, offset },
		});
		const read = readUpliftPage(body, key, {
			request: `GET ${path}`,
			offset,
			limit: want,
			bareListAllowed: options.bareListAllowed,
		});
		if (!read.ok) throw unexpectedAnswerError(ctx, itemIndex, read.error, body);
		for (const record of read.page.records) {
			records.push(record);
			if (limit !== undefined && records.length >= limit) return records;
		}
		offset = read.page.nextOffset;
	}
	return records;
}
