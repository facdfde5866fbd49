import type {
	IAuthenticateGeneric,
	Icon,
	ICredentialTestRequest,
	ICredentialType,
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
 * Everything secret about an Uplift connection lives here: the API key (Bearer, for follow-up calls)
 * and the webhook signing secret(s). The previous secret lets a rotation happen without dropping
 * deliveries signed with the old one.
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
				'Uplift Capture web app → account settings → API Keys → Generate (starts with "sk"). Used for follow-up calls such as fetching the capture.',
		},
		{
			displayName: 'Webhook Signing Secret',
			name: 'signingSecret',
			type: 'string',
			typeOptions: { password: true },
			default: '',
			description:
				'The secret token you typed in the Uplift dashboard when you created the webhook (Create Webhook → Secret). Uplift signs every delivery with it.',
		},
		{
			displayName: 'Previous Signing Secret',
			name: 'previousSigningSecret',
			type: 'string',
			typeOptions: { password: true },
			default: '',
			description:
				'Only while you rotate the secret: deliveries signed with this older secret are accepted too. Clear it once Uplift uses the new one.',
		},
		{
			displayName: 'Base URL',
			name: 'baseUrl',
			type: 'string',
			default: DEFAULT_UPLIFT_BASE_URL,
			description: 'Change only to point at a proxy or a test server',
		},
	];

	authenticate: IAuthenticateGeneric = {
		type: 'generic',
		properties: {
			headers: {
				Authorization: '=Bearer {{$credentials.apiKey}}',
			},
		},
	};

	test: ICredentialTestRequest = {
		request: {
			baseURL: '={{$credentials.baseUrl.replace(/\\/+$/, "")}}',
			url: '/captures',
			qs: { limit: 1 },
		},
	};
}
