import type { IDataObject, IExecuteFunctions } from 'n8n-workflow';

import { showFor } from '../../../shared/operations';
import { unwrapOne, uphanceRequest } from '../../transport';
import type { UphanceOperation } from '../../descriptions';

/** `POST /payments {amount, reference, date, sale_id, company_id, invoice_id, source}` (help 12548917). */
export const paymentCreate: UphanceOperation = {
	resource: 'payment',
	value: 'create',
	name: 'Create',
	action: 'Create a payment',
	description:
		'Record a payment (POST /payments). Uphance has no idempotency key for payments: the node re-sends only after a 429 (not processed), never after a server error or timeout. If n8n retries the node or the execution, a second payment can be recorded; check with Get Many first. An overpayment creates a credit note.',
	properties: showFor('payment', 'create', [
		{
			displayName: 'Amount',
			name: 'amount',
			type: 'number',
			typeOptions: { numberPrecision: 2 },
			required: true,
			default: 0,
			description: 'Amount paid',
		},
		{
			displayName: 'Invoice ID',
			name: 'invoiceId',
			type: 'string',
			default: '',
			description: 'Uphance ID of the invoice the payment is for',
		},
		{
			displayName: 'Additional Fields',
			name: 'additionalFields',
			type: 'collection',
			placeholder: 'Add Field',
			default: {},
			options: [
				{
					displayName: 'Company ID',
					name: 'company_id',
					type: 'string',
					default: '',
					description: 'Uphance ID of the paying company (customer)',
				},
				{
					displayName: 'Date',
					name: 'date',
					type: 'string',
					default: '',
					placeholder: '2026-01-31',
					description: 'Payment date (YYYY-MM-DD)',
				},
				{
					displayName: 'Reference',
					name: 'reference',
					type: 'string',
					default: '',
					description: 'Your reference, e.g. the bank transaction ID',
				},
				{
					displayName: 'Sale ID',
					name: 'sale_id',
					type: 'string',
					default: '',
					description: 'Uphance ID of the sales order',
				},
				{
					displayName: 'Source',
					name: 'source',
					type: 'string',
					default: '',
					description: 'Where the payment came from, e.g. the payment provider',
				},
			],
		},
	]),
	async execute(this: IExecuteFunctions, i: number) {
		const body: IDataObject = { amount: this.getNodeParameter('amount', i) as number };
		const invoiceId = String(this.getNodeParameter('invoiceId', i, '')).trim();
		if (invoiceId) body.invoice_id = invoiceId;
		const extra = this.getNodeParameter('additionalFields', i, {}) as IDataObject;
		for (const [key, value] of Object.entries(extra)) {
			if (value !== '' && value !== undefined && value !== null) body[key] = value;
		}
		const answer = await uphanceRequest(this, i, 'POST', '/payments', { body });
		// The answer of POST /payments is undocumented ({payment} is inferred). The payment is
		// recorded by now: a bare payment (an object with an id) is accepted rather than reported as
		// a failure that a retry would turn into a second payment.
		return unwrapOne(this, i, answer, ['payment', 'payments'], 'payment in the answer', {
			bareAllowed: true,
			request: 'POST /payments',
		});
	},
};
