import type { INodeProperties } from 'n8n-workflow';

import { parseVendorTime } from '../time';
import type { CatchUpBounds } from './types';

/**
 * The Catch Up settings both triggers show, and the settings they describe. Defaults are chosen so
 * a user who changes nothing loses nothing (README, "Nothing lost while n8n was away").
 */

export interface CatchUpOptions {
	intervalMinutes?: number;
	settleSeconds?: number;
	backfillFrom?: string;
	maxRecordsPerRun?: number;
	maxPagesPerRun?: number;
	executionStartSeconds?: number;
}

export function catchUpProperties(vendorNote: string, extra: INodeProperties[]): INodeProperties[] {
	return [
		{
			displayName: 'Catch Up Missed Events',
			name: 'catchUp',
			type: 'boolean',
			default: true,
			description:
				'Whether to also list recent changes from the API on a timer and emit the ones the workflow has not seen (for example, sent while n8n was down)',
		},
		{
			displayName: vendorNote,
			name: 'catchUpNotice',
			type: 'notice',
			default: '',
			displayOptions: { show: { catchUp: [true] } },
		},
		{
			displayName: 'Catch-Up Options',
			name: 'catchUpOptions',
			type: 'collection',
			placeholder: 'Add option',
			default: {},
			displayOptions: { show: { catchUp: [true] } },
			options: [
				{
					displayName: 'Backfill From',
					name: 'backfillFrom',
					type: 'dateTime',
					default: '',
					description:
						'On the first activation, emit each change since this date once (read as UTC unless it names an offset). Empty: start from the activation, with no history.',
				},
				{
					displayName: 'Interval (Minutes)',
					name: 'intervalMinutes',
					type: 'number',
					typeOptions: { minValue: 1, maxValue: 60 },
					default: 30,
					description:
						'How often to look for missed changes. Catch-up also runs about 10 seconds after n8n starts or the workflow is activated.',
				},
				{
					displayName: 'Max Changes per Run',
					name: 'maxRecordsPerRun',
					type: 'number',
					typeOptions: { minValue: 1 },
					default: 100,
					description: 'At most this many executions per run; the rest follow in the next runs',
				},
				{
					displayName: 'Max Pages per Run',
					name: 'maxPagesPerRun',
					type: 'number',
					typeOptions: { minValue: 1 },
					default: 100,
					description: 'At most this many list requests per run',
				},
				{
					displayName: 'Settle Delay (Seconds)',
					name: 'settleSeconds',
					type: 'number',
					typeOptions: { minValue: 0 },
					default: 120,
					description:
						'Changes younger than this are left to the webhook, which may still be on its way',
				},
				{
					displayName: 'Wait for Execution Start (Seconds)',
					name: 'executionStartSeconds',
					type: 'number',
					typeOptions: { minValue: 1 },
					default: 600,
					description:
						"How long a run waits for an execution it started to begin (n8n's concurrency limit or queue may hold it). If it has not begun by then, the run stops and the next run goes on from that change. In regular mode an execution that has begun is waited for however long it runs; in queue mode n8n cannot tell, so keep this above your workflow's longest run.",
				},
				...extra,
			],
		},
	];
}

export function catchUpSettingsOf(options: CatchUpOptions): {
	intervalMinutes: number;
	settleMs: number;
	bounds: CatchUpBounds;
	backfillFromMs?: number;
	executionWaitMs: number;
} {
	const backfillFromMs = parseVendorTime(options.backfillFrom) ?? NaN;
	return {
		intervalMinutes: Math.min(60, Math.max(1, Math.floor(options.intervalMinutes ?? 30))),
		settleMs: Math.max(0, options.settleSeconds ?? 120) * 1000,
		bounds: {
			maxRecords: Math.max(1, Math.floor(options.maxRecordsPerRun ?? 100)),
			maxPages: Math.max(1, Math.floor(options.maxPagesPerRun ?? 100)),
		},
		...(Number.isFinite(backfillFromMs) ? { backfillFromMs } : {}),
		executionWaitMs: Math.max(1, options.executionStartSeconds ?? 600) * 1000,
	};
}
