import { getOperation } from '../../descriptions';

export const pickTicketGet = getOperation({
	resource: 'pickTicket',
	path: '/pick_tickets',
	singular: 'pick_ticket',
	plural: 'pick_tickets',
	label: 'pick ticket',
	idName: 'pickTicketId',
	idDisplayName: 'Pick Ticket ID',
});
