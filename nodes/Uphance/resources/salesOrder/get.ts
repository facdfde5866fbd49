import { getOperation } from '../../descriptions';

export const salesOrderGet = getOperation({
	resource: 'salesOrder',
	record: 'sales_order',
	label: 'sales order',
	idName: 'salesOrderId',
	idDisplayName: 'Sales Order ID',
	note: '. The response envelope is inferred: {sales_order} is unwrapped when present.',
});
