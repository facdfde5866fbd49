import type { IDataObject } from 'n8n-workflow';

import { signInRefusal } from '../../credentials/UphanceApi.credentials';
import type { CatchUpRecord, ListChanges } from '../shared/catchUp/types';
import { isEventSelected } from '../shared/eventSelection';
import { sendWithRetry } from '../shared/vendorHttp';
import type { SendRequest } from '../shared/vendorHttp';
import { uphanceChangeKey } from './uphanceEvent';
import { uphanceItemJson } from './uphanceRecord';

/**
 * Uphance's side of catch-up: what changed since the cursor, from the list endpoints.
 *
 * Uphance documents `since_id` and `since_created_at` (new records only) and no "updated since"
 * filter (docs/uphance-api.md, "List endpoints and filters"). So one scan per resource lists the
 * records created since `min(cursor, now - Update Window)` (`since_created_at`, 100 a page, through
 * `meta.next_page`) and keeps those whose `updated_at` lies in the window. That finds every record
 * created since the cursor, and every update to a record created within the Update Window; it
 * cannot see deletes, updates to older records, or a record's states between two scans (README,
 * "Nothing lost while n8n was away").
 */

/** The resources catch-up lists, with their list endpoint (docs/uphance-api.md). */
export const CATCH_UP_RESOURCES: Array<{ resource: string; path: string }> = [
	{ resource: 'pick_ticket', path: 'pick_tickets' },
	{ resource: 'invoice', path: 'invoices' },
	{ resource: 'credit_note', path: 'credit_notes' },
	{ resource: 'receiving_ticket', path: 'receiving_tickets' },
	{ resource: 'product', path: 'products' },
];

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
	if (typeof value !== 'string' && typeof value !== 'number') return undefined;
	const ms = typeof value === 'number' ? value : Date.parse(value);
	return Number.isFinite(ms) ? ms : undefined;
}

/** The change a listed record shows, as a catch-up record, or undefined when it is not one to emit. */
export function changeOfRecord(
	resource: string,
	record: IDataObject,
	window: { fromMs: number; toMs: number },
	selected: Set<string>,
	path: string,
	runAt: Date,
): CatchUpRecord | undefined {
	const id = record.id;
	if (typeof id !== 'number' && typeof id !== 'string') return undefined;
	const changedAtMs = timeOf(record.updated_at);
	if (changedAtMs === undefined || changedAtMs <= window.fromMs || changedAtMs > window.toMs)
		return undefined;
	if (resource === 'pick_ticket' && SILENT_STATUSES.has(String(record.status).toLowerCase()))
		return undefined;
	const createdAtMs = timeOf(record.created_at) ?? changedAtMs;
	const event = catchUpEventName(
		resource,
		createdAtMs > window.fromMs,
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
		json: uphanceItemJson(parsed, key, runAt, {
			outcome: { status: 'fetched', endpoint: `/${path} (list)` },
			record,
			transient: false,
		}),
	};
}

function nextPageOf(body: IDataObject, page: number, listed: number): number | undefined {
	const meta = body.meta as IDataObject | undefined;
	const next = meta?.next_page;
	// `next_page` may be a number or a URL (uphance-api.md, "Pagination"): only a number is trusted;
	// anything else, or a short page, ends the listing.
	if (typeof next === 'number' && next > page && listed >= 100) return next;
	if (typeof next === 'string' && /^\d+$/.test(next) && Number(next) > page && listed >= 100)
		return Number(next);
	return undefined;
}

export function listUphanceChanges(
	send: SendRequest,
	settings: UphanceCatchUpSettings,
): ListChanges {
	return async (window, bounds, isHandled, resume) => {
		const now = settings.now ?? Date.now;
		const runAt = new Date(now());
		const since = new Date(Math.min(window.fromMs, now() - settings.updateWindowMs));
		const records: CatchUpRecord[] = [];
		let requests = 0;
		const resources = resourcesToList(settings.selected);
		// A scan that takes several runs goes on where the last run stopped (catchUp/run.ts): pages
		// already read are not read again. Records on them that were emitted are keyed, so reading the
		// page it stopped on again repeats nothing.
		for (let part = resume?.part ?? 0; part < resources.length; part++) {
			const { resource, path } = resources[part];
			const firstPage = part === resume?.part ? resume.page : 1;
			for (let page: number | undefined = firstPage; page !== undefined; ) {
				const here = { part, page };
				if (requests >= bounds.maxPages)
					return { records, complete: false, requests, resume: here };
				requests++;
				const result = await sendWithRetry(
					send,
					{
						method: 'GET',
						url: `${settings.baseUrl}/${path}`,
						qs: { since_created_at: since.toISOString(), page },
						json: true,
						headers: { Accept: 'application/json' },
					},
					{ ...settings.policy, throwHttpErrors: true, refusal: signInRefusal },
				);
				if (!result.ok)
					return {
						records,
						complete: false,
						requests,
						resume: here,
						error: `Listing ${path} (page ${page}) failed: ${result.error}`,
						...(result.retryAfterMs !== undefined ? { retryAfterMs: result.retryAfterMs } : {}),
					};
				const body = (result.body ?? {}) as IDataObject;
				const listed = Array.isArray(body[path]) ? (body[path] as unknown[]) : [];
				for (const item of listed) {
					if (typeof item !== 'object' || item === null || Array.isArray(item)) continue;
					const change = changeOfRecord(
						resource,
						item as IDataObject,
						window,
						settings.selected,
						path,
						runAt,
					);
					if (!change || isHandled(change.key)) continue;
					// The cap is reached with changes left on this page: the next run reads it again.
					if (records.length >= bounds.maxRecords)
						return { records, complete: false, requests, resume: here };
					records.push(change);
				}
				page = nextPageOf(body, page, listed.length);
			}
		}
		return { records, complete: true, requests };
	};
}
