/**
 * An IExecuteFunctions for the action nodes' execute(): real HTTP through CredentialStore (n8n's
 * authenticate / preAuthentication / renew-on-401), per-item parameters, `={{ $json.field }}`
 * expressions against the input item, continueOnFail.
 */
import type { IDataObject, INodeExecutionData, INodeType } from 'n8n-workflow';

import { CredentialStore } from './n8nStubs';
import { UphanceApi } from '../../../credentials/UphanceApi.credentials';
import { UpliftApi } from '../../../credentials/UpliftApi.credentials';

export type Params = IDataObject | ((itemIndex: number) => IDataObject);

export interface ActionRun {
	output: INodeExecutionData[];
	credentials: CredentialStore;
}

export function uphanceCredentials(fake: {
	url: string;
	email: string;
	password: string;
	organisations: Array<{ id: number }>;
}) {
	return new CredentialStore(
		{ uphanceApi: new UphanceApi() },
		{
			uphanceApi: {
				email: fake.email,
				password: fake.password,
				organisationId: String(fake.organisations[0].id),
				baseUrl: fake.url,
				sessionToken: '',
			},
		},
	);
}

export function upliftCredentials(fake: { apiBaseUrl: string; apiKey: string }) {
	return new CredentialStore(
		{ upliftApi: new UpliftApi() },
		{ upliftApi: { apiKey: fake.apiKey, baseUrl: fake.apiBaseUrl } },
	);
}

function resolve(value: unknown, item: IDataObject): unknown {
	if (typeof value !== 'string' || !value.startsWith('=')) return value;
	const m = /^=\{\{\s*\$json\.(\w+)\s*\}\}$/.exec(value);
	if (!m) throw new Error(`test stub cannot evaluate ${value}`);
	return item[m[1]];
}

export async function runAction(
	node: INodeType,
	opts: {
		params: Params;
		credentials: CredentialStore;
		items?: IDataObject[];
		continueOnFail?: boolean;
		nodeName?: string;
		/** the node's type; a type ending in `Tool` is the node as an AI tool (AI Agent, MCP) */
		nodeType?: string;
	},
): Promise<ActionRun> {
	const items: INodeExecutionData[] = (opts.items ?? [{}]).map((json) => ({ json }));
	const nodeName = opts.nodeName ?? 'Action';
	const ctx = {
		getInputData: () => items,
		getNode: () => ({
			id: 'node-1',
			name: nodeName,
			type: opts.nodeType ?? 'test.action',
			typeVersion: 1,
			position: [0, 0],
			parameters: {},
		}),
		getWorkflow: () => ({ id: 'wf-actions', name: 'test', active: false }),
		getMode: () => 'manual',
		continueOnFail: () => opts.continueOnFail === true,
		getCredentials: async (type: string) => await opts.credentials.get(type),
		getNodeParameter: (name: string, itemIndex: number, fallback?: unknown) => {
			const params = typeof opts.params === 'function' ? opts.params(itemIndex) : opts.params;
			const value = params[name];
			if (value === undefined) {
				if (fallback === undefined) throw new Error(`Could not get parameter "${name}"`);
				return fallback;
			}
			return resolve(JSON.parse(JSON.stringify(value)), items[itemIndex]?.json ?? {});
		},
		helpers: {
			httpRequestWithAuthentication: async (type: string, options: IDataObject) =>
				await opts.credentials.requestWithAuthentication(type, options as never),
		},
		logger: { debug() {}, info() {}, warn() {}, error() {} },
	};
	const result = await node.execute!.call(ctx as never);
	return { output: (result as INodeExecutionData[][])[0], credentials: opts.credentials };
}
