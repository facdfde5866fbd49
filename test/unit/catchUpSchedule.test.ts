/**
 * Catch-up wired to n8n (nodes/shared/catchUp/schedule.ts) through an ITriggerFunctions stand-in
 * that behaves like n8n where it matters (docs/catch-up.md §2.1):
 * - the trigger's static data is the copy loaded at activation; here it is a Proxy that THROWS on
 *   any assignment, definition or delete at any depth, so a trigger that would mark n8n's copy
 *   changed (and have it written back whole over newer keys) fails loudly;
 * - `emit(data, undefined, done)` runs an execution: the trigger node's execute() logic
 *   (`acceptInExecution`) over the execution's OWN static data, loaded from the "database row"
 *   when it starts and saved when it ends (only if assigned), then resolves `done` with the run.
 */
import type { CronExpression, IDataObject, INodeExecutionData, IRun, IDeferredPromise } from 'n8n-workflow';

import { CATCH_UP_FIELD, readCursorFields, readStoredCursor } from '../../nodes/shared/catchUp/cursor';
import { cronExpression, startCatchUp } from '../../nodes/shared/catchUp/schedule';
import type { CatchUpSettings } from '../../nodes/shared/catchUp/schedule';
import { throwCatchUpProblem } from '../../nodes/shared/catchUp/problem';
import type { CatchUpBounds, CatchUpFailure, CatchUpRecord, CatchUpWindow, ListChanges } from '../../nodes/shared/catchUp/types';
import { acceptInExecution, MEMORY_FIELD } from '../../nodes/shared/duplicateMemory/staticData';
import { DuplicateMemory, hashDeliveryKey } from '../../nodes/shared/duplicateMemory/store';
import type { PersistedMemory } from '../../nodes/shared/duplicateMemory/store';
import { executeContext, RecordingLogger, StaticDataRow } from './helpers/n8nStubs';

const NODE = 'Uphance Trigger';
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const LIMITS = { maxAgeMs: 48 * HOUR, maxEntries: 1000 };
const BOUNDS: CatchUpBounds = { maxPages: 10, maxRecords: 50 };

let counter = 0;

/** n8n's activation copy, as far as this test cares: reads work, every kind of write throws. */
function readOnlyDeep<T extends object>(target: T, violations: string[], path = 'staticData'): T {
	const refuse = (what: string, p: string | symbol): never => {
		violations.push(`${what} ${path}.${String(p)}`);
		throw new Error(`the trigger wrote its activation copy of static data: ${what} ${path}.${String(p)}`);
	};
	return new Proxy(target, {
		get(t, p, receiver) {
			const value = Reflect.get(t, p, receiver);
			return typeof value === 'object' && value !== null
				? readOnlyDeep(value as object, violations, `${path}.${String(p)}`)
				: value;
		},
		set: (_t, p) => refuse('set', p),
		defineProperty: (_t, p) => refuse('defineProperty', p),
		deleteProperty: (_t, p) => refuse('deleteProperty', p),
		setPrototypeOf: () => refuse('setPrototypeOf', '__proto__'),
	});
}

/** The entries of a persisted memory, decoded independently of the code: 16 + 10 characters each. */
function keysOf(persisted: PersistedMemory | undefined): string[] {
	const packed = (persisted?.entries ?? []).join('');
	return Array.from({ length: packed.length / 26 }, (_v, i) => packed.slice(i * 26, i * 26 + 16));
}

function storedMemoryOf(keys: string[]): PersistedMemory {
	const memory = new DuplicateMemory(LIMITS);
	for (const key of keys) memory.accept(hashDeliveryKey(key), Date.now() - 10 * MINUTE);
	return JSON.parse(JSON.stringify(memory.toPersisted())) as PersistedMemory;
}

async function waitFor(what: string, predicate: () => boolean, context: () => string = () => ''): Promise<void> {
	const until = Date.now() + 10_000;
	while (!predicate()) {
		if (Date.now() > until) throw new Error(`timed out waiting for ${what}\n${context()}`);
		await new Promise((resolve) => setTimeout(resolve, 10));
	}
}

interface Execution {
	items: INodeExecutionData[];
	kept?: number[];
	ended: boolean;
}

/**
 * One activation of the trigger. `stored` is the node's static data in the database at activation
 * (the trigger reads it through the throwing proxy; each execution loads the row afresh).
 */
function activation(opts: {
	stored: IDataObject;
	changes?: (window: CatchUpWindow, isHandled: (key: string) => boolean) => CatchUpRecord[];
	settings?: Partial<CatchUpSettings>;
	mode?: string;
	/** parts that fail in the nth listing (0-based); none by default */
	failures?: (call: number) => CatchUpFailure[];
	/** with failures: the parts the listing read to the end */
	partsDone?: string[];
}) {
	const workflowId = `catchup-schedule-${++counter}-${Math.random()}`;
	const violations: string[] = [];
	const triggerStaticData = readOnlyDeep(JSON.parse(JSON.stringify(opts.stored)) as IDataObject, violations);
	const row = new StaticDataRow();
	row.json = JSON.stringify({ [`node:${NODE}`]: opts.stored });
	const logger = new RecordingLogger();
	const crons: Array<{ expression: string; onTick: () => void }> = [];
	const executions: Execution[] = [];
	const listCalls: Array<{ window: CatchUpWindow; handled: Record<string, boolean> }> = [];

	const list: ListChanges = async (window, _bounds, isHandled) => {
		const records = opts.changes?.(window, isHandled) ?? [];
		const handled: Record<string, boolean> = {};
		for (const r of records) handled[r.key] = isHandled(r.key);
		const failures = opts.failures?.(listCalls.length) ?? [];
		listCalls.push({ window, handled });
		if (failures.length > 0) return { records, complete: false, requests: 1, failures, ...(opts.partsDone ? { partsDone: opts.partsDone } : {}) };
		return { records, complete: true, requests: 1 };
	};

	const ctx = {
		getMode: () => opts.mode ?? 'trigger',
		getActivationMode: () => 'activate',
		getNode: () => ({ name: NODE, type: 'test', typeVersion: 1, parameters: {} }),
		getWorkflow: () => ({ id: workflowId, name: 'test', active: true }),
		getWorkflowStaticData: (type: string) => {
			if (type !== 'node') throw new Error('only node static data is used');
			return triggerStaticData;
		},
		logger,
		helpers: {
			registerCron: (cron: { expression: CronExpression }, onTick: () => void) => {
				crons.push({ expression: cron.expression, onTick });
			},
		},
		emit: (data: INodeExecutionData[][], _response: unknown, done?: IDeferredPromise<IRun>) => {
			const execution: Execution = { items: data[0], ended: false };
			executions.push(execution);
			// n8n starts the execution later: its static data is loaded from the row when it starts.
			setImmediate(async () => {
				const { ctx: executeCtx, finish } = executeContext(
					{ nodeName: NODE, workflowId, staticData: row, logger },
					execution.items,
				);
				// as the triggers' execute(): a problem item fails the execution before anything is accepted
				let failed = false;
				try {
					throwCatchUpProblem(executeCtx as never, execution.items);
					execution.kept = await acceptInExecution(executeCtx as never, execution.items, LIMITS);
					finish();
				} catch {
					failed = true;
				}
				execution.ended = true;
				done?.resolve({ status: failed ? 'error' : 'success', finished: !failed, data: { resultData: {} } } as unknown as IRun);
			});
		},
	};

	const response = startCatchUp(
		ctx as never,
		{
			intervalMinutes: 5,
			settleMs: 0,
			bounds: BOUNDS,
			limits: LIMITS,
			firstRunDelayMs: 0,
			executionWaitMs: 3000,
			...opts.settings,
		},
		list,
	);
	const runsLogged = () => logger.lines.filter((l) => /^Catch-up \(.*\): run done|^Catch-up \(.*\) run incomplete/.test(l.message)).length;
	const saved = () => row.nodeData(NODE) ?? {};
	return { response, violations, row, saved, logger, crons, executions, listCalls, runsLogged, workflowId };
}

const keyRecord = (key: string, changedAtMs: number): CatchUpRecord => ({ key, changedAtMs, json: { id: key } });

describe('startCatchUp through an n8n-like trigger context', () => {
	it('never assigns the trigger static data; emits only changes the stored memory lacks; executions store keys and cursor', async () => {
		const storedSinceMs = Date.now() - HOUR;
		const stored = {
			[MEMORY_FIELD]: storedMemoryOf(['held-1', 'unrelated']),
			[CATCH_UP_FIELD]: { format: 1, since: new Date(storedSinceMs).toISOString() },
		};
		let listing: string[] = ['held-1', 'new-1', 'new-2'];
		const a = activation({
			stored,
			changes: () => listing.map((key) => keyRecord(key, storedSinceMs + MINUTE)),
		});

		// the first run starts by itself (no cron tick), soon after activation
		await waitFor('the first run', () => a.runsLogged() === 1 && a.executions.every((e) => e.ended));
		expect(a.crons).toHaveLength(1);
		expect(a.listCalls).toHaveLength(1);
		expect(a.listCalls[0].window.fromMs).toBe(storedSinceMs - 5 * MINUTE);
		// the listing is told which keys the stored memory holds …
		expect(a.listCalls[0].handled).toEqual({ 'held-1': true, 'new-1': false, 'new-2': false });
		// … and only the others are emitted, one execution each, carrying the cursor from static data
		expect(a.executions.map((e) => e.items.map((i) => i.json.deliveryKey))).toEqual([['new-1'], ['new-2']]);
		for (const e of a.executions) {
			expect(e.items[0].json).toMatchObject({ source: 'catchUp', catchUp: { since: new Date(storedSinceMs).toISOString() } });
			expect(e.kept).toEqual([0]);
		}
		// the executions saved the keys (with the ones loaded), and the cursor they carried
		const afterFirst = a.saved();
		expect(new Set(keysOf(afterFirst[MEMORY_FIELD] as unknown as PersistedMemory))).toEqual(
			new Set(['held-1', 'unrelated', 'new-1', 'new-2'].map(hashDeliveryKey)),
		);
		expect((afterFirst[CATCH_UP_FIELD] as IDataObject).since).toBe(new Date(storedSinceMs).toISOString());
		const firstDone = a.logger.lines.find((l) => /^Catch-up \(.*\): run done \(/.test(l.message))!;
		const firstRunSince = Date.parse(String((firstDone.meta as IDataObject).cursor));
		expect(firstRunSince).toBeGreaterThan(storedSinceMs);

		// a cron tick: one new change; its execution stores the cursor the first run reached
		listing = ['new-1', 'new-3'];
		a.crons[0].onTick();
		await waitFor('the second run', () => a.runsLogged() === 2 && a.executions.every((e) => e.ended));
		expect(a.executions.map((e) => e.items[0].json.deliveryKey)).toEqual(['new-1', 'new-2', 'new-3']);
		expect((a.executions[2].items[0].json.catchUp as IDataObject).since).toBe(new Date(firstRunSince).toISOString());
		const afterSecond = a.saved();
		expect((afterSecond[CATCH_UP_FIELD] as IDataObject).since).toBe(new Date(firstRunSince).toISOString());
		expect(keysOf(afterSecond[MEMORY_FIELD] as unknown as PersistedMemory)).toContain(hashDeliveryKey('new-3'));

		// a tick that finds nothing: no execution
		listing = [];
		a.crons[0].onTick();
		await waitFor('the third run', () => a.runsLogged() === 3);
		expect(a.listCalls).toHaveLength(3);
		expect(a.executions).toHaveLength(3);

		await a.response.closeFunction!();
		// a tick after close does nothing
		a.crons[0].onTick();
		await new Promise((resolve) => setTimeout(resolve, 50));
		expect(a.listCalls).toHaveLength(3);

		expect(a.violations).toEqual([]);
		expect(a.logger.lines.filter((l) => /Catch-up \(.*\) run failed/.test(l.message))).toEqual([]);
	});

	it('a first activation (no stored cursor) stores its starting point through one execution that passes nothing on', async () => {
		const before = Date.now();
		// the defaults' shape: the settle delay is longer than the first-run delay, so the first run's window is empty
		const a = activation({ stored: {}, settings: { settleMs: MINUTE } });
		const after = Date.now();
		await waitFor('the bookkeeping execution', () => a.executions.length === 1 && a.executions[0].ended, () => a.logger.text());
		const [execution] = a.executions;
		expect(execution.items).toHaveLength(1);
		expect(execution.items[0].json).toMatchObject({ source: 'catchUp', catchUp: { bookkeeping: true } });
		expect(execution.items[0].json.deliveryKey).toBeUndefined();
		// execute() drops it …
		expect(execution.kept).toEqual([]);
		// … and its execution stored the starting point (the activation time), and no memory
		const saved = a.saved();
		const since = Date.parse(String((saved[CATCH_UP_FIELD] as IDataObject).since));
		expect(since).toBeGreaterThanOrEqual(before);
		expect(since).toBeLessThanOrEqual(after);
		expect(saved[MEMORY_FIELD]).toBeUndefined();

		// later runs do not repeat it
		a.crons[0].onTick();
		await new Promise((resolve) => setTimeout(resolve, 300));
		expect(a.executions).toHaveLength(1);
		await a.response.closeFunction!();
		expect(a.violations).toEqual([]);
	});

	it('a backfill whose first run finds nothing stores the cursor that run reached, through one execution', async () => {
		const backfillFromMs = Date.now() - HOUR;
		const a = activation({ stored: {}, settings: { backfillFromMs } });
		await waitFor('the bookkeeping execution', () => a.executions.length === 1 && a.executions[0].ended, () => a.logger.text());
		// the backfill date is the floor: the overlap never reaches before it (no history before it)
		expect(a.listCalls[0].window.fromMs).toBe(backfillFromMs);
		expect(a.executions[0].kept).toEqual([]);
		const since = Date.parse(String((a.saved()[CATCH_UP_FIELD] as IDataObject).since));
		// the listed window's end (now - settle), not the backfill start
		expect(since).toBe(a.listCalls[0].window.toMs);
		await a.response.closeFunction!();
		expect(a.violations).toEqual([]);
	});

	it('a part that keeps failing is told once per distinct failure, as an execution that fails with what to do; the cursor stays', async () => {
		const forbidden: CatchUpFailure = { part: 'products', statusCode: 403, error: 'Listing products (page 1) failed: HTTP 403 (forbidden)' };
		const gone: CatchUpFailure = { part: 'products', statusCode: 404, error: 'Listing products (page 1) failed: HTTP 404 (not found)' };
		// listings: 403, 403, 404, works, 403
		const plan = [[forbidden], [forbidden], [gone], [], [forbidden]];
		const storedSince = new Date(Date.now() - HOUR).toISOString();
		const a = activation({ stored: { [CATCH_UP_FIELD]: { format: 1, since: storedSince } }, failures: (call) => plan[call] ?? [] });
		const problems = () => a.executions.filter((e) => (e.items[0].json.catchUp as IDataObject | undefined)?.problem !== undefined);
		const tick = async (n: number) => {
			if (n > 0) a.crons[0].onTick();
			await waitFor(`listing ${n + 1}`, () => a.listCalls.length === n + 1 && a.executions.every((e) => e.ended), () => a.logger.text());
			// the run waits for its executions in steps of 250 ms (schedule.ts): let it end
			await new Promise((resolve) => setTimeout(resolve, 400));
		};
		await tick(0);
		expect(problems()).toHaveLength(1);
		await tick(1);
		expect(problems()).toHaveLength(1); // the same failure again: not told again
		await tick(2);
		expect(problems()).toHaveLength(2); // another failure of the same part
		await tick(3);
		await tick(4);
		expect(problems()).toHaveLength(3); // it worked in between, so the 403 is news again
		// while the part failed, the cursor stayed: each window started from the stored cursor
		expect(a.listCalls.slice(0, 3).map((c) => c.window.fromMs)).toEqual([0, 1, 2].map(() => Date.parse(storedSince) - 5 * MINUTE));
		// the problem item fails its execution with the part, the error and what to do
		const [first] = problems();
		const { ctx } = executeContext({ nodeName: NODE, workflowId: a.workflowId, staticData: new StaticDataRow(), logger: new RecordingLogger() }, first.items);
		expect(() => throwCatchUpProblem(ctx as never, first.items)).toThrow(
			/^Catch-up cannot list products: Listing products \(page 1\) failed: HTTP 403 \(forbidden\)\. The other parts are caught up as usual; .*give it that access, or deselect those events/,
		);
		// it never counts as a delivery: its execution fails before accepting anything
		expect(first.kept).toBeUndefined();
		expect(() => throwCatchUpProblem(ctx as never, [{ json: { source: 'catchUp', catchUp: { since: storedSince } } }])).not.toThrow();
		await a.response.closeFunction!();
		expect(a.violations).toEqual([]);
	});

	it('the parts read to the end while another failed are stored with the cursor (by the next execution, or a bookkeeping one once a day ahead), and the next activation lists them from there', async () => {
		const forbidden: CatchUpFailure = { part: 'products', statusCode: 403, error: 'Listing products (page 1) failed: HTTP 403 (forbidden)' };
		// products has failed since a day ago: the other parts run a day ahead of the stored cursor
		const storedSinceMs = Date.now() - 25 * HOUR;
		const first = activation({
			stored: { [CATCH_UP_FIELD]: { format: 1, since: new Date(storedSinceMs).toISOString() } },
			failures: () => [forbidden],
			partsDone: ['invoices'],
			changes: (window) => (window.partFromMs ? [keyRecord('invoice-2', Date.now() - MINUTE)] : [keyRecord('invoice-1', storedSinceMs + MINUTE)]),
		});
		const ended = (a: typeof first, n: number) => a.executions.length === n && a.executions.every((e) => e.ended);
		// invoice-1, the problem (fails before storing anything), and a bookkeeping execution: invoices are a day ahead
		await waitFor('the first run', () => first.runsLogged() === 1 && ended(first, 3), () => first.logger.text());
		const firstEnd = first.listCalls[0].window.toMs;
		const kinds = first.executions.map((e) => Object.keys(e.items[0].json.catchUp as IDataObject).filter((k) => k === 'problem' || k === 'bookkeeping').join() || 'change');
		expect(kinds).toEqual(['change', 'problem', 'bookkeeping']);
		expect(readStoredCursor(first.saved())).toEqual({ cursorMs: storedSinceMs, partsMs: { invoices: firstEnd } });

		// the next run's execution carries the parts as the run began: no second bookkeeping execution
		first.crons[0].onTick();
		await waitFor('the second run', () => first.runsLogged() === 2 && ended(first, 4), () => first.logger.text());
		expect(first.executions[3].items[0].json.deliveryKey).toBe('invoice-2');
		expect(readCursorFields(first.executions[3].items[0].json.catchUp)?.partsMs).toEqual({ invoices: firstEnd });
		await new Promise((resolve) => setTimeout(resolve, 300));
		expect(first.executions).toHaveLength(4);
		await first.response.closeFunction!();
		const stored = first.saved();

		// n8n restarts: the next activation reads the stored cursor, and lists invoices from their time
		const second = activation({ stored, failures: () => [forbidden], partsDone: ['invoices'] });
		await waitFor('the next run', () => second.runsLogged() === 1, () => second.logger.text());
		const storedParts = readStoredCursor(stored)?.partsMs as Record<string, number>;
		expect(storedParts.invoices).toBeGreaterThanOrEqual(firstEnd);
		expect(second.listCalls[0].window).toMatchObject({ fromMs: storedSinceMs - 5 * MINUTE, partFromMs: { invoices: storedParts.invoices - 5 * MINUTE } });
		expect(second.logger.text()).toContain(`resuming from ${new Date(storedSinceMs).toISOString()} (invoices from later)`);
		await second.response.closeFunction!();
		expect([...first.violations, ...second.violations]).toEqual([]);
	});

	it('the throwing static data really throws (the proxy is not a no-op)', () => {
		const violations: string[] = [];
		const data = readOnlyDeep({ a: { b: [1] } } as IDataObject, violations);
		expect(() => ((data.a as IDataObject).c = 1)).toThrow();
		expect(() => ((data.a as { b: number[] }).b.push(2))).toThrow();
		expect(() => delete data.a).toThrow();
		expect(JSON.parse(JSON.stringify(data))).toEqual({ a: { b: [1] } });
		expect(violations).toHaveLength(3);
	});

	it('manual mode: returns {} and registers no cron', () => {
		const a = activation({ stored: {}, mode: 'manual' });
		expect(a.response).toEqual({});
		expect(a.crons).toHaveLength(0);
	});

	it('registers a 6-field cron at the interval', async () => {
		const a = activation({ stored: { [CATCH_UP_FIELD]: { format: 1, since: new Date().toISOString() } }, settings: { intervalMinutes: 5 } });
		expect(a.crons).toHaveLength(1);
		expect(a.crons[0].expression).toMatch(/^([0-9]|[1-5][0-9]) \*\/5 \* \* \* \*$/);
		await a.response.closeFunction!();
	});
});

describe('cronExpression', () => {
	it("is n8n's six-field form, seconds first", () => {
		expect(cronExpression(5, 7)).toBe('7 */5 * * * *');
		expect(cronExpression(60, 7)).toBe('7 0 * * * *');
		expect(cronExpression(0, 3)).toBe('3 */1 * * * *');
		expect(cronExpression(500, 3)).toBe('3 0 * * * *');
	});
});
