import { sleep } from 'n8n-workflow';
import type {
	CronExpression,
	IDataObject,
	IDeferredPromise,
	INodeExecutionData,
	IRun,
	ITriggerFunctions,
	ITriggerResponse,
} from 'n8n-workflow';

import { MEMORY_FIELD, MemorySession, memoryId, memoryPlace } from '../duplicateMemory/staticData';
import type { DuplicateLimits } from '../duplicateMemory/store';
import {
	CATCH_UP_FIELD,
	forgetCursor,
	keepKeysFrom,
	newerCursor,
	publishCursor,
	readStoredCursor,
	storedInProcess,
} from './cursor';
import type { Cursor } from './cursor';
import { catchUpFields, cursorOfState, runCatchUp } from './run';
import type { CatchUpState, RunReport } from './run';
import type { CatchUpBounds, ListChanges, ProbeChanges } from './types';

/**
 * Catch-up wired to n8n: the trigger's `trigger()` calls `startCatchUp`, which runs catch-up soon
 * after activation (so a restart is caught up promptly) and then on a timer. Evidence for each
 * choice (registerCron, emit with a done promise, never emitError, never assigning static data
 * here) is in docs/catch-up.md §1–2.
 */

export interface CatchUpSettings {
	intervalMinutes: number;
	/** changes younger than this are left to the webhook, which may still be on its way */
	settleMs: number;
	bounds: CatchUpBounds;
	/** with no stored cursor: catch up from here (a backfill) instead of from now */
	backfillFromMs?: number;
	limits: DuplicateLimits;
	/** how long after activation the first run starts */
	firstRunDelayMs?: number;
	/** how long a run waits for each execution it started (one at a time) before it stops and leaves the cursor where it is */
	executionWaitMs?: number;
}

/** A stored cursor older than this is refreshed by a bookkeeping execution (see below). */
const STORED_CURSOR_MAX_LAG_MS = 24 * 3600_000;
const FIRST_RUN_DELAY_MS = 10_000;
const EXECUTION_WAIT_MS = 10 * 60_000;
/** how long a run waits for an execution it knows runs (a slow workflow) before it gives up on it */
const RUNNING_EXECUTION_WAIT_MS = 24 * 3600_000;
const STEP_MS = 250;

/** n8n's cron form, seconds first (docs/catch-up.md §1); a fixed random second spreads load. */
export function cronExpression(intervalMinutes: number, second: number): string {
	const minutes = Math.min(60, Math.max(1, Math.floor(intervalMinutes)));
	return minutes === 60 ? `${second} 0 * * * *` : `${second} */${minutes} * * * *`;
}

export function startCatchUp(
	ctx: ITriggerFunctions,
	settings: CatchUpSettings,
	list: ListChanges,
	/** for a list without a time filter (Uplift): looked at before each full listing (run.ts) */
	probe?: ProbeChanges,
): ITriggerResponse {
	// Manual test runs use the test webhook; catch-up never runs there, so the cursor never moves.
	if (ctx.getMode() === 'manual') return {};
	const place = memoryPlace(ctx);
	const nodeId = memoryId(place);
	const where = `"${place.nodeName}" in workflow ${place.workflowId}`;
	// The timer's static data is the copy n8n loaded at activation, and n8n writes it back whole if
	// it is ever assigned (docs/catch-up.md §2.1). Read it once into a plain copy; nothing
	// below holds n8n's object, so nothing here can assign it.
	// (JSON leaves out a field that is not there, as n8n's copy would.)
	const snapshot = JSON.parse(
		JSON.stringify({
			[MEMORY_FIELD]: place.staticData[MEMORY_FIELD],
			[CATCH_UP_FIELD]: place.staticData[CATCH_UP_FIELD],
		}),
	) as IDataObject;
	const storedCursor = readStoredCursor(snapshot);
	const stored = storedCursor?.cursorMs;
	const activatedAtMs = Date.now();
	// With a stored cursor the floor is the stored start; without one, this activation starts history.
	const startMs = storedCursor ? storedCursor.startMs : (settings.backfillFromMs ?? activatedAtMs);
	const state: CatchUpState = {
		cursorMs: stored ?? (startMs as number),
		...(startMs !== undefined ? { floorMs: startMs } : {}),
		...(storedCursor?.partsMs ? { partCursorMs: storedCursor.partsMs } : {}),
	};
	const log = (message: string, extra: IDataObject = {}) =>
		ctx.logger.info(`Catch-up (${where}): ${message}`, { node: place.nodeName, ...extra });
	log(
		stored !== undefined
			? `resuming from ${new Date(stored).toISOString()}${
					storedCursor?.partsMs
						? ` (${Object.keys(storedCursor.partsMs).join(', ')} from later)`
						: ''
				}`
			: settings.backfillFromMs !== undefined
				? `no stored cursor; backfilling from ${new Date(settings.backfillFromMs).toISOString()}`
				: 'no stored cursor; starting now (earlier changes are not emitted)',
	);

	let closed = false;
	let running = false;

	const waitFor =
		(limitMs: number) =>
		async <T>(promise: Promise<T>): Promise<T | undefined> => {
			let result: { value: T } | undefined;
			void promise.then((value) => (result = { value }));
			const until = Date.now() + limitMs;
			while (!result && !closed && Date.now() < until) await sleep(STEP_MS);
			return result?.value;
		};
	const waitAtMost = waitFor(settings.executionWaitMs ?? EXECUTION_WAIT_MS);
	const waitWhileRunning = waitFor(RUNNING_EXECUTION_WAIT_MS);

	/** Starts one execution; resolves with whether n8n counts it a success, when it ends. */
	const emit = (items: INodeExecutionData[]): Promise<boolean> | undefined => {
		if (closed) return undefined;
		const done = deferred<IRun>();
		ctx.emit([items], undefined, done);
		return done.promise.then(
			(run) =>
				run?.status === 'success' || (run?.finished === true && !run.data?.resultData?.error),
			() => false,
		);
	};

	const memory = () => {
		const session = new MemorySession(
			{ ...place, staticData: snapshot },
			{
				...settings.limits,
				keepSinceMs: keepKeysFrom(state.cursorMs, settings.limits.catchUpReachMs),
			},
		);
		return {
			claim: (key: string) => session.claim(key),
			holds: (hashedKey: string) => session.holds(hashedKey),
			accept: (hashedKey: string) => session.accept(hashedKey),
			release: (hashedKey: string) => session.release(hashedKey),
		};
	};

	/**
	 * What the stored cursor is known to hold, its parts' times included (undefined: nothing stored
	 * yet): read at activation, or carried by executions of this trigger that ended.
	 */
	let knownStored: Cursor | undefined = storedCursor;

	/**
	 * The stored cursor moves with the executions of this node (./cursor.ts). When none ran for a
	 * day, or none ever stored a cursor (a first activation), one execution without output stores
	 * it: without a stored cursor, a restart after an outage would not know where to resume. The
	 * same for a part's time while another part fails and holds the cursor back: a restart lists the
	 * part from its stored time, so at most a day of its changes again (the memory drops them).
	 */
	const storeCursorIfStale = async (): Promise<void> => {
		const storedCursorMs = Math.max(
			knownStored?.cursorMs ?? -Infinity,
			storedInProcess(nodeId) ?? -Infinity,
		);
		const partsLag = Object.entries(state.partCursorMs ?? {}).some(
			([part, ms]) =>
				ms - Math.max(storedCursorMs, knownStored?.partsMs?.[part] ?? -Infinity) >=
				STORED_CURSOR_MAX_LAG_MS,
		);
		if (
			Number.isFinite(storedCursorMs) &&
			state.cursorMs - storedCursorMs < STORED_CURSOR_MAX_LAG_MS &&
			!partsLag
		)
			return;
		const cursor = cursorOfState(state);
		const json = catchUpFields(new Date(), cursor);
		(json.catchUp as IDataObject).bookkeeping = true;
		const end = emit([{ json }]);
		if (end && (await waitAtMost(end))) knownStored = newerCursor(knownStored, cursor);
	};

	/** The problem last reported per part (a failing Uphance resource), so each is told once. */
	const reported = new Map<string, string>();
	/**
	 * A part that fails is told to the user once per distinct failure, as a failed execution
	 * (./problem.ts), not on every run; when a run completes, every part works again.
	 */
	const reportFailures = async (report: RunReport): Promise<void> => {
		if (report.skipped) return;
		if (report.complete) {
			if (reported.size > 0) log(`every part lists again (${[...reported.keys()].join(', ')})`);
			reported.clear();
			return;
		}
		for (const failure of report.failures ?? []) {
			const signature =
				failure.statusCode !== undefined ? `HTTP ${failure.statusCode}` : failure.error;
			if (reported.get(failure.part) === signature) continue;
			reported.set(failure.part, signature);
			const sinceMs = state.partCursorMs?.[failure.part] ?? state.cursorMs;
			const json = catchUpFields(new Date(), cursorOfState(state));
			(json.catchUp as IDataObject).problem =
				`Catch-up cannot list ${failure.part}: ${failure.error}. The other parts are caught up as usual; ` +
				`${failure.part} is tried again on every run, and what it missed is caught up once it works ` +
				`(its changes since ${new Date(sinceMs).toISOString()}). If the credential's user may not read ` +
				`${failure.part}, give it that access, or deselect those events. This is reported once per problem.`;
			const end = emit([{ json }]);
			if (end) await waitAtMost(end);
		}
	};

	const runOnce = async (): Promise<void> => {
		if (running || closed) return;
		running = true;
		try {
			const cursorBefore = cursorOfState(state);
			const partsBefore = JSON.stringify(state.partCursorMs ?? {});
			const report: RunReport = await runCatchUp(state, {
				list,
				...(probe ? { probe } : {}),
				memory: memory(),
				emit,
				waitAtMost,
				waitWhileRunning,
				now: Date.now,
				closed: () => closed,
				settleMs: settings.settleMs,
				bounds: settings.bounds,
			});
			// Executions of this run that succeeded stored the cursor they carried.
			if (report.emitted > 0 && report.handled === report.emitted)
				knownStored = newerCursor(knownStored, cursorBefore);
			if (report.cursorMoved || JSON.stringify(state.partCursorMs ?? {}) !== partsBefore)
				publishCursor(nodeId, cursorOfState(state));
			await reportFailures(report);
			// Whether or not this run moved it, the cursor is a confirmed starting point: a first
			// activation stores it now, also when its first window is still empty (the settle delay
			// is longer than the first-run delay) or the vendor failed, so a restart finds it.
			await storeCursorIfStale();
			if (report.skipped === 'backoff')
				log(
					`run skipped: the API asked to wait until ${new Date(state.backoffUntilMs ?? 0).toISOString()} (Retry-After)`,
				);
			else if (report.skipped !== 'emptyWindow') describe(report);
		} catch (error) {
			// Never emitError: on every supported n8n it deactivates the trigger (docs/catch-up.md §1).
			ctx.logger.warn(
				`Catch-up (${where}) run failed; the next run tries again: ${(error as Error).message}`,
				{
					node: place.nodeName,
				},
			);
		} finally {
			running = false;
		}
	};

	const describe = (report: RunReport) => {
		const summary = {
			listed: report.listed,
			emitted: report.emitted,
			handled: report.handled,
			inFlight: report.inFlight,
			requests: report.requests,
			complete: report.complete,
			cursor: new Date(state.cursorMs).toISOString(),
		};
		// The figures go into the message too: n8n's default log format prints no metadata.
		const figures = `${report.listed} new changes listed, ${report.emitted} executions started, ${report.handled} handled, ${report.requests} requests; cursor ${summary.cursor}`;
		if (report.error || !report.complete || report.handled < report.emitted)
			ctx.logger.warn(
				`Catch-up (${where}) run incomplete (${figures}); the next run goes on${report.error ? `: ${report.error}` : ''}`,
				{ node: place.nodeName, ...summary },
			);
		else log(`run done (${figures})`, summary);
	};

	ctx.helpers.registerCron(
		{
			expression: cronExpression(
				settings.intervalMinutes,
				Math.floor(activatedAtMs / 1000) % 60,
			) as CronExpression,
		},
		() => void runOnce(),
	);
	void (async () => {
		const startAt = Date.now() + (settings.firstRunDelayMs ?? FIRST_RUN_DELAY_MS);
		while (!closed && Date.now() < startAt) await sleep(STEP_MS);
		await runOnce();
	})();

	return {
		closeFunction: async () => {
			closed = true;
			forgetCursor(nodeId);
		},
	};
}

/**
 * What `emit` takes to tell when the execution ended. Built here: n8n-workflow's
 * `createDeferredPromise` is not exported by every supported n8n (2.40.7 has it only as a helper).
 */
function deferred<T>(): IDeferredPromise<T> {
	let resolve: IDeferredPromise<T>['resolve'] = () => undefined;
	let reject: IDeferredPromise<T>['reject'] = () => undefined;
	const promise = new Promise<T>((res, rej) => {
		resolve = res;
		reject = rej;
	});
	return { promise, resolve, reject };
}
