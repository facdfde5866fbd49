import { getOperation } from '../../descriptions';

export const customerGet = getOperation({
	resource: 'customer',
	record: 'customer',
	label: 'customer',
	idName: 'customerId',
	idDisplayName: 'Customer ID',
});
