import { getManyOperation, SINCE_ID } from '../../descriptions';

export const creditNoteGetAll = getManyOperation({
	resource: 'creditNote',
	path: '/credit_notes',
	key: 'credit_notes',
	plural: 'credit notes',
	filters: [
		{ ...SINCE_ID, description: 'Only records whose id is greater than this one (inferred)' },
	],
});
