import { getManyOperation } from '../../descriptions';

export const paymentGetAll = getManyOperation({
	resource: 'payment',
	record: 'payment',
	plural: 'payments',
	filters: [],
});
