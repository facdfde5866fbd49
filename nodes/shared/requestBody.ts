import type { IWebhookFunctions } from 'n8n-workflow';

import { ok, refuse } from './refusal';
import type { Step } from './refusal';

/**
 * Reading the request body without ever throwing, and the bound on how deeply it may nest.
 *
 * What n8n hands a webhook() (by file and line: docs/n8n-internals.md, "The request body a
 * webhook() receives"):
 * - `req.rawBody` is a Buffer when n8n already read the body (JSON, text, form-urlencoded or XML
 *   content types);
 * - otherwise `req.readRawBody()` reads it with raw-body, limited to N8N_PAYLOAD_SIZE_MAX (16 MiB by
 *   default). It rejects with raw-body's errors: `{ status: 413, type: 'entity.too.large' }`,
 *   `{ status: 400, type: 'request.aborted' | 'request.size.invalid' }`, or a zlib error for a bad
 *   gzip/deflate body. On 2.40 an unreadable stream is a `BadRequestError` (`httpStatusCode: 400`),
 *   on 2.8 raw-body's `{ status: 500, type: 'stream.not.readable' }`;
 * - a multipart/form-data body has been consumed by n8n's form parser (into `req.body`), so there
 *   is no raw body left to verify.
 */

/** Bodies nested deeper than this (arrays and objects) are refused with 400. Uplift's envelope is about 6 deep. */
export const MAX_BODY_DEPTH = 64;

function statusOf(error: unknown): number | undefined {
	if (typeof error !== 'object' || error === null) return undefined;
	const e = error as { status?: unknown; statusCode?: unknown; httpStatusCode?: unknown };
	return [e.status, e.statusCode, e.httpStatusCode].find((s): s is number => typeof s === 'number');
}

function refusalForReadError(error: unknown, vendor: string): Step<never> {
	const status = statusOf(error);
	const type =
		typeof error === 'object' && error !== null ? (error as { type?: unknown }).type : undefined;
	const logDetail = `${(error as Error)?.message ?? String(error)}${type ? ` (${String(type)})` : ''}`;
	if (status === 413 || type === 'entity.too.large')
		return refuse(413, `The body is too large. ${vendor} events are small JSON documents.`, {
			logDetail,
		});
	if (status === 415 || type === 'encoding.unsupported')
		return refuse(415, `The body's encoding is not supported. ${vendor} sends application/json.`, {
			logDetail,
		});
	return refuse(
		400,
		'The body could not be read (the request was cut short or its body was malformed).',
		{ logDetail },
	);
}

/** The request's raw body, or the answer to give when it cannot be read. Never throws. */
export async function readRawBody(ctx: IWebhookFunctions, vendor: string): Promise<Step<Buffer>> {
	try {
		const req = ctx.getRequestObject();
		if (!Buffer.isBuffer(req.rawBody)) {
			const contentType = String(
				req.contentType ?? req.headers?.['content-type'] ?? '',
			).toLowerCase();
			if (contentType.startsWith('multipart/')) {
				// n8n's form parser has consumed the body: nothing left to verify, and reading would fail.
				return refuse(
					400,
					`multipart/form-data bodies are not accepted. ${vendor} sends application/json.`,
				);
			}
			if (typeof req.readRawBody === 'function') await req.readRawBody();
		}
		if (!Buffer.isBuffer(req.rawBody) || req.rawBody.length === 0) {
			return refuse(400, `The request has no body. ${vendor} sends its event as a JSON body.`);
		}
		return ok(req.rawBody);
	} catch (error) {
		return refusalForReadError(error, vendor);
	}
}

/**
 * Whether JSON text nests arrays/objects more than `limit` deep. A scan over the raw bytes that
 * counts `[` and `{` outside strings (no recursion, so no body can exhaust the stack); the
 * top-level value is depth 1. Multi-byte UTF-8 never contains these ASCII bytes.
 */
export function nestedDeeperThan(raw: Buffer, limit: number = MAX_BODY_DEPTH): boolean {
	let depth = 0;
	let inString = false;
	for (let i = 0; i < raw.length; i++) {
		const byte = raw[i];
		if (inString) {
			if (byte === 0x5c)
				i++; // backslash: skip the escaped character
			else if (byte === 0x22) inString = false;
		} else if (byte === 0x22) {
			inString = true;
		} else if (byte === 0x7b || byte === 0x5b) {
			if (++depth > limit) return true;
		} else if (byte === 0x7d || byte === 0x5d) {
			depth--;
		}
	}
	return false;
}
