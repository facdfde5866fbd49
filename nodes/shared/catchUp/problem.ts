import { NodeOperationError } from 'n8n-workflow';
import type { IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';

import { readCatchUpFields } from '../deliveryItem';

/**
 * A catch-up problem the user must hear about (a part of the listing that keeps failing, such as a
 * resource the credential may not list) reaches them as a failed execution of the workflow: it is
 * listed under Executions and starts the workflow's Error Workflow, where they set up alerts. The
 * timer emits one such item per distinct problem (schedule.ts); the trigger's `execute()` calls
 * this first, and the item never reaches the workflow's next node.
 */
export function throwCatchUpProblem(ctx: IExecuteFunctions, items: INodeExecutionData[]): void {
	for (const item of items) {
		const problem = readCatchUpFields(item.json)?.problem;
		if (problem !== undefined) throw new NodeOperationError(ctx.getNode(), problem);
	}
}
