/**
 * The MCP server examples (examples/*-mcp-server-workflow.json, docs/mcp.md) against the nodes'
 * own descriptions: every tool names an operation that exists, sets only fields that operation has,
 * takes its arguments from `$fromAI` with a description, and keeps lists bounded. The end-to-end
 * suite (test/e2e/mcp.e2e.test.ts) runs them in n8n; this catches a typo in seconds.
 */
import * as fs from 'fs';
import * as path from 'path';
import type { INodeProperties } from 'n8n-workflow';

import { OPERATIONS as UPHANCE_OPERATIONS } from '../../nodes/Uphance/resources';
import { OPERATIONS as UPLIFT_OPERATIONS } from '../../nodes/Uplift/resources';
import type { VendorOperation } from '../../nodes/shared/operations';

const EXAMPLES = path.join(__dirname, '..', '..', 'examples');
const servers: Array<[string, string, VendorOperation[], string]> = [
	['uphance-mcp-server-workflow.json', 'n8n-nodes-uphance-uplift.uphanceTool', UPHANCE_OPERATIONS, 'uphanceApi'],
	['uplift-mcp-server-workflow.json', 'n8n-nodes-uphance-uplift.upliftTool', UPLIFT_OPERATIONS, 'upliftApi'],
];

interface Node {
	name: string;
	type: string;
	typeVersion: number;
	parameters: Record<string, unknown>;
	credentials?: Record<string, { id: string; name: string }>;
}

const FROM_AI = /^=\{\{ \$fromAI\('([a-zA-Z0-9_-]{1,64})', '([^']+)', '(string|number|boolean|json)'(?:, ('[^']*'|-?\d+(?:\.\d+)?|true|false))?\) \}\}$/;

/** Every string value in a parameter tree, with its path. */
function strings(value: unknown, at: string, out: Array<[string, string]> = []): Array<[string, string]> {
	if (typeof value === 'string') out.push([at, value]);
	else if (Array.isArray(value)) value.forEach((v, i) => strings(v, `${at}[${i}]`, out));
	else if (value && typeof value === 'object') for (const [k, v] of Object.entries(value)) strings(v, at ? `${at}.${k}` : k, out);
	return out;
}

describe.each(servers)('%s', (file, toolType, operations, credentialType) => {
	const wf = JSON.parse(fs.readFileSync(path.join(EXAMPLES, file), 'utf8')) as {
		nodes: Node[];
		connections: Record<string, { ai_tool?: Array<Array<{ node: string; type: string }>> }>;
		settings: unknown;
	};
	const trigger = wf.nodes.find((n) => n.type === '@n8n/n8n-nodes-langchain.mcpTrigger') as Node;
	const tools = wf.nodes.filter((n) => n !== trigger);

	it('is an MCP Server Trigger (typeVersion 2, bearer auth) with every other node connected to it as a tool', () => {
		expect(trigger).toBeDefined();
		expect(trigger.typeVersion).toBe(2);
		expect(trigger.parameters).toMatchObject({ authentication: 'bearerAuth', path: expect.stringMatching(/^[a-z-]+$/) });
		expect(trigger.credentials).toEqual({ httpBearerAuth: { id: 'REPLACE_WITH_YOUR_CREDENTIAL_ID', name: expect.any(String) } });
		expect(wf.settings).toEqual({ executionOrder: 'v1' });
		for (const tool of tools) {
			expect([tool.name, tool.type, tool.typeVersion]).toEqual([tool.name, toolType, 1]);
			expect(tool.credentials).toEqual({ [credentialType]: { id: 'REPLACE_WITH_YOUR_CREDENTIAL_ID', name: expect.any(String) } });
			expect(wf.connections[tool.name]).toEqual({ ai_tool: [[{ node: trigger.name, type: 'ai_tool', index: 0 }]] });
		}
		expect(Object.keys(wf.connections).sort()).toEqual(tools.map((t) => t.name).sort());
	});

	it('gives each tool a name and a description of its own (Set Manually)', () => {
		const names = tools.map((t) => t.name.replace(/[^a-zA-Z0-9_-]+/g, '_'));
		expect(new Set(names).size).toBe(names.length);
		for (const tool of tools) {
			expect(tool.parameters.descriptionType).toBe('manual');
			expect(String(tool.parameters.toolDescription).length).toBeGreaterThan(60);
		}
	});

	it('names operations that exist and sets only fields they have', () => {
		for (const tool of tools) {
			const { resource, operation, descriptionType, toolDescription, ...fields } = tool.parameters;
			void descriptionType;
			void toolDescription;
			const op = operations.find((o) => o.resource === resource && o.value === operation);
			expect([tool.name, op ? 'exists' : `no ${resource} → ${operation}`]).toEqual([tool.name, 'exists']);
			const properties = op!.properties;
			for (const [name, value] of Object.entries(fields)) {
				const property = properties.find((p) => p.name === name) as INodeProperties;
				expect([tool.name, name, property ? 'known' : 'unknown']).toEqual([tool.name, name, 'known']);
				if (property.type === 'collection' || property.type === 'fixedCollection') {
					const inner = (property.options as INodeProperties[]).flatMap((o) => ('values' in o ? (o.values as INodeProperties[]) : [o]));
					const keys = property.type === 'fixedCollection' ? Object.values(value as object).flatMap((list) => (list as object[]).flatMap((v) => Object.keys(v))) : Object.keys(value as object);
					for (const key of keys) expect([tool.name, name, key, inner.some((p) => p.name === key)]).toEqual([tool.name, name, key, true]);
				}
			}
		}
	});

	it('takes every argument from one whole $fromAI expression with a description, and bounds every list', () => {
		for (const tool of tools) {
			const expressions = strings(tool.parameters, '').filter(([, v]) => v.startsWith('='));
			for (const [at, expression] of expressions) expect([tool.name, at, FROM_AI.test(expression)]).toEqual([tool.name, at, true]);
			if (tool.parameters.operation === 'getAll' || tool.parameters.operation === 'getResults') {
				expect(tool.parameters.returnAll).toBe(false);
				expect(tool.parameters.limit).toBe("={{ $fromAI('limit', 'How many to return, 1 to 100 (default 20)', 'number', 20) }}");
			}
			if (tool.parameters.operation === 'run')
				expect((tool.parameters.options as Record<string, unknown>).maxRows).toMatch(/^=\{\{ \$fromAI\('maxRows', '[^']+', 'number', 20\) \}\}$/);
		}
	});

	it('marks the tools that write, and only them', () => {
		const writing = new Set(['updateTracking', 'markShipped', 'adjust', 'create', 'update']);
		for (const tool of tools)
			expect([tool.name, /^WRITES to /.test(String(tool.parameters.toolDescription))]).toEqual([tool.name, writing.has(String(tool.parameters.operation))]);
	});
});
