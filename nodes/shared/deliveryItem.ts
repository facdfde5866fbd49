import type { IDataObject, INodeExecutionData } from 'n8n-workflow';

import { cursorFields, readCursorFields } from './catchUp/cursor';
import type { Cursor } from './catchUp/cursor';

/**
 * The fields every trigger item carries about its delivery, written by `webhook()` (upliftItemJson,
 * uphanceItemJson) and read back by `execute()` here, in one typed place.
 */
export interface DeliveryFields {
	/** stable across redeliveries of the same event; what the duplicate memory remembers */
	deliveryKey: string;
	/** ISO time the delivery reached n8n */
	receivedAt: string;
	/** how the event reached n8n: its webhook, or catch-up from the vendor's API (catchUp/run.ts) */
	source: 'webhook' | 'catchUp';
	/**
	 * Other keys of the same change: the identity catch-up gives it where it cannot compute the
	 * webhook's key (an Uplift capture id). Remembered with the key, so catch-up skips the change.
	 */
	deliveryAliases?: string[];
}

export function deliveryFields(
	deliveryKey: string,
	receivedAt: Date,
	aliases: string[] = [],
): DeliveryFields {
	return {
		deliveryKey,
		receivedAt: receivedAt.toISOString(),
		source: 'webhook',
		...(aliases.length > 0 ? { deliveryAliases: aliases } : {}),
	};
}

/**
 * What a catch-up item carries for the execution (written by catchUpFields in catchUp/run.ts): the
 * cursor to store, whether the item exists only to store it, and the problem an item exists to
 * report (catchUp/schedule.ts: a part of the listing kept failing). Undefined for webhook items.
 */
export function readCatchUpFields(
	json: IDataObject,
): (Cursor & { bookkeeping: boolean; problem?: string }) | undefined {
	const catchUp = json.catchUp as IDataObject | undefined;
	if (json.source !== 'catchUp') return undefined;
	const cursor = readCursorFields(catchUp);
	if (!cursor || !catchUp) return undefined;
	return {
		...cursor,
		bookkeeping: catchUp.bookkeeping === true,
		...(typeof catchUp.problem === 'string' ? { problem: catchUp.problem } : {}),
	};
}

/** The delivery an item came from, or undefined for an item that did not come from `webhook()`. */
export function readDelivery(
	json: IDataObject,
): { deliveryKey: string; receivedAtMs: number; aliases: string[] } | undefined {
	const { deliveryKey, receivedAt, deliveryAliases } = json;
	if (typeof deliveryKey !== 'string' || deliveryKey === '' || typeof receivedAt !== 'string')
		return undefined;
	const receivedAtMs = Date.parse(receivedAt);
	const aliases = Array.isArray(deliveryAliases)
		? deliveryAliases.filter((a): a is string => typeof a === 'string' && a !== '')
		: [];
	return Number.isFinite(receivedAtMs) ? { deliveryKey, receivedAtMs, aliases } : undefined;
}

/**
 * The field a webhook item carries the stored catch-up cursor in, from `webhook()` (which reads
 * static data on every request) to its execution (which, on a queue-mode worker of n8n 2.40, starts
 * with empty static data and stores the cursor again: catchUp/cursor.ts, `noteStoredCursor`).
 * Internal: `withoutCarriedCursor` removes it before the item reaches the workflow.
 */
const CARRIED_CURSOR_FIELD = 'storedCatchUpCursor';

export function carryStoredCursor(
	item: INodeExecutionData,
	cursor: Cursor | undefined,
): INodeExecutionData {
	if (!cursor) return item;
	const carried = cursorFields(cursor);
	return { ...item, json: { ...item.json, [CARRIED_CURSOR_FIELD]: carried } };
}

/** The cursor a webhook item carries, or undefined. */
export function readCarriedCursor(json: IDataObject): Cursor | undefined {
	return readCursorFields(json[CARRIED_CURSOR_FIELD]);
}

/** The item as the workflow sees it: without the carried cursor. */
export function withoutCarriedCursor(item: INodeExecutionData): INodeExecutionData {
	if (!(CARRIED_CURSOR_FIELD in item.json)) return item;
	const json = { ...item.json };
	delete json[CARRIED_CURSOR_FIELD];
	return { ...item, json };
}
