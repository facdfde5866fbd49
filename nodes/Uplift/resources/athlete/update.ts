import { NodeOperationError } from 'n8n-workflow';
import type { IDataObject, IExecuteFunctions } from 'n8n-workflow';

import { idParameter, showFor } from '../../../shared/operations';
import { pairsProperty, pairsToObject } from '../../descriptions';
import { upliftRequest } from '../../transport';
import type { UpliftOperation } from '../../descriptions';
import { athleteFieldOptions } from './fields';

export const athleteUpdate: UpliftOperation = {
	resource: 'athlete',
	value: 'update',
	name: 'Update',
	action: 'Update an athlete',
	description:
		'Update an athlete (POST /athletes/{ID}). Only the fields set here change; an empty text or 0 clears a field. Repeating it sets the same values again.',
	properties: showFor('athlete', 'update', [
		{
			displayName: 'Athlete ID',
			name: 'athleteId',
			type: 'string',
			required: true,
			default: '',
		},
		{
			displayName: 'Update Fields',
			name: 'updateFields',
			type: 'collection',
			placeholder: 'Add Field',
			default: {},
			options: [
				{
					displayName: 'First Name',
					name: 'first_name',
					type: 'string',
					default: '',
					description: 'Cannot be emptied',
				},
				...athleteFieldOptions,
			],
		},
		pairsProperty(
			'Custom Attributes',
			'customAttributes',
			'Custom attributes to set; an empty value deletes the attribute',
		),
	]),
	async execute(this: IExecuteFunctions, i: number) {
		const id = idParameter(this, 'athleteId', i);
		const body: IDataObject = { ...(this.getNodeParameter('updateFields', i, {}) as IDataObject) };
		const custom = pairsToObject(this.getNodeParameter('customAttributes', i, {}));
		if (Object.keys(custom).length > 0) body.custom_attributes = custom;
		if (Object.keys(body).length === 0) {
			throw new NodeOperationError(this.getNode(), 'Add at least one field to update', {
				itemIndex: i,
			});
		}
		const answer = await upliftRequest(this, i, 'POST', `/athletes/${encodeURIComponent(id)}`, {
			body,
			safeToRepeat: true,
		});
		const athlete = answer.athlete;
		return typeof athlete === 'object' && athlete !== null ? (athlete as IDataObject) : answer;
	},
};
