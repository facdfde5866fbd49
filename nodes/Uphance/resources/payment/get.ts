import { getOperation } from '../../descriptions';

export const paymentGet = getOperation({
	resource: 'payment',
	record: 'payment',
	label: 'payment',
	idName: 'paymentId',
	idDisplayName: 'Payment ID',
	note: '. The response envelope {payment} is inferred.',
});
