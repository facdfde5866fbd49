import type { IDataObject, IExecuteFunctions } from 'n8n-workflow';

import { showFor } from '../../../shared/operations';
import { uphanceList } from '../../transport';
import type { UphanceOperation } from '../../descriptions';

/** `GET /skus?filter[ean]=` (confirmed only by public client code). One item per matching SKU. */
export const skuFindByEan: UphanceOperation = {
	resource: 'sku',
	value: 'findByEan',
	name: 'Find by EAN',
	action: 'Find SKUs by EAN',
	description:
		'Find the SKUs with this EAN barcode (GET /skus?filter[ean]=…); one item per SKU, none when nothing matches',
	properties: showFor('sku', 'findByEan', [
		{
			displayName: 'EAN',
			name: 'ean',
			type: 'string',
			required: true,
			default: '',
			placeholder: '8712345678906',
			description: 'EAN / GTIN barcode of the SKU',
		},
	]),
	async execute(this: IExecuteFunctions, i: number): Promise<IDataObject[]> {
		const ean = String(this.getNodeParameter('ean', i)).trim();
		return await uphanceList(this, i, '/skus', 'skus', { 'filter[ean]': ean }, undefined);
	},
};
