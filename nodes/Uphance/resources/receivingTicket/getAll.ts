import { getManyOperation, SINCE_CREATED_AT, SINCE_ID } from '../../descriptions';

export const receivingTicketGetAll = getManyOperation({
	resource: 'receivingTicket',
	path: '/receiving_tickets',
	key: 'receiving_tickets',
	plural: 'receiving tickets',
	filters: [SINCE_ID, SINCE_CREATED_AT],
});
