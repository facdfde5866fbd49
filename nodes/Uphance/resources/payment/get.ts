import { getOperation } from '../../descriptions';

export const paymentGet = getOperation({
	resource: 'payment',
	path: '/payments',
	singular: 'payment',
	plural: 'payments',
	label: 'payment',
	idName: 'paymentId',
	idDisplayName: 'Payment ID',
	note: '. The response envelope {payment} is inferred.',
});
