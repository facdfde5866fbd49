import { sleep } from 'n8n-workflow';
import type { IDataObject } from 'n8n-workflow';

import { describeKeys } from '../../shared/singleRecord';

/**
 * Uplift's data export jobs (docs/uplift-api.md §4.4), the one flow the Uplift node's Run Data
 * Export (resources/dataExport/run.ts) and the Uplift Trigger's catch-up
 * (nodes/UpliftTrigger/upliftCatchUp.ts) both use: `POST /data/export` → `{jobId}`, then
 * `GET /data/export/job/{jobId}` until `COMPLETED` (or `FAILED` / `CANCELED`), then
 * `GET …/results?limit=&offset=` read with ./pages.ts. Each caller sends the requests its own way
 * (the node's errors, catch-up's retry and close); the paths, the answers' reading and the wait are
 * here.
 */

export const EXPORT_PATH = '/data/export';

export const exportJobPath = (jobId: string): string =>
	`/data/export/job/${encodeURIComponent(jobId)}`;

export const exportResultsPath = (jobId: string): string => `${exportJobPath(jobId)}/results`;

/** The job id of `POST /data/export`'s answer (`{jobId}`), or undefined. */
export function createdJobId(body: unknown): string | undefined {
	const jobId = (body as IDataObject | null | undefined)?.jobId;
	if (typeof jobId === 'string' && jobId.trim() !== '') return jobId;
	if (typeof jobId === 'number' && Number.isFinite(jobId)) return String(jobId);
	return undefined;
}

/** One look at the job: its answer, or the caller's own description of a failed request. */
export type JobLook<F> = { ok: true; body: unknown } | { ok: false; failure: F };

export type ExportWait<F> =
	| { state: 'completed' }
	/** Uplift ended the job without results */
	| { state: 'ended'; status: 'FAILED' | 'CANCELED'; message: string }
	/** still running (its last status) when the time was up */
	| { state: 'timedOut'; status: string }
	/** an answer without a `status`: names the keys found, never a value */
	| { state: 'unreadable'; error: string }
	| { state: 'lookFailed'; failure: F };

/**
 * Looks at the job every `pollMs` (Uplift's sample client waits 5 s) until it completes, ends, or
 * `timeoutMs` has passed. A status other than the documented four (`RUNNING`…) is waited on.
 */
export async function waitForExportJob<F>(
	jobId: string,
	look: () => Promise<JobLook<F>>,
	options: { pollMs: number; timeoutMs: number },
): Promise<ExportWait<F>> {
	const deadline = Date.now() + options.timeoutMs;
	for (;;) {
		const answer = await look();
		if (!answer.ok) return { state: 'lookFailed', failure: answer.failure };
		const job = answer.body as IDataObject | null | undefined;
		const status = typeof job?.status === 'string' ? job.status : undefined;
		if (status === undefined)
			return {
				state: 'unreadable',
				error: `Uplift's answer to GET ${exportJobPath(jobId)} has no \`status\` (top-level keys: ${describeKeys(answer.body)})`,
			};
		if (status === 'COMPLETED') return { state: 'completed' };
		if (status === 'FAILED' || status === 'CANCELED') {
			const said = job?.errorMessage;
			return {
				state: 'ended',
				status,
				message: typeof said === 'string' && said !== '' ? said : 'no message',
			};
		}
		if (Date.now() + options.pollMs > deadline) return { state: 'timedOut', status };
		await sleep(options.pollMs);
	}
}
