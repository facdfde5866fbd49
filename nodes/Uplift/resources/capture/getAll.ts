import type { IDataObject, IExecuteFunctions } from 'n8n-workflow';

import { limitOf, returnAllAndLimit, showFor } from '../../../shared/operations';
import { upliftList } from '../../transport';
import type { UpliftOperation } from '../../descriptions';

export const captureGetAll: UpliftOperation = {
	resource: 'capture',
	value: 'getAll',
	name: 'Get Many',
	action: 'Get many captures',
	description: 'List captures (GET /captures, up to 500 a call by limit and offset)',
	properties: [
		...returnAllAndLimit('capture', 'getAll'),
		...showFor('capture', 'getAll', [
			{
				displayName: 'Filters',
				name: 'filters',
				type: 'collection',
				placeholder: 'Add Filter',
				default: {},
				options: [
					{
						displayName: 'Activity',
						name: 'activity',
						type: 'string',
						default: '',
						placeholder: 'baseball',
						description: 'Only captures of this activity',
					},
					{
						displayName: 'Athlete ID',
						name: 'athlete_id',
						type: 'string',
						default: '',
						description: 'Only captures of this athlete',
					},
					{
						displayName: 'Movement',
						name: 'movement',
						type: 'string',
						default: '',
						placeholder: 'hitting',
						description: 'Only captures of this movement',
					},
					{
						displayName: 'Status',
						name: 'status',
						type: 'options',
						default: 'completed',
						options: [
							{ name: 'Awaiting Upload', value: 'awaiting_upload' },
							{ name: 'Completed', value: 'completed' },
							{ name: 'Error', value: 'error' },
							{ name: 'Processing', value: 'processing' },
						],
						description: 'Only captures in this state',
					},
				],
			},
		]),
	],
	async execute(this: IExecuteFunctions, i: number) {
		const filters = this.getNodeParameter('filters', i, {}) as IDataObject;
		const qs: IDataObject = {};
		for (const [k, v] of Object.entries(filters)) if (v !== '' && v !== undefined) qs[k] = v;
		return await upliftList(this, i, '/captures', 'captures', qs, limitOf(this, i));
	},
};
