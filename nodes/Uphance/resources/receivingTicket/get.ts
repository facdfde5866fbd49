import { getOperation } from '../../descriptions';

export const receivingTicketGet = getOperation({
	resource: 'receivingTicket',
	path: '/receiving_tickets',
	singular: 'receiving_ticket',
	plural: 'receiving_tickets',
	label: 'receiving ticket',
	idName: 'receivingTicketId',
	idDisplayName: 'Receiving Ticket ID',
});
