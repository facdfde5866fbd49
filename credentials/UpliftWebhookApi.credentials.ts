import type {
	ICredentialsDecrypted,
	ICredentialType,
	Icon,
	INodeCredentialTestResult,
	INodeProperties,
} from 'n8n-workflow';

/**
 * The Uplift Trigger's credential ("Uplift Webhook API"): only the webhook
 * signing secret(s), so a user who only receives webhooks needs no API key and saves a credential
 * whose test passes.
 * The secret cannot be checked against Uplift (Uplift has no endpoint for it); the test says what
 * it checked, and a wrong secret shows up as a 401 answer to Uplift's delivery (README,
 * "Troubleshooting 401s"). The previous secret lets a rotation happen without dropping deliveries
 * signed with the old one.
 */
export class UpliftWebhookApi implements ICredentialType {
	name = 'upliftWebhookApi';

	displayName = 'Uplift Webhook API';

	icon: Icon = { light: 'file:../icons/uplift.svg', dark: 'file:../icons/uplift.dark.svg' };

	documentationUrl = 'https://help.uplift.ai/en/articles/7031627-webhook-secrets';

	properties: INodeProperties[] = [
		{
			displayName: 'Signing Secret',
			name: 'signingSecret',
			type: 'string',
			typeOptions: { password: true },
			default: '',
			required: true,
			description:
				'The secret you typed in the Uplift dashboard when you created the webhook (Create Webhook → Secret). Uplift signs every delivery with it.',
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
	];
}

/**
 * The test of an Uplift Webhook API credential, run by n8n through the Uplift Trigger's `testedBy`. It
 * needs no network: it checks what can be checked before Uplift sends a delivery.
 */
export async function testUpliftWebhookSecret(
	credential: ICredentialsDecrypted,
): Promise<INodeCredentialTestResult> {
	const secret = String(credential.data?.signingSecret ?? '');
	if (secret.trim() === '') {
		return {
			status: 'Error',
			message:
				'Enter the Signing Secret: the secret set on the webhook in the Uplift dashboard (Create Webhook → Secret).',
		};
	}
	return {
		status: 'OK',
		message:
			'Secret saved. Uplift signs each delivery with it; a delivery signed with another secret is answered 401.',
	};
}
