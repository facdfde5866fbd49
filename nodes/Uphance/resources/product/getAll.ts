import { getManyOperation, SINCE_ID } from '../../descriptions';

export const productGetAll = getManyOperation({
	resource: 'product',
	record: 'product',
	plural: 'products',
	filters: [
		SINCE_ID,
		{
			label: 'Product Identifier',
			name: 'productIdentifier',
			query: 'filter[product_identifier]',
			description: 'Only the product with this identifier (style code)',
		},
	],
});
