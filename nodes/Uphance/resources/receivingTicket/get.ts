import { getOperation } from '../../descriptions';

export const receivingTicketGet = getOperation({
	resource: 'receivingTicket',
	record: 'receiving_ticket',
	label: 'receiving ticket',
	idName: 'receivingTicketId',
	idDisplayName: 'Receiving Ticket ID',
});
