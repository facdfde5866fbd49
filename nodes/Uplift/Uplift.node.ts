import { NodeConnectionTypes } from 'n8n-workflow';
import type {
	IExecuteFunctions,
	INodeExecutionData,
	INodeType,
	INodeTypeDescription,
} from 'n8n-workflow';

import { actionProperties, runOperations } from '../shared/operations';
import { OPERATIONS, RESOURCES } from './resources';

/**
 * Acts on Uplift: captures, athletes and kinematic data exports. Programmatic: the export job is
 * created, polled with `sleep` and paged in one operation; all calls share one transport that
 * honours Retry-After on 429.
 */
export class Uplift implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Uplift',
		name: 'uplift',
		icon: { light: 'file:../../icons/uplift.svg', dark: 'file:../../icons/uplift.dark.svg' },
		group: ['transform'],
		version: 1,
		subtitle: '={{$parameter["operation"] + ": " + $parameter["resource"]}}',
		description: 'Read captures, manage athletes and export kinematic data from Uplift',
		defaults: { name: 'Uplift' },
		usableAsTool: true,
		inputs: [NodeConnectionTypes.Main],
		outputs: [NodeConnectionTypes.Main],
		credentials: [{ name: 'upliftApi', required: true }],
		properties: actionProperties(RESOURCES, OPERATIONS, 'capture'),
	};

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		return await runOperations(this, OPERATIONS);
	}
}
