import type { VendorOperation, VendorResource } from '../../shared/operations';
import { athleteCreate } from './athlete/create';
import { athleteGetAll } from './athlete/getAll';
import { athleteUpdate } from './athlete/update';
import { captureGet } from './capture/get';
import { captureGetAll } from './capture/getAll';
import { dataExportGetJob } from './dataExport/getJob';
import { dataExportGetResults } from './dataExport/getResults';
import { dataExportRun } from './dataExport/run';

export const RESOURCES: VendorResource[] = [
	{ name: 'Athlete', value: 'athlete', description: 'Athletes' },
	{ name: 'Capture', value: 'capture', description: 'Motion captures' },
	{ name: 'Data Export', value: 'dataExport', description: 'Kinematic data export jobs' },
];

export const OPERATIONS: VendorOperation[] = [
	athleteCreate,
	athleteGetAll,
	athleteUpdate,
	captureGet,
	captureGetAll,
	dataExportGetJob,
	dataExportGetResults,
	dataExportRun,
];
