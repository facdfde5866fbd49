import { NodeConnectionTypes } from 'n8n-workflow';
import type {
	ICredentialsDecrypted,
	ICredentialTestFunctions,
	IExecuteFunctions,
	IHookFunctions,
	INodeCredentialTestResult,
	INodeExecutionData,
	INodeProperties,
	INodeType,
	INodeTypeDescription,
	IWebhookFunctions,
	IWebhookResponseData,
} from 'n8n-workflow';

import { testUpliftWebhookSecret } from '../../credentials/UpliftWebhookApi.credentials';
import {
	ALL_EVENTS,
	eventsSubtitle,
	isEventSelected,
	selectedEventNames,
} from '../shared/eventSelection';
import { dedupeOptions, ipAllowlistOption, webhookDescriptions } from '../shared/nodeDescription';
import { verifyUpliftSignature } from '../shared/signature';
import type { MemorySettings } from '../shared/staticDataMemory';
import {
	notReadyMessage,
	rememberExecutionDeliveries,
	runWebhookPipeline,
	withErrorBoundary,
} from '../shared/webhookPipeline';
import type { Refusal, VendorPipeline } from '../shared/webhookPipeline';
import { parseUpliftEvent, upliftDeliveryKey, upliftItemJson } from './upliftEvent';
import type { UpliftEvent } from './upliftEvent';
import { runUpliftFollowUps } from './upliftFollowUp';

export const UPLIFT_SIGNATURE_HEADER = 'x-uplift-signature-256';
export const UPLIFT_SOURCE_IP = '54.245.28.22';

interface UpliftOptions {
	downloadCsv?: boolean;
	binaryPropertyName?: string;
	fetchCapture?: boolean;
	dedupeWindowHours?: number;
	dedupeMaxEntries?: number;
	ipAllowlist?: string;
	followUpTimeoutSeconds?: number;
	fetchTimeoutSeconds?: number;
	maxRetries?: number;
}

function memorySettings(options: UpliftOptions): MemorySettings {
	return {
		dedupeWindowHours: options.dedupeWindowHours ?? 168,
		dedupeMaxEntries: options.dedupeMaxEntries ?? 10000,
	};
}

const SIGNATURE_ADVICE: Record<string, string> = {
	missing: `The ${UPLIFT_SIGNATURE_HEADER} header is missing. Set a secret on the webhook in the Uplift dashboard and the same secret in the n8n credential.`,
	malformed: `The ${UPLIFT_SIGNATURE_HEADER} header is not of the form sha256=<64 hex characters>.`,
	mismatch:
		'The signature does not match the body. Check that the signing secret in the n8n credential is exactly the secret set in Uplift, and that nothing between Uplift and n8n rewrites the body.',
};

/**
 * Parameter, output and credential names by node version; workflows saved with an older version
 * keep its names and behave as before.
 * - 2 uses the Uphance Trigger's names (`additionalEvents`, `fetchTimeoutSeconds`, the item's `fetch`).
 * - 3 reads the signing secret from its own credential (Uplift Webhook API), so a user who only
 *   receives webhooks needs no API key; the capture is fetched by the Uplift node's Get Capture
 *   instead of this node's Fetch Capture option, which needed the API key.
 */
export function upliftNames(typeVersion: number): {
	additionalEvents: string;
	timeout: 'fetchTimeoutSeconds' | 'followUpTimeoutSeconds';
	outcome: string;
	credential: 'upliftWebhookApi' | 'upliftApi';
} {
	if (typeVersion < 2)
		return {
			additionalEvents: 'additionalEventTypes',
			timeout: 'followUpTimeoutSeconds',
			outcome: 'followUp',
			credential: 'upliftApi',
		};
	return {
		additionalEvents: 'additionalEvents',
		timeout: 'fetchTimeoutSeconds',
		outcome: 'fetch',
		credential: typeVersion >= 3 ? 'upliftWebhookApi' : 'upliftApi',
	};
}

const UPLIFT_EVENTS = [
	{
		name: 'Movement Analytics Created',
		value: 'movement.analytics.created',
		description: 'A capture is processed and its kinematic data (CSV) is ready',
	},
	{
		name: 'Webhook Created',
		value: 'webhook.created',
		description: 'A webhook endpoint was created in Uplift',
	},
];

const FETCH_CAPTURE_OPTION: INodeProperties = {
	displayName: 'Fetch Capture',
	name: 'fetchCapture',
	type: 'boolean',
	default: false,
	description:
		'Whether to fetch the capture (session) the event names from the Uplift API, using the API key',
};

function optionsCollection(
	versions: Array<number | { _cnd: { gte: number } }>,
	timeoutName: string,
	timeoutDisplayName: string,
	withFetchCapture: boolean,
): INodeProperties {
	return {
		displayName: 'Options',
		name: 'options',
		type: 'collection',
		placeholder: 'Add option',
		default: {},
		displayOptions: { show: { '@version': versions } },
		options: [
			{
				displayName: 'Binary Property',
				name: 'binaryPropertyName',
				type: 'string',
				default: 'data',
				description: 'Binary property that receives the CSV file (use it in Extract From File)',
			},
			...dedupeOptions(168, 'Uplift retries for days; its CSV links last 7 days.'),
			{
				displayName: 'Download CSV',
				name: 'downloadCsv',
				type: 'boolean',
				default: true,
				description:
					'Whether to download the kinematic CSV of Movement Analytics Created events as binary data',
			},
			...(withFetchCapture ? [FETCH_CAPTURE_OPTION] : []),
			{
				displayName: timeoutDisplayName,
				name: timeoutName,
				type: 'number',
				typeOptions: { minValue: 1 },
				default: 30,
				description: 'Time limit for each download or API call made after Uplift has been answered',
			},
			ipAllowlistOption(
				UPLIFT_SOURCE_IP,
				`Only accept deliveries from these addresses. Uplift sends from ${UPLIFT_SOURCE_IP}.`,
			),
			{
				displayName: 'Retries',
				name: 'maxRetries',
				type: 'number',
				typeOptions: { minValue: 0 },
				default: 3,
				description:
					'Retries of a download or API call that fails with 429, 5xx or a network error (Retry-After is honoured)',
			},
		],
	};
}

export class UpliftTrigger implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Uplift Trigger',
		name: 'upliftTrigger',
		icon: { light: 'file:../../icons/uplift.svg', dark: 'file:../../icons/uplift.dark.svg' },
		group: ['trigger'],
		// 1.1 behaves exactly like 1. It exists because n8n evaluates an expression (the Webhook node
		// v1's `options.binaryData`) for every request to a start node of typeVersion 1, which costs an
		// expression isolate per request; see BENCHMARKS.md. 2 behaves like 1.1 with the names the
		// Uphance Trigger uses, 3 its own credential (see upliftNames). New workflows get 3.
		version: [1, 1.1, 2, 3],
		defaultVersion: 3,
		subtitle: eventsSubtitle(UPLIFT_EVENTS),
		description:
			'Starts the workflow when Uplift sends a webhook (signed, de-duplicated, CSV attached)',
		defaults: { name: 'Uplift Trigger' },
		inputs: [],
		outputs: [NodeConnectionTypes.Main],
		credentials: [
			{
				name: 'upliftApi',
				required: true,
				displayOptions: { show: { '@version': [1, 1.1, 2] } },
			},
			{
				name: 'upliftWebhookApi',
				required: true,
				testedBy: 'upliftWebhookSecret',
				displayOptions: { show: { '@version': [3] } },
			},
		],
		webhooks: webhookDescriptions,
		properties: [
			{
				displayName:
					"In the Uplift dashboard, Create Webhook with this node's Production URL (click Webhook URLs at the top of this panel, then Production URL; click the URL to copy it), choose the events, and set a secret. Put the same secret in the credential. Activate the workflow so the Production URL answers.",
				name: 'setupNotice',
				type: 'notice',
				default: '',
			},
			{
				displayName:
					"To get the capture (session) an event names, add the Uplift node's Get Capture after this node.",
				name: 'captureNotice',
				type: 'notice',
				default: '',
				displayOptions: { show: { '@version': [{ _cnd: { gte: 3 } }] } },
			},
			{
				displayName: 'Events',
				name: 'events',
				type: 'multiOptions',
				options: [
					{
						name: 'All Events',
						value: ALL_EVENTS,
						description: 'Every event, including types this node does not know yet',
					},
					...UPLIFT_EVENTS,
				],
				default: [ALL_EVENTS],
				description:
					'Which event types start the workflow. Others are acknowledged and ignored, so Uplift does not retry them.',
			},
			{
				displayName: 'Additional Event Types',
				name: 'additionalEventTypes',
				type: 'string',
				default: '',
				placeholder: 'capture.processed, athlete.created',
				description:
					'Comma-separated event type names that also start the workflow, for types Uplift adds later',
				displayOptions: { show: { '@version': [1, 1.1] } },
			},
			{
				displayName: 'Additional Events',
				name: 'additionalEvents',
				type: 'string',
				default: '',
				placeholder: 'capture.processed, athlete.created',
				description:
					'Comma-separated event type names that also start the workflow, for types Uplift adds later',
				displayOptions: { show: { '@version': [{ _cnd: { gte: 2 } }] } },
			},
			{
				displayName: 'Verify Signature',
				name: 'verifySignature',
				type: 'boolean',
				default: true,
				description: `Whether to reject deliveries whose ${UPLIFT_SIGNATURE_HEADER} header does not match the signing secret`,
			},
			{
				displayName:
					'Signature verification is off: anyone who knows the URL can start this workflow with any data, and CSV links are not downloaded. Turn it off only for a webhook that has no secret, and never in production.',
				name: 'verificationOffNotice',
				type: 'notice',
				default: '',
				displayOptions: { show: { verifySignature: [false] } },
			},
			optionsCollection([1, 1.1], 'followUpTimeoutSeconds', 'Follow-Up Timeout (Seconds)', true),
			optionsCollection([2], 'fetchTimeoutSeconds', 'Fetch Timeout (Seconds)', true),
			optionsCollection(
				[{ _cnd: { gte: 3 } }],
				'fetchTimeoutSeconds',
				'Fetch Timeout (Seconds)',
				false,
			),
		],
	};

	methods = {
		credentialTest: {
			async upliftWebhookSecret(
				this: ICredentialTestFunctions,
				credential: ICredentialsDecrypted,
			): Promise<INodeCredentialTestResult> {
				return await testUpliftWebhookSecret(credential);
			},
		},
	};

	webhookMethods = {
		default: {
			// Uplift has no API to register webhooks: the user pastes the URL in its dashboard.
			// So there is nothing to look up, create or remove on Uplift's side.
			async checkExists(this: IHookFunctions): Promise<boolean> {
				return true;
			},
			async create(this: IHookFunctions): Promise<boolean> {
				return true;
			},
			async delete(this: IHookFunctions): Promise<boolean> {
				return true;
			},
		},
	};

	async webhook(this: IWebhookFunctions): Promise<IWebhookResponseData> {
		// Everything, parameter reading included, runs behind the error boundary: webhook() never throws.
		return await withErrorBoundary(this, 'Uplift', async () => {
			const names = upliftNames(this.getNode().typeVersion);
			const options = this.getNodeParameter('options', {}) as UpliftOptions;
			const verify = this.getNodeParameter('verifySignature', true) as boolean;
			const selected = selectedEventNames(
				this.getNodeParameter('events', [ALL_EVENTS]) as string[],
				this.getNodeParameter(names.additionalEvents, '') as string,
			);

			const pipeline: VendorPipeline<UpliftEvent, undefined> = {
				vendor: 'Uplift',
				authenticate: async (delivery): Promise<Refusal | undefined> => {
					if (!verify) return undefined;
					const credentials = await this.getCredentials<{
						signingSecret?: string;
						previousSigningSecret?: string;
					}>(names.credential);
					const check = verifyUpliftSignature(
						delivery.rawBody,
						delivery.headers[UPLIFT_SIGNATURE_HEADER],
						{
							current: credentials.signingSecret ?? '',
							previous: credentials.previousSigningSecret ?? '',
						},
					);
					if (check.valid) return undefined;
					if (check.reason === 'noSecret') {
						// The caller is not authenticated: it learns that the trigger is not ready, not why.
						return {
							status: 503,
							message: notReadyMessage('Uplift'),
							logDetail:
								'Signature verification is on but the Uplift credential has no signing secret. Add the secret you set in Uplift (or turn off Verify Signature).',
						};
					}
					return { status: 401, message: SIGNATURE_ADVICE[check.reason] };
				},
				parse: (body) => parseUpliftEvent(body),
				isSelected: (event) => isEventSelected(event.type, selected),
				deliveryKey: (event, delivery) => upliftDeliveryKey(event, delivery.rawBody),
				toItem: (event, deliveryKey, delivery) => ({
					json: upliftItemJson(event, deliveryKey, delivery.receivedAt, names.outcome),
				}),
			};

			return await runWebhookPipeline(this, pipeline, {
				ipAllowlist: options.ipAllowlist ?? '',
				...memorySettings(options),
			});
		});
	}

	/**
	 * Runs inside the execution, after the webhook was acknowledged: slow follow-ups (the CSV, the
	 * capture) happen here so Uplift never waits for them.
	 */
	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		const items = this.getInputData();
		rememberExecutionDeliveries(
			this,
			items,
			memorySettings(this.getNodeParameter('options', 0, {}) as UpliftOptions),
		);
		const names = upliftNames(this.getNode().typeVersion);
		const results: INodeExecutionData[] = [];
		for (let i = 0; i < items.length; i++) {
			const options = this.getNodeParameter('options', i, {}) as UpliftOptions;
			const enriched = await runUpliftFollowUps(this, items[i], {
				downloadCsv: options.downloadCsv ?? true,
				binaryPropertyName: options.binaryPropertyName || 'data',
				// the capture is fetched with the API key, which only the Uplift API credential holds
				fetchCapture: names.credential === 'upliftApi' && (options.fetchCapture ?? false),
				signatureVerified: this.getNodeParameter('verifySignature', i, true) as boolean,
				outcomeField: names.outcome,
				policy: {
					maxRetries: Math.max(0, options.maxRetries ?? 3),
					timeoutMs: Math.max(1, options[names.timeout] ?? 30) * 1000,
				},
			});
			results.push({ ...enriched, pairedItem: { item: i } });
		}
		return [results];
	}
}
