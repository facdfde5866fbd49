import type { INodeProperties } from 'n8n-workflow';

import type { OperationHandler } from '../../shared/vendorRequest';
import type { UpliftOperation } from '../transport';
import { athleteCreate } from './athlete/create';
import { athleteGetAll } from './athlete/getAll';
import { athleteUpdate } from './athlete/update';
import { captureGet } from './capture/get';
import { captureGetAll } from './capture/getAll';
import { dataExportGetJob } from './dataExport/getJob';
import { dataExportGetResults } from './dataExport/getResults';
import { dataExportRun } from './dataExport/run';

export const RESOURCES: Array<{ name: string; value: string; description: string }> = [
	{ name: 'Athlete', value: 'athlete', description: 'Athletes' },
	{ name: 'Capture', value: 'capture', description: 'Motion captures' },
	{ name: 'Data Export', value: 'dataExport', description: 'Kinematic data export jobs' },
];

export const OPERATIONS: UpliftOperation[] = [
	athleteCreate,
	athleteGetAll,
	athleteUpdate,
	captureGet,
	captureGetAll,
	dataExportGetJob,
	dataExportGetResults,
	dataExportRun,
];

export function operationProperties(): INodeProperties[] {
	const selectors: INodeProperties[] = RESOURCES.map((r) => {
		const ops = OPERATIONS.filter((o) => o.resource === r.value).sort((a, b) =>
			a.name.localeCompare(b.name),
		);
		// eslint-disable-next-line n8n-nodes-base/node-param-default-missing -- the default is the first operation
		return {
			displayName: 'Operation',
			name: 'operation',
			type: 'options',
			noDataExpression: true,
			displayOptions: { show: { resource: [r.value] } },
			options: ops.map((o) => ({
				name: o.name,
				value: o.value,
				action: o.action,
				description: o.description,
			})),
			default: ops[0].value,
		};
	});
	return [...selectors, ...OPERATIONS.flatMap((o) => o.properties)];
}

export function handlers(): Record<string, Record<string, OperationHandler>> {
	const map: Record<string, Record<string, OperationHandler>> = {};
	for (const o of OPERATIONS) (map[o.resource] ??= {})[o.value] = o.execute;
	return map;
}
