import type {
	Icon,
	ICredentialDataDecryptedObject,
	ICredentialTestRequest,
	ICredentialType,
	IHttpRequestOptions,
	INodeProperties,
} from 'n8n-workflow';

export const DEFAULT_UPLIFT_BASE_URL = 'https://api.uplift.ai/v1';

/** The credential's Base URL, or Uplift's, without a trailing slash (as uphanceBaseUrl does for Uphance). */
export function upliftBaseUrl(value: unknown): string {
	const text =
		typeof value === 'string' && value.trim() !== '' ? value.trim() : DEFAULT_UPLIFT_BASE_URL;
	return text.replace(/\/+$/, '');
}

/**
 * The Uplift API key (Bearer), for the Uplift node. The Uplift Trigger has its own credential with
 * the webhook signing secret (UpliftWebhookApi.credentials.ts), so a user who only receives
 * webhooks needs no API key.
 */
export class UpliftApi implements ICredentialType {
	name = 'upliftApi';

	displayName = 'Uplift API';

	icon: Icon = { light: 'file:../icons/uplift.svg', dark: 'file:../icons/uplift.dark.svg' };

	documentationUrl = 'https://docs.uplift.ai/api-reference/authentication';

	properties: INodeProperties[] = [
		{
			displayName: 'API Key',
			name: 'apiKey',
			type: 'string',
			typeOptions: { password: true },
			default: '',
			description:
				'Uplift Capture web app → account settings → API Keys → Generate (starts with "sk"). Used by the Uplift node.',
		},
		{
			displayName: 'Base URL',
			name: 'baseUrl',
			type: 'string',
			default: DEFAULT_UPLIFT_BASE_URL,
			description: 'Change only to point at a proxy or a test server',
		},
	];

	/**
	 * In code, not as n8n's generic `=Bearer {{$credentials.apiKey}}`: the Uplift Trigger's catch-up
	 * calls the API from a timer, and n8n 2.40.7 cannot evaluate a credential expression there ("No
	 * bridge acquired for this context", docs/n8n-internals.md, "A timer beside the webhook").
	 */
	async authenticate(
		credentials: ICredentialDataDecryptedObject,
		requestOptions: IHttpRequestOptions,
	): Promise<IHttpRequestOptions> {
		return {
			...requestOptions,
			headers: {
				...requestOptions.headers,
				Authorization: `Bearer ${String(credentials.apiKey ?? '')}`,
			},
		};
	}

	test: ICredentialTestRequest = {
		request: {
			baseURL: '={{$credentials.baseUrl.replace(/\\/+$/, "")}}',
			url: '/captures',
			qs: { limit: 1 },
		},
		rules: [
			{
				type: 'responseCode',
				properties: {
					value: 401,
					message:
						'Uplift did not accept the API key (HTTP 401). Generate one in the Uplift Capture web app (account settings → API Keys) and paste it here.',
				},
			},
			{
				type: 'responseCode',
				properties: {
					value: 403,
					message: 'Uplift accepted the API key but refused to list captures with it (HTTP 403).',
				},
			},
		],
	};
}
