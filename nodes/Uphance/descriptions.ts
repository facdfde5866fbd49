import type { IDataObject, IExecuteFunctions, INodeProperties } from 'n8n-workflow';

import { idParameter, limitOf, returnAllAndLimit, showFor } from '../shared/operations';
import type { VendorOperation } from '../shared/operations';
import { unwrapOne, uphanceList, uphanceRequest } from './transport';
import { listEndpoint, recordEndpoint, recordRequestShape } from './transport/records';

/**
 * The fields and operations the Uphance resources share: the id field, the "Filters" collection,
 * and the plain "Get" and "Get Many" operations most resources are made of.
 */

export type UphanceOperation = VendorOperation;

function idDescription(note: string): string {
	return `Uphance ID of the record. After the Uphance Trigger: {{ $json.id }}.${note}`;
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
	/** Uphance's name of the resource: its list endpoint comes from transport/records.ts */
	record: string;
	plural: string;
	filters: FilterField[];
	note?: string;
}): UphanceOperation {
	const { path, key } = listEndpoint(o.record);
	return {
		resource: o.resource,
		value: 'getAll',
		name: 'Get Many',
		action: `Get many ${o.plural}`,
		description: `List ${o.plural} (GET ${path}, page by page)${o.note ?? ''}`,
		properties: [
			...returnAllAndLimit(o.resource, 'getAll'),
			...(o.filters.length ? [filtersProperty(o.resource, 'getAll', o.filters)] : []),
		],
		async execute(this: IExecuteFunctions, i: number) {
			const qs = filtersToQuery(this, i, o.filters);
			return await uphanceList(this, i, path, key, qs, limitOf(this, i));
		},
	};
}

/**
 * A plain "Get": the record's endpoint and envelopes from nodes/Uphance/transport/records.ts (the
 * table the Uphance Trigger's record fetch reads too), unwrapped with `unwrapOne`.
 */
export function getOperation(o: {
	resource: string;
	/** Uphance's name of the resource, the key of the records table: `pick_ticket` */
	record: string;
	label: string;
	idName: string;
	idDisplayName: string;
	note?: string;
}): UphanceOperation {
	const shape = recordRequestShape(o.record);
	return {
		resource: o.resource,
		value: 'get',
		name: 'Get',
		action: `Get ${/^[aeiou]/.test(o.label) ? 'an' : 'a'} ${o.label}`,
		description: `Get one ${o.label} by ID (${shape})${o.note ?? ''}`,
		properties: [idProperty(o.resource, 'get', o.idName, o.idDisplayName)],
		async execute(this: IExecuteFunctions, i: number) {
			const id = idParameter(this, o.idName, i);
			const endpoint = recordEndpoint(o.record, id);
			if (!endpoint) throw new Error(`No Uphance record endpoint for ${o.record}`);
			const body = await uphanceRequest(this, i, 'GET', endpoint.path, {
				...(endpoint.qs ? { qs: endpoint.qs } : {}),
			});
			return unwrapOne(this, i, body, endpoint.keys, `${o.label} ${id}`, {
				id,
				bareAllowed: endpoint.bareAllowed,
				request: endpoint.request,
				name: o.record,
			});
		},
	};
}
