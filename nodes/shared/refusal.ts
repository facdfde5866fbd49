/**
 * How a trigger step says "no": a refusal is the HTTP answer a delivery gets when it is not
 * accepted (it starts no execution). A leaf module: every step of the webhook pipeline
 * (nodes/shared/webhookPipeline.ts) returns a `Step`, and only the pipeline answers.
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

export const ok = <T>(value: T): Step<T> => ({ ok: true, value });

/** A step that refuses the delivery with `status` and `message` (and, optionally, log-only details). */
export const refuse = (
	status: number,
	message: string,
	extra: Pick<Refusal, 'headers' | 'logDetail'> = {},
): { ok: false; refusal: Refusal } => ({ ok: false, refusal: { status, message, ...extra } });

/**
 * The answer to an unauthenticated caller when the node itself is misconfigured: non-2xx so the
 * vendor retries once it is fixed, and nothing about the configuration (that goes to `logDetail`).
 */
export const refuseNotReady = (
	vendor: string,
	logDetail: string,
): { ok: false; refusal: Refusal } =>
	refuse(
		503,
		`The ${vendor} trigger is not ready to accept deliveries; this one was not accepted, so it can be retried.`,
		{ logDetail },
	);
