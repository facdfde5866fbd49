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
 * Acts on Uphance: pick tickets (tracking, shipping), orders, invoices, credit notes, products,
 * SKUs, stock, customers, receiving tickets, production orders, payments, seasons.
 *
 * Programmatic rather than declarative: every request goes through one transport that honours
 * Retry-After on 429, pages by `meta.next_page` and builds errors from Uphance's answer only.
 */
export class Uphance implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Uphance',
		name: 'uphance',
		icon: { light: 'file:../../icons/uphance.svg', dark: 'file:../../icons/uphance.dark.svg' },
		group: ['transform'],
		version: 1,
		subtitle: '={{$parameter["operation"] + ": " + $parameter["resource"]}}',
		description: 'Read and update Uphance pick tickets, orders, invoices, products, stock and more',
		defaults: { name: 'Uphance' },
		usableAsTool: true,
		inputs: [NodeConnectionTypes.Main],
		outputs: [NodeConnectionTypes.Main],
		credentials: [{ name: 'uphanceApi', required: true }],
		properties: actionProperties(RESOURCES, OPERATIONS, 'pickTicket'),
	};

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		return await runOperations(this, OPERATIONS);
	}
}
