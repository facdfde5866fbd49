import type {
	IDataObject,
	IExecuteFunctions,
	INodeExecutionData,
	IWebhookFunctions,
	IWebhookResponseData,
} from 'n8n-workflow';

import { readDelivery } from './deliveryItem';
import { memoryScope, recordInExecution, StaticDataMemory } from './staticDataMemory';
import type { MemorySettings } from './staticDataMemory';
import { parseIpAllowlist } from './ipAllowlist';
import { MAX_BODY_DEPTH, nestedDeeperThan, readRawBody } from './requestBody';

/**
 * The one path every delivery takes, for both triggers:
 * method → caller address → raw body → authenticity → nesting depth → parse and validate → event filter →
 * delivery key → ledger claim → (optional) work that must succeed before acknowledging →
 * ledger accept → emit (n8n acknowledges when the execution is created; slower follow-ups run in
 * the node's execute step, after the answer).
 *
 * Every refusal is answered here with a status and a short JSON reason and starts no execution.
 * Nothing thrown inside reaches n8n (which would answer 500): unexpected failures release the
 * delivery's key and reach `withErrorBoundary`, which answers 503 so the vendor retries.
 */

export interface Refusal {
	status: number;
	/** what the caller is told */
	message: string;
	headers?: Record<string, string>;
	/**
	 * For the n8n log only: details the caller must not see (configuration, before the request is
	 * authenticated; error texts).
	 */
	logDetail?: string;
}

export type Step<T> = { ok: true; value: T } | { ok: false; refusal: Refusal };

export const refuse = (status: number, message: string): { ok: false; refusal: Refusal } => ({
	ok: false,
	refusal: { status, message },
});

export interface DeliveryContext {
	rawBody: Buffer;
	headers: Record<string, string | string[] | undefined>;
	query: IDataObject;
	receivedAt: Date;
}

export interface VendorPipeline<Event, Prepared> {
	/** for messages: "Uplift", "Uphance" */
	vendor: string;
	/** checks that the delivery comes from the vendor (signature, URL token) */
	authenticate(delivery: DeliveryContext): Promise<Refusal | undefined>;
	/** JSON parse + envelope validation; the message names what is wrong */
	parse(body: unknown, delivery: DeliveryContext): Step<Event>;
	/** false → answered 200 and ignored, so the vendor does not retry an event nobody asked for */
	isSelected(event: Event): boolean;
	/** stable across redeliveries of the same event */
	deliveryKey(event: Event, delivery: DeliveryContext): string;
	/**
	 * Work that must succeed before the delivery is acknowledged (Uphance's "after the record is
	 * fetched" mode). A refusal here releases the key, so the vendor's retry is processed later.
	 */
	beforeAccept?(event: Event, delivery: DeliveryContext): Promise<Step<Prepared>>;
	toItem(
		event: Event,
		deliveryKey: string,
		delivery: DeliveryContext,
		prepared: Prepared | undefined,
	): INodeExecutionData;
}

export interface PipelineSettings {
	ipAllowlist: string;
	dedupeWindowHours: number;
	dedupeMaxEntries: number;
}

const ALLOWED_METHOD = 'POST';

/**
 * The answer to an unauthenticated caller when the node itself is misconfigured: non-2xx so the
 * vendor retries once it is fixed, and nothing about the configuration (that goes to the log).
 */
export const notReadyMessage = (vendor: string): string =>
	`The ${vendor} trigger is not ready to accept deliveries; this one was not accepted, so it can be retried.`;

function answer(
	ctx: IWebhookFunctions,
	status: number,
	body: IDataObject,
	headers: Record<string, string> = {},
): IWebhookResponseData {
	const res = ctx.getResponseObject();
	for (const [name, value] of Object.entries(headers)) res.setHeader(name, value);
	res.status(status).json(body);
	return { noWebhookResponse: true };
}

function answerRefusal(
	ctx: IWebhookFunctions,
	vendor: string,
	refusal: Refusal,
): IWebhookResponseData {
	const detail = refusal.logDetail ? ` [${refusal.logDetail}]` : '';
	ctx.logger.warn(
		`${vendor} delivery refused with ${refusal.status}: ${refusal.message}${detail}`,
		{
			node: ctx.getNode().name,
		},
	);
	return answer(ctx, refusal.status, { error: refusal.message }, refusal.headers);
}

function clientAddress(ctx: IWebhookFunctions): string | undefined {
	const req = ctx.getRequestObject();
	// req.ip honours n8n's proxy settings (N8N_PROXY_HOPS); the socket is the fallback.
	return req.ip ?? req.socket?.remoteAddress;
}

function isManualRun(ctx: IWebhookFunctions): boolean {
	// "Listen for test event" runs in manual mode: always show the event, never touch the ledger.
	return typeof ctx.getMode === 'function' && ctx.getMode() === 'manual';
}

/**
 * The error boundary of a trigger's webhook(): whatever `handle` throws, n8n never sees it (it
 * would answer 500 with a stack and store an error execution). The caller gets 503 without
 * details, so the vendor retries; the log gets the error. Never throws itself.
 */
export async function withErrorBoundary(
	ctx: IWebhookFunctions,
	vendor: string,
	handle: () => Promise<IWebhookResponseData>,
): Promise<IWebhookResponseData> {
	try {
		return await handle();
	} catch (error) {
		try {
			ctx.logger.error(
				`${vendor} delivery could not be processed: ${(error as Error)?.message ?? String(error)}`,
				{
					node: ctx.getNode().name,
				},
			);
			return answer(ctx, 503, {
				error: `The ${vendor} trigger could not process this delivery; it was not accepted, so it can be retried. See the n8n log for details.`,
			});
		} catch {
			// Not even an answer could be written (for example, one was already sent).
			return { noWebhookResponse: true };
		}
	}
}

/**
 * Runs one delivery through the pipeline. Callers run it inside `withErrorBoundary` (both trigger
 * nodes wrap their whole `webhook()`), which turns anything thrown into a 503.
 */
export async function runWebhookPipeline<Event, Prepared>(
	ctx: IWebhookFunctions,
	vendor: VendorPipeline<Event, Prepared>,
	settings: PipelineSettings,
): Promise<IWebhookResponseData> {
	const receivedAt = new Date();
	const req = ctx.getRequestObject();
	if ((req.method ?? ALLOWED_METHOD).toUpperCase() !== ALLOWED_METHOD) {
		return answerRefusal(ctx, vendor.vendor, {
			status: 405,
			message: `${vendor.vendor} webhooks are POST requests; this URL does not accept ${req.method}.`,
			headers: { Allow: ALLOWED_METHOD },
		});
	}

	let allowlist;
	try {
		allowlist = parseIpAllowlist(settings.ipAllowlist);
	} catch (error) {
		// A misconfigured allowlist must not let everyone in, nor drop the delivery: 503 → retried.
		// The caller is not authenticated yet: the entries and the parse error go to the log only.
		return answerRefusal(ctx, vendor.vendor, {
			status: 503,
			message: notReadyMessage(vendor.vendor),
			logDetail: `The trigger's IP allowlist cannot be read: ${(error as Error).message}. Fix the "IP Allowlist" option in n8n.`,
		});
	}
	const address = clientAddress(ctx);
	if (!allowlist.allows(address)) {
		return answerRefusal(ctx, vendor.vendor, {
			status: 403,
			message: `Requests from ${address ?? 'an unknown address'} are not in this trigger's IP allowlist.`,
		});
	}

	const read = await readRawBody(ctx, vendor.vendor);
	if (!read.ok) return answerRefusal(ctx, vendor.vendor, read.refusal);
	const rawBody = read.value;
	const delivery: DeliveryContext = {
		rawBody,
		headers: ctx.getHeaderData() as DeliveryContext['headers'],
		query: (ctx.getQueryData() ?? {}) as IDataObject,
		receivedAt,
	};

	let claimed: { memory: StaticDataMemory; hashedKey: string } | undefined;
	try {
		const authRefusal = await vendor.authenticate(delivery);
		if (authRefusal) return answerRefusal(ctx, vendor.vendor, authRefusal);

		if (nestedDeeperThan(rawBody, MAX_BODY_DEPTH)) {
			return answerRefusal(ctx, vendor.vendor, {
				status: 400,
				message: `The body nests arrays or objects more than ${MAX_BODY_DEPTH} levels deep, the limit of this trigger.`,
			});
		}
		let body: unknown;
		try {
			body = JSON.parse(rawBody.toString('utf8'));
		} catch {
			return answerRefusal(ctx, vendor.vendor, {
				status: 400,
				message: `The body is not valid JSON. ${vendor.vendor} sends application/json.`,
			});
		}
		const parsed = vendor.parse(body, delivery);
		if (!parsed.ok) return answerRefusal(ctx, vendor.vendor, parsed.refusal);
		const event = parsed.value;

		if (!vendor.isSelected(event)) {
			return answer(ctx, 200, {
				received: true,
				ignored: 'event type not selected in this trigger',
			});
		}

		const deliveryKey = vendor.deliveryKey(event, delivery);
		if (!isManualRun(ctx)) {
			const memory = new StaticDataMemory(memoryScope(ctx, settings));
			const { verdict, hashedKey } = memory.claim(deliveryKey);
			if (verdict === 'inFlight' && !(await memory.acceptedAfterWaiting(hashedKey))) {
				// Another request had this delivery and did not accept it (the API failed, say): this
				// copy must not be answered 2xx, or the vendor would stop retrying and it would be lost.
				return answerRefusal(ctx, vendor.vendor, {
					status: 503,
					message: `A copy of this delivery was being processed and was not accepted; ${vendor.vendor} can deliver it again.`,
				});
			}
			if (verdict !== 'new') {
				memory.writeIfStale();
				ctx.logger.debug(`${vendor.vendor} delivery repeated; no execution started`, {
					node: ctx.getNode().name,
				});
				return answer(ctx, 200, { received: true, duplicate: true });
			}
			claimed = { memory, hashedKey };
		}

		let prepared: Prepared | undefined;
		if (vendor.beforeAccept) {
			const step = await vendor.beforeAccept(event, delivery);
			if (!step.ok) return answerRefusal(ctx, vendor.vendor, step.refusal);
			prepared = step.value;
		}

		const item = vendor.toItem(event, deliveryKey, delivery, prepared);
		claimed?.memory.accept(claimed.hashedKey, delivery.receivedAt.getTime());
		claimed = undefined;
		return { workflowData: [[item]] };
	} finally {
		// A claim still held here was not accepted (a refusal or a throw): release it so the vendor's
		// retry is processed. A throw then reaches `withErrorBoundary`, which answers 503.
		if (claimed) claimed.memory.release(claimed.hashedKey);
	}
}

/**
 * The execute-phase half of the pipeline, called first in each trigger's `execute()`: records the
 * execution's deliveries in the duplicate memory once more, because on n8n 2.40 only what the
 * execution writes reaches the database (nodes/shared/staticDataMemory.ts, point 4). Manual test
 * runs never touch the memory.
 */
export function rememberExecutionDeliveries(
	ctx: IExecuteFunctions,
	items: INodeExecutionData[],
	settings: MemorySettings,
): void {
	if (ctx.getMode() === 'manual') return;
	const deliveries = items.flatMap((item) => {
		const delivery = readDelivery(item.json);
		return delivery ? [delivery] : [];
	});
	recordInExecution(memoryScope(ctx, settings), deliveries);
}
