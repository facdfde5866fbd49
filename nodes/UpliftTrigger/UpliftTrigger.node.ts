import { NodeConnectionTypes } from 'n8n-workflow';
import type {
	ICredentialsDecrypted,
	ICredentialTestFunctions,
	IExecuteFunctions,
	IHookFunctions,
	INodeCredentialTestResult,
	INodeExecutionData,
	INodeType,
	INodeTypeDescription,
	ITriggerFunctions,
	ITriggerResponse,
	IWebhookFunctions,
	IWebhookResponseData,
} from 'n8n-workflow';

import { testUpliftWebhookSecret } from '../../credentials/UpliftWebhookApi.credentials';
import { upliftBaseUrl } from '../../credentials/UpliftApi.credentials';
import { catchUpProperties, catchUpSettingsOf } from '../shared/catchUp/description';
import type { CatchUpOptions } from '../shared/catchUp/description';
import { throwCatchUpProblem } from '../shared/catchUp/problem';
import { authenticatedSend } from '../shared/vendorHttp';
import type { DuplicateLimits } from '../shared/duplicateMemory/store';
import { startCatchUp } from '../shared/catchUp/schedule';
import { withoutCarriedCursor } from '../shared/deliveryItem';
import { acceptInExecution } from '../shared/duplicateMemory/staticData';
import {
	ALL_EVENTS,
	eventsSubtitle,
	isEventSelected,
	selectedEventNames,
} from '../shared/eventSelection';
import {
	duplicateLimits,
	duplicateMemoryOptions,
	ipAllowlistOption,
	webhookDescriptions,
} from '../shared/nodeDescription';
import type { DuplicateMemoryOptions } from '../shared/nodeDescription';
import { ok } from '../shared/refusal';
import { checkUpliftSignature, UPLIFT_SIGNATURE_HEADER } from '../shared/signature';
import { receiveDelivery } from '../shared/webhookPipeline';
import { parseUpliftEvent, upliftDeliveryKey, upliftItemJson } from './upliftEvent';
import { attachCsv } from './upliftCsv';
import {
	listUpliftChanges,
	probeUpliftCaptures,
	upliftCaptureAlias,
	upliftCaughtUpAlias,
} from './upliftCatchUp';

export const UPLIFT_SOURCE_IP = '54.245.28.22';

interface UpliftOptions extends DuplicateMemoryOptions {
	downloadCsv?: boolean;
	binaryPropertyName?: string;
	ipAllowlist?: string;
	fetchTimeoutSeconds?: number;
	maxRetries?: number;
}

interface UpliftCatchUpOptions extends CatchUpOptions {
	processingAllowanceHours?: number;
}

/** Uplift retries for days (its schedule is unknown) and its CSV links last 7 days. */
const DUPLICATE_WINDOW_HOURS = 168;

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

export class UpliftTrigger implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Uplift Trigger',
		name: 'upliftTrigger',
		icon: { light: 'file:../../icons/uplift.svg', dark: 'file:../../icons/uplift.dark.svg' },
		group: ['trigger'],
		// 1.1, not 1: n8n evaluates an expression for every request to a start node of typeVersion 1,
		// which costs an expression isolate per request (BENCHMARKS.md §2). One version until the
		// first published release; versioning starts there.
		version: 1.1,
		subtitle: eventsSubtitle(UPLIFT_EVENTS),
		description:
			'Starts the workflow when Uplift sends a webhook (signed, de-duplicated, CSV attached)',
		defaults: { name: 'Uplift Trigger' },
		inputs: [],
		outputs: [NodeConnectionTypes.Main],
		credentials: [
			{ name: 'upliftWebhookApi', required: true, testedBy: 'upliftWebhookSecret' },
			// Catch-up reads Uplift's API with the API key the Uplift node uses; the webhook does not need it.
			{ name: 'upliftApi', required: false, displayOptions: { show: { catchUp: [true] } } },
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
				displayName: 'Additional Events',
				name: 'additionalEvents',
				type: 'string',
				default: '',
				placeholder: 'capture.processed, athlete.created',
				description:
					'Comma-separated event type names that also start the workflow, for types Uplift adds later',
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
			...catchUpProperties(
				'Uplift gives up on a delivery that is not answered quickly; catch-up finds the completed captures it gave up on. It needs the API key: choose or create an Uplift API credential above (Credential for Uplift API). Without it, only webhooks start the workflow.',
				[
					{
						displayName: 'Processing Allowance (Hours)',
						name: 'processingAllowanceHours',
						type: 'number',
						typeOptions: { minValue: 0 },
						default: 24,
						description:
							'How long after it was captured a capture may still finish processing. Uplift lists captures by capture time, not by completion time.',
					},
				],
			),
			{
				displayName: 'Options',
				name: 'options',
				type: 'collection',
				placeholder: 'Add option',
				default: {},
				options: [
					{
						displayName: 'Binary Property',
						name: 'binaryPropertyName',
						type: 'string',
						default: 'data',
						description: 'Binary property that receives the CSV file (use it in Extract From File)',
					},
					...duplicateMemoryOptions(
						DUPLICATE_WINDOW_HOURS,
						'Uplift retries for days; its CSV links last 7 days.',
					),
					{
						displayName: 'Download CSV',
						name: 'downloadCsv',
						type: 'boolean',
						default: true,
						description:
							'Whether to download the kinematic CSV of Movement Analytics Created events as binary data',
					},
					{
						displayName: 'Fetch Timeout (Seconds)',
						name: 'fetchTimeoutSeconds',
						type: 'number',
						typeOptions: { minValue: 1 },
						default: 30,
						description: 'Time limit for each download made after Uplift has been answered',
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
							'Retries of a download that fails with 429, 5xx or a network error (Retry-After is honoured)',
					},
				],
			},
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

	/**
	 * Catch-up (nodes/shared/catchUp/schedule.ts): lists completed captures from the Uplift API on a
	 * timer and emits those no webhook delivered, with their CSV from Uplift's export API.
	 */
	async trigger(this: ITriggerFunctions): Promise<ITriggerResponse> {
		if (!(this.getNodeParameter('catchUp', true) as boolean)) return {};
		let credentials: { baseUrl?: string };
		try {
			credentials = await this.getCredentials<{ baseUrl?: string }>('upliftApi');
		} catch {
			this.logger.warn(
				'Catch-up is off: the Uplift Trigger has no Uplift API credential (it needs the API key). Webhooks still start the workflow.',
				{ node: this.getNode().name },
			);
			return {};
		}
		const options = this.getNodeParameter('options', {}) as UpliftOptions;
		const catchUpOptions = this.getNodeParameter('catchUpOptions', {}) as UpliftCatchUpOptions;
		const send = authenticatedSend(this, 'upliftApi');
		const baseUrl = upliftBaseUrl(credentials.baseUrl);
		const list = listUpliftChanges(send, baseUrl, {
			processingAllowanceMs: Math.max(0, catchUpOptions.processingAllowanceHours ?? 24) * 3_600_000,
		});
		return startCatchUp(
			this,
			{
				...catchUpSettingsOf(catchUpOptions),
				limits: limitsOf(options, catchUpOptions),
			},
			list,
			probeUpliftCaptures(send, baseUrl),
		);
	}

	async webhook(this: IWebhookFunctions): Promise<IWebhookResponseData> {
		return await receiveDelivery(this, 'Uplift', async () => {
			const options = this.getNodeParameter('options', {}) as UpliftOptions;
			const verify = this.getNodeParameter('verifySignature', true) as boolean;
			const selected = selectedEventNames(
				this.getNodeParameter('events', [ALL_EVENTS]) as string[],
				this.getNodeParameter('additionalEvents', '') as string,
			);
			return {
				vendor: 'Uplift',
				ipAllowlist: options.ipAllowlist ?? '',
				duplicateLimits: limitsOf(
					options,
					this.getNodeParameter('catchUpOptions', {}) as UpliftCatchUpOptions,
				),
				authenticate: async (delivery) =>
					verify
						? checkUpliftSignature(
								delivery.rawBody,
								delivery.headers,
								await this.getCredentials('upliftWebhookApi'),
							)
						: ok(undefined),
				parse: parseUpliftEvent,
				isSelected: (event) => isEventSelected(event.type, selected),
				deliveryKey: (event, delivery) => upliftDeliveryKey(event, delivery.rawBody),
				aliases: (event) => captureAliases(event),
				deliveredBy: (event) => {
					const caughtUp = upliftCaughtUpAlias(event);
					return caughtUp ? [caughtUp] : [];
				},
				toItem: (event, deliveryKey, delivery) => ({
					json: upliftItemJson(event, deliveryKey, delivery.receivedAt, captureAliases(event)),
				}),
			};
		});
	}

	/**
	 * Runs inside the execution, after the webhook was acknowledged: the CSV download happens here
	 * so Uplift never waits for it.
	 */
	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		const items = this.getInputData();
		throwCatchUpProblem(this, items);
		const firstOptions = this.getNodeParameter('options', 0, {}) as UpliftOptions;
		const kept = await acceptInExecution(
			this,
			items,
			limitsOf(
				firstOptions,
				this.getNodeParameter('catchUpOptions', 0, {}) as UpliftCatchUpOptions,
			),
		);
		const results: INodeExecutionData[] = [];
		for (const i of kept) {
			const options = this.getNodeParameter('options', i, {}) as UpliftOptions;
			const enriched = await attachCsv(this, withoutCarriedCursor(items[i]), {
				downloadCsv: options.downloadCsv ?? true,
				binaryPropertyName: options.binaryPropertyName || 'data',
				signatureVerified: this.getNodeParameter('verifySignature', i, true) as boolean,
				policy: {
					maxRetries: Math.max(0, options.maxRetries ?? 3),
					timeoutMs: Math.max(1, options.fetchTimeoutSeconds ?? 30) * 1000,
				},
			});
			results.push({ ...enriched, pairedItem: { item: i } });
		}
		return [results];
	}
}

/** The capture id catch-up gives a movement.analytics.created event (upliftCatchUp.ts), if any. */
function captureAliases(event: Parameters<typeof upliftCaptureAlias>[0]): string[] {
	const alias = upliftCaptureAlias(event);
	return alias ? [alias] : [];
}

/**
 * The duplicate memory's limits: with catch-up on, keys are also kept as long as its listing can
 * reach back, whatever the Duplicate Window (store.ts, `catchUpReachMs`).
 */
function limitsOf(options: UpliftOptions, catchUpOptions: UpliftCatchUpOptions): DuplicateLimits {
	return {
		...duplicateLimits(options, DUPLICATE_WINDOW_HOURS),
		catchUpReachMs: Math.max(0, catchUpOptions.processingAllowanceHours ?? 24) * 3_600_000,
	};
}
