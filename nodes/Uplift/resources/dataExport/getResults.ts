import type { IExecuteFunctions } from 'n8n-workflow';

import { idParameter, limitOf, returnAllAndLimit, showFor } from '../../../shared/operations';
import type { UpliftOperation } from '../../descriptions';
import { exportRows, jobIdProperty } from './shared';

export const dataExportGetResults: UpliftOperation = {
	resource: 'dataExport',
	value: 'getResults',
	name: 'Get Results',
	action: 'Get data export results',
	description:
		'Rows of a completed export job, one item per row (GET /data/export/job/{ID}/results, 500 rows a call)',
	properties: [
		...showFor('dataExport', 'getResults', [jobIdProperty]),
		...returnAllAndLimit('dataExport', 'getResults'),
	],
	async execute(this: IExecuteFunctions, i: number) {
		const jobId = idParameter(this, 'jobId', i);
		return await exportRows(this, i, jobId, limitOf(this, i));
	},
};
