import type { IExecuteFunctions } from 'n8n-workflow';

import { idParameter } from '../../../shared/operations';
import { idProperty } from '../../descriptions';
import { unwrapOne, uphanceRequest } from '../../transport';
import type { UphanceOperation } from '../../descriptions';

/**
 * `PUT /pick_tickets/{id}/ship` (confirmed only by public client code). No source says Uphance refuses
 * to ship a ticket without tracking (docs/uphance-api.md, endpoint table); tracking goes first when
 * there is one, as the public clients do.
 */
export const pickTicketMarkShipped: UphanceOperation = {
	resource: 'pickTicket',
	value: 'markShipped',
	name: 'Mark Shipped',
	action: 'Mark a pick ticket as shipped',
	description:
		'Mark the pick ticket shipped (PUT /pick_tickets/{ID}/ship). To send tracking and carrier, run Update Tracking first.',
	properties: [idProperty('pickTicket', 'markShipped', 'pickTicketId', 'Pick Ticket ID')],
	async execute(this: IExecuteFunctions, i: number) {
		const id = idParameter(this, 'pickTicketId', i);
		const body = await uphanceRequest(
			this,
			i,
			'PUT',
			`/pick_tickets/${encodeURIComponent(id)}/ship`,
			{ safeToRepeat: true },
		);
		return unwrapOne(this, i, body, ['pick_ticket', 'pick_tickets'], `pick ticket ${id}`, {
			id,
			request: `PUT /pick_tickets/${encodeURIComponent(id)}/ship`,
		});
	},
};
