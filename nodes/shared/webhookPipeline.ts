import type {
	IDataObject,
	INodeExecutionData,
	IWebhookFunctions,
	IWebhookResponseData,
} from 'n8n-workflow';

import { carryStoredCursor } from './deliveryItem';
import { MemorySession, memoryPlace } from './duplicateMemory/staticData';
import type { DuplicateLimits } from './duplicateMemory/store';
import { parseIpAllowlist } from './ipAllowlist';
import type { IpAllowlist } from './ipAllowlist';
import { ok, refuse, refuseNotReady } from './refusal';
import type { Refusal, Step } from './refusal';
import { MAX_BODY_DEPTH, nestedDeeperThan, readRawBody } from './requestBody';

/**
 * The one path every delivery takes, for both triggers, top to bottom in `runPipeline`:
 * method → caller address → raw body → authenticity → nesting depth → parse and validate → event
 * filter → delivery key → claim in the duplicate memory → (optional) work that must succeed before
 * acknowledging → accept → emit (with the stored catch-up cursor, for the execution to store
 * again). n8n acknowledges when the execution is created; slower work runs in the node's execute
 * step, after the answer.
 *
 * Every refusal is answered with a status and a short JSON reason and starts no execution.
 * Nothing thrown inside reaches n8n (which would answer 500 with a stack): `receiveDelivery`
 * answers 503, so the vendor retries, after the claim (if any) was released.
 */

export interface DeliveryContext {
	rawBody: Buffer;
	headers: Record<string, string | string[] | undefined>;
	query: IDataObject;
	receivedAt: Date;
}

/** What a trigger plugs into the pipeline: its settings and the steps that know its vendor. */
export interface TriggerSteps<Event, Prepared> {
	/** for messages: "Uplift", "Uphance" */
	vendor: string;
	/** the IP Allowlist option, as typed */
	ipAllowlist: string;
	duplicateLimits: DuplicateLimits;
	/** checks that the delivery comes from the vendor (signature, URL token) */
	authenticate(delivery: DeliveryContext): Promise<Step<void>>;
	/** envelope validation of the parsed JSON; the message names what is wrong */
	parse(body: unknown): Step<Event>;
	/** false → answered 200 and ignored, so the vendor does not retry an event nobody asked for */
	isSelected(event: Event): boolean;
	/** stable across redeliveries of the same event */
	deliveryKey(event: Event, delivery: DeliveryContext): string;
	/**
	 * Other keys of the same change, the ones catch-up computes (an Uplift capture id). Remembered
	 * with the delivery key so catch-up skips the change; never checked here, so two events that
	 * share an alias (two analytics of one capture) both start their execution.
	 */
	aliases?(event: Event): string[];
	/**
	 * Keys that another path records when it delivered this change itself (Uplift: a capture
	 * catch-up emitted). When the memory holds one, the delivery is answered as a duplicate and
	 * starts nothing: a change reaches the workflow once, whichever path brings it first.
	 */
	deliveredBy?(event: Event): string[];
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

const ALLOWED_METHOD = 'POST';

/**
 * A trigger's whole `webhook()`: builds the trigger's steps (reading its parameters) and runs the
 * delivery through them. Never throws: anything thrown becomes a 503 without details (the vendor
 * retries) and an error in the n8n log.
 */
export async function receiveDelivery<Event, Prepared>(
	ctx: IWebhookFunctions,
	vendor: string,
	buildSteps: () => Promise<TriggerSteps<Event, Prepared>>,
): Promise<IWebhookResponseData> {
	try {
		return await runPipeline(ctx, await buildSteps());
	} catch (error) {
		try {
			ctx.logger.error(
				`${vendor} delivery could not be processed: ${(error as Error)?.message ?? String(error)}`,
				{ node: ctx.getNode().name },
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

async function runPipeline<Event, Prepared>(
	ctx: IWebhookFunctions,
	steps: TriggerSteps<Event, Prepared>,
): Promise<IWebhookResponseData> {
	const receivedAt = new Date();
	const refused = (step: { refusal: Refusal }) => answerRefusal(ctx, steps.vendor, step.refusal);

	const req = ctx.getRequestObject();
	if ((req.method ?? ALLOWED_METHOD).toUpperCase() !== ALLOWED_METHOD) {
		return refused(
			refuse(
				405,
				`${steps.vendor} webhooks are POST requests; this URL does not accept ${req.method}.`,
				{ headers: { Allow: ALLOWED_METHOD } },
			),
		);
	}

	const allowlist = parseAllowlist(steps.vendor, steps.ipAllowlist);
	if (!allowlist.ok) return refused(allowlist);
	// req.ip honours n8n's proxy settings (N8N_PROXY_HOPS); the socket is the fallback.
	const address = req.ip ?? req.socket?.remoteAddress;
	if (!allowlist.value.allows(address)) {
		return refused(
			refuse(
				403,
				`Requests from ${address ?? 'an unknown address'} are not in this trigger's IP allowlist.`,
			),
		);
	}

	const read = await readRawBody(ctx, steps.vendor);
	if (!read.ok) return refused(read);
	const delivery: DeliveryContext = {
		rawBody: read.value,
		headers: ctx.getHeaderData() as DeliveryContext['headers'],
		query: (ctx.getQueryData() ?? {}) as IDataObject,
		receivedAt,
	};

	const authentic = await steps.authenticate(delivery);
	if (!authentic.ok) return refused(authentic);

	const parsed = parseBody(delivery.rawBody, steps);
	if (!parsed.ok) return refused(parsed);
	const event = parsed.value;
	if (!steps.isSelected(event)) {
		return answer(ctx, 200, { received: true, ignored: 'event type not selected in this trigger' });
	}
	const deliveryKey = steps.deliveryKey(event, delivery);

	// Work that must succeed before acknowledging, then the item.
	const prepare = async (): Promise<Step<{ value: INodeExecutionData; aliases: string[] }>> => {
		let prepared: Prepared | undefined;
		if (steps.beforeAccept) {
			const step = await steps.beforeAccept(event, delivery);
			if (!step.ok) return step;
			prepared = step.value;
		}
		return ok({
			value: steps.toItem(event, deliveryKey, delivery, prepared),
			aliases: steps.aliases?.(event) ?? [],
		});
	};

	// "Listen for test event" runs in manual mode: always show the event, never touch the memory.
	if (ctx.getMode() === 'manual') {
		const item = await prepare();
		return item.ok ? { workflowData: [[item.value.value]] } : refused(item);
	}

	// Admitted once: the duplicate memory claims, accepts or releases the key (a throw in `prepare`
	// releases it and reaches `receiveDelivery`, which answers 503).
	const memory = new MemorySession(memoryPlace(ctx), steps.duplicateLimits);
	const admission = await memory.admitOnce(
		deliveryKey,
		receivedAt.getTime(),
		prepare,
		steps.deliveredBy?.(event) ?? [],
	);
	// The item carries the stored catch-up cursor to its execution, which stores it again: on a
	// queue-mode worker of n8n 2.40 it would otherwise be missing from that execution's save.
	if (admission.admitted)
		return { workflowData: [[carryStoredCursor(admission.value, memory.storedCursor)]] };
	if (admission.why === 'refused') return refused(admission);
	if (admission.why === 'notAccepted')
		// Another request had this delivery and did not accept it (the API failed, say): this
		// copy must not be answered 2xx, or the vendor would stop retrying and it would be lost.
		return refused(
			refuse(
				503,
				`A copy of this delivery was being processed and was not accepted; ${steps.vendor} can deliver it again.`,
			),
		);
	ctx.logger.debug(`${steps.vendor} delivery repeated; no execution started`, {
		node: ctx.getNode().name,
	});
	return answer(ctx, 200, { received: true, duplicate: true });
}

function parseAllowlist(vendor: string, text: string): Step<IpAllowlist> {
	try {
		return ok(parseIpAllowlist(text));
	} catch (error) {
		// A misconfigured allowlist must not let everyone in, nor drop the delivery: 503 → retried.
		// The caller is not authenticated yet: the entries and the parse error go to the log only.
		return refuseNotReady(
			vendor,
			`The trigger's IP allowlist cannot be read: ${(error as Error).message}. Fix the "IP Allowlist" option in n8n.`,
		);
	}
}

/** Nesting depth first (JSON.parse recurses), then JSON, then the trigger's envelope. */
function parseBody<Event>(rawBody: Buffer, steps: TriggerSteps<Event, unknown>): Step<Event> {
	if (nestedDeeperThan(rawBody, MAX_BODY_DEPTH)) {
		return refuse(
			400,
			`The body nests arrays or objects more than ${MAX_BODY_DEPTH} levels deep, the limit of this trigger.`,
		);
	}
	let body: unknown;
	try {
		body = JSON.parse(rawBody.toString('utf8'));
	} catch {
		return refuse(400, `The body is not valid JSON. ${steps.vendor} sends application/json.`);
	}
	return steps.parse(body);
}

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
		{ node: ctx.getNode().name },
	);
	return answer(ctx, refusal.status, { error: refusal.message }, refusal.headers);
}
