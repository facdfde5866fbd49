import type { IDataObject } from 'n8n-workflow';
import { z } from 'zod';

import type {
	CatchUpBounds,
	CatchUpListing,
	CatchUpRecord,
	CatchUpResume,
	CatchUpWindow,
	ListChanges,
	ProbeChanges,
	ProbeResult,
} from '../shared/catchUp/types';
import {
	createdJobId,
	EXPORT_PATH,
	exportJobPath,
	exportResultsPath,
	waitForExportJob,
} from '../Uplift/transport/exports';
import { MAX_PAGE, readUpliftPage } from '../Uplift/transport/pages';
import { sendWithRetry } from '../shared/vendorHttp';
import type { HttpResult, RetryPolicy, SendRequest } from '../shared/vendorHttp';
import { csvFileName, toIsoTime } from './upliftEvent';
import type { UpliftEvent } from './upliftEvent';

/**
 * Uplift catch-up (issue 16, docs/catch-up.md §4.2): the completed captures Uplift lists
 * (`GET /captures?status=completed`, docs/uplift-api.md §4.3) that the webhook path may have missed,
 * each with its kinematic CSV read through an export job (§4.4). A plain module: the caller passes
 * the request helper (with the `upliftApi` credential) and the base URL.
 *
 * What is inferred, not documented: that a webhook's `data.object.id` is `<session_id>_<n>` (the
 * alias below), the order of `/captures` answers (so every page of a run is read before the window
 * counts as done), and whether the export's columns equal the webhook CSV's (the item says
 * `fetch.csv.source = 'export'`).
 */

/** Runs in which a capture's export may fail before it is emitted with the error attached. */
export const EXPORT_TRIES = 3;

/** Uplift answers at most 500 captures or result rows a call (../Uplift/transport/pages.ts). */
const PAGE_SIZE = MAX_PAGE;

export const UPLIFT_CAPTURE_EVENT = 'movement.analytics.created';

/** Catch-up's delivery key for a capture (`session_id`, the `captureId` of `/captures/{captureId}`). */
export function upliftCaptureKey(captureId: string): string {
	return `uplift:capture:${captureId}`;
}

/**
 * Recorded with a capture catch-up emitted (as an alias of its item), so a webhook event of that
 * capture arriving later starts nothing (UpliftTrigger.node.ts, `deliveredBy`). Not the capture key
 * itself: webhook events record that one, and two analytics of one capture both start.
 */
export function upliftCaughtUpKey(captureId: string): string {
	return `uplift:caughtUp:${captureId}`;
}

const EVENT_OBJECT_ID = /^([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})_(\d+)$/i;

/**
 * The capture a webhook event stands for: `movement.analytics.created` names the capture in
 * `data.object.id` as `<uuid>_<n>`, and that the uuid is the capture's `session_id` is inferred (I).
 * Undefined for other events and ids of another form.
 */
function eventCaptureId(event: Pick<UpliftEvent, 'type' | 'data'> | undefined): string | undefined {
	if (event?.type !== UPLIFT_CAPTURE_EVENT) return undefined;
	const id = (event.data?.object as IDataObject | undefined)?.id;
	if (typeof id !== 'string') return undefined;
	return EVENT_OBJECT_ID.exec(id.trim())?.[1];
}

/**
 * The capture key a webhook event stands for (`eventCaptureId`). The webhook path records this next
 * to `uplift:<event id>`, so catch-up skips what a webhook delivered.
 */
export function upliftCaptureAlias(
	event: Pick<UpliftEvent, 'type' | 'data'> | undefined,
): string | undefined {
	const captureId = eventCaptureId(event);
	return captureId === undefined ? undefined : upliftCaptureKey(captureId);
}

/** The caught-up key of the capture a webhook event names (see `upliftCaughtUpKey`), if any. */
export function upliftCaughtUpAlias(
	event: Pick<UpliftEvent, 'type' | 'data'> | undefined,
): string | undefined {
	const captureId = eventCaptureId(event);
	return captureId === undefined ? undefined : upliftCaughtUpKey(captureId);
}

export interface UpliftCatchUpOptions {
	/**
	 * How long after its `capture_time` a capture may still complete (its completion time is not
	 * listed): the window's start is moved back by this much; keys filter the repeats.
	 */
	processingAllowanceMs: number;
	/** wait between two looks at an export job (default 5 s, the cadence of Uplift's sample client) */
	exportPollMs?: number;
	/** give up on one export job after this long (default 5 minutes); its captures say so */
	exportTimeoutMs?: number;
	/** result rows read per export job at most (default 200,000); a larger export fails its captures */
	maxExportRows?: number;
	/** retries and waits of each request (default: LISTING_POLICY) */
	policy?: RetryPolicy;
}

/**
 * A few quick retries; a `Retry-After` longer than 5 s ends the listing (it is returned as
 * `retryAfterMs`, for the runner's backoff) instead of holding the run.
 */
export const LISTING_POLICY: RetryPolicy = {
	maxRetries: 2,
	timeoutMs: 30_000,
	baseDelayMs: 500,
	maxWaitMs: 5_000,
};

/** §4.3: a capture as `/captures` lists it; extra (movement dimension) fields pass through. */
const captureSchema = z
	.object({
		session_id: z.string().trim().min(1),
		athlete_id: z.string().nullish(),
		activity: z.string().nullish(),
		movement: z.string().nullish(),
		status: z.string().nullish(),
		capture_time: z.union([z.string(), z.number()]).nullish(),
	})
	.passthrough();

type Capture = z.infer<typeof captureSchema>;

/** The columns of an export's results (§4.4); the rows are read by readUpliftPage. */
const resultSchemaSchema = z.array(z.object({ name: z.string() }).passthrough()).nullish();

/** The session id column of export rows: `sessionid` in Uplift's sample client (S4); variants tolerated. */
const SESSION_COLUMNS = ['sessionid', 'session_id', 'sessionId'];

/** Epoch ms of a `capture_time` (ISO 8601 as documented; epoch seconds or ms tolerated). */
function captureTimeMs(value: unknown): number | undefined {
	const iso = toIsoTime(value);
	return iso === null ? undefined : Date.parse(iso);
}

interface Candidate {
	capture: Capture;
	atMs: number;
}

interface CsvOutcome {
	status: 'fetched' | 'failed';
	/** a failure no later try can mend: emitted at once (never shown in the item) */
	final?: boolean;
	source: 'export';
	text?: string;
	error?: string;
	[key: string]: unknown;
}

/** Counts every HTTP attempt of a run (the benchmark reads `requests`). */
class Requests {
	count = 0;
	constructor(
		private readonly send: SendRequest,
		private readonly policy: RetryPolicy,
		private readonly closed: () => boolean = () => false,
	) {}

	async call(
		method: 'GET' | 'POST',
		url: string,
		extra: { qs?: IDataObject; body?: IDataObject; safeToRepeat?: boolean } = {},
	): Promise<HttpResult> {
		// closing the trigger ends what is in flight: no request after it (the listing is incomplete)
		if (this.closed())
			return {
				ok: false,
				error: 'the trigger was closed',
				transient: true,
				attempts: 0,
				refused: false,
			};
		const result = await sendWithRetry(
			this.send,
			{
				method,
				url,
				json: true,
				headers: { Accept: 'application/json' },
				...(extra.qs ? { qs: extra.qs } : {}),
				...(extra.body ? { body: extra.body } : {}),
			},
			{ ...this.policy, ...(extra.safeToRepeat ? { safeToRepeat: true } : {}) },
		);
		this.count += result.attempts;
		return result;
	}
}

function failedCsv(error: string, extra: IDataObject = {}): CsvOutcome {
	return { status: 'failed', source: 'export', error, ...extra };
}

/** One CSV field: quoted when it holds a comma, a quote or a line break (RFC 4180). */
function csvField(value: unknown): string {
	if (value === null || value === undefined) return '';
	const text = typeof value === 'object' ? JSON.stringify(value) : String(value);
	return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** The CSV of one capture: a header of `columns`, then its rows in the order Uplift returned them. */
export function exportCsvText(columns: string[], rows: Array<Record<string, unknown>>): string {
	const lines = [columns.map(csvField).join(',')];
	for (const row of rows) lines.push(columns.map((c) => csvField(row[c])).join(','));
	return lines.join('\n') + '\n';
}

/** The result's `schema` columns, else the rows' keys in first-seen order. */
function columnsOf(
	schema: Array<{ name: string }> | null | undefined,
	rows: IDataObject[],
): string[] {
	if (schema && schema.length > 0) return schema.map((c) => c.name);
	const seen = new Set<string>();
	for (const row of rows) for (const key of Object.keys(row)) seen.add(key);
	return [...seen];
}

function sessionOf(row: Record<string, unknown>): string | undefined {
	for (const column of SESSION_COLUMNS) {
		const value = row[column];
		if (typeof value === 'string' && value !== '') return value;
		if (typeof value === 'number') return String(value);
	}
	return undefined;
}

const epochSeconds = (ms: number) => Math.floor(ms / 1000);

interface ExportContext {
	requests: Requests;
	baseUrl: string;
	pollMs: number;
	timeoutMs: number;
	maxRows: number;
	/** set when Uplift answered 429/503 with a Retry-After: no more exports this run */
	retryAfterMs?: number;
}

/** Notes a Retry-After of a failed export request, so the run backs off (the runner's backoff). */
function noteRetryAfter(ctx: ExportContext, result: HttpResult): void {
	if (
		!result.ok &&
		(result.statusCode === 429 || result.statusCode === 503) &&
		result.retryAfterMs !== undefined
	)
		ctx.retryAfterMs = Math.max(ctx.retryAfterMs ?? 0, result.retryAfterMs);
}

/**
 * One export job for the captures of one (activity, movement): create, wait, read every result
 * page, split the rows by session id. Never throws: each capture gets an outcome.
 */
async function exportGroup(
	ctx: ExportContext,
	activity: string,
	movement: string,
	group: Candidate[],
): Promise<Map<string, CsvOutcome>> {
	const outcomes = new Map<string, CsvOutcome>();
	const all = (outcome: CsvOutcome) => {
		for (const c of group) outcomes.set(c.capture.session_id, outcome);
		return outcomes;
	};
	const times = group.map((c) => c.atMs);
	const athletes = group.map((c) => c.capture.athlete_id);
	const body: IDataObject = {
		activity,
		movement,
		// ±1 s: capture_time is listed to the second, the export filters by epoch seconds
		startTime: epochSeconds(Math.min(...times)) - 1,
		endTime: epochSeconds(Math.max(...times)) + 1,
		dateMode: 'capture_time',
	};
	// Filter by athlete only when every capture names one; rows of other sessions are ignored anyway.
	if (athletes.every((a): a is string => typeof a === 'string' && a !== ''))
		body.athletes = [...new Set(athletes)];

	// Creating a job changes nothing at Uplift but the job list, so a 5xx is worth another try.
	const created = await ctx.requests.call('POST', `${ctx.baseUrl}${EXPORT_PATH}`, {
		body,
		safeToRepeat: true,
	});
	if (!created.ok) {
		noteRetryAfter(ctx, created);
		return all(failedCsv(`Creating the export job failed: ${created.error}`));
	}
	const jobId = createdJobId(created.body);
	if (jobId === undefined) return all(failedCsv('Uplift created no export job (no jobId)'));

	const waited = await waitForExportJob(
		jobId,
		async () => {
			const job = await ctx.requests.call('GET', `${ctx.baseUrl}${exportJobPath(jobId)}`);
			return job.ok ? { ok: true, body: job.body } : { ok: false, failure: job };
		},
		{ pollMs: ctx.pollMs, timeoutMs: ctx.timeoutMs },
	);
	if (waited.state === 'lookFailed') {
		noteRetryAfter(ctx, waited.failure);
		return all(failedCsv(`Reading export job ${jobId} failed: ${waited.failure.error}`, { jobId }));
	}
	if (waited.state === 'ended')
		return all(
			failedCsv(`Export job ${jobId} ended ${waited.status}: ${waited.message}`, { jobId }),
		);
	if (waited.state === 'unreadable') return all(failedCsv(waited.error, { jobId }));
	if (waited.state === 'timedOut')
		return all(
			failedCsv(
				`Export job ${jobId} was still ${waited.status || 'running'} after ${ctx.timeoutMs / 1000} s`,
				{ jobId },
			),
		);

	const wanted = new Set(group.map((c) => c.capture.session_id));
	const bySession = new Map<string, Array<Record<string, unknown>>>();
	let columns: string[] | undefined;
	let total = 0;
	for (let offset = 0; ; ) {
		const page = await ctx.requests.call('GET', `${ctx.baseUrl}${exportResultsPath(jobId)}`, {
			qs: { limit: PAGE_SIZE, offset },
		});
		if (!page.ok) {
			noteRetryAfter(ctx, page);
			return all(
				failedCsv(`Reading the results of export job ${jobId} failed: ${page.error}`, { jobId }),
			);
		}
		const read = readUpliftPage(page.body, 'rows', {
			request: `GET ${exportResultsPath(jobId)}`,
			offset,
			limit: PAGE_SIZE,
		});
		if (!read.ok) return all(failedCsv(read.error, { jobId }));
		const rows = read.page.records;
		const schema = resultSchemaSchema.safeParse((page.body as IDataObject).schema);
		columns ??=
			rows.length > 0 ? columnsOf(schema.success ? schema.data : undefined, rows) : undefined;
		for (const row of rows) {
			const session = sessionOf(row);
			if (session === undefined || !wanted.has(session)) continue;
			const list = bySession.get(session) ?? [];
			list.push(row);
			bySession.set(session, list);
		}
		total += rows.length;
		// Uplift's sample client pages until a page is empty; a short page ends it here too.
		if (read.page.nextOffset === undefined) break;
		offset = read.page.nextOffset;
		if (total >= ctx.maxRows)
			return all(
				failedCsv(
					`Export job ${jobId} has more than ${ctx.maxRows} rows; read the data with the Uplift node (Data Export → Get Results)`,
					{ jobId },
				),
			);
	}

	for (const c of group) {
		const id = c.capture.session_id;
		const rows = bySession.get(id);
		if (!rows || !columns) {
			outcomes.set(
				id,
				failedCsv(`Export job ${jobId} returned no rows for this capture`, { jobId }),
			);
			continue;
		}
		outcomes.set(id, {
			status: 'fetched',
			source: 'export',
			text: exportCsvText(columns, rows),
			fileName: csvFileName('', id),
			rows: rows.length,
			jobId,
		});
	}
	return outcomes;
}

/** The item's JSON, shaped like `upliftItemJson`'s (without the delivery fields the runner adds). */
function recordOf(candidate: Candidate, csv: CsvOutcome): CatchUpRecord {
	const { capture, atMs } = candidate;
	const id = capture.session_id;
	const object: IDataObject = {
		id,
		activity: capture.activity ?? null,
		movement: capture.movement ?? null,
		athlete: { id: capture.athlete_id ?? null },
		capture: capture as IDataObject,
	};
	return {
		key: upliftCaptureKey(id),
		changedAtMs: atMs,
		json: {
			id: `capture:${id}`,
			type: UPLIFT_CAPTURE_EVENT,
			created: new Date(atMs).toISOString(),
			apiVersion: null,
			object: 'event',
			data: { object },
			fetch: { csv: csv as IDataObject },
			deliveryAliases: [upliftCaughtUpKey(id)],
		},
	};
}

/**
 * The catch-up listing of the Uplift Trigger: completed captures whose `capture_time` lies in
 * `(window.fromMs − processingAllowanceMs, window.toMs]`, oldest first, at most `bounds.maxRecords`,
 * each with its CSV (or the reason it has none) under `json.fetch.csv`.
 */
export function listUpliftChanges(
	send: SendRequest,
	baseUrl: string,
	options: UpliftCatchUpOptions,
): ListChanges {
	const root = baseUrl.replace(/\/+$/, '');
	/** failed export tries per capture, in this activation */
	const exportFailures = new Map<string, number>();
	return async (
		window: CatchUpWindow,
		bounds: CatchUpBounds,
		isHandled: (key: string) => boolean,
		_resume?: CatchUpResume,
		closed: () => boolean = () => false,
	): Promise<CatchUpListing> => {
		// Captures the duplicate memory holds are neither exported nor returned: a run does not
		// export the CSVs of captures the webhook path delivered.
		const held = isHandled;
		const requests = new Requests(send, options.policy ?? LISTING_POLICY, closed);
		// The allowance reaches back before the window, never before the floor: a first activation
		// emits no history (issue 19, finding 4), Backfill From only what it asks for.
		const fromMs = Math.max(
			window.fromMs - Math.max(0, options.processingAllowanceMs),
			window.floorMs ?? -Infinity,
		);
		const candidates = new Map<string, Candidate>();
		let later = 0;
		let complete = true;
		let error: string | undefined;
		let retryAfterMs: number | undefined;

		for (let offset = 0, pages = 0; ; ) {
			if (pages >= bounds.maxPages) {
				complete = false;
				break;
			}
			const result = await requests.call('GET', `${root}/captures`, {
				qs: { status: 'completed', limit: PAGE_SIZE, offset },
			});
			pages++;
			if (!result.ok) {
				complete = false;
				error = `Listing Uplift captures failed: ${result.error}`;
				if (
					(result.statusCode === 429 || result.statusCode === 503) &&
					result.retryAfterMs !== undefined
				)
					retryAfterMs = result.retryAfterMs;
				break;
			}
			const read = readUpliftPage(result.body, 'captures', {
				request: 'GET /captures',
				offset,
				limit: PAGE_SIZE,
			});
			if (!read.ok) {
				complete = false;
				error = `Listing Uplift captures failed: ${read.error}`;
				break;
			}
			for (const item of read.page.records) {
				const capture = captureSchema.safeParse(item);
				if (!capture.success) continue;
				const c = capture.data;
				if (c.status != null && c.status !== 'completed') continue;
				const atMs = captureTimeMs(c.capture_time);
				if (atMs !== undefined && atMs > window.toMs) later++;
				if (atMs === undefined || atMs <= fromMs || atMs > window.toMs) continue;
				if (held(upliftCaptureKey(c.session_id))) continue;
				candidates.set(c.session_id, { capture: c, atMs });
			}
			if (read.page.nextOffset === undefined) break;
			offset = read.page.nextOffset;
		}

		// Uplift asked to wait: exporting now would go against that and lose the captures' CSVs;
		// the listing is incomplete, so they are listed again after the wait.
		if (retryAfterMs !== undefined)
			return { records: [], complete: false, requests: requests.count, error, retryAfterMs };

		const ordered = [...candidates.values()].sort(
			(a, b) =>
				a.atMs - b.atMs ||
				(a.capture.session_id < b.capture.session_id
					? -1
					: a.capture.session_id > b.capture.session_id
						? 1
						: 0),
		);
		const kept = ordered.slice(0, Math.max(0, bounds.maxRecords));
		if (kept.length < ordered.length) complete = false;

		const ctx: ExportContext = {
			requests,
			baseUrl: root,
			pollMs: options.exportPollMs ?? 5_000,
			timeoutMs: options.exportTimeoutMs ?? 300_000,
			maxRows: options.maxExportRows ?? 200_000,
		};
		const groups = new Map<string, { activity: string; movement: string; members: Candidate[] }>();
		const csvs = new Map<string, CsvOutcome>();
		for (const candidate of kept) {
			const { activity, movement } = candidate.capture;
			if (!activity || !movement) {
				csvs.set(candidate.capture.session_id, {
					...failedCsv('The capture names no activity or movement, so no export can be asked for'),
					final: true,
				});
				continue;
			}
			const groupKey = JSON.stringify([activity, movement]);
			const group = groups.get(groupKey) ?? { activity, movement, members: [] };
			group.members.push(candidate);
			groups.set(groupKey, group);
		}
		for (const group of groups.values()) {
			// Uplift asked to wait: the captures left are not exported now, and are listed again later.
			if (ctx.retryAfterMs !== undefined) break;
			const outcomes = await exportGroup(ctx, group.activity, group.movement, group.members);
			for (const [id, outcome] of outcomes) csvs.set(id, outcome);
		}

		// A capture whose export failed is not emitted (its key would be kept without its CSV): the
		// listing is incomplete, so the next run exports it again. After EXPORT_TRIES failed runs it
		// is emitted with the error attached, so one broken export cannot hold the cursor for ever.
		const records: CatchUpRecord[] = [];
		let exportsLeft = 0;
		for (const candidate of kept) {
			const id = candidate.capture.session_id;
			const csv = csvs.get(id);
			// not exported, or failed while Uplift asked to wait or the trigger closed: not a failed try
			if (
				csv === undefined ||
				(csv.status === 'failed' && (ctx.retryAfterMs !== undefined || closed()))
			) {
				exportsLeft++;
				continue;
			}
			if (csv.status === 'failed' && !csv.final) {
				const tries = (exportFailures.get(id) ?? 0) + 1;
				if (tries < EXPORT_TRIES) {
					exportFailures.set(id, tries);
					exportsLeft++;
					error ??= `The export of capture ${id} failed (try ${tries} of ${EXPORT_TRIES}): ${csv.error}`;
					continue;
				}
			}
			exportFailures.delete(id);
			const shown: CsvOutcome = { ...csv };
			delete shown.final;
			records.push(recordOf(candidate, shown));
		}
		if (exportsLeft > 0) complete = false;
		return {
			records,
			complete,
			requests: requests.count,
			...(error !== undefined ? { error } : {}),
			...(ctx.retryAfterMs !== undefined ? { retryAfterMs: ctx.retryAfterMs } : {}),
			...(later > 0 ? { later } : {}),
		};
	};
}

/**
 * The probe before a full listing (issue 19, item 8; run.ts `quietSince`): `/captures` has no time
 * filter and no documented order (docs/uplift-api.md §4.3), but answers `total_count`. The
 * fingerprint is the count of completed captures with the first and the last of them, in whatever
 * order Uplift lists: two requests (`limit=1` at offset 0, and at offset `total_count − 1`), one
 * when there are none or one. A new capture changes the count, unless another was deleted in the
 * same interval; then it still changes an end in an oldest-first or newest-first order. An answer
 * without `total_count`, or a count that changed between the two requests, gives no fingerprint,
 * so the run lists in full.
 */
export function probeUpliftCaptures(
	send: SendRequest,
	baseUrl: string,
	options: Pick<UpliftCatchUpOptions, 'policy'> = {},
): ProbeChanges {
	const url = `${baseUrl.replace(/\/+$/, '')}/captures`;
	return async (closed: () => boolean = () => false): Promise<ProbeResult> => {
		const requests = new Requests(send, options.policy ?? LISTING_POLICY, closed);
		const look = async (offset: number) => {
			const result = await requests.call('GET', url, {
				qs: { status: 'completed', limit: 1, offset },
			});
			if (!result.ok)
				return {
					error: `Looking at Uplift captures failed: ${result.error}`,
					...((result.statusCode === 429 || result.statusCode === 503) &&
					result.retryAfterMs !== undefined
						? { retryAfterMs: result.retryAfterMs }
						: {}),
				};
			const read = readUpliftPage(result.body, 'captures', {
				request: 'GET /captures',
				offset,
				limit: 1,
			});
			if (!read.ok) return { error: `Looking at Uplift captures failed: ${read.error}` };
			if (read.page.totalCount === undefined)
				return {
					error:
						'Looking at Uplift captures: the answer has no total_count, so every run lists them all',
				};
			const capture = captureSchema.safeParse(read.page.records[0]);
			return {
				total: read.page.totalCount,
				id: capture.success ? capture.data.session_id : null,
			};
		};
		const first = await look(0);
		if (first.total === undefined) return { requests: requests.count, ...first };
		const last = first.total > 1 ? await look(first.total - 1) : first;
		if (last.total === undefined) return { requests: requests.count, ...last };
		// a count that moved between the two looks, or a capture without an id: no fingerprint
		if (last.total !== first.total || (first.total > 0 && (first.id === null || last.id === null)))
			return { requests: requests.count };
		return {
			fingerprint: JSON.stringify([first.total, first.id, last.id]),
			requests: requests.count,
		};
	};
}
