import type { IDataObject, IExecuteFunctions } from 'n8n-workflow';

import { showFor } from '../../../shared/operations';
import { pairsProperty, pairsToObject } from '../../descriptions';
import { upliftRequest } from '../../transport';
import type { UpliftOperation } from '../../descriptions';
import { athleteFieldOptions } from './fields';

export const athleteCreate: UpliftOperation = {
	resource: 'athlete',
	value: 'create',
	name: 'Create',
	action: 'Create an athlete',
	description:
		'Create an athlete (POST /athletes; path inferred from the Create Athlete page). Uplift has no idempotency key: a retry after an unclear failure can create a second athlete.',
	properties: showFor('athlete', 'create', [
		{
			displayName: 'First Name',
			name: 'firstName',
			type: 'string',
			required: true,
			default: '',
		},
		{
			displayName: 'Additional Fields',
			name: 'additionalFields',
			type: 'collection',
			placeholder: 'Add Field',
			default: {},
			options: athleteFieldOptions,
		},
		pairsProperty(
			'Custom Attributes',
			'customAttributes',
			'Your own attributes (string values); names are letters, digits, _ or -, starting with a letter or _',
		),
	]),
	async execute(this: IExecuteFunctions, i: number) {
		const body: IDataObject = { first_name: this.getNodeParameter('firstName', i) as string };
		const extra = this.getNodeParameter('additionalFields', i, {}) as IDataObject;
		for (const [k, v] of Object.entries(extra)) if (v !== '' && v !== undefined) body[k] = v;
		const custom = pairsToObject(this.getNodeParameter('customAttributes', i, {}));
		if (Object.keys(custom).length > 0) body.custom_attributes = custom;
		const answer = await upliftRequest(this, i, 'POST', '/athletes', { body });
		const athlete = answer.athlete;
		return typeof athlete === 'object' && athlete !== null ? (athlete as IDataObject) : answer;
	},
};
