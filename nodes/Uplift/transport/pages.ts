import type { IDataObject } from 'n8n-workflow';

import { describeKeys } from '../../shared/singleRecord';

/**
 * One page of an Uplift list, read the one way every caller uses: the Uplift node's Get Many and
 * Get Results (./index.ts, `upliftList`), and the Uplift Trigger's catch-up listing, probe and
 * export results (nodes/UpliftTrigger/upliftCatchUp.ts). Plain functions, no n8n.
 *
 * What Uplift answers (docs/uplift-api.md §4.3–4.4): `limit` (at most 500) and `offset` in, and
 * `{captures: [...], total_count, offset, limit}` or `{rows: [...], rowCount, schema}` out. So the
 * list ends where `total_count` says; without it, at a page shorter than asked for or an empty one
 * (Uplift's sample client pages until `rows` is empty). An answer without the list is an error that
 * names what is missing and the keys found, never an empty list.
 */

/** Uplift answers at most 500 rows or captures a call (docs/uplift-api.md §4.3, §4.4). */
export const MAX_PAGE = 500;

export interface UpliftPage {
	records: IDataObject[];
	/** the offset to read next; undefined when the list ended */
	nextOffset?: number;
	/** `total_count`, when Uplift sent a number */
	totalCount?: number;
}

export type UpliftPageRead = { ok: true; page: UpliftPage } | { ok: false; error: string };

export interface UpliftPageRequest {
	/** for messages: `GET /captures` */
	request: string;
	offset: number;
	/** the `limit` asked for */
	limit: number;
	/** the answer may be the bare list (Find Athletes: the answer's envelope is not documented) */
	bareListAllowed?: boolean;
}

/** Reads the answer to `GET <path>?limit=<limit>&offset=<offset>`, the records under `key`. */
export function readUpliftPage(body: unknown, key: string, at: UpliftPageRequest): UpliftPageRead {
	const where = `Uplift's answer to ${at.request} (offset ${at.offset})`;
	let list: unknown;
	let totalCount: number | undefined;
	if (Array.isArray(body) && at.bareListAllowed) list = body;
	else if (typeof body === 'object' && body !== null && !Array.isArray(body)) {
		list = (body as IDataObject)[key];
		const total = (body as IDataObject).total_count;
		if (typeof total === 'number' && Number.isFinite(total)) totalCount = total;
	}
	if (!Array.isArray(list))
		return {
			ok: false,
			error: `${where} has no \`${key}\` list (top-level keys: ${describeKeys(body)})`,
		};
	const records = list.filter(
		(item): item is IDataObject =>
			typeof item === 'object' && item !== null && !Array.isArray(item),
	);
	const page: UpliftPage = { records, ...(totalCount !== undefined ? { totalCount } : {}) };
	const after = at.offset + list.length;
	const more =
		list.length > 0 && (totalCount !== undefined ? after < totalCount : list.length >= at.limit);
	return { ok: true, page: more ? { ...page, nextOffset: after } : page };
}
