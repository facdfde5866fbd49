import type { INodeProperties, IWebhookDescription } from 'n8n-workflow';

/**
 * Description pieces both triggers share: the webhook registrations and the idempotency and
 * allowlist options.
 */

export const WEBHOOK_PATH = 'webhook';

/**
 * POST is the delivery. The other methods are registered (and hidden in the editor) only so a
 * wrong method gets a clear 405 from the node instead of n8n's generic 404.
 */
export const webhookDescriptions: IWebhookDescription[] = [
	{
		name: 'default',
		httpMethod: 'POST',
		responseMode: 'onReceived',
		responseData: 'noData',
		path: WEBHOOK_PATH,
	},
	...['GET', 'PUT', 'PATCH', 'DELETE'].map(
		(httpMethod): IWebhookDescription => ({
			name: 'default',
			httpMethod,
			responseMode: 'onReceived',
			responseData: 'noData',
			path: WEBHOOK_PATH,
			ndvHideUrl: true,
			ndvHideMethod: true,
		}),
	),
];

export function dedupeOptions(defaultWindowHours: number, vendorNote: string): INodeProperties[] {
	return [
		{
			displayName: 'Duplicate Window (Hours)',
			name: 'dedupeWindowHours',
			type: 'number',
			typeOptions: { minValue: 0 },
			default: defaultWindowHours,
			description: `${vendorNote} How long a delivery is remembered: a repeat within this time starts no execution`,
		},
		{
			displayName: 'Duplicate Memory Size',
			name: 'dedupeMaxEntries',
			type: 'number',
			typeOptions: { minValue: 1 },
			default: 10000,
			description:
				'Most deliveries remembered at once; when it is full, the oldest are forgotten first. Keep it above the number of deliveries you receive within the Duplicate Window.',
		},
	];
}

export function ipAllowlistOption(placeholder: string, description: string): INodeProperties {
	return {
		displayName: 'IP Allowlist',
		name: 'ipAllowlist',
		type: 'string',
		default: '',
		placeholder,
		description: `${description} Comma-separated addresses or CIDR ranges (IPv4 and IPv6). Empty allows every address. Behind a reverse proxy, set N8N_PROXY_HOPS so n8n sees the real caller.`,
	};
}
