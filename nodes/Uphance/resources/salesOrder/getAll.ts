import { getManyOperation, SINCE_CREATED_AT, SINCE_ID } from '../../descriptions';

export const salesOrderGetAll = getManyOperation({
	resource: 'salesOrder',
	record: 'sales_order',
	plural: 'sales orders',
	filters: [
		SINCE_ID,
		SINCE_CREATED_AT,
		{
			label: 'Order Number',
			name: 'orderNumber',
			query: 'by_order_number',
			description: 'Only the sales order with this number',
		},
	],
});
