import { NodeConnectionTypes, NodeOperationError } from 'n8n-workflow';
import type {
	IExecuteFunctions,
	IHookFunctions,
	INodeExecutionData,
	INodeType,
	INodeTypeDescription,
	ITriggerFunctions,
	ITriggerResponse,
	IWebhookFunctions,
	IWebhookResponseData,
} from 'n8n-workflow';

import { uphanceBaseUrl } from '../../credentials/UphanceApi.credentials';
import { catchUpProperties, catchUpSettingsOf } from '../shared/catchUp/description';
import type { CatchUpOptions } from '../shared/catchUp/description';
import { throwCatchUpProblem } from '../shared/catchUp/problem';
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
import { authenticatedSend } from '../shared/vendorHttp';
import {
	duplicateLimits,
	duplicateMemoryOptions,
	ipAllowlistOption,
	webhookDescriptions,
} from '../shared/nodeDescription';
import type { DuplicateMemoryOptions } from '../shared/nodeDescription';
import { ok } from '../shared/refusal';
import { receiveDelivery } from '../shared/webhookPipeline';
import {
	KNOWN_UPHANCE_EVENTS,
	parseUphanceEvent,
	uphanceCreatedKey,
	uphanceDeliveryKey,
} from './uphanceEvent';
import type { UphanceEvent } from './uphanceEvent';
import {
	fetchBeforeAcknowledging,
	fetchCanonicalRecord,
	fetchPolicy,
	pendingFetchOfItem,
	pendingOrSkipped,
	uphanceItemJson,
} from './uphanceRecord';
import type { Acknowledge } from './uphanceRecord';
import { listUphanceChanges } from './uphanceCatchUp';
import { checkUrlToken, missingUrlTokenProblem } from './urlToken';

interface UphanceOptions extends DuplicateMemoryOptions {
	fetchTimeoutSeconds?: number;
	maxRetries?: number;
	ipAllowlist?: string;
}

interface UphanceCatchUpOptions extends CatchUpOptions {
	updateWindowDays?: number;
}

/** Uphance retries failed deliveries for 48 hours (docs/uphance-api.md). */
const DUPLICATE_WINDOW_HOURS = 48;

export class UphanceTrigger implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Uphance Trigger',
		name: 'uphanceTrigger',
		icon: { light: 'file:../../icons/uphance.svg', dark: 'file:../../icons/uphance.dark.svg' },
		group: ['trigger'],
		// 1.1, not 1: n8n evaluates an expression for every request to a start node of typeVersion 1,
		// which costs an expression isolate per request (BENCHMARKS.md §2). One version until the
		// first published release; versioning starts there.
		version: 1.1,
		subtitle: eventsSubtitle(KNOWN_UPHANCE_EVENTS),
		description:
			'Starts the workflow when Uphance sends a webhook (URL token, de-duplicated, record fetched from the API)',
		defaults: { name: 'Uphance Trigger' },
		inputs: [],
		outputs: [NodeConnectionTypes.Main],
		credentials: [{ name: 'uphanceApi', required: true }],
		webhooks: webhookDescriptions,
		properties: [
			{
				displayName:
					"The URL to paste into Uphance (Apps → Uphance API → New Webhook) is this node's Production URL followed by ?token=&lt;Webhook URL Token of the Uphance API credential&gt;. To copy the Production URL, click Webhook URLs at the top of this panel, then Production URL, then the URL. Example: https://n8n.example.com/webhook/…/webhook?token=Xk3…. Then activate the workflow.",
				name: 'setupNotice',
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
						description: 'Every event, including names this node does not know yet',
					},
					...KNOWN_UPHANCE_EVENTS.map(({ name, value }) => ({ name, value })),
				],
				default: [ALL_EVENTS],
				description:
					'Which events start the workflow. Others are acknowledged and ignored, so Uphance does not retry them.',
			},
			{
				displayName: 'Additional Events',
				name: 'additionalEvents',
				type: 'string',
				default: '',
				placeholder: 'sales_order_create, customer_update',
				description:
					'Comma-separated event names (&lt;resource&gt;_&lt;action&gt;) that also start the workflow, for events not in the list',
			},
			{
				displayName: 'Require URL Token',
				name: 'requireUrlToken',
				type: 'boolean',
				default: true,
				description:
					'Whether to reject deliveries whose URL lacks ?token= with the Webhook URL Token of the credential (Uphance does not sign its webhooks)',
			},
			{
				displayName:
					'The URL token is off: anyone who finds this URL can start the workflow. With Fetch Canonical Record on, forged bodies still only name records; the data comes from the Uphance API. Turn the token back on for production.',
				name: 'tokenOffNotice',
				type: 'notice',
				default: '',
				displayOptions: { show: { requireUrlToken: [false] } },
			},
			{
				displayName: 'Fetch Canonical Record',
				name: 'fetchRecord',
				type: 'boolean',
				default: true,
				description:
					"Whether to fetch the record from the Uphance API by its ID and output the API's copy instead of the webhook body (delete events are never fetched)",
			},
			{
				displayName: 'Acknowledge',
				name: 'acknowledge',
				type: 'options',
				options: [
					{
						name: 'After the Record Is Fetched',
						value: 'afterFetch',
						description: 'If the fetch fails, Uphance gets a 503 and delivers again later',
					},
					{
						name: 'Immediately',
						value: 'immediately',
						description: 'Fetch in the execution; a failed fetch is noted in the item',
					},
				],
				default: 'afterFetch',
				displayOptions: { show: { fetchRecord: [true] } },
				description:
					'When Uphance gets its answer. After the record is fetched: if the Uphance API fails (5xx, 429, timeout, network), Uphance is answered 503 and delivers again later, so nothing is lost; an API answer the node cannot read (no record under the expected key) is answered 502 the same way. Immediately: the record is fetched in the execution and a failed fetch is described in the item.',
			},
			...catchUpProperties(
				'Uphance gives up on a delivery after 48 hours; catch-up finds what it gave up on, with the same credential.',
				[
					{
						displayName: 'Update Window (Days)',
						name: 'updateWindowDays',
						type: 'number',
						typeOptions: { minValue: 1 },
						default: 14,
						description:
							'Updates are found for records created within this many days (Uphance cannot list records by update time). New records are always found.',
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
					...duplicateMemoryOptions(
						DUPLICATE_WINDOW_HOURS,
						'Uphance retries failed deliveries for 48 hours.',
					),
					{
						displayName: 'Fetch Timeout (Seconds)',
						name: 'fetchTimeoutSeconds',
						type: 'number',
						typeOptions: { minValue: 1 },
						default: 10,
						description:
							'Time limit of the record fetch. When acknowledging after the fetch, the whole fetch, retries included, ends within it, so Uphance gets its answer in time.',
					},
					ipAllowlistOption(
						'203.0.113.10, 2001:db8::/32',
						'Only accept deliveries from these addresses. Uphance publishes no source addresses.',
					),
					{
						displayName: 'Retries',
						name: 'maxRetries',
						type: 'number',
						typeOptions: { minValue: 0 },
						default: 2,
						description:
							'Retries of a record fetch that fails with 429, 5xx or a network error (Retry-After is honoured)',
					},
				],
			},
		],
	};

	webhookMethods = {
		default: {
			// Webhooks are created by hand in Uphance (Apps → Uphance API); nothing to register there.
			// n8n runs checkExists when the workflow is activated and when the editor listens for a
			// test event; returning false makes it run create, which refuses a trigger that would
			// answer every delivery 503 (no URL token to compare with), so the user learns it now.
			async checkExists(this: IHookFunctions): Promise<boolean> {
				return false;
			},
			async create(this: IHookFunctions): Promise<boolean> {
				const requireToken = this.getNodeParameter('requireUrlToken', true) as boolean;
				const credentials = await this.getCredentials<{ urlToken?: string }>('uphanceApi');
				const problem = missingUrlTokenProblem(requireToken, credentials.urlToken);
				if (problem)
					throw new NodeOperationError(this.getNode(), problem.message, {
						description: problem.description,
					});
				return true;
			},
			async delete(this: IHookFunctions): Promise<boolean> {
				return true;
			},
		},
	};

	/**
	 * Catch-up (nodes/shared/catchUp/schedule.ts): lists changes from the Uphance API on a timer and
	 * emits those no webhook delivered; they go through the same duplicate memory and execute().
	 */
	async trigger(this: ITriggerFunctions): Promise<ITriggerResponse> {
		if (!(this.getNodeParameter('catchUp', true) as boolean)) return {};
		const options = this.getNodeParameter('options', {}) as UphanceOptions;
		const catchUpOptions = this.getNodeParameter('catchUpOptions', {}) as UphanceCatchUpOptions;
		const credentials = await this.getCredentials<{ baseUrl?: string }>('uphanceApi');
		const list = listUphanceChanges(authenticatedSend(this, 'uphanceApi'), {
			baseUrl: uphanceBaseUrl(credentials.baseUrl),
			selected: selectedEventNames(
				this.getNodeParameter('events', [ALL_EVENTS]) as string[],
				this.getNodeParameter('additionalEvents', '') as string,
			),
			updateWindowMs: Math.max(1, catchUpOptions.updateWindowDays ?? 14) * 86_400_000,
			policy: fetchPolicy(options),
		});
		return startCatchUp(
			this,
			{
				...catchUpSettingsOf(catchUpOptions),
				limits: limitsOf(options, catchUpOptions),
			},
			list,
		);
	}

	async webhook(this: IWebhookFunctions): Promise<IWebhookResponseData> {
		return await receiveDelivery(this, 'Uphance', async () => {
			const options = this.getNodeParameter('options', {}) as UphanceOptions;
			const requireToken = this.getNodeParameter('requireUrlToken', true) as boolean;
			const fetchSettings = {
				fetchRecord: this.getNodeParameter('fetchRecord', true) as boolean,
				acknowledge: this.getNodeParameter('acknowledge', 'afterFetch') as Acknowledge,
				policy: fetchPolicy(options),
			};
			const selected = selectedEventNames(
				this.getNodeParameter('events', [ALL_EVENTS]) as string[],
				this.getNodeParameter('additionalEvents', '') as string,
			);
			const send = authenticatedSend(this, 'uphanceApi');
			// The token check and the fetch both read the credential: load (and decrypt) it once per delivery.
			let credentialsOnce: Promise<{ urlToken?: string; baseUrl?: string }> | undefined;
			const credentials = async () =>
				await (credentialsOnce ??= this.getCredentials<{ urlToken?: string; baseUrl?: string }>(
					'uphanceApi',
				));
			return {
				vendor: 'Uphance',
				ipAllowlist: options.ipAllowlist ?? '',
				duplicateLimits: limitsOf(
					options,
					this.getNodeParameter('catchUpOptions', {}) as UphanceCatchUpOptions,
				),
				authenticate: async (delivery) =>
					requireToken
						? checkUrlToken((await credentials()).urlToken, delivery.query)
						: ok(undefined),
				parse: parseUphanceEvent,
				isSelected: (event) => isEventSelected(event.event, selected),
				deliveryKey: (event, delivery) => uphanceDeliveryKey(event, delivery.rawBody),
				aliases: createdAliases,
				beforeAccept: async (event) =>
					await fetchBeforeAcknowledging(event, fetchSettings, send, async () =>
						uphanceBaseUrl((await credentials()).baseUrl),
					),
				toItem: (event, deliveryKey, delivery, fetched) => ({
					json: uphanceItemJson(
						event,
						deliveryKey,
						delivery.receivedAt,
						fetched ?? { outcome: pendingOrSkipped(event, fetchSettings.fetchRecord) },
						createdAliases(event),
					),
				}),
			};
		});
	}

	/**
	 * Runs inside the execution, after Uphance was answered. With "Immediately" the record is fetched
	 * here; a failure is described in the item, which still carries the webhook body.
	 */
	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		const items = this.getInputData();
		throwCatchUpProblem(this, items);
		const firstOptions = this.getNodeParameter('options', 0, {}) as UphanceOptions;
		const kept = await acceptInExecution(
			this,
			items,
			limitsOf(
				firstOptions,
				this.getNodeParameter('catchUpOptions', 0, {}) as UphanceCatchUpOptions,
			),
		);
		const results: INodeExecutionData[] = [];
		for (const i of kept) {
			const pending = pendingFetchOfItem(items[i].json);
			if (!pending) {
				results.push({ ...withoutCarriedCursor(items[i]), pairedItem: { item: i } });
				continue;
			}
			const policy = fetchPolicy(this.getNodeParameter('options', i, {}) as UphanceOptions);
			const credentials = await this.getCredentials<{ baseUrl?: string }>('uphanceApi', i);
			const result = await fetchCanonicalRecord(
				authenticatedSend(this, 'uphanceApi'),
				uphanceBaseUrl(credentials.baseUrl),
				pending.event,
				policy,
			);
			results.push({
				json: uphanceItemJson(
					pending.event,
					pending.deliveryKey,
					new Date(pending.receivedAtMs),
					result,
					createdAliases(pending.event),
				),
				pairedItem: { item: i },
			});
		}
		return [results];
	}
}

/**
 * A create is remembered by record too, so catch-up names a later change of it an update, not a
 * second create (uphanceCatchUp.ts, `catchUpEventName`).
 */
function createdAliases(event: UphanceEvent): string[] {
	return event.action === 'create' ? [uphanceCreatedKey(event.resource, event.id)] : [];
}

/**
 * The duplicate memory's limits: with catch-up on, keys are also kept as long as its listing can
 * reach back, whatever the Duplicate Window (store.ts, `catchUpReachMs`).
 */
function limitsOf(options: UphanceOptions, catchUpOptions: UphanceCatchUpOptions): DuplicateLimits {
	return {
		...duplicateLimits(options, DUPLICATE_WINDOW_HOURS),
		catchUpReachMs: Math.max(1, catchUpOptions.updateWindowDays ?? 14) * 86_400_000,
	};
}
