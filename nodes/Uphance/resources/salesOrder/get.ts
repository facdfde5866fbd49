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
	// The public clients C1 and C2 read the whole answer of GET /sales_orders/{id} as the order
	// (docs/uphance-api.md §4): the bare record is accepted here, and only here among the Gets.
	bareAllowed: true,
});
