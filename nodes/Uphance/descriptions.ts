import type { IDataObject, IExecuteFunctions, INodeProperties } from 'n8n-workflow';

import { idParameter, limitOf, returnAllAndLimit, showFor } from '../shared/operations';
import type { VendorOperation } from '../shared/operations';
import { unwrapOne, uphanceList, uphanceRequest } from './transport';

/**
 * The fields and operations the Uphance resources share: the id field, the "Filters" collection,
 * and the plain "Get" and "Get Many" operations most resources are made of.
 */

export type UphanceOperation = VendorOperation;

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
	/** the answer may be the bare record (see `unwrapOne`) */
	bareAllowed?: boolean;
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
			const path = `${o.path}/${encodeURIComponent(id)}`;
			const body = await uphanceRequest(this, i, 'GET', path);
			return unwrapOne(this, i, body, o.singular, o.plural, `${o.label} ${id}`, {
				id,
				bareAllowed: o.bareAllowed,
				request: `GET ${path}`,
			});
		},
	};
}
