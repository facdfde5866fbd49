import { getOperation } from '../../descriptions';

/** `GET /invoices?invoice_id=ID` → `{invoices: [record]}` (nodes/Uphance/transport/records.ts). */
export const invoiceGet = getOperation({
	resource: 'invoice',
	record: 'invoice',
	label: 'invoice',
	idName: 'invoiceId',
	idDisplayName: 'Invoice ID',
});
