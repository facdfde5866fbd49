import { getManyOperation, SINCE_CREATED_AT, SINCE_ID } from '../../descriptions';

export const pickTicketGetAll = getManyOperation({
	resource: 'pickTicket',
	record: 'pick_ticket',
	plural: 'pick tickets',
	filters: [
		SINCE_ID,
		SINCE_CREATED_AT,
		{
			label: 'Warehouse Name',
			name: 'warehouseName',
			query: 'filter[warehouse_name]',
			description: 'Only pick tickets of this warehouse',
		},
		{
			label: 'Order Number',
			name: 'orderNumber',
			query: 'by_order_number',
			description: 'Only pick tickets of the sales order with this number',
		},
		{
			label: 'Order ID',
			name: 'orderId',
			query: 'by_order_id',
			description: 'Only pick tickets of the sales order with this id',
		},
		{
			label: 'Shipment Number',
			name: 'shipmentNumber',
			query: 'by_shipment_number',
			description: 'Only the pick ticket with this shipment number',
		},
	],
});
