/**
 * n8n mutates the descriptions of loaded nodes: for nodes whose credential can authenticate any
 * request it appends a "Custom API Call" option to the `resource` and `operation` option lists
 * (injectCustomApiCallOptions in n8n 2.40.7's dist/load-nodes-and-credentials.js), and after a
 * community package is installed it constructs every node class of the package again. A new
 * instance must not see the previous instance's mutation.
 */
import type { INodeProperties, INodeType } from 'n8n-workflow';

import { Uphance } from '../../nodes/Uphance/Uphance.node';
import { Uplift } from '../../nodes/Uplift/Uplift.node';

const CUSTOM_API_CALL = { name: 'Custom API Call', value: '__CUSTOM_API_CALL__' };

/** What n8n's injectCustomApiCallOptions does to a loaded description. */
function injectCustomApiCall(node: INodeType): void {
	for (const p of node.description.properties as INodeProperties[]) {
		if (['resource', 'operation'].includes(p.name) && Array.isArray(p.options)) {
			const last = p.options[p.options.length - 1] as { name: string };
			if (last.name !== CUSTOM_API_CALL.name) (p.options as unknown[]).push({ ...CUSTOM_API_CALL });
		}
	}
}

const resourceNames = (node: INodeType) =>
	((node.description.properties.find((p) => p.name === 'resource')?.options ?? []) as Array<{ name: string }>).map((o) => o.name);

describe.each([
	['Uphance', () => new Uphance()],
	['Uplift', () => new Uplift()],
])('%s node description survives n8n building the class again', (_name, build) => {
	it('constructs a second instance after n8n appended Custom API Call to the first', () => {
		const first = build();
		const before = resourceNames(first);
		injectCustomApiCall(first);
		expect(resourceNames(first)).toContain(CUSTOM_API_CALL.name);
		const second = build();
		expect(resourceNames(second)).toEqual(before);
		expect(resourceNames(second)).not.toContain(CUSTOM_API_CALL.name);
	});
});
