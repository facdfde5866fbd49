import { getManyOperation, SINCE_ID } from '../../transport';

export const invoiceGetAll = getManyOperation({
	resource: 'invoice',
	path: '/invoices',
	key: 'invoices',
	plural: 'invoices',
	filters: [SINCE_ID],
});
