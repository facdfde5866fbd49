import type { IDataObject, IExecuteFunctions } from 'n8n-workflow';

import { limitOf, returnAllAndLimit, showFor } from '../../../shared/operations';
import { pairsProperty, pairsToObject } from '../../descriptions';
import { upliftList } from '../../transport';
import type { UpliftOperation } from '../../descriptions';

export const athleteGetAll: UpliftOperation = {
	resource: 'athlete',
	value: 'getAll',
	name: 'Get Many',
	action: 'Get many athletes',
	description:
		'List athletes (GET /athletes), filtered by custom attributes. The response shape and offset paging are inferred.',
	properties: [
		...returnAllAndLimit('athlete', 'getAll'),
		...showFor('athlete', 'getAll', [
			pairsProperty(
				'Custom Attribute Filters',
				'attributeFilters',
				'Only athletes whose custom attributes have these values, e.g. sport = MLB',
			),
			{
				displayName: 'Sorted By',
				name: 'sortedBy',
				type: 'string',
				default: '',
				description: 'Field to sort by (sorted_by)',
			},
		]),
	],
	async execute(this: IExecuteFunctions, i: number) {
		const qs: IDataObject = pairsToObject(this.getNodeParameter('attributeFilters', i, {}));
		const sortedBy = String(this.getNodeParameter('sortedBy', i, '')).trim();
		if (sortedBy) qs.sorted_by = sortedBy;
		return await upliftList(this, i, '/athletes', 'athletes', qs, limitOf(this, i), {
			bareListAllowed: true,
		});
	},
};
