import { getManyOperation, SINCE_ID } from '../../descriptions';

export const invoiceGetAll = getManyOperation({
	resource: 'invoice',
	record: 'invoice',
	plural: 'invoices',
	filters: [SINCE_ID],
});
