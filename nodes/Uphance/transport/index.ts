import { NodeOperationError } from 'n8n-workflow';
import type {
	IDataObject,
	IExecuteFunctions,
	IHttpRequestMethods,
	INodeProperties,
} from 'n8n-workflow';

import { uphanceBaseUrl } from '../../../credentials/UphanceApi.credentials';
import type { VendorOperation } from '../../shared/operations';
import {
	apiRequest,
	idParameter,
	limitOf,
	returnAllAndLimit,
	showFor,
} from '../../shared/vendorRequest';
import type { ApiRequestOptions, VendorApi } from '../../shared/vendorRequest';

/**
 * Uphance transport: base URL from the `uphanceApi` credential (sign-in, organisation selection and
 * re-sign-in on 401 happen in the credential), page-number lists (`page=N` until `meta.next_page` is
 * null), and the envelopes Uphance wraps single records in.
 */

export type UphanceOperation = VendorOperation;

const UPHANCE: VendorApi = {
	vendor: 'Uphance',
	credentialType: 'uphanceApi',
	baseUrl: uphanceBaseUrl,
};

export async function uphanceRequest(
	ctx: IExecuteFunctions,
	itemIndex: number,
	method: IHttpRequestMethods,
	path: string,
	options: ApiRequestOptions = {},
): Promise<IDataObject> {
	return await apiRequest(ctx, UPHANCE, itemIndex, method, path, options);
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

function idDescription(note: string): string {
	return `Uphance ID of the record. After the Uphance Trigger: {{ $json.id }}.${note}`;
}

function getDescription(label: string, path: string, note = ''): string {
	return `Get one ${label} by ID (GET ${path}/{ID})${note}`;
}

export function idProperty(
	resource: string,
	operation: string,
	name: string,
	displayName: string,
	note = '',
): INodeProperties {
	return showFor(resource, operation, [
		{
			displayName,
			name,
			type: 'string',
			required: true,
			default: '',
			description: idDescription(note),
		},
	])[0];
}

/** Filter fields (name → query parameter) shown in a "Filters" collection. */
export interface FilterField {
	label: string;
	name: string;
	query: string;
	type?: 'string' | 'number' | 'dateTime';
	description: string;
}

export function filtersProperty(
	resource: string,
	operation: string,
	fields: FilterField[],
): INodeProperties {
	return showFor(resource, operation, [
		{
			displayName: 'Filters',
			name: 'filters',
			type: 'collection',
			placeholder: 'Add Filter',
			default: {},
			options: fields.map((f) => ({
				displayName: f.label,
				name: f.name,
				type: f.type ?? 'string',
				default: '',
				description: f.description,
			})),
		},
	])[0];
}

export function filtersToQuery(
	ctx: IExecuteFunctions,
	itemIndex: number,
	fields: FilterField[],
): IDataObject {
	const filters = ctx.getNodeParameter('filters', itemIndex, {}) as IDataObject;
	const qs: IDataObject = {};
	for (const f of fields) {
		const value = filters[f.name];
		if (value === undefined || value === null || value === '') continue;
		qs[f.query] = value;
	}
	return qs;
}

export const SINCE_ID: FilterField = {
	label: 'Since ID',
	name: 'sinceId',
	query: 'since_id',
	description: 'Only records whose id is greater than this one',
};

export const SINCE_CREATED_AT: FilterField = {
	label: 'Since Created At',
	name: 'sinceCreatedAt',
	query: 'since_created_at',
	type: 'dateTime',
	description: 'Only records created at or after this time',
};

/** A plain "Get Many": `GET path` with filters, paged. */
export function getManyOperation(o: {
	resource: string;
	path: string;
	key: string;
	plural: string;
	filters: FilterField[];
	note?: string;
}): UphanceOperation {
	return {
		resource: o.resource,
		value: 'getAll',
		name: 'Get Many',
		action: `Get many ${o.plural}`,
		description: `List ${o.plural} (GET ${o.path}, page by page)${o.note ?? ''}`,
		properties: [
			...returnAllAndLimit(o.resource, 'getAll'),
			...(o.filters.length ? [filtersProperty(o.resource, 'getAll', o.filters)] : []),
		],
		async execute(this: IExecuteFunctions, i: number) {
			const qs = filtersToQuery(this, i, o.filters);
			return await uphanceList(this, i, o.path, o.key, qs, limitOf(this, i));
		},
	};
}

/** A plain "Get": `GET path/{id}` unwrapped from its envelope. */
export function getOperation(o: {
	resource: string;
	path: string;
	singular: string;
	plural: string;
	label: string;
	idName: string;
	idDisplayName: string;
	note?: string;
}): UphanceOperation {
	return {
		resource: o.resource,
		value: 'get',
		name: 'Get',
		action: `Get a ${o.label}`,
		description: getDescription(o.label, o.path, o.note),
		properties: [idProperty(o.resource, 'get', o.idName, o.idDisplayName)],
		async execute(this: IExecuteFunctions, i: number) {
			const id = idParameter(this, o.idName, i);
			const body = await uphanceRequest(this, i, 'GET', `${o.path}/${encodeURIComponent(id)}`);
			return unwrapOne(this, i, body, o.singular, o.plural, `${o.label} ${id}`);
		},
	};
}
