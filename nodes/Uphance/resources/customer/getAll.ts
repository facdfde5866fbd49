import { getManyOperation, SINCE_ID } from '../../descriptions';

export const customerGetAll = getManyOperation({
	resource: 'customer',
	record: 'customer',
	plural: 'customers',
	filters: [SINCE_ID],
});
