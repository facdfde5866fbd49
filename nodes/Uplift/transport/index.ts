import type {
	IDataObject,
	IExecuteFunctions,
	IHttpRequestMethods,
	INodeProperties,
} from 'n8n-workflow';

import { showFor, vendorRequest } from '../../shared/vendorRequest';
import type { OperationHandler } from '../../shared/vendorRequest';

/** Uplift transport: base URL and API key from the `upliftApi` credential, limit/offset lists. */

export interface UpliftOperation {
	resource: string;
	value: string;
	name: string;
	action: string;
	description: string;
	properties: INodeProperties[];
	execute: OperationHandler;
}

/** Uplift answers at most 500 rows or captures a call. */
export const MAX_PAGE = 500;

export function upliftBaseUrl(value: unknown): string {
	const text = typeof value === 'string' && value.trim() !== '' ? value.trim() : '';
	return (text || 'https://api.uplift.ai/v1').replace(/\/+$/, '');
}

export async function upliftRequest(
	ctx: IExecuteFunctions,
	itemIndex: number,
	method: IHttpRequestMethods,
	path: string,
	options: { qs?: IDataObject; body?: IDataObject; safeToRepeat?: boolean } = {},
): Promise<IDataObject> {
	const credentials = await ctx.getCredentials('upliftApi');
	return await vendorRequest(
		ctx,
		{ vendor: 'Uplift', credentialType: 'upliftApi' },
		{
			method,
			url: `${upliftBaseUrl(credentials.baseUrl)}${path}`,
			qs: options.qs,
			body: options.body,
			safeToRepeat: options.safeToRepeat ?? method === 'GET',
			itemIndex,
		},
	);
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

export const returnAllAndLimit = (resource: string, operation: string): INodeProperties[] =>
	showFor(resource, operation, [
		{
			displayName: 'Return All',
			name: 'returnAll',
			type: 'boolean',
			default: false,
			description: 'Whether to return all results or only up to a given limit',
		},
		{
			displayName: 'Limit',
			name: 'limit',
			type: 'number',
			typeOptions: { minValue: 1 },
			default: 50,
			description: 'Max number of results to return',
			displayOptions: { show: { returnAll: [false] } },
		},
	]);

export function limitOf(ctx: IExecuteFunctions, itemIndex: number): number | undefined {
	if (ctx.getNodeParameter('returnAll', itemIndex, false) as boolean) return undefined;
	return Math.max(1, Number(ctx.getNodeParameter('limit', itemIndex, 50)));
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
