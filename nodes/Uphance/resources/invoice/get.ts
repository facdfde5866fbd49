import type { IExecuteFunctions } from 'n8n-workflow';

import { idParameter } from '../../../shared/operations';
import { idProperty } from '../../descriptions';
import { unwrapOne, uphanceRequest } from '../../transport';
import type { UphanceOperation } from '../../descriptions';

/** `GET /invoices?invoice_id=ID` → `{invoices: [record]}`, as the public clients fetch one invoice. */
export const invoiceGet: UphanceOperation = {
	resource: 'invoice',
	value: 'get',
	name: 'Get',
	action: 'Get an invoice',
	description: 'Get one invoice by ID (GET /invoices?invoice_id={ID})',
	properties: [idProperty('invoice', 'get', 'invoiceId', 'Invoice ID')],
	async execute(this: IExecuteFunctions, i: number) {
		const id = idParameter(this, 'invoiceId', i);
		const body = await uphanceRequest(this, i, 'GET', '/invoices', { qs: { invoice_id: id } });
		return unwrapOne(this, i, body, 'invoice', 'invoices', `invoice ${id}`, {
			id,
			request: `GET /invoices?invoice_id=${id}`,
		});
	},
};
