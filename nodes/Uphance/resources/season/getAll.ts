import { getManyOperation } from '../../descriptions';

export const seasonGetAll = getManyOperation({
	resource: 'season',
	record: 'season',
	plural: 'seasons',
	filters: [],
	note: '; the endpoint is confirmed only by public client code, its list envelope {seasons, meta} is inferred',
});
