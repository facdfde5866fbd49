import type { IDataObject } from 'n8n-workflow';

import { signInRefusal } from '../../credentials/UphanceApi.credentials';
import { ok, refuse } from '../shared/refusal';
import type { Step } from '../shared/refusal';
import { sendWithRetry } from '../shared/vendorHttp';
import type { RetryPolicy, SendRequest } from '../shared/vendorHttp';
import { isDeleteAction } from './uphanceEvent';
import type { UphanceEvent } from './uphanceEvent';
import { extractRecord, recordEndpoint } from '../Uphance/transport/records';
import { deliveryFields, readDelivery } from '../shared/deliveryItem';

/**
 * The canonical record: the node fetches the record a webhook names from the Uphance API and emits
 * the API's copy, so a forged or stale body never reaches the workflow as data.
 * Endpoints and envelopes: nodes/Uphance/transport/records.ts, shared with the Uphance node.
 */

export type FetchStatus = 'fetched' | 'notFound' | 'skipped' | 'failed' | 'pending';

/** What the item's `fetch` field says. */
export interface FetchOutcome extends IDataObject {
	status: FetchStatus;
	statusCode?: number;
	error?: string;
	reason?: string;
	attempts?: number;
	endpoint?: string;
}

export interface FetchResult {
	outcome: FetchOutcome;
	/** the API's copy, when fetched */
	record?: IDataObject;
	/** a failure a later redelivery could overcome (5xx, 429 after retries, timeout, network) */
	transient: boolean;
	/**
	 * A documented endpoint answered 2xx with an answer the node cannot read (no record under the
	 * expected key, a record with another id, a list of several without the id): what is wrong,
	 * naming the expected keys and the keys found. Never set for a guessed endpoint.
	 */
	unexpectedAnswer?: string;
}

function explain(statusCode: number | undefined, error: string): string {
	if (statusCode === 401)
		return `${error}: Uphance refused the session even after signing in again. Check the Uphance API credential.`;
	if (statusCode === 403)
		return `${error}: the Uphance user may not see this record, or the organisation could not be selected.`;
	return error;
}

/** `skipped` outcome for deletes and when fetching is off. */
export function skippedOutcome(
	event: UphanceEvent,
	fetchRecord: boolean,
): FetchOutcome | undefined {
	if (!fetchRecord)
		return {
			status: 'skipped',
			reason: 'Fetch Canonical Record is off: the record is the webhook body.',
		};
	if (isDeleteAction(event.action)) {
		return {
			status: 'skipped',
			reason: 'Delete events are not fetched (the record is gone); the record is the webhook body.',
		};
	}
	if (!recordEndpoint(event.resource, event.id)) {
		return {
			status: 'skipped',
			reason: `"${event.resource.slice(0, 60)}" is not a resource name the node can look up; the record is the webhook body.`,
		};
	}
	return undefined;
}

/**
 * GETs the record with retries; `policy.timeoutMs` bounds each attempt, sign-in included. Never
 * throws: every failure is described in the outcome. `send` is n8n's
 * `httpRequestWithAuthentication` for `uphanceApi` (it adds the session token).
 */
export async function fetchCanonicalRecord(
	send: SendRequest,
	baseUrl: string,
	event: Pick<UphanceEvent, 'resource' | 'id'>,
	policy: RetryPolicy,
): Promise<FetchResult> {
	const endpoint = recordEndpoint(event.resource, event.id);
	if (!endpoint) {
		return {
			outcome: {
				status: 'skipped',
				reason: `"${event.resource}" is not a resource name the node can look up.`,
			},
			transient: false,
		};
	}
	const shown = endpoint.qs
		? `${endpoint.path}?${Object.entries(endpoint.qs)
				.map(([k, v]) => `${k}=${encodeURIComponent(String(v))}`)
				.join('&')}`
		: endpoint.path;
	const guessNote = endpoint.known
		? ''
		: ` (the node does not know "${event.resource}" and guessed ${endpoint.path.split('/')[1]})`;
	// sendWithRetry never throws: every failure comes back in `result`.
	const result = await sendWithRetry(
		send,
		{
			method: 'GET',
			url: `${baseUrl}${endpoint.path}`,
			...(endpoint.qs ? { qs: endpoint.qs } : {}),
			json: true,
			headers: { Accept: 'application/json' },
		},
		{
			...policy,
			// n8n renews the session token only when the request throws a 401.
			throwHttpErrors: true,
			// A refused sign-in (wrong password, unknown organisation) is not retried: each retry
			// would sign in again. Its message says what to fix in the credential.
			refusal: signInRefusal,
		},
	);
	if (result.ok) {
		const extracted = extractRecord(result.body, endpoint, event.resource, event.id);
		if (extracted.found) {
			return {
				outcome: {
					status: 'fetched',
					statusCode: result.statusCode,
					attempts: result.attempts,
					endpoint: shown,
				},
				record: extracted.record,
				transient: false,
			};
		}
		return {
			outcome: {
				status: extracted.notFound ? 'notFound' : 'failed',
				statusCode: result.statusCode,
				attempts: result.attempts,
				endpoint: shown,
				error: `${extracted.error}${guessNote} The record is the webhook body.`,
			},
			transient: false,
			...(!extracted.notFound && endpoint.known ? { unexpectedAnswer: extracted.error } : {}),
		};
	}
	if (result.statusCode === 404) {
		return {
			outcome: {
				status: 'notFound',
				statusCode: 404,
				attempts: result.attempts,
				endpoint: shown,
				error: `Uphance answered 404 for ${event.resource} ${String(event.id)}${guessNote}. The record is the webhook body.`,
			},
			transient: false,
		};
	}
	if (result.refused) {
		return {
			outcome: {
				status: 'failed',
				attempts: result.attempts,
				endpoint: shown,
				error: `Fetching ${event.resource} ${String(event.id)} failed: ${result.error}`,
			},
			transient: false,
		};
	}
	return {
		outcome: {
			status: 'failed',
			...(result.statusCode !== undefined ? { statusCode: result.statusCode } : {}),
			attempts: result.attempts,
			endpoint: shown,
			error: `Fetching ${event.resource} ${String(event.id)} failed: ${explain(result.statusCode, result.error)}${guessNote}`,
		},
		transient: result.transient && endpoint.known,
	};
}

/** The output item's JSON. `fetched` is the fetch result, or the outcome to state when none was made. */
export function uphanceItemJson(
	event: UphanceEvent,
	deliveryKey: string,
	receivedAt: Date,
	fetched: FetchResult | { outcome: FetchOutcome; record?: undefined },
	aliases: string[] = [],
): IDataObject {
	const fromApi = fetched.outcome.status === 'fetched' && fetched.record !== undefined;
	return {
		event: event.event,
		resource: event.resource,
		action: event.action,
		id: event.id,
		record: fromApi ? fetched.record : event.payload,
		recordSource: fromApi ? 'api' : 'payload',
		...deliveryFields(deliveryKey, receivedAt, aliases),
		fetch: { ...fetched.outcome },
	};
}

/**
 * The fetch an item still needs (Acknowledge: Immediately): reads back what `uphanceItemJson` wrote,
 * in one typed place, for the execute step. Undefined when the item needs no fetch.
 */
export function pendingFetchOfItem(
	json: IDataObject,
): { event: UphanceEvent; deliveryKey: string; receivedAtMs: number } | undefined {
	const { event, resource, action, id, record, fetch } = json;
	if ((fetch as IDataObject | undefined)?.status !== 'pending') return undefined;
	if (typeof event !== 'string' || typeof resource !== 'string' || typeof action !== 'string')
		return undefined;
	if (typeof id !== 'string' && typeof id !== 'number') return undefined;
	if (typeof record !== 'object' || record === null || Array.isArray(record)) return undefined;
	const delivery = readDelivery(json);
	if (!delivery) return undefined;
	return {
		event: { event, resource, action, id, payload: record as IDataObject },
		deliveryKey: delivery.deliveryKey,
		receivedAtMs: delivery.receivedAtMs,
	};
}

/** The outcome to state when the webhook phase does not fetch: skipped, or pending for the execution. */
export function pendingOrSkipped(event: UphanceEvent, fetchRecord: boolean): FetchOutcome {
	return (
		skippedOutcome(event, fetchRecord) ?? {
			status: 'pending',
			reason:
				'Acknowledge is Immediately: the record is fetched in the execution, after Uphance was answered.',
		}
	);
}

/** Timeout and retries of a record fetch, from the node's options (defaults 10 s, 2 retries). */
export function fetchPolicy(options: { fetchTimeoutSeconds?: unknown; maxRetries?: unknown }): {
	maxRetries: number;
	timeoutMs: number;
} {
	const seconds = Number(options.fetchTimeoutSeconds ?? 10);
	const retries = Number(options.maxRetries ?? 2);
	return {
		timeoutMs: Math.max(1, Number.isFinite(seconds) ? seconds : 10) * 1000,
		maxRetries: Math.max(0, Math.floor(Number.isFinite(retries) ? retries : 2)),
	};
}

/** The Uphance Trigger's Acknowledge option. */
export type Acknowledge = 'afterFetch' | 'immediately';

/**
 * The work before a delivery is accepted. With "After the Record Is Fetched" the record is fetched
 * now, within the fetch timeout (retries and waits included, so Uphance gets its answer in time),
 * and a failure a redelivery could overcome refuses the delivery with 503: Uphance delivers it
 * again, so nothing is lost. An answer of unexpected shape from a documented endpoint refuses it
 * with 502, naming what is missing: the workflow never starts on the unverified body because the
 * node could not read Uphance's answer. With "Immediately" nothing is fetched here: the item says
 * the fetch is pending (or skipped), and the trigger's execute() fetches after Uphance was
 * answered (a failure, whatever its kind, is then described in the item).
 */
export async function fetchBeforeAcknowledging(
	event: UphanceEvent,
	settings: { acknowledge: Acknowledge; fetchRecord: boolean; policy: RetryPolicy },
	send: SendRequest,
	baseUrl: () => Promise<string>,
): Promise<Step<FetchResult>> {
	if (settings.acknowledge !== 'afterFetch')
		return ok({ outcome: pendingOrSkipped(event, settings.fetchRecord), transient: false });
	const skipped = skippedOutcome(event, settings.fetchRecord);
	if (skipped) return ok({ outcome: skipped, transient: false });
	const result = await fetchCanonicalRecord(send, await baseUrl(), event, {
		...settings.policy,
		deadlineMs: settings.policy.timeoutMs,
	});
	if (result.transient) {
		return refuse(
			503,
			`The ${event.resource} could not be fetched from the Uphance API, so this delivery was not accepted; Uphance will deliver it again. ${result.outcome.error ?? ''}`.trim(),
		);
	}
	if (result.unexpectedAnswer !== undefined) {
		return refuse(
			502,
			`The ${event.resource} could not be read from the Uphance API's answer, so this delivery was not accepted; Uphance will deliver it again. ${result.unexpectedAnswer}`,
		);
	}
	return ok(result);
}
