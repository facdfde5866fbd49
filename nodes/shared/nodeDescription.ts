import type { INodeProperties, IWebhookDescription } from 'n8n-workflow';

import type { DuplicateLimits } from './duplicateMemory/store';

/**
 * Description pieces both triggers share: the webhook registrations and the duplicate memory and
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

/** The duplicate memory's options as stored in the node's `options` collection. */
export interface DuplicateMemoryOptions {
	duplicateWindowHours?: number;
	duplicateMemorySize?: number;
}

export function duplicateMemoryOptions(
	defaultWindowHours: number,
	vendorNote: string,
): INodeProperties[] {
	return [
		{
			displayName: 'Duplicate Window (Hours)',
			name: 'duplicateWindowHours',
			type: 'number',
			typeOptions: { minValue: 0 },
			default: defaultWindowHours,
			description: `${vendorNote} How long a delivery is remembered: a repeat within this time starts no execution`,
		},
		{
			displayName: 'Duplicate Memory Size',
			name: 'duplicateMemorySize',
			type: 'number',
			typeOptions: { minValue: 1 },
			default: 10000,
			description:
				'Most deliveries remembered at once; when it is full, the oldest are forgotten first. Keep it above the number of deliveries you receive within the Duplicate Window.',
		},
	];
}

/** The limits the options describe; `defaultWindowHours` is the one given to duplicateMemoryOptions. */
export function duplicateLimits(
	options: DuplicateMemoryOptions,
	defaultWindowHours: number,
): DuplicateLimits {
	return {
		maxAgeMs: Math.max(0, options.duplicateWindowHours ?? defaultWindowHours) * 3_600_000,
		maxEntries: Math.max(1, Math.floor(options.duplicateMemorySize ?? 10000)),
	};
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
