import { createHash } from 'crypto';
import { NodeOperationError } from 'n8n-workflow';
import type { IDataObject, IExecuteFunctions } from 'n8n-workflow';

import { showFor } from '../../../shared/operations';
import { uphanceRequest } from '../../transport';
import type { UphanceOperation } from '../../descriptions';

/**
 * The key Uphance de-duplicates stock operations by when none is given: the workflow, this node,
 * the item's position and content and the adjustment itself. A node retry, or a retry of the failed
 * execution, sends the same key, and Uphance answers success without adjusting again.
 */
export function defaultIdempotencyKey(parts: {
	workflowId: string;
	nodeName: string;
	itemIndex: number;
	item: IDataObject;
	stockOperation: IDataObject;
}): string {
	const hash = createHash('sha256').update(JSON.stringify(parts)).digest('hex');
	return `n8n-${hash}`;
}

export const stockAdjust: UphanceOperation = {
	resource: 'stock',
	value: 'adjust',
	name: 'Adjust',
	action: 'Adjust stock',
	description:
		'Adjust stock of SKUs (POST /stock_operations with an idempotency_key). On a retry Uphance sees the same key, answers success and does not adjust twice.',
	properties: showFor('stock', 'adjust', [
		{
			displayName: 'Lines',
			name: 'lines',
			type: 'fixedCollection',
			typeOptions: { multipleValues: true },
			required: true,
			default: {},
			placeholder: 'Add Line',
			description:
				'SKU and quantity per line (whether a negative quantity removes stock is not documented)',
			options: [
				{
					displayName: 'Line',
					name: 'line',
					values: [
						{
							displayName: 'SKU ID',
							name: 'skuId',
							type: 'string',
							default: '',
							description: 'Uphance SKU ID (see SKU → Find by EAN)',
						},
						{
							displayName: 'Quantity',
							name: 'quantity',
							type: 'number',
							default: 0,
							description: 'Quantity to adjust by',
						},
					],
				},
			],
		},
		{
			displayName: 'Idempotency Key',
			name: 'idempotencyKey',
			type: 'string',
			default: '',
			description:
				'Up to 128 characters. Uphance applies a key once: a repeat answers success and changes nothing. Empty: a key derived from the workflow, this node, the input item and the lines, so a retry of the node or of the execution cannot adjust twice (and two identical items in the same position count as one). Set your own, e.g. an order or delivery ID, to control it.',
		},
		{
			displayName: 'Additional Fields',
			name: 'additionalFields',
			type: 'collection',
			placeholder: 'Add Field',
			default: {},
			options: [
				{
					displayName: 'Comments',
					name: 'comments',
					type: 'string',
					default: '',
					description: 'Comment shown with the stock operation',
				},
				{
					displayName: 'External Reference',
					name: 'external_ref',
					type: 'string',
					default: '',
					description: 'Your reference for the adjustment',
				},
				{
					displayName: 'External URL',
					name: 'external_url',
					type: 'string',
					default: '',
					description: 'Link to the adjustment in your system',
				},
				{
					displayName: 'Source',
					name: 'source',
					type: 'string',
					default: '',
					description: 'Where the adjustment comes from, e.g. your warehouse system',
				},
			],
		},
	]),
	async execute(this: IExecuteFunctions, i: number) {
		const lines = ((this.getNodeParameter('lines', i, {}) as IDataObject).line ??
			[]) as IDataObject[];
		const lineQuantities = lines
			.filter((l) => String(l.skuId ?? '').trim() !== '')
			.map((l) => ({ sku_id: String(l.skuId).trim(), quantity: Number(l.quantity ?? 0) }));
		if (lineQuantities.length === 0) {
			throw new NodeOperationError(this.getNode(), 'Add at least one line with a SKU ID', {
				itemIndex: i,
			});
		}
		const stockOperation: IDataObject = { line_quantities: lineQuantities };
		const extra = this.getNodeParameter('additionalFields', i, {}) as IDataObject;
		for (const [key, value] of Object.entries(extra)) {
			if (value !== '' && value !== undefined && value !== null) stockOperation[key] = value;
		}
		let key = String(this.getNodeParameter('idempotencyKey', i, '')).trim();
		if (key === '') {
			key = defaultIdempotencyKey({
				workflowId: String(this.getWorkflow().id ?? ''),
				nodeName: this.getNode().name,
				itemIndex: i,
				item: this.getInputData()[i]?.json ?? {},
				stockOperation,
			});
		}
		if (key.length > 128) {
			throw new NodeOperationError(
				this.getNode(),
				'The idempotency key is longer than 128 characters',
				{
					itemIndex: i,
				},
			);
		}
		const answer = await uphanceRequest(this, i, 'POST', '/stock_operations', {
			body: { stock_operation: stockOperation, idempotency_key: key },
			// the key makes a repeat harmless, so a server error may be retried too
			safeToRepeat: true,
		});
		return { ...answer, idempotency_key: key };
	},
};
