import type {
	IDataObject,
	IExecuteFunctions,
	IHttpRequestMethods,
	INodeProperties,
} from 'n8n-workflow';

import type { VendorOperation } from '../../shared/operations';
import { apiRequest } from '../../shared/vendorRequest';
import type { ApiRequestOptions, VendorApi } from '../../shared/vendorRequest';
import { upliftBaseUrl } from '../../../credentials/UpliftApi.credentials';

/** Uplift transport: base URL and API key from the `upliftApi` credential, limit/offset lists. */

export type UpliftOperation = VendorOperation;

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
	return await apiRequest(ctx, UPLIFT, itemIndex, method, path, options);
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

/** A name/value list (custom attributes, filters) as an object; empty names are skipped. */
export function pairsToObject(value: unknown): IDataObject {
	const list = ((value as IDataObject | undefined)?.pair ?? []) as IDataObject[];
	const out: IDataObject = {};
	for (const p of list) {
		const name = String(p.name ?? '').trim();
		if (name !== '') out[name] = String(p.value ?? '');
	}
	return out;
}

export function pairsProperty(
	displayName: string,
	name: string,
	description: string,
): INodeProperties {
	return {
		displayName,
		name,
		type: 'fixedCollection',
		typeOptions: { multipleValues: true },
		default: {},
		placeholder: 'Add Attribute',
		description,
		options: [
			{
				displayName: 'Attribute',
				name: 'pair',
				values: [
					{ displayName: 'Name', name: 'name', type: 'string', default: '' },
					{ displayName: 'Value', name: 'value', type: 'string', default: '' },
				],
			},
		],
	};
}
