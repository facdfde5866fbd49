import type { VendorOperation, VendorResource } from '../../shared/operations';
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

export const RESOURCES: VendorResource[] = [
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

export const OPERATIONS: VendorOperation[] = [
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
