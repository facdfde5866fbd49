import { getOperation } from '../../descriptions';

export const productGet = getOperation({
	resource: 'product',
	record: 'product',
	label: 'product',
	idName: 'productId',
	idDisplayName: 'Product ID',
});
