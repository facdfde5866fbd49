import { getManyOperation } from '../../descriptions';

export const productionOrderGetAll = getManyOperation({
	resource: 'productionOrder',
	record: 'production_order',
	plural: 'production orders',
	filters: [],
	note: '; Uphance sends 50 per page',
});
