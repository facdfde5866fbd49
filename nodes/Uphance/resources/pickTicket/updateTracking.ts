import type { IDataObject, IExecuteFunctions } from 'n8n-workflow';

import { idParameter, showFor } from '../../../shared/operations';
import { idProperty } from '../../descriptions';
import { unwrapOne, uphanceRequest } from '../../transport';
import type { UphanceOperation } from '../../descriptions';

const show = (p: Parameters<typeof showFor>[2]) => showFor('pickTicket', 'updateTracking', p);

/**
 * `PUT /pick_tickets/{id}?tracking_number=&carrier=&shipping_cost=` with an empty body, as the
 * public Cross Docks 3PL integration does (confirmed only by that client code).
 */
export const pickTicketUpdateTracking: UphanceOperation = {
	resource: 'pickTicket',
	value: 'updateTracking',
	name: 'Update Tracking',
	action: 'Update tracking of a pick ticket',
	description:
		'Set tracking number, carrier and shipping cost (PUT /pick_tickets/{ID} with query parameters). Repeating it sets the same values again.',
	properties: [
		idProperty('pickTicket', 'updateTracking', 'pickTicketId', 'Pick Ticket ID'),
		...show([
			{
				displayName: 'Tracking Number',
				name: 'trackingNumber',
				type: 'string',
				required: true,
				default: '',
				description: 'Tracking number of the shipment',
			},
			{
				displayName: 'Carrier Code',
				name: 'carrier',
				type: 'string',
				default: '',
				placeholder: 'dhl',
				description:
					'Carrier code as configured in Uphance (e.g. dhl, australia_post). Leave empty to keep the current carrier.',
			},
			{
				displayName: 'Shipping Cost',
				name: 'shippingCost',
				type: 'string',
				default: '',
				placeholder: '12.50',
				description: 'Shipping cost to record. Leave empty to keep the current value.',
			},
		]),
	],
	async execute(this: IExecuteFunctions, i: number) {
		const id = idParameter(this, 'pickTicketId', i);
		const qs: IDataObject = {
			tracking_number: String(this.getNodeParameter('trackingNumber', i)).trim(),
		};
		const carrier = String(this.getNodeParameter('carrier', i, '')).trim();
		if (carrier) qs.carrier = carrier;
		const cost = String(this.getNodeParameter('shippingCost', i, '')).trim();
		if (cost) qs.shipping_cost = cost;
		const body = await uphanceRequest(this, i, 'PUT', `/pick_tickets/${encodeURIComponent(id)}`, {
			qs,
			safeToRepeat: true,
		});
		return unwrapOne(this, i, body, ['pick_ticket', 'pick_tickets'], `pick ticket ${id}`, {
			id,
			request: `PUT /pick_tickets/${encodeURIComponent(id)}`,
		});
	},
};
