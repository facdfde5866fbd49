import { getManyOperation } from '../../descriptions';

export const productionOrderGetAll = getManyOperation({
	resource: 'productionOrder',
	path: '/production_orders',
	key: 'production_orders',
	plural: 'production orders',
	filters: [],
	note: '; Uphance sends 50 per page',
});
