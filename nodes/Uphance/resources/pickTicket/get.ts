import { getOperation } from '../../descriptions';

export const pickTicketGet = getOperation({
	resource: 'pickTicket',
	record: 'pick_ticket',
	label: 'pick ticket',
	idName: 'pickTicketId',
	idDisplayName: 'Pick Ticket ID',
});
