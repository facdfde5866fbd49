import { getManyOperation, SINCE_ID } from '../../descriptions';

export const customerGetAll = getManyOperation({
	resource: 'customer',
	path: '/customers',
	key: 'customers',
	plural: 'customers',
	filters: [SINCE_ID],
});
