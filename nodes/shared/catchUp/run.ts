import type { IDataObject, INodeExecutionData } from 'n8n-workflow';

import { hashDeliveryKey } from '../duplicateMemory/store';
import { cursorFields, OVERLAP_MS } from './cursor';
import type { Cursor } from './cursor';
import type {
	CatchUpBounds,
	CatchUpFailure,
	CatchUpRecord,
	CatchUpResume,
	CatchUpWindow,
	ListChanges,
	ProbeChanges,
} from './types';

/**
 * One catch-up run, without n8n: list what changed since the cursor, claim each change in the
 * duplicate memory, start one execution per new change, and move the cursor only when every change
 * of the window is known handled. Wired to n8n's timer in ./schedule.ts; design and evidence in
 * docs/catch-up.md.
 *
 * Why it loses nothing:
 * - the cursor moves only after a scan of the window that read every page (in one run, or over
 *   several when the caps stop a run: `state.scan`), with no change skipped because another request
 *   was still processing it, and after every execution the scan started ended with its key
 *   accepted; otherwise the next scan lists the same window again;
 * - a change whose execution did not accept its key is released, so the next run emits it again.
 * Why it repeats nothing: a change is emitted only if the memory shows its key neither accepted nor
 * claimed, and the trigger's `execute()` checks once more against the execution's own copy of the
 * memory (nodes/shared/duplicateMemory/staticData.ts, `acceptInExecution`).
 */

/** What the run needs from the duplicate memory (a MemorySession over a copy, never saved). */
export interface RunMemory {
	claim(key: string): { verdict: 'new' | 'duplicate' | 'inFlight'; hashedKey: string };
	holds(hashedKey: string): boolean;
	accept(hashedKey: string): void;
	release(hashedKey: string): void;
}

export interface RunDeps {
	list: ListChanges;
	memory: RunMemory;
	/**
	 * Starts one execution with these items; resolves when it ended, with whether n8n counts it a
	 * success (never rejects). Undefined when the trigger was closed: nothing was started.
	 */
	emit: (items: INodeExecutionData[]) => Promise<boolean> | undefined;
	/** resolves with the value, or with undefined once a bounded wait runs out or the trigger closes */
	waitAtMost: <T>(promise: Promise<T>) => Promise<T | undefined>;
	/**
	 * For an execution known to run (it accepted its key in this process): resolves with the value,
	 * or with undefined once the trigger closes or a long bound (a day) runs out.
	 */
	waitWhileRunning: <T>(promise: Promise<T>) => Promise<T | undefined>;
	now: () => number;
	/** true once the trigger was closed: listings stop sending requests */
	closed?: () => boolean;
	settleMs: number;
	bounds: CatchUpBounds;
	/**
	 * A vendor list without a time filter (Uplift) is looked at cheaply first (its fingerprint), and
	 * listed in full only when that changed, or once `fullListingEveryMs` has passed (default a
	 * day): see `quietSince` below.
	 */
	probe?: ProbeChanges;
	fullListingEveryMs?: number;
}

/** How long a probe's "nothing changed" stands in for full listings (docs/catch-up.md, item 21). */
export const FULL_LISTING_EVERY_MS = 24 * 3600_000;

/** The trigger's catch-up state, held in memory between runs. */
export interface CatchUpState {
	/** every change up to here is handled; the next window starts here (minus the overlap) */
	cursorMs: number;
	/** no listing before this time (the vendor's Retry-After) */
	backoffUntilMs?: number;
	/**
	 * Nothing older is listed, overlap or not: the starting point of a first activation (or its
	 * Backfill From date), so a first activation emits no history.
	 */
	floorMs?: number;
	/**
	 * A scan of one window that takes several runs (caps, errors): the window, where the next run
	 * goes on, and whether every change emitted so far in it was handled. The cursor moves to the
	 * window's end only when the scan is finished and clean.
	 */
	scan?: { window: CatchUpWindow; resume?: CatchUpResume; clean: boolean };
	/**
	 * The probe's fingerprint taken just before the last full listing, which read the whole list in
	 * one run, saw nothing after its window, and moved the cursor to `cursorMs`. Kept in memory only
	 * (a restart lists in full).
	 */
	quiet?: { fingerprint: string; cursorMs: number; listedAtMs: number };
	/**
	 * Parts (Uphance resources) handled up to a later time than `cursorMs`: read to the end of a
	 * clean scan in which another part failed. The cursor stays where the failed part left it (so
	 * the failed part catches up from there once it works), but each part here is listed from its
	 * own time on: one failing resource neither widens the others' windows nor makes them list again
	 * what they listed before (issue 19, item 2). Stored with the cursor (./cursor.ts, `partsMs`),
	 * so a restart goes on from them too. Cleared when a clean scan completes and moves the cursor
	 * (the stored times stay, and only ever move forward).
	 */
	partCursorMs?: Record<string, number>;
}

export interface RunReport {
	window?: { fromMs: number; toMs: number };
	listed: number;
	emitted: number;
	/** emitted and handled: the execution accepted the key */
	handled: number;
	/** changes another request was processing, left for the next run */
	inFlight: number;
	requests: number;
	complete: boolean;
	cursorMoved: boolean;
	error?: string;
	/** parts that failed and were skipped this run (types.ts) */
	failures?: CatchUpFailure[];
	/** `unchanged`: the probe showed the list as the last full listing left it (`quietSince`) */
	skipped?: 'backoff' | 'emptyWindow' | 'unchanged';
}

/** The fields a catch-up item carries beside the vendor's (read back by `readCatchUpFields`). */
export function catchUpFields(runAt: Date, cursor: Cursor): IDataObject {
	return {
		source: 'catchUp',
		catchUp: { runAt: runAt.toISOString(), ...cursorFields(cursor) },
	};
}

/** What the state says is handled, as a cursor an execution stores (./cursor.ts). */
export function cursorOfState(state: CatchUpState): Cursor {
	return {
		cursorMs: state.cursorMs,
		...(state.floorMs !== undefined ? { startMs: state.floorMs } : {}),
		...(state.partCursorMs ? { partsMs: state.partCursorMs } : {}),
	};
}

function itemOf(record: CatchUpRecord, runAt: Date, cursor: Cursor): INodeExecutionData {
	return {
		json: {
			...record.json,
			deliveryKey: record.key,
			receivedAt: runAt.toISOString(),
			...catchUpFields(runAt, cursor),
		},
		...(record.binary ? { binary: record.binary } : {}),
	};
}

export async function runCatchUp(state: CatchUpState, deps: RunDeps): Promise<RunReport> {
	const nowMs = deps.now();
	const report: RunReport = {
		listed: 0,
		emitted: 0,
		handled: 0,
		inFlight: 0,
		requests: 0,
		complete: false,
		cursorMoved: false,
	};
	if (state.backoffUntilMs !== undefined && nowMs < state.backoffUntilMs)
		return { ...report, skipped: 'backoff' };
	const window: CatchUpWindow = state.scan?.window ?? newWindow(state, nowMs - deps.settleMs);
	if (!state.scan && window.toMs <= state.cursorMs)
		return { ...report, skipped: 'emptyWindow', complete: true };
	report.window = window;

	// A new scan of a list without a time filter starts with the probe (issue 19, item 8).
	let fingerprint: string | undefined;
	if (deps.probe && !state.scan) {
		const probe = await deps.probe(deps.closed);
		report.requests += probe.requests;
		if (probe.retryAfterMs !== undefined) {
			state.backoffUntilMs = nowMs + probe.retryAfterMs;
			return { ...report, ...(probe.error ? { error: probe.error } : {}), skipped: 'backoff' };
		}
		fingerprint = probe.fingerprint;
		if (quietSince(state, fingerprint, nowMs, deps.fullListingEveryMs ?? FULL_LISTING_EVERY_MS))
			return { ...report, complete: true, skipped: 'unchanged' };
	}
	state.quiet = undefined;

	const listing = await deps.list(
		window,
		deps.bounds,
		(key) => deps.memory.holds(hashDeliveryKey(key)),
		state.scan?.resume,
		deps.closed,
	);
	report.listed = listing.records.length;
	report.requests += listing.requests;
	report.complete = listing.complete;
	if (listing.error) report.error = listing.error;
	if (listing.failures?.length) report.failures = listing.failures;
	if (listing.retryAfterMs !== undefined) state.backoffUntilMs = nowMs + listing.retryAfterMs;

	const runAt = new Date(nowMs);
	let notStarted = 0;
	let timedOut = false;
	for (const record of listing.records) {
		// One execution at a time: each execution saves the workflow's whole static data when it ends,
		// last write wins, so executions of one run that end together can overwrite each other's keys
		// (seen on n8n 1.123.81: a caught-up capture emitted again after a restart). The next starts
		// once the previous ended, with static data that holds its key.
		if (timedOut) break;
		const { verdict, hashedKey } = deps.memory.claim(record.key);
		if (verdict === 'inFlight') report.inFlight++;
		if (verdict !== 'new') continue;
		// The item carries the cursor as it stood before this run: everything before it is handled,
		// so an execution may store it even if another execution of this run never ends.
		const end = deps.emit([itemOf(record, runAt, cursorOfState(state))]);
		if (!end) {
			deps.memory.release(hashedKey);
			notStarted++;
			continue;
		}
		report.emitted++;
		const ended = end.then((succeeded) => endClaim(deps.memory, hashedKey, succeeded));
		// A bounded wait: a claim still open then is released (n8n may never report an execution that
		// failed to start: 1.123.81 resolves the done promise only once the execution exists), and the
		// run stops there. If that execution does run later, its `execute()` records the key.
		let handled = await deps.waitAtMost(ended);
		// A slow workflow (issue 19, finding 7): the execution accepted its key, so it runs, here. Wait
		// for its end rather than start the next one beside it (their saves of static data would
		// overwrite each other) or emit it again; the run's timer skips its ticks meanwhile.
		if (handled === undefined && deps.memory.holds(hashedKey))
			handled = await deps.waitWhileRunning(ended);
		if (handled === undefined) {
			deps.memory.release(hashedKey);
			timedOut = true;
		} else if (handled) report.handled++;
	}
	if (timedOut) report.complete = false;

	const clean =
		(state.scan?.clean ?? true) &&
		report.inFlight === 0 &&
		notStarted === 0 &&
		report.handled === report.emitted;
	if (!report.complete) {
		if (!timedOut && !listing.resume && listing.failures?.length) {
			// Every part was read but those that failed: this scan is over, the cursor stays, and the
			// next run lists a new window from it, so the failed parts are tried again. The parts read
			// to the window's end are handled up to there if the scan was clean, and are listed from
			// there on (`partCursorMs`).
			state.scan = undefined;
			if (clean)
				for (const part of listing.partsDone ?? [])
					state.partCursorMs = {
						...state.partCursorMs,
						[part]: Math.max(state.partCursorMs?.[part] ?? -Infinity, window.toMs),
					};
		} else {
			// After a timeout the same position is read again (the changes after it were not emitted).
			state.scan = { window, resume: timedOut ? state.scan?.resume : listing.resume, clean };
		}
	} else {
		state.scan = undefined;
		if (clean) {
			state.cursorMs = Math.max(state.cursorMs, window.toMs);
			state.partCursorMs = undefined;
			report.cursorMoved = true;
			// This scan began in this run, after the probe, and read everything up to its window's
			// end: the probe's fingerprint now stands for "nothing after the cursor".
			if (fingerprint !== undefined && !listing.later)
				state.quiet = { fingerprint, cursorMs: state.cursorMs, listedAtMs: nowMs };
		}
	}
	return report;
}

/**
 * The window a new scan lists: from the cursor (less the overlap, never before the floor) to
 * `toMs`, and for each part handled further than the cursor (`partCursorMs`), from its own time.
 */
function newWindow(state: CatchUpState, toMs: number): CatchUpWindow {
	const from = (cursorMs: number) => Math.max(cursorMs - OVERLAP_MS, state.floorMs ?? -Infinity);
	const partFromMs = Object.fromEntries(
		Object.entries(state.partCursorMs ?? {})
			.filter(([, cursorMs]) => cursorMs > state.cursorMs)
			.map(([part, cursorMs]) => [part, from(cursorMs)]),
	);
	return {
		fromMs: from(state.cursorMs),
		toMs,
		...(state.floorMs !== undefined ? { floorMs: state.floorMs } : {}),
		...(Object.keys(partFromMs).length > 0 ? { partFromMs } : {}),
	};
}

/**
 * Whether a run may skip listing because the list is as the last full listing found it. Why this
 * loses nothing:
 * - that listing read the whole list in one run, after the probe took `fingerprint`, emitted
 *   and handled everything new in its window, saw nothing after the window, and moved the cursor
 *   to where it still is;
 * - an equal fingerprint (the count and the first and last record) means no record was added
 *   since, unless one was added and another removed in the same interval, neither at an end;
 * - a skipped run does not move the cursor, so the next full listing (at the latest `everyMs`
 *   after the last, or on the next change of the fingerprint, or after a restart) reaches back to
 *   the cursor and lists such a record then.
 */
function quietSince(
	state: CatchUpState,
	fingerprint: string | undefined,
	nowMs: number,
	everyMs: number,
): boolean {
	const quiet = state.quiet;
	return (
		quiet !== undefined &&
		fingerprint !== undefined &&
		quiet.fingerprint === fingerprint &&
		quiet.cursorMs === state.cursorMs &&
		nowMs - quiet.listedAtMs < everyMs
	);
}

/**
 * After an execution ended: handled if its key is accepted. In regular mode the execution ran in
 * this process and accepted the key in this memory; in queue mode it ran on a worker, and n8n's
 * own status says whether it got through (its `execute()` accepts first thing). Otherwise the claim
 * is released and the next run emits the change again.
 */
function endClaim(memory: RunMemory, hashedKey: string, succeeded: boolean): boolean {
	if (memory.holds(hashedKey)) return true;
	if (succeeded) {
		memory.accept(hashedKey);
		return true;
	}
	memory.release(hashedKey);
	return false;
}
