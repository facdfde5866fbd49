import { getOperation } from '../../descriptions';

export const creditNoteGet = getOperation({
	resource: 'creditNote',
	path: '/credit_notes',
	singular: 'credit_note',
	plural: 'credit_notes',
	label: 'credit note',
	idName: 'creditNoteId',
	idDisplayName: 'Credit Note ID',
});
