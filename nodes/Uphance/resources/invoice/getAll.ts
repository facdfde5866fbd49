import { getManyOperation, SINCE_ID } from '../../descriptions';

export const invoiceGetAll = getManyOperation({
	resource: 'invoice',
	path: '/invoices',
	key: 'invoices',
	plural: 'invoices',
	filters: [SINCE_ID],
});
