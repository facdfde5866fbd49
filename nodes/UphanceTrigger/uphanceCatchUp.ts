import type { IDataObject } from 'n8n-workflow';

import { signInRefusal } from '../../credentials/UphanceApi.credentials';
import type {
	CatchUpFailure,
	CatchUpListing,
	CatchUpRecord,
	CatchUpResume,
	ListChanges,
} from '../shared/catchUp/types';
import { isEventSelected } from '../shared/eventSelection';
import { sendWithRetry } from '../shared/vendorHttp';
import type { SendRequest } from '../shared/vendorHttp';
import { parseVendorTime } from '../shared/time';
import { listEndpoint } from '../Uphance/transport/records';
import { readUphancePage } from '../Uphance/transport/pages';
import type { PageRead } from '../Uphance/transport/pages';
import { uphanceChangeKey, uphanceCreatedKey } from './uphanceEvent';
import { uphanceItemJson } from './uphanceRecord';

/**
 * Uphance's side of catch-up: what changed since the cursor, from the list endpoints.
 *
 * Uphance documents `since_id` and `since_created_at` (new records only) and no "updated since"
 * filter (docs/uphance-api.md, "List endpoints and filters"). So one scan per resource lists the
 * records created since `min(cursor, now - Update Window)` (`since_created_at`, with the resource's
 * own time for the cursor where another resource held the cursor back; pages through
 * `meta.next_page`) and keeps those whose `updated_at` lies in the window. That finds every record
 * created since the cursor, and every update to a record created within the Update Window; it
 * cannot see deletes, updates to older records, or a record's states between two scans (README,
 * "Nothing lost while n8n was away").
 */

/**
 * The resources catch-up lists, with their list endpoint (nodes/Uphance/transport/records.ts);
 * `path` without its slash names the resource in the resume state and in messages.
 */
export const CATCH_UP_RESOURCES: Array<{ resource: string; path: string }> = [
	'pick_ticket',
	'invoice',
	'credit_note',
	'receiving_ticket',
	'product',
].map((resource) => ({ resource, path: listEndpoint(resource).key }));

/** Pick tickets in these states send no webhook (a draft's first event is its publication's update). */
const SILENT_STATUSES = new Set(['draft']);

/** A change stamped within a second of the record's creation is its creation. */
const CREATION_SLACK_MS = 1000;

export interface UphanceCatchUpSettings {
	baseUrl: string;
	/** the trigger's event selection (its Events and Additional Events) */
	selected: Set<string>;
	/** updates are found for records created this long before now */
	updateWindowMs: number;
	/** per request: attempts and time limit */
	policy: { maxRetries: number; timeoutMs: number };
	now?: () => number;
}

/** The event a catch-up change is named after: as Uphance would have announced it, if selected. */
export function catchUpEventName(
	resource: string,
	createdInWindow: boolean,
	updatedAfterCreation: boolean,
	selected: Set<string>,
): string | undefined {
	const names: string[] = [];
	if (createdInWindow) {
		names.push(`${resource}_create`);
		// A draft pick ticket announces itself only by the update that publishes it (uphance-api.md).
		if (updatedAfterCreation || resource === 'pick_ticket') names.push(`${resource}_update`);
	} else names.push(`${resource}_update`);
	return names.find((name) => isEventSelected(name, selected));
}

/** The resources whose events the selection can start the workflow with. */
export function resourcesToList(selected: Set<string>): typeof CATCH_UP_RESOURCES {
	return CATCH_UP_RESOURCES.filter(({ resource }) =>
		['create', 'update'].some((action) => isEventSelected(`${resource}_${action}`, selected)),
	);
}

function timeOf(value: unknown): number | undefined {
	if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
	return parseVendorTime(value);
}

/**
 * The change a listed record shows, as a catch-up record, or undefined when it is not one to emit.
 * `isHandled` tells whether the record's create already reached the workflow (by either path): a
 * later change is then named an update, never a second create.
 */
export function changeOfRecord(
	resource: string,
	record: IDataObject,
	window: { fromMs: number; toMs: number },
	selected: Set<string>,
	path: string,
	runAt: Date,
	isHandled: (key: string) => boolean = () => false,
): CatchUpRecord | undefined {
	const id = record.id;
	if (typeof id !== 'number' && typeof id !== 'string') return undefined;
	const changedAtMs = timeOf(record.updated_at);
	if (changedAtMs === undefined || changedAtMs <= window.fromMs || changedAtMs > window.toMs)
		return undefined;
	if (resource === 'pick_ticket' && SILENT_STATUSES.has(String(record.status).toLowerCase()))
		return undefined;
	const createdAtMs = timeOf(record.created_at) ?? changedAtMs;
	const createdKey = uphanceCreatedKey(resource, id);
	const event = catchUpEventName(
		resource,
		createdAtMs > window.fromMs && !isHandled(createdKey),
		changedAtMs - createdAtMs > CREATION_SLACK_MS,
		selected,
	);
	if (!event) return undefined;
	const parsed = { event, resource, action: event.slice(resource.length + 1), id, payload: record };
	const key = uphanceChangeKey(resource, id, record.updated_at);
	if (!key) return undefined;
	return {
		key,
		changedAtMs,
		json: uphanceItemJson(
			parsed,
			key,
			runAt,
			{
				outcome: { status: 'fetched', endpoint: `/${path} (list)` },
				record,
				transient: false,
			},
			parsed.action === 'create' ? [createdKey] : [],
		),
	};
}

/** A listed record's id as a number, for the keyset (undefined: not a number, so no keyset). */
function numericId(record: IDataObject): number | undefined {
	const id = record.id;
	const n =
		typeof id === 'number' ? id : typeof id === 'string' && /^\d+$/.test(id) ? Number(id) : NaN;
	return Number.isSafeInteger(n) ? n : undefined;
}

/**
 * Catch-up's listing of the Uphance Trigger. For each resource whose events are selected, the
 * records created since `min(window start, window end - Update Window)` (`since_created_at`; the
 * window start is the resource's own where `window.partFromMs` names it), kept where `updated_at`
 * lies in that window.
 *
 * Why a scan that spans runs skips nothing (issue 19; docs/catch-up.md):
 * - Everything that defines the listing is fixed for the scan: the window, so `since_created_at`
 *   is computed from it, never from the clock of a later run.
 * - Between runs the scan goes on by id, not by page number: `since_id=<last id read>` (documented,
 *   docs/uphance-api.md "List endpoints and filters"). That is safe only while Uphance lists in
 *   ascending id order (seen in the public clients that page with `since_id`, not documented), so
 *   the order is checked on every record read: where it does not hold, no position is kept and the
 *   next run reads that resource from its start again; the duplicate memory drops what was seen.
 * - A resource is done only where Uphance says its list ends (./pages.ts), never on a short page.
 * - A resource that fails is skipped and reported (`failures`); the others are read. The scan is
 *   complete, and the cursor moves, only when every resource was read to its end. The resources
 *   that were are named (`partsDone`), and the next window lists them from its end on
 *   (`window.partFromMs`; nodes/shared/catchUp/run.ts, `partCursorMs`).
 */
export function listUphanceChanges(
	send: SendRequest,
	settings: UphanceCatchUpSettings,
): ListChanges {
	return async (window, bounds, isHandled, resume, closed = () => false) => {
		const now = settings.now ?? Date.now;
		const runAt = new Date(now());
		const records: CatchUpRecord[] = [];
		const failures: CatchUpFailure[] = [];
		const next: CatchUpResume = { parts: { ...(resume?.parts ?? {}) } };
		let requests = 0;
		for (const { resource, path } of resourcesToList(settings.selected)) {
			const position = next.parts[path] ?? {};
			if (position.done) continue;
			// A resource read to the end of an earlier window while another failed goes on from there.
			const partWindow = { ...window, fromMs: window.partFromMs?.[path] ?? window.fromMs };
			const since = new Date(Math.min(partWindow.fromMs, window.toMs - settings.updateWindowMs));
			// One query per resource and run: `since_id` where the last run stopped, pages by number.
			const queryAfterId = position.afterId;
			let afterId = queryAfterId;
			let ordered = true;
			/** where the next run goes on: after the last record read, when the order allows it */
			const stopHere = (): CatchUpListing => {
				next.parts[path] = ordered && afterId !== undefined ? { afterId } : {};
				return { records, complete: false, requests, resume: next, failures };
			};
			for (let page: number | undefined = 1; page !== undefined; ) {
				if (requests >= bounds.maxPages) return stopHere();
				if (closed()) return { ...stopHere(), error: 'the trigger was closed' };
				requests++;
				const result = await sendWithRetry(
					send,
					{
						method: 'GET',
						url: `${settings.baseUrl}/${path}`,
						qs: {
							since_created_at: since.toISOString(),
							...(queryAfterId !== undefined ? { since_id: queryAfterId } : {}),
							page,
						},
						json: true,
						headers: { Accept: 'application/json' },
					},
					{ ...settings.policy, throwHttpErrors: true, refusal: signInRefusal },
				);
				if (!result.ok && result.retryAfterMs !== undefined && result.transient) {
					// Uphance asked to wait: no more requests this run, whichever resource.
					const stopped = stopHere();
					return {
						...stopped,
						error: `Listing ${path} (page ${page}) failed: ${result.error}`,
						retryAfterMs: result.retryAfterMs,
					};
				}
				const read: PageRead = result.ok
					? readUphancePage(result.body, path, page)
					: { ok: false, error: result.error };
				if (!read.ok) {
					failures.push({
						part: path,
						error: `Listing ${path} (page ${page}) failed: ${read.error}`,
						...(!result.ok && result.statusCode !== undefined
							? { statusCode: result.statusCode }
							: {}),
					});
					next.parts[path] = position;
					break;
				}
				for (const item of read.page.records) {
					const id = numericId(item);
					if (id === undefined || (afterId !== undefined && id <= afterId)) ordered = false;
					const change = changeOfRecord(
						resource,
						item,
						partWindow,
						settings.selected,
						path,
						runAt,
						isHandled,
					);
					if (change && !isHandled(change.key)) {
						// The cap is reached with changes left: the next run goes on before this record.
						if (records.length >= bounds.maxRecords) return stopHere();
						records.push(change);
					}
					if (id !== undefined && (afterId === undefined || id > afterId)) afterId = id;
				}
				page = read.page.next;
				if (page === undefined) next.parts[path] = { done: true };
			}
		}
		if (failures.length > 0)
			return {
				records,
				complete: false,
				requests,
				failures,
				error: failures.map((f) => f.error).join('; '),
				partsDone: Object.keys(next.parts).filter((path) => next.parts[path].done),
			};
		return { records, complete: true, requests };
	};
}
