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
		// The default is the first operation. A variable, not `ops[0].value`: the lint rule
		// node-param-default-missing reads a member expression as no default at all.
		const firstOperation = ops[0].value;
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
			default: firstOperation,
		};
	});
	return [
		{
			displayName: 'Resource',
			name: 'resource',
			type: 'options',
			noDataExpression: true,
			// A copy per node instance: n8n appends a "Custom API Call" option to the resource list of
			// the description it loaded (injectCustomApiCallOptions in n8n's load-nodes-and-credentials.js)
			// and builds the node classes again after a package install. Sharing the module's array
			// made that second build meet a resource without operations and fail ("Class could not be
			// found"); see test/unit/actionNodeDescription.test.ts.
			options: resources.map((r) => ({ ...r })),
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
