import { createHash } from 'crypto';
import type { IDataObject } from 'n8n-workflow';
import { z } from 'zod';

import { ok, refuse } from '../shared/refusal';
import type { Step } from '../shared/refusal';
import { describeZodIssue } from '../shared/validation';
import { isoToTheSecond, parseVendorTime } from '../shared/time';

/**
 * Uphance's webhook body: `{"event": "<resource>_<action>", "<resource>": {id, updated_at, …}}`.
 * No delivery id, no timestamp, no signature (docs/uphance-api.md §1–2). Event names are open-ended:
 * the resource is everything before the last `_`, and its object must be in the body.
 */

export const KNOWN_UPHANCE_EVENTS: Array<{ value: string; name: string }> = [
	{ value: 'credit_note_create', name: 'Credit Note Created' },
	{ value: 'credit_note_delete', name: 'Credit Note Deleted' },
	{ value: 'credit_note_update', name: 'Credit Note Updated' },
	{ value: 'invoice_create', name: 'Invoice Created' },
	{ value: 'invoice_delete', name: 'Invoice Deleted' },
	{ value: 'invoice_update', name: 'Invoice Updated' },
	{ value: 'pick_ticket_create', name: 'Pick Ticket Created' },
	{ value: 'pick_ticket_delete', name: 'Pick Ticket Deleted' },
	{ value: 'pick_ticket_update', name: 'Pick Ticket Updated' },
	{ value: 'product_create', name: 'Product Created' },
	{ value: 'product_update', name: 'Product Updated' },
	{ value: 'receiving_ticket_create', name: 'Receiving Ticket Created' },
	{ value: 'receiving_ticket_delete', name: 'Receiving Ticket Deleted' },
	{ value: 'receiving_ticket_update', name: 'Receiving Ticket Updated' },
];

const envelopeSchema = z
	.object({
		event: z.string().trim().min(1, 'must not be empty'),
	})
	.passthrough();

const recordIdSchema = z.union([z.number().finite(), z.string().trim().min(1).max(200)]);

export interface UphanceEvent {
	/** as sent, e.g. `pick_ticket_update` */
	event: string;
	/** `pick_ticket` */
	resource: string;
	/** `update` */
	action: string;
	/** the resource's id as sent (number or string) */
	id: number | string;
	/** the record in the body */
	payload: IDataObject;
}

/** `pick_ticket_update` → `{resource: 'pick_ticket', action: 'update'}`; undefined without a `_`. */
export function splitEventName(event: string): { resource: string; action: string } | undefined {
	const at = event.lastIndexOf('_');
	if (at <= 0 || at === event.length - 1) return undefined;
	return { resource: event.slice(0, at), action: event.slice(at + 1) };
}

export function isDeleteAction(action: string): boolean {
	return action.toLowerCase() === 'delete';
}

export function parseUphanceEvent(body: unknown): Step<UphanceEvent> {
	const envelope = envelopeSchema.safeParse(body);
	if (!envelope.success) return refuse(400, describeZodIssue(envelope.error, 'an Uphance webhook'));
	const event = envelope.data.event.trim();
	const parts = splitEventName(event);
	if (!parts) {
		return refuse(
			400,
			`The body is not an Uphance webhook: field \`event\` ("${event.slice(0, 80)}") is not of the form <resource>_<action>, e.g. pick_ticket_update.`,
		);
	}
	const record = (envelope.data as Record<string, unknown>)[parts.resource];
	if (typeof record !== 'object' || record === null || Array.isArray(record)) {
		return refuse(
			400,
			`The body is not an Uphance webhook: ${record === undefined ? 'missing' : 'non-object'} field \`${parts.resource}\` (event \`${event.slice(0, 80)}\` names the resource \`${parts.resource}\`, whose record must be in the body).`,
		);
	}
	const id = recordIdSchema.safeParse((record as IDataObject).id);
	if (!id.success) {
		const missing = (record as IDataObject).id === undefined;
		return refuse(
			400,
			`The body is not an Uphance webhook: ${missing ? 'missing' : 'unusable'} field \`${parts.resource}.id\` (a number or a non-empty string).`,
		);
	}
	return ok({
		event,
		resource: parts.resource,
		action: parts.action,
		id: id.data,
		payload: record as IDataObject,
	});
}

/**
 * One change of one record: resource + id + `updated_at`, the same whether the change reached n8n
 * by webhook or by catch-up (uphanceCatchUp.ts), so the duplicate memory recognises it either way.
 * The event name is left out on purpose: catch-up sees the record, not the event, and a create and
 * an update that show the same `updated_at` show the same state. `updated_at` is compared as a
 * time, to the whole second: the webhook and the API may write the same instant differently
 * (`…Z`, `…+01:00`, with or without milliseconds: docs/uphance-api.md), and a time without a zone
 * is UTC (nodes/shared/time.ts). Two changes of one record within the same second count as one.
 * Undefined without a usable `updated_at`.
 */
export function uphanceChangeKey(
	resource: string,
	id: number | string,
	updatedAt: unknown,
): string | undefined {
	if (typeof updatedAt !== 'string' && typeof updatedAt !== 'number') return undefined;
	const text = String(updatedAt).trim();
	if (text === '' || (typeof updatedAt === 'number' && !Number.isFinite(updatedAt)))
		return undefined;
	const ms = parseVendorTime(updatedAt);
	const at = ms !== undefined ? isoToTheSecond(ms) : text;
	return `uphance:${resource}:${String(id)}:${at}`;
}

/**
 * Remembered beside a create's key, by either path, so catch-up names a later change of the same
 * record an update: the workflow already saw its create (uphanceCatchUp.ts, `catchUpEventName`).
 */
export function uphanceCreatedKey(resource: string, id: number | string): string {
	return `uphance:${resource}:${String(id)}:created`;
}

/**
 * Stable across Uphance's redeliveries of the same change. Creates and updates: the change's key
 * (`uphanceChangeKey`). Deletes keep the event name (a delete must never pass for the last update
 * of the same record). Without a usable `updated_at` the raw body's SHA-256 stands in (a
 * redelivery carries the same bytes).
 */
export function uphanceDeliveryKey(event: UphanceEvent, rawBody: Buffer): string {
	const updatedAt = event.payload.updated_at;
	const change = uphanceChangeKey(event.resource, event.id, updatedAt);
	if (change !== undefined)
		return isDeleteAction(event.action)
			? `uphance:${event.event}:${String(event.id)}:${String(updatedAt).trim()}`
			: change;
	return `uphance:sha256:${createHash('sha256').update(rawBody).digest('hex')}`;
}
