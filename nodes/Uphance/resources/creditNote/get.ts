import { getOperation } from '../../descriptions';

export const creditNoteGet = getOperation({
	resource: 'creditNote',
	record: 'credit_note',
	label: 'credit note',
	idName: 'creditNoteId',
	idDisplayName: 'Credit Note ID',
});
