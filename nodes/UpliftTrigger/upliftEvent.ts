import { createHash } from 'crypto';
import type { IDataObject } from 'n8n-workflow';
import { z } from 'zod';

import { ok, refuse } from '../shared/refusal';
import type { Step } from '../shared/refusal';
import { describeZodIssue } from '../shared/validation';
import { deliveryFields } from '../shared/deliveryItem';
import { parseVendorTime } from '../shared/time';

/**
 * Uplift's event envelope (Stripe-like): `{id, object: "event", type, api_version, created (epoch ms),
 * data: {object}}`. Only what the node relies on is required; unknown fields and unknown event types
 * pass through untouched, because Uplift publishes no complete list.
 */
export const upliftEventSchema = z
	.object({
		id: z.string().min(1),
		object: z.string().optional(),
		type: z.string().min(1),
		api_version: z.string().optional(),
		created: z.union([z.number(), z.string()]).optional(),
		data: z.object({ object: z.record(z.string(), z.unknown()) }).passthrough(),
	})
	.passthrough();

export type UpliftEvent = z.infer<typeof upliftEventSchema>;

export function parseUpliftEvent(body: unknown): Step<UpliftEvent> {
	const result = upliftEventSchema.safeParse(body);
	if (!result.success) return refuse(400, describeZodIssue(result.error, 'an Uplift event'));
	return ok(result.data);
}

/** Uplift reuses the event id on retries; a body without one cannot reach here (schema), but hash as a fallback. */
export function upliftDeliveryKey(event: UpliftEvent, rawBody: Buffer): string {
	if (event.id) return `uplift:${event.id}`;
	return `uplift:sha256:${createHash('sha256').update(rawBody).digest('hex')}`;
}

/**
 * `created` is epoch milliseconds in Uplift's samples; seconds and ISO strings are tolerated (an ISO
 * time without a zone is UTC: nodes/shared/time.ts).
 */
export function toIsoTime(value: unknown): string | null {
	let ms: number | undefined;
	if (typeof value === 'number' && Number.isFinite(value)) ms = value < 1e11 ? value * 1000 : value;
	else if (typeof value === 'string' && value.trim() !== '') {
		ms = /^\d+$/.test(value.trim()) ? toMs(Number(value)) : parseVendorTime(value);
	}
	if (ms === undefined || Number.isNaN(ms)) return null;
	const date = new Date(ms);
	return Number.isNaN(date.getTime()) ? null : date.toISOString();
}

function toMs(n: number): number {
	return n < 1e11 ? n * 1000 : n;
}

export interface CsvLink {
	url: string;
	/** epoch ms, when Uplift says */
	expiresAt?: number;
}

/** The pre-signed CSV link of a `movement.analytics.created` event, if the event carries one. */
export function findCsvLink(event: UpliftEvent): CsvLink | undefined {
	const inner = (event.data.object as IDataObject).data as IDataObject | undefined;
	const url = inner?.url;
	if (typeof url !== 'string' || !/^https?:\/\//i.test(url)) return undefined;
	const expires = inner?.expires;
	const expiresAt =
		typeof expires === 'number'
			? toMs(expires)
			: typeof expires === 'string' && /^\d+$/.test(expires)
				? toMs(Number(expires))
				: undefined;
	return { url, expiresAt };
}

/** `uplift_data_export_20230307232552.csv` from the link, else a name built from the object id. */
export function csvFileName(url: string, objectId: unknown): string {
	let base = '';
	try {
		base = decodeURIComponent(new URL(url).pathname.split('/').pop() ?? '');
	} catch {
		base = '';
	}
	base = base.replace(/[^A-Za-z0-9._-]/g, '_');
	if (base.length > 0 && base.length <= 200) return /\.csv$/i.test(base) ? base : `${base}.csv`;
	const id =
		typeof objectId === 'string'
			? objectId.replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 100)
			: 'movement';
	return `uplift_${id}.csv`;
}

/** The output item's JSON, before the execution's downloads (their outcomes go under `fetch`). */
export function upliftItemJson(
	event: UpliftEvent,
	deliveryKey: string,
	receivedAt: Date,
	aliases: string[] = [],
): IDataObject {
	return {
		id: event.id,
		type: event.type,
		created: toIsoTime(event.created),
		apiVersion: event.api_version ?? null,
		object: event.object ?? 'event',
		data: { object: event.data.object as IDataObject },
		...deliveryFields(deliveryKey, receivedAt, aliases),
		fetch: {},
	};
}
