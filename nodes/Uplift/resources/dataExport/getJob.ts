import type { IExecuteFunctions } from 'n8n-workflow';

import { idParameter, showFor } from '../../../shared/operations';
import { upliftRequest } from '../../transport';
import { exportJobPath } from '../../transport/exports';
import type { UpliftOperation } from '../../descriptions';
import { jobIdProperty } from './shared';

export const dataExportGetJob: UpliftOperation = {
	resource: 'dataExport',
	value: 'getJob',
	name: 'Get Job',
	action: 'Get a data export job',
	description:
		'Status of an export job: RUNNING, COMPLETED, FAILED or CANCELED (GET /data/export/job/{ID})',
	properties: showFor('dataExport', 'getJob', [jobIdProperty]),
	async execute(this: IExecuteFunctions, i: number) {
		const jobId = idParameter(this, 'jobId', i);
		return await upliftRequest(this, i, 'GET', exportJobPath(jobId));
	},
};
