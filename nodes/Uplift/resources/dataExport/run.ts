import { NodeOperationError } from 'n8n-workflow';
import type { IDataObject, IExecuteFunctions } from 'n8n-workflow';

import { runsAsTool, showFor, TOOL_MAX_ITEMS, withAdvice } from '../../../shared/operations';
import { upliftRequest } from '../../transport';
import {
	createdJobId,
	EXPORT_PATH,
	exportJobPath,
	waitForExportJob,
} from '../../transport/exports';
import type { UpliftOperation } from '../../descriptions';
import { exportRows } from './shared';

const splitList = (value: unknown): string[] =>
	String(value ?? '')
		.split(',')
		.map((v) => v.trim())
		.filter((v) => v !== '');

/**
 * The rows to read at most: Max Rows, 0 for every row. As a tool, at most TOOL_MAX_ITEMS, and 0
 * means that many: an agent cannot pull a whole export (thousands of rows) into its context.
 */
function maxRowsOf(ctx: IExecuteFunctions, itemIndex: number, value: unknown): number | undefined {
	const n = Math.floor(Number(value ?? 0));
	const tool = runsAsTool(ctx);
	if (!Number.isFinite(n) || n < 0 || (tool && n > TOOL_MAX_ITEMS)) {
		if (tool)
			throw new NodeOperationError(
				ctx.getNode(),
				withAdvice(
					`Max Rows ${JSON.stringify(value)} is outside 1 to ${TOOL_MAX_ITEMS}, the most one tool call returns`,
					`Ask for ${TOOL_MAX_ITEMS} rows or fewer; for one row per capture, set the row filter column (e.g. frame or peak_event).`,
				),
				{ itemIndex },
			);
		throw new NodeOperationError(
			ctx.getNode(),
			`Max Rows ${JSON.stringify(value)} is not a whole number of 0 or more`,
			{
				itemIndex,
				description: 'Set Max Rows to how many rows to read at most, or 0 for every row.',
			},
		);
	}
	if (n === 0) return tool ? TOOL_MAX_ITEMS : undefined;
	return n;
}

const epochSeconds = (value: unknown): number | undefined => {
	const text = String(value ?? '').trim();
	if (text === '') return undefined;
	if (/^\d+$/.test(text)) return Number(text);
	const ms = Date.parse(text);
	return Number.isNaN(ms) ? undefined : Math.floor(ms / 1000);
};

export const dataExportRun: UpliftOperation = {
	resource: 'dataExport',
	value: 'run',
	name: 'Run',
	action: 'Run a data export',
	description:
		'Create an export job (POST /data/export), wait until it completes or fails, and output one item per result row. Each run creates a new job (read-only, so a retry only costs time).',
	properties: showFor('dataExport', 'run', [
		{
			displayName: 'Activity',
			name: 'activity',
			type: 'string',
			required: true,
			default: '',
			placeholder: 'baseball',
		},
		{
			displayName: 'Movement',
			name: 'movement',
			type: 'string',
			required: true,
			default: '',
			placeholder: 'hitting',
		},
		{
			displayName: 'Start Time',
			name: 'startTime',
			type: 'dateTime',
			required: true,
			default: '',
			description: 'Captures from this time on',
		},
		{
			displayName: 'End Time',
			name: 'endTime',
			type: 'dateTime',
			default: '',
			description: 'Captures up to this time; empty means now',
		},
		{
			displayName: 'Date Mode',
			name: 'dateMode',
			type: 'options',
			default: 'capture_time',
			options: [
				{ name: 'Capture Time', value: 'capture_time' },
				{ name: 'Last Modified', value: 'last_modified' },
			],
			description: 'Which date the time range applies to',
		},
		{
			displayName: 'Options',
			name: 'options',
			type: 'collection',
			placeholder: 'Add Option',
			default: {},
			options: [
				{
					displayName: 'Athlete IDs',
					name: 'athletes',
					type: 'string',
					default: '',
					description: 'Comma-separated athlete IDs; empty means all',
				},
				{
					displayName: 'Max Rows',
					name: 'maxRows',
					type: 'number',
					typeOptions: { minValue: 0 },
					default: 0,
					description: `Read at most this many rows; 0 reads every row. As a tool (AI Agent, MCP): at most ${TOOL_MAX_ITEMS}, and 0 means ${TOOL_MAX_ITEMS}.`,
				},
				{
					displayName: 'Metrics',
					name: 'metrics',
					type: 'string',
					default: '',
					placeholder: 'peak_event, peak_power',
					description: 'Comma-separated metric columns; empty means all',
				},
				{
					displayName: 'Poll Interval (Seconds)',
					name: 'pollIntervalSeconds',
					type: 'number',
					typeOptions: { minValue: 1 },
					default: 5,
					description: 'How often to ask whether the job is done',
				},
				{
					displayName: 'Row Filter Column',
					name: 'rowFilterColumn',
					type: 'string',
					default: '',
					placeholder: 'frame',
					description:
						'Return only the row where this column is 0 (e.g. frame or peak_event); empty returns the whole time series',
				},
				{
					displayName: 'Timeout (Seconds)',
					name: 'timeoutSeconds',
					type: 'number',
					typeOptions: { minValue: 1 },
					default: 300,
					description:
						'Give up waiting after this long; the error names the job ID for Get Job / Get Results',
				},
			],
		},
	]),
	async execute(this: IExecuteFunctions, i: number) {
		const options = this.getNodeParameter('options', i, {}) as IDataObject;
		// checked before the job is created: a wrong value creates nothing
		const maxRows = maxRowsOf(this, i, options.maxRows);
		const startTime = epochSeconds(this.getNodeParameter('startTime', i));
		if (startTime === undefined) {
			throw new NodeOperationError(this.getNode(), 'Start Time is not a date', { itemIndex: i });
		}
		const body: IDataObject = {
			activity: this.getNodeParameter('activity', i) as string,
			movement: this.getNodeParameter('movement', i) as string,
			startTime,
			endTime:
				epochSeconds(this.getNodeParameter('endTime', i, '')) ?? Math.floor(Date.now() / 1000),
			dateMode: this.getNodeParameter('dateMode', i, 'capture_time') as string,
		};
		const athletes = splitList(options.athletes);
		if (athletes.length) body.athletes = athletes;
		const metrics = splitList(options.metrics);
		if (metrics.length) body.metrics = metrics;
		const rowFilter = String(options.rowFilterColumn ?? '').trim();
		if (rowFilter) body.row_filter_column = rowFilter;

		const created = await upliftRequest(this, i, 'POST', EXPORT_PATH, { body });
		const jobId = createdJobId(created);
		if (jobId === undefined) {
			throw new NodeOperationError(this.getNode(), 'Uplift created no export job (no jobId)', {
				itemIndex: i,
			});
		}
		const timeoutMs = Math.max(1, Number(options.timeoutSeconds ?? 300)) * 1000;
		const pollMs = Math.max(1, Number(options.pollIntervalSeconds ?? 5)) * 1000;
		// A failed request throws here (upliftRequest), with the node's error and advice.
		const waited = await waitForExportJob(
			jobId,
			async () => ({
				ok: true as const,
				body: await upliftRequest(this, i, 'GET', exportJobPath(jobId)),
			}),
			{ pollMs, timeoutMs },
		);
		if (waited.state === 'ended')
			throw new NodeOperationError(
				this.getNode(),
				`Uplift export job ${jobId} ended ${waited.status}: ${waited.message}`,
				{ itemIndex: i },
			);
		if (waited.state === 'unreadable')
			throw new NodeOperationError(this.getNode(), waited.error, { itemIndex: i });
		if (waited.state === 'timedOut')
			throw new NodeOperationError(
				this.getNode(),
				`Uplift export job ${jobId} is still ${waited.status || 'running'} after ${timeoutMs / 1000} s`,
				{
					itemIndex: i,
					description: `Raise Timeout, or fetch it later with Data Export → Get Job / Get Results and Job ID ${jobId}.`,
				},
			);
		return await exportRows(this, i, jobId, maxRows);
	},
};
