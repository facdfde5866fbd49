import type { IDataObject } from 'n8n-workflow';

import { describeKeys } from '../../shared/singleRecord';

/**
 * One page of an Uphance list, read the one way every caller uses (the action node's lists in
 * ./index.ts, the trigger's catch-up in nodes/UphanceTrigger/uphanceCatchUp.ts). Plain functions,
 * no n8n.
 *
 * What Uphance answers (docs/uphance-api.md, "Pagination"): `{"<path>": [...], "meta":
 * {"current_page", "next_page", "prev_page", "total_pages", "total_count"}}`. Pages hold 100
 * records, or 50 for production orders, so a short page says nothing. `next_page` is a page number
 * in one public client and typed as a string (a URL) in the other. So the list ends only where
 * Uphance says so: `next_page` null and no `total_pages` beyond this page (or an empty page). An
 * answer without the list or without `meta` is an error that names what is missing, never an
 * empty list.
 */

export interface UphancePage {
	records: IDataObject[];
	/** the page to read next; undefined on the last page */
	next?: number;
	/** `meta.total_count`, when Uphance sent a number */
	totalCount?: number;
}

export type PageRead = { ok: true; page: UphancePage } | { ok: false; error: string };

/** A `next_page` as a page number: a number, digits, or a URL with a `page` parameter. */
function pageNumberOf(value: unknown): number | undefined {
	if (typeof value === 'number') return Number.isInteger(value) ? value : undefined;
	if (typeof value !== 'string') return undefined;
	const text = value.trim();
	if (/^\d+$/.test(text)) return Number(text);
	const match = /[?&]page=(\d+)(?:&|#|$)/.exec(text);
	return match ? Number(match[1]) : undefined;
}

/** Reads the answer to `GET /<key>?page=<page>`. */
export function readUphancePage(body: unknown, key: string, page: number): PageRead {
	const where = `Uphance's answer to GET /${key} (page ${page})`;
	if (typeof body !== 'object' || body === null || Array.isArray(body))
		return {
			ok: false,
			error: `${where} is not an object (top-level keys: ${describeKeys(body)})`,
		};
	const answer = body as IDataObject;
	const list = answer[key];
	if (!Array.isArray(list))
		return {
			ok: false,
			error: `${where} has no \`${key}\` list (top-level keys: ${describeKeys(body)})`,
		};
	const meta = answer.meta;
	if (typeof meta !== 'object' || meta === null || Array.isArray(meta))
		return {
			ok: false,
			error: `${where} has no \`meta\` object (top-level keys: ${describeKeys(body)})`,
		};
	const {
		next_page: nextPage,
		total_pages: totalPages,
		total_count: totalCount,
	} = meta as IDataObject;
	const records = list.filter(
		(item): item is IDataObject =>
			typeof item === 'object' && item !== null && !Array.isArray(item),
	);
	const result: UphancePage = {
		records,
		...(typeof totalCount === 'number' ? { totalCount } : {}),
	};
	// An empty page ends the list whatever `meta` says: nothing after it can be read by number.
	if (list.length === 0) return { ok: true, page: result };
	if (nextPage !== null && nextPage !== undefined) {
		const next = pageNumberOf(nextPage);
		if (next === undefined || next <= page)
			return {
				ok: false,
				error: `${where} has a \`meta.next_page\` that names no later page (${typeof nextPage})`,
			};
		return { ok: true, page: { ...result, next } };
	}
	if (typeof totalPages === 'number' && page < totalPages)
		return { ok: true, page: { ...result, next: page + 1 } };
	return { ok: true, page: result };
}
