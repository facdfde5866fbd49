import type { IBinaryKeyData, IDataObject } from 'n8n-workflow';

/**
 * What a vendor's catch-up listing hands the shared runner (nodes/shared/catchUp/run.ts).
 * Design and evidence: docs/catch-up.md.
 */

/** Changes whose time lies in `(fromMs, toMs]` are asked for. */
export interface CatchUpWindow {
	fromMs: number;
	toMs: number;
	/**
	 * Nothing older is ever listed, whatever a vendor adds to reach back (Uplift's Processing
	 * Allowance): where the trigger's history starts (its first activation, or Backfill From).
	 */
	floorMs?: number;
	/**
	 * Parts (Uphance resources) listed from a later time than `fromMs`: each was read to the end of
	 * an earlier window that another part's failure kept the cursor from moving past (run.ts,
	 * `partCursorMs`). A part not named here is listed from `fromMs`.
	 */
	partFromMs?: Record<string, number>;
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
	 * Where an incomplete listing stopped (a cap, a Retry-After), so the next run goes on from there
	 * over the same window. Undefined on an incomplete listing: the scan of this window is over
	 * (a part kept failing), and the next run starts a new one from the cursor, which did not move.
	 */
	resume?: CatchUpResume;
	/**
	 * Parts (Uphance resources) that failed in this run and were skipped, so one part cannot stall
	 * the others. Each is reported to the user (schedule.ts) and listed again next run.
	 */
	failures?: CatchUpFailure[];
	/**
	 * With `failures`: the parts that were read to the end of the window, in this run or an earlier
	 * run of the same scan. Their changes up to the window's end are handled once the run is clean,
	 * so the next window lists them from there, not from the cursor the failed part holds back.
	 */
	partsDone?: string[];
	/**
	 * Records the listing saw that lie after the window (too recent to list yet). A later run must
	 * list them, so the list's fingerprint taken before this listing may not stand for "nothing new"
	 * (run.ts, `state.quiet`).
	 */
	later?: number;
}

export interface CatchUpFailure {
	/** what failed, as the user knows it (an Uphance list path, `products`) */
	part: string;
	/** one line, fit for the user: never a secret, a value of a record or a stack */
	error: string;
	statusCode?: number;
}

/**
 * A position in a listing that spans runs: per part (an Uphance resource), either done, or the id
 * after which reading goes on (a keyset: ids the vendor listed in ascending order, so a record
 * deleted or added between runs moves no unread record onto a page already read). A part without
 * an entry, or with `{}`, is read from its start.
 */
export interface CatchUpResume {
	parts: Record<string, { done?: boolean; afterId?: number }>;
}

/**
 * Lists the changes in the window, from `resume` on if given. `isHandled(key)` says whether the
 * duplicate memory already holds a key: those changes are left out before the `maxRecords` cap
 * counts, so a window full of handled changes still completes.
 */
export type ListChanges = (
	window: CatchUpWindow,
	bounds: CatchUpBounds,
	isHandled: (key: string) => boolean,
	resume?: CatchUpResume,
	/** true once the trigger was closed: no request is sent after that (the listing ends incomplete) */
	closed?: () => boolean,
) => Promise<CatchUpListing>;

/**
 * A cheap look at a vendor list that has no time filter (Uplift's `/captures`): a fingerprint that
 * changes when a record is added to or removed from the list, read in a constant number of
 * requests. Undefined `fingerprint`: the list could not be looked at that way (the next listing is
 * a full one).
 */
export type ProbeChanges = (closed?: () => boolean) => Promise<ProbeResult>;

export interface ProbeResult {
	fingerprint?: string;
	/** HTTP requests made */
	requests: number;
	/** why there is no fingerprint, for the log */
	error?: string;
	/** the vendor asked to wait this long (429/503 Retry-After) */
	retryAfterMs?: number;
}
