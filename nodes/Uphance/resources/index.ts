import type { INodeProperties } from 'n8n-workflow';

import type { OperationHandler } from '../../shared/vendorRequest';
import type { UphanceOperation } from '../transport';
import { creditNoteGet } from './creditNote/get';
import { creditNoteGetAll } from './creditNote/getAll';
import { customerGet } from './customer/get';
import { customerGetAll } from './customer/getAll';
import { invoiceGet } from './invoice/get';
import { invoiceGetAll } from './invoice/getAll';
import { paymentCreate } from './payment/create';
import { paymentGet } from './payment/get';
import { paymentGetAll } from './payment/getAll';
import { pickTicketGet } from './pickTicket/get';
import { pickTicketGetAll } from './pickTicket/getAll';
import { pickTicketMarkShipped } from './pickTicket/markShipped';
import { pickTicketUpdateTracking } from './pickTicket/updateTracking';
import { productGet } from './product/get';
import { productGetAll } from './product/getAll';
import { productionOrderGetAll } from './productionOrder/getAll';
import { receivingTicketGet } from './receivingTicket/get';
import { receivingTicketGetAll } from './receivingTicket/getAll';
import { salesOrderGet } from './salesOrder/get';
import { salesOrderGetAll } from './salesOrder/getAll';
import { seasonGetAll } from './season/getAll';
import { skuFindByEan } from './sku/findByEan';
import { stockAdjust } from './stock/adjust';

export const RESOURCES: Array<{ name: string; value: string; description: string }> = [
	{ name: 'Credit Note', value: 'creditNote', description: 'Credit notes' },
	{ name: 'Customer', value: 'customer', description: 'Customers' },
	{ name: 'Invoice', value: 'invoice', description: 'Invoices' },
	{ name: 'Payment', value: 'payment', description: 'Payments against invoices' },
	{ name: 'Pick Ticket', value: 'pickTicket', description: 'Pick tickets (shipments)' },
	{ name: 'Product', value: 'product', description: 'Products with variations and SKUs' },
	{ name: 'Production Order', value: 'productionOrder', description: 'Production orders' },
	{ name: 'Receiving Ticket', value: 'receivingTicket', description: 'Receiving tickets' },
	{ name: 'Sales Order', value: 'salesOrder', description: 'Sales orders' },
	{ name: 'Season', value: 'season', description: 'Seasons' },
	{ name: 'SKU', value: 'sku', description: 'SKUs (sizes of a product variation)' },
	{ name: 'Stock', value: 'stock', description: 'Stock operations' },
];

export const OPERATIONS: UphanceOperation[] = [
	creditNoteGet,
	creditNoteGetAll,
	customerGet,
	customerGetAll,
	invoiceGet,
	invoiceGetAll,
	paymentCreate,
	paymentGet,
	paymentGetAll,
	pickTicketGet,
	pickTicketGetAll,
	pickTicketMarkShipped,
	pickTicketUpdateTracking,
	productGet,
	productGetAll,
	productionOrderGetAll,
	receivingTicketGet,
	receivingTicketGetAll,
	salesOrderGet,
	salesOrderGetAll,
	seasonGetAll,
	skuFindByEan,
	stockAdjust,
];

/** One "Operation" selector per resource, then every operation's fields. */
export function operationProperties(): INodeProperties[] {
	const selectors: INodeProperties[] = RESOURCES.map((r) => {
		const ops = OPERATIONS.filter((o) => o.resource === r.value).sort((a, b) =>
			a.name.localeCompare(b.name),
		);
		// eslint-disable-next-line n8n-nodes-base/node-param-default-missing -- the default is the first operation
		return {
			displayName: 'Operation',
			name: 'operation',
			type: 'options',
			noDataExpression: true,
			displayOptions: { show: { resource: [r.value] } },
			options: ops.map((o) => ({
				name: o.name,
				value: o.value,
				action: o.action,
				description: o.description,
			})),
			default: ops[0].value,
		};
	});
	return [...selectors, ...OPERATIONS.flatMap((o) => o.properties)];
}

export function handlers(): Record<string, Record<string, OperationHandler>> {
	const map: Record<string, Record<string, OperationHandler>> = {};
	for (const o of OPERATIONS) (map[o.resource] ??= {})[o.value] = o.execute;
	return map;
}
