import type { IBinaryKeyData, IDataObject } from 'n8n-workflow';

/**
 * What a vendor's catch-up listing hands the shared runner (nodes/shared/catchUp/run.ts).
 * Design and evidence: docs/catch-up.md.
 */

/** Changes whose time lies in `(fromMs, toMs]` are asked for. */
export interface CatchUpWindow {
	fromMs: number;
	toMs: number;
}

/** Bounds of one run, so a long outage is caught up over several runs, not in one burst. */
export interface CatchUpBounds {
	/** list pages read per run, over all resources */
	maxPages: number;
	/** changes not yet handled, handed back per run (and so executions started per run) */
	maxRecords: number;
}

/** One change the vendor's API shows, as the workflow should see it. */
export interface CatchUpRecord {
	/**
	 * The same identity the webhook path gives this change (its delivery key), so the duplicate
	 * memory recognises a change delivered by either path.
	 */
	key: string;
	/** when the change happened at the vendor (ms since epoch): what the window is compared with */
	changedAtMs: number;
	/** the item's JSON, shaped like the webhook path's item (the runner adds delivery fields) */
	json: IDataObject;
	binary?: IBinaryKeyData;
}

export interface CatchUpListing {
	records: CatchUpRecord[];
	/**
	 * Whether every page of the window was read. Only a complete listing lets the cursor move past
	 * the window: the vendors document no list order, so a record on an unread page could be older.
	 */
	complete: boolean;
	/** HTTP requests made (the benchmark reads it) */
	requests: number;
	/** why the listing stopped early, for the log */
	error?: string;
	/** the vendor asked to wait this long (429/503 Retry-After): no listing before then */
	retryAfterMs?: number;
	/**
	 * Where an incomplete listing stopped (a cap, an error), so the next run goes on from there over
	 * the same window instead of starting again at the first page. Undefined: start again.
	 */
	resume?: CatchUpResume;
}

/** A position in a listing: which of its parts (an Uphance resource) and which page of it. */
export interface CatchUpResume {
	part: number;
	page: number;
}

/**
 * Lists the changes in the window, from `resume` on if given. `isHandled(key)` says whether the duplicate memory already holds
 * a change: those are left out before the `maxRecords` cap counts, so a window full of handled
 * changes still completes.
 */
export type ListChanges = (
	window: CatchUpWindow,
	bounds: CatchUpBounds,
	isHandled: (key: string) => boolean,
	resume?: CatchUpResume,
) => Promise<CatchUpListing>;
