import type { IDataObject } from 'n8n-workflow';

/**
 * The fields every trigger item carries about its delivery, written by `webhook()` (upliftItemJson,
 * uphanceItemJson) and read back by `execute()` here, in one typed place.
 */
export interface DeliveryFields {
	/** stable across redeliveries of the same event; what the duplicate memory remembers */
	deliveryKey: string;
	/** ISO time the delivery reached n8n */
	receivedAt: string;
}

export function deliveryFields(deliveryKey: string, receivedAt: Date): DeliveryFields {
	return { deliveryKey, receivedAt: receivedAt.toISOString() };
}

/** The delivery an item came from, or undefined for an item that did not come from `webhook()`. */
export function readDelivery(
	json: IDataObject,
): { deliveryKey: string; receivedAtMs: number } | undefined {
	const { deliveryKey, receivedAt } = json;
	if (typeof deliveryKey !== 'string' || deliveryKey === '' || typeof receivedAt !== 'string')
		return undefined;
	const receivedAtMs = Date.parse(receivedAt);
	return Number.isFinite(receivedAtMs) ? { deliveryKey, receivedAtMs } : undefined;
}
