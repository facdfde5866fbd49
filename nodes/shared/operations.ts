import type { IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';

import { runPerItem } from './vendorRequest';
import type { OperationHandler } from './vendorRequest';

/**
 * What the Uphance and Uplift action nodes share: a "Resource" selector, one "Operation" selector
 * per resource, every operation's fields, and one execute loop that picks the operation per item.
 */

export interface VendorResource {
	name: string;
	value: string;
	description: string;
}

export interface VendorOperation {
	resource: string;
	value: string;
	name: string;
	action: string;
	description: string;
	properties: INodeProperties[];
	execute: OperationHandler;
}

/** The "Resource" selector, one "Operation" selector per resource, then every operation's fields. */
export function actionProperties(
	resources: VendorResource[],
	operations: VendorOperation[],
	defaultResource: string,
): INodeProperties[] {
	const selectors: INodeProperties[] = resources.map((r) => {
		const ops = operations
			.filter((o) => o.resource === r.value)
			.sort((a, b) => a.name.localeCompare(b.name));
		// eslint-disable-next-line n8n-nodes-base/node-param-default-missing -- the default is the first operation
		return {
			displayName: 'Operation',
			name: 'operation',
			type: 'options',
			noDataExpression: true,
			displayOptions: { show: { resource: [r.value] } },
			options: ops.map((o) => ({
				name: o.name,
				value: o.value,
				action: o.action,
				description: o.description,
			})),
			default: ops[0].value,
		};
	});
	return [
		{
			displayName: 'Resource',
			name: 'resource',
			type: 'options',
			noDataExpression: true,
			options: resources,
			default: defaultResource,
		},
		...selectors,
		...operations.flatMap((o) => o.properties),
	];
}

/** Runs the selected operation for every input item (see `runPerItem`). */
export async function runOperations(
	ctx: IExecuteFunctions,
	operations: VendorOperation[],
): Promise<INodeExecutionData[][]> {
	const handlers: Record<string, Record<string, OperationHandler>> = {};
	for (const o of operations) (handlers[o.resource] ??= {})[o.value] = o.execute;
	return await runPerItem(ctx, handlers);
}
