import { getManyOperation } from '../../descriptions';

export const paymentGetAll = getManyOperation({
	resource: 'payment',
	path: '/payments',
	key: 'payments',
	plural: 'payments',
	filters: [],
});
