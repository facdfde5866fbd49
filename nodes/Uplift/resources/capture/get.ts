import type { IExecuteFunctions } from 'n8n-workflow';

import { idParameter, showFor } from '../../../shared/operations';
import { upliftRequest } from '../../transport';
import type { UpliftOperation } from '../../descriptions';

export const captureGet: UpliftOperation = {
	resource: 'capture',
	value: 'get',
	name: 'Get',
	action: 'Get a capture',
	description: 'Get one capture with its status and metadata (GET /captures/{ID})',
	properties: showFor('capture', 'get', [
		{
			displayName: 'Capture ID',
			name: 'captureId',
			type: 'string',
			required: true,
			default: '',
			description: 'The capture (session) ID',
		},
	]),
	async execute(this: IExecuteFunctions, i: number) {
		const id = idParameter(this, 'captureId', i);
		const body = await upliftRequest(this, i, 'GET', `/captures/${encodeURIComponent(id)}`);
		const wrapped = body.capture;
		return typeof wrapped === 'object' && wrapped !== null && !Array.isArray(wrapped)
			? (wrapped as typeof body)
			: body;
	},
};
