import { getOperation } from '../../descriptions';

export const customerGet = getOperation({
	resource: 'customer',
	path: '/customers',
	singular: 'customer',
	plural: 'customers',
	label: 'customer',
	idName: 'customerId',
	idDisplayName: 'Customer ID',
});
