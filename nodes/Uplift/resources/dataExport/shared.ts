import type { IDataObject, IExecuteFunctions, INodeProperties } from 'n8n-workflow';

import { upliftList } from '../../transport';
import { exportResultsPath } from '../../transport/exports';

export const jobIdProperty: INodeProperties = {
	displayName: 'Job ID',
	name: 'jobId',
	type: 'string',
	required: true,
	default: '',
	description: 'The jobId returned when the export was created',
};

/** `GET /data/export/job/{jobId}/results?limit=&offset=`, ≤ 500 rows a call; one record per row. */
export async function exportRows(
	ctx: IExecuteFunctions,
	itemIndex: number,
	jobId: string,
	limit: number | undefined,
): Promise<IDataObject[]> {
	return await upliftList(ctx, itemIndex, exportResultsPath(jobId), 'rows', {}, limit);
}
