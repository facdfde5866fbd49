import { getOperation } from '../../descriptions';

export const salesOrderGet = getOperation({
	resource: 'salesOrder',
	path: '/sales_orders',
	singular: 'sales_order',
	plural: 'sales_orders',
	label: 'sales order',
	idName: 'salesOrderId',
	idDisplayName: 'Sales Order ID',
	note: '. The response envelope is inferred: {sales_order} is unwrapped when present.',
});
