import { NodeApiError, NodeOperationError } from 'n8n-workflow';
import type {
	IDataObject,
	IExecuteFunctions,
	INodeExecutionData,
	INodeProperties,
} from 'n8n-workflow';

/**
 * What the Uphance and Uplift action nodes share: a "Resource" selector, one "Operation" selector
 * per resource, every operation's fields (and the helpers that build and read them), and one
 * execute loop that picks the operation per item. HTTP is in vendorHttp.ts.
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
			// the description it loaded and builds the node classes again after a package install
			// (docs/n8n-internals.md). Sharing the module's array
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

export type OperationResult = IDataObject | IDataObject[];

export type OperationHandler = (
	this: IExecuteFunctions,
	itemIndex: number,
) => Promise<OperationResult>;

/**
 * Runs one handler per input item. Every output item is paired with the input item it came from;
 * with Continue On Fail, a failed item becomes `{ error, statusCode? }` paired with its input.
 */
export async function runPerItem(
	ctx: IExecuteFunctions,
	handlers: Record<string, Record<string, OperationHandler>>,
): Promise<INodeExecutionData[][]> {
	const items = ctx.getInputData();
	const out: INodeExecutionData[] = [];
	for (let i = 0; i < items.length; i++) {
		try {
			const resource = ctx.getNodeParameter('resource', i) as string;
			const operation = ctx.getNodeParameter('operation', i) as string;
			const handler = handlers[resource]?.[operation];
			if (!handler) {
				throw new NodeOperationError(
					ctx.getNode(),
					`The operation "${operation}" is not known for the resource "${resource}"`,
					{ itemIndex: i },
				);
			}
			const result = await handler.call(ctx, i);
			for (const json of Array.isArray(result) ? result : [result]) {
				out.push({ json, pairedItem: { item: i } });
			}
		} catch (error) {
			if (ctx.continueOnFail()) {
				const e = error as { message?: unknown; httpCode?: unknown; description?: unknown };
				const json: IDataObject = { error: String(e.message ?? error) };
				if (typeof e.httpCode === 'string' && /^\d{3}$/.test(e.httpCode))
					json.statusCode = Number(e.httpCode);
				out.push({ json, pairedItem: { item: i } });
				continue;
			}
			const nodeError =
				error instanceof NodeApiError || error instanceof NodeOperationError
					? error
					: new NodeOperationError(ctx.getNode(), String((error as Error).message ?? error), {
							itemIndex: i,
						});
			if (nodeError.context.itemIndex === undefined) nodeError.context.itemIndex = i;
			throw nodeError;
		}
	}
	return [out];
}

/** Adds `resource`/`operation` to each property's displayOptions.show. */
export function showFor(
	resource: string,
	operation: string,
	properties: INodeProperties[],
): INodeProperties[] {
	return properties.map((p) => ({
		...p,
		displayOptions: {
			...p.displayOptions,
			show: { ...(p.displayOptions?.show ?? {}), resource: [resource], operation: [operation] },
		},
	}));
}

/**
 * Whether the node runs as a tool: n8n gives every `usableAsTool` node a `<package>.<name>Tool`
 * variant, which the AI Agent and the MCP Server Trigger call with the tool's arguments as the one
 * input item (docs/mcp.md). Its errors go to an agent, not to a person in the editor.
 */
export function runsAsTool(ctx: IExecuteFunctions): boolean {
	return /Tool$/.test(String(ctx.getNode().type ?? ''));
}

/**
 * An error message an agent reads: the advice goes into the message itself, because in queue mode
 * n8n passes a failed tool's message on to the agent and drops its description (docs/mcp.md,
 * "Queue mode").
 */
export function withAdvice(message: string, advice: string): string {
	return `${message}${/[.!?]$/.test(message) ? '' : '.'} ${advice}`;
}

/** The most items one tool call returns from a list (docs/mcp.md, "Bounded answers"). */
export const TOOL_MAX_ITEMS = 100;

/** A non-empty id parameter as a string (numbers from `{{ $json.id }}` included). */
export function idParameter(ctx: IExecuteFunctions, name: string, itemIndex: number): string {
	const value = ctx.getNodeParameter(name, itemIndex) as unknown;
	const text = typeof value === 'number' ? String(value) : String(value ?? '').trim();
	if (text === '' || text === 'undefined' || text === 'null') {
		const message = `The parameter "${name}" is empty`;
		if (runsAsTool(ctx))
			throw new NodeOperationError(
				ctx.getNode(),
				withAdvice(
					message,
					'Call the tool again with the ID of the record (a list or search tool gives it).',
				),
				{ itemIndex },
			);
		throw new NodeOperationError(ctx.getNode(), message, {
			itemIndex,
			description:
				'Map it from the incoming item, e.g. {{ $json.id }} after the Uphance Trigger, or type an id.',
		});
	}
	return text;
}

export const returnAllAndLimit = (resource: string, operation: string): INodeProperties[] =>
	showFor(resource, operation, [
		{
			displayName: 'Return All',
			name: 'returnAll',
			type: 'boolean',
			default: false,
			description: 'Whether to return all results or only up to a given limit',
		},
		{
			displayName: 'Limit',
			name: 'limit',
			type: 'number',
			typeOptions: { minValue: 1 },
			default: 50,
			description: 'Max number of results to return',
			displayOptions: { show: { returnAll: [false] } },
		},
	]);

/**
 * `undefined` for Return All, else the Limit: a whole number of at least 1 (a fraction is rounded
 * down), and as a tool at most TOOL_MAX_ITEMS. A limit that is not a number (an expression or an
 * agent's argument) is an error that says what to give, never an unbounded list.
 */
export function limitOf(ctx: IExecuteFunctions, itemIndex: number): number | undefined {
	if (ctx.getNodeParameter('returnAll', itemIndex, false) as boolean) return undefined;
	const raw = ctx.getNodeParameter('limit', itemIndex, 50) as unknown;
	const limit = Math.floor(typeof raw === 'string' && raw.trim() === '' ? NaN : Number(raw));
	const tool = runsAsTool(ctx);
	if (!Number.isFinite(limit)) {
		const message = `The limit ${JSON.stringify(raw)} is not a number`;
		const advice = 'Give the limit as a whole number of records, e.g. 20.';
		throw new NodeOperationError(
			ctx.getNode(),
			tool ? withAdvice(message, advice) : message,
			tool ? { itemIndex } : { itemIndex, description: advice },
		);
	}
	if (tool) {
		if (limit < 1 || limit > TOOL_MAX_ITEMS) {
			throw new NodeOperationError(
				ctx.getNode(),
				withAdvice(
					`The limit ${limit} is outside 1 to ${TOOL_MAX_ITEMS}, the most one tool call returns`,
					`Ask for ${TOOL_MAX_ITEMS} or fewer; to see more, narrow the search with the other arguments (e.g. an ID to start after).`,
				),
				{ itemIndex },
			);
		}
		return limit;
	}
	return Math.max(1, limit);
}
