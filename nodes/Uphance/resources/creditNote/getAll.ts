import { getManyOperation, SINCE_ID } from '../../descriptions';

export const creditNoteGetAll = getManyOperation({
	resource: 'creditNote',
	record: 'credit_note',
	plural: 'credit notes',
	filters: [
		{ ...SINCE_ID, description: 'Only records whose id is greater than this one (inferred)' },
	],
});
