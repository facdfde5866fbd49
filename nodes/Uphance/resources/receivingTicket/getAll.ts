import { getManyOperation, SINCE_CREATED_AT, SINCE_ID } from '../../descriptions';

export const receivingTicketGetAll = getManyOperation({
	resource: 'receivingTicket',
	record: 'receiving_ticket',
	plural: 'receiving tickets',
	filters: [SINCE_ID, SINCE_CREATED_AT],
});
