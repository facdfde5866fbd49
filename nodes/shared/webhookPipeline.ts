import type {
	IDataObject,
	INodeExecutionData,
	IWebhookFunctions,
	IWebhookResponseData,
} from 'n8n-workflow';

import { DeliveryLedger } from './DeliveryLedger';
import { parseIpAllowlist } from './ipAllowlist';

/**
 * The one path every delivery takes, for both triggers:
 * method → caller address → raw body → authenticity → parse and validate → event filter →
 * delivery key → ledger claim → (optional) work that must succeed before acknowledging →
 * ledger accept → emit (n8n acknowledges when the execution is created; slower follow-ups run in
 * the node's execute step, after the answer).
 *
 * Every refusal is answered here with a status and a short JSON reason and starts no execution.
 * Nothing thrown inside reaches n8n (which would answer 500): unexpected failures answer 503 so
 * the vendor retries, and the delivery's key is released.
 */

export interface Refusal {
	status: number;
	message: string;
	headers?: Record<string, string>;
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
	toItem(event: Event, deliveryKey: string, delivery: DeliveryContext, prepared: Prepared | undefined): INodeExecutionData;
}

export interface PipelineSettings {
	ipAllowlist: string;
	dedupeWindowHours: number;
	dedupeMaxEntries: number;
}

const ALLOWED_METHOD = 'POST';

function answer(ctx: IWebhookFunctions, status: number, body: IDataObject, headers: Record<string, string> = {}): IWebhookResponseData {
	const res = ctx.getResponseObject();
	for (const [name, value] of Object.entries(headers)) res.setHeader(name, value);
	res.status(status).json(body);
	return { noWebhookResponse: true };
}

function answerRefusal(ctx: IWebhookFunctions, vendor: string, refusal: Refusal): IWebhookResponseData {
	ctx.logger.warn(`${vendor} delivery refused with ${refusal.status}: ${refusal.message}`, {
		node: ctx.getNode().name,
	});
	return answer(ctx, refusal.status, { error: refusal.message }, refusal.headers);
}

async function readRawBody(ctx: IWebhookFunctions): Promise<Buffer | undefined> {
	const req = ctx.getRequestObject();
	if (!Buffer.isBuffer(req.rawBody) && typeof req.readRawBody === 'function') await req.readRawBody();
	return Buffer.isBuffer(req.rawBody) ? req.rawBody : undefined;
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
		return answerRefusal(ctx, vendor.vendor, {
			status: 503,
			message: `The trigger's IP allowlist cannot be read: ${(error as Error).message}. Fix the "IP Allowlist" option in n8n.`,
		});
	}
	const address = clientAddress(ctx);
	if (!allowlist.allows(address)) {
		return answerRefusal(ctx, vendor.vendor, {
			status: 403,
			message: `Requests from ${address ?? 'an unknown address'} are not in this trigger's IP allowlist.`,
		});
	}

	const rawBody = await readRawBody(ctx);
	if (rawBody === undefined || rawBody.length === 0) {
		return answerRefusal(ctx, vendor.vendor, {
			status: 400,
			message: `The request has no body. ${vendor.vendor} sends its event as a JSON body.`,
		});
	}
	const delivery: DeliveryContext = {
		rawBody,
		headers: ctx.getHeaderData() as DeliveryContext['headers'],
		query: (ctx.getQueryData() ?? {}) as IDataObject,
		receivedAt,
	};

	let claimed: { ledger: DeliveryLedger; hashedKey: string } | undefined;
	try {
		const authRefusal = await vendor.authenticate(delivery);
		if (authRefusal) return answerRefusal(ctx, vendor.vendor, authRefusal);

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
			return answer(ctx, 200, { received: true, ignored: 'event type not selected in this trigger' });
		}

		const deliveryKey = vendor.deliveryKey(event, delivery);
		if (!isManualRun(ctx)) {
			const ledger = new DeliveryLedger(
				ctx.getWorkflowStaticData('node'),
				ctx.getWorkflow().id ?? 'unsaved',
				ctx.getNode().name,
				{
					maxAgeMs: Math.max(0, settings.dedupeWindowHours) * 3_600_000,
					maxEntries: Math.max(1, settings.dedupeMaxEntries),
				},
			);
			const { verdict, hashedKey } = ledger.claim(deliveryKey);
			if (verdict !== 'new') {
				ledger.save();
				ctx.logger.debug(`${vendor.vendor} delivery ${verdict === 'duplicate' ? 'repeated' : 'already in progress'}; no execution started`, {
					node: ctx.getNode().name,
				});
				return answer(ctx, 200, { received: true, duplicate: true });
			}
			claimed = { ledger, hashedKey };
		}

		let prepared: Prepared | undefined;
		if (vendor.beforeAccept) {
			const step = await vendor.beforeAccept(event, delivery);
			if (!step.ok) {
				claimed?.ledger.abandon(claimed.hashedKey);
				claimed = undefined;
				return answerRefusal(ctx, vendor.vendor, step.refusal);
			}
			prepared = step.value;
		}

		const item = vendor.toItem(event, deliveryKey, delivery, prepared);
		claimed?.ledger.accept(claimed.hashedKey);
		claimed = undefined;
		return { workflowData: [[item]] };
	} catch (error) {
		claimed?.ledger.abandon(claimed.hashedKey);
		ctx.logger.error(`${vendor.vendor} delivery could not be processed: ${(error as Error)?.message ?? String(error)}`, {
			node: ctx.getNode().name,
		});
		return answer(ctx, 503, {
			error: `The ${vendor.vendor} trigger could not process this delivery; it was not accepted, so it can be retried. See the n8n log for details.`,
		});
	}
}
