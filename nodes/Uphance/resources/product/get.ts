import { getOperation } from '../../descriptions';

export const productGet = getOperation({
	resource: 'product',
	path: '/products',
	singular: 'product',
	plural: 'products',
	label: 'product',
	idName: 'productId',
	idDisplayName: 'Product ID',
});
