/**
 * One catch-up run (nodes/shared/catchUp/run.ts) without n8n: a fake vendor listing, a fake emit
 * standing in for n8n's executions, and the real duplicate memory (a MemorySession over a plain
 * object, sharing this process's DuplicateMemory with the "executions" and "webhooks" below, as
 * they do in regular mode).
 */
import type { IDataObject, INodeExecutionData } from 'n8n-workflow';

import { CATCH_UP_FIELD, commitCursor, cursorFields, newerCursor, OVERLAP_MS, readCursor, readCursorFields, readStoredCursor } from '../../nodes/shared/catchUp/cursor';
import { runCatchUp } from '../../nodes/shared/catchUp/run';
import type { CatchUpState, RunDeps } from '../../nodes/shared/catchUp/run';
import type { CatchUpResume, CatchUpBounds, CatchUpListing, CatchUpRecord, CatchUpWindow } from '../../nodes/shared/catchUp/types';
import { MemorySession } from '../../nodes/shared/duplicateMemory/staticData';
import type { MemoryPlace } from '../../nodes/shared/duplicateMemory/staticData';
import { hashDeliveryKey } from '../../nodes/shared/duplicateMemory/store';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const LIMITS = { maxAgeMs: 48 * HOUR, maxEntries: 1000 };
const BOUNDS: CatchUpBounds = { maxPages: 10, maxRecords: 50 };
const SETTLE_MS = 2 * MINUTE;

let counter = 0;

function record(key: string, changedAtMs: number, extra: IDataObject = {}): CatchUpRecord {
	return { key, changedAtMs, json: { vendorField: key, ...extra } };
}

interface ListCall {
	window: CatchUpWindow;
	bounds: CatchUpBounds;
	handled: Record<string, boolean>;
	resume?: CatchUpResume;
}

/**
 * A run's world. `listing` is what the vendor shows next (the fake asks `isHandled` about every key
 * and records the answers, and hands back every record unless `filterHandled`); `execution` is what
 * an emitted execution does (default: as the trigger's execute() in regular mode, it accepts the
 * key in this process's memory, then ends successfully).
 */
function world(start: { cursorMs: number; nowMs: number }) {
	const workflowId = `catchup-run-${++counter}-${Math.random()}`;
	const place = (staticData: IDataObject = {}): MemoryPlace => ({
		staticData,
		workflowId,
		nodeName: 'Trigger',
		log: () => undefined,
	});
	const w = {
		nowMs: start.nowMs,
		state: { cursorMs: start.cursorMs } as CatchUpState,
		listing: { records: [], complete: true, requests: 1 } as CatchUpListing,
		filterHandled: false,
		listCalls: [] as ListCall[],
		emitted: [] as INodeExecutionData[][],
		/** what one execution does with its items; return the promise emit hands the runner */
		execution: (items: INodeExecutionData[]): Promise<boolean> | undefined => {
			w.accept(String(items[0].json.deliveryKey));
			return Promise.resolve(true);
		},
		waitAtMost: async <T>(promise: Promise<T>): Promise<T | undefined> => await promise,
		waitWhileRunning: async <T>(promise: Promise<T>): Promise<T | undefined> => await promise,
		/** a fresh session over a plain object, as the trigger's timer uses */
		session: () => new MemorySession(place(), LIMITS),
		/** an execution (or a webhook request) accepting a key in this process's memory */
		accept: (key: string) => {
			const s = new MemorySession(place(), LIMITS);
			s.accept(hashDeliveryKey(key));
		},
		held: (key: string) => new MemorySession(place(), LIMITS).holds(hashDeliveryKey(key)),
		run: async () => {
			const deps: RunDeps = {
				list: async (window, bounds, isHandled, resume) => {
					const handled: Record<string, boolean> = {};
					for (const r of w.listing.records) handled[r.key] = isHandled(r.key);
					w.listCalls.push({ window, bounds, handled, resume });
					return {
						...w.listing,
						records: w.filterHandled ? w.listing.records.filter((r) => !handled[r.key]) : w.listing.records,
					};
				},
				memory: w.session(),
				emit: (items) => {
					w.emitted.push(items);
					return w.execution(items);
				},
				waitAtMost: w.waitAtMost,
				waitWhileRunning: w.waitWhileRunning,
				now: () => w.nowMs,
				settleMs: SETTLE_MS,
				bounds: BOUNDS,
			};
			return await runCatchUp(w.state, deps);
		},
		emittedKeys: () => w.emitted.map((items) => items[0].json.deliveryKey),
	};
	return w;
}

const T0 = Date.now() - HOUR;

describe('runCatchUp: slow workflows (issue 19, finding 7)', () => {
	it('an execution that runs longer than the wait is waited for, not emitted again, and the next starts only after it ended; the cursor moves', async () => {
		const w = world({ cursorMs: T0, nowMs: T0 + 30 * MINUTE });
		w.listing = { records: [record('slow-1', T0 + MINUTE), record('slow-2', T0 + 2 * MINUTE)], complete: true, requests: 1 };
		const timeline: string[] = [];
		let running = 0;
		w.execution = (items) => {
			const key = String(items[0].json.deliveryKey);
			// execute() accepts the key first thing, then the workflow runs for a long time
			w.accept(key);
			running++;
			timeline.push(`start ${key} (${running} running)`);
			return new Promise((resolve) =>
				setTimeout(() => {
					running--;
					timeline.push(`end ${key}`);
					resolve(true);
				}, 50),
			);
		};
		// the bounded wait runs out long before the execution ends
		w.waitAtMost = async () => undefined;
		const report = await w.run();
		expect(timeline).toEqual(['start slow-1 (1 running)', 'end slow-1', 'start slow-2 (1 running)', 'end slow-2']);
		expect(report).toMatchObject({ emitted: 2, handled: 2, complete: true, cursorMoved: true });
		// the next run emits nothing again
		w.filterHandled = true;
		expect((await w.run()).emitted).toBe(0);
		expect(w.emittedKeys()).toEqual(['slow-1', 'slow-2']);
	});

	it('an execution that never started (its key not accepted) is still given up after the bounded wait: the claim is released and the run stops', async () => {
		const w = world({ cursorMs: T0, nowMs: T0 + 30 * MINUTE });
		w.listing = { records: [record('lost', T0 + MINUTE), record('next', T0 + 2 * MINUTE)], complete: true, requests: 1 };
		w.execution = () => new Promise(() => undefined);
		w.waitAtMost = async () => undefined;
		w.waitWhileRunning = async () => {
			throw new Error('waited for an execution that never accepted its key');
		};
		const report = await w.run();
		expect(report).toMatchObject({ emitted: 1, handled: 0, complete: false, cursorMoved: false });
		expect(w.held('lost')).toBe(false);
		expect(w.session().claim('lost').verdict).toBe('new');
	});
});

describe('runCatchUp: the cursor', () => {
	it('a scan that ends with failed parts is over: the cursor stays, the next run lists a new window from it (so the failed part is tried again and the others find new changes)', async () => {
		const w = world({ cursorMs: T0, nowMs: T0 + 30 * MINUTE });
		const failures = [{ part: 'products', statusCode: 403, error: 'Listing products (page 1) failed: HTTP 403' }];
		w.listing = { records: [record('a', T0 + MINUTE)], complete: false, requests: 5, failures, error: failures[0].error };
		const first = await w.run();
		expect(first).toMatchObject({ emitted: 1, handled: 1, complete: false, cursorMoved: false, failures });
		expect(w.state.scan).toBeUndefined();
		expect(w.state.cursorMs).toBe(T0);
		w.nowMs += 30 * MINUTE;
		w.listing = { records: [record('b', T0 + 40 * MINUTE)], complete: true, requests: 5 };
		const second = await w.run();
		// a new window: from the cursor that stayed (with the overlap) to now, from the listing's start
		expect(w.listCalls[1].window).toEqual({ fromMs: T0 - 5 * MINUTE, toMs: w.nowMs - SETTLE_MS });
		expect(w.listCalls[1].resume).toBeUndefined();
		expect(second).toMatchObject({ complete: true, cursorMoved: true });
		expect(w.state.cursorMs).toBe(w.nowMs - SETTLE_MS);
	});

	it('a part that fails holds only its own window back: the parts read to the end are listed from that end on, the cursor stays for the failed part, and a complete scan moves it past all (issue 19, item 2)', async () => {
		const w = world({ cursorMs: T0, nowMs: T0 + 30 * MINUTE });
		const failures = [{ part: 'products', statusCode: 403, error: 'Listing products (page 1) failed: HTTP 403' }];
		const failing = (records: CatchUpRecord[]): CatchUpListing => ({
			records,
			complete: false,
			requests: 5,
			failures,
			error: failures[0].error,
			partsDone: ['pick_tickets', 'invoices'],
		});
		w.listing = failing([record('a', T0 + MINUTE)]);
		await w.run();
		const firstEnd = T0 + 30 * MINUTE - SETTLE_MS;
		expect(w.state.cursorMs).toBe(T0);
		expect(w.state.partCursorMs).toEqual({ pick_tickets: firstEnd, invoices: firstEnd });
		w.nowMs += 30 * MINUTE;
		w.listing = failing([]);
		await w.run();
		// the failed part is listed from the cursor, the others from where they were read to
		expect(w.listCalls[1].window).toEqual({
			fromMs: T0 - OVERLAP_MS,
			toMs: w.nowMs - SETTLE_MS,
			partFromMs: { pick_tickets: firstEnd - OVERLAP_MS, invoices: firstEnd - OVERLAP_MS },
		});
		expect(w.state.partCursorMs).toEqual({ pick_tickets: w.nowMs - SETTLE_MS, invoices: w.nowMs - SETTLE_MS });
		// the part works again: the scan completes, the cursor moves past every part
		w.nowMs += 30 * MINUTE;
		w.listing = { records: [record('p', T0 + 2 * MINUTE)], complete: true, requests: 5 };
		const recovered = await w.run();
		expect(recovered).toMatchObject({ complete: true, cursorMoved: true });
		expect(w.state.cursorMs).toBe(w.nowMs - SETTLE_MS);
		expect(w.state.partCursorMs).toBeUndefined();
		w.nowMs += 10 * MINUTE;
		await w.run();
		expect(w.listCalls[3].window.partFromMs).toBeUndefined();
	});

	it('a scan with a failed part that was not clean moves no part', async () => {
		const w = world({ cursorMs: T0, nowMs: T0 + 30 * MINUTE });
		const failures = [{ part: 'products', error: 'Listing products (page 1) failed: HTTP 403' }];
		w.listing = { records: [record('a', T0 + MINUTE)], complete: false, requests: 5, failures, partsDone: ['invoices'] };
		w.execution = () => Promise.resolve(false);
		await w.run();
		expect(w.state.partCursorMs).toBeUndefined();
		w.nowMs += 30 * MINUTE;
		await w.run();
		expect(w.listCalls[1].window.partFromMs).toBeUndefined();
	});

	it('hands the listing the floor, so nothing a vendor reaches back for is older than the first activation', async () => {
		const w = world({ cursorMs: T0, nowMs: T0 + 30 * MINUTE });
		w.state.floorMs = T0 - MINUTE;
		await w.run();
		expect(w.listCalls[0].window).toEqual({ fromMs: T0 - MINUTE, toMs: T0 + 30 * MINUTE - SETTLE_MS, floorMs: T0 - MINUTE });
	});

	it('a window read over several runs keeps its window and goes on where the last run stopped; the cursor moves at its end, if every run was clean', async () => {
		const w = world({ cursorMs: T0, nowMs: T0 + 30 * MINUTE });
		w.listing = { records: [record('a', T0 + MINUTE)], complete: false, requests: 1, resume: { parts: { p0: { afterId: 2 } } } };
		const first = await w.run();
		expect(first).toMatchObject({ emitted: 1, handled: 1, complete: false, cursorMoved: false });
		const window = w.listCalls[0].window;
		// later runs: same window (not now - settle), from where the last one stopped
		w.nowMs += 30 * MINUTE;
		w.listing = { records: [record('b', T0 + 2 * MINUTE)], complete: false, requests: 1, resume: { parts: { p1: { afterId: 1 } } } };
		await w.run();
		expect(w.listCalls[1]).toMatchObject({ window, resume: { parts: { p0: { afterId: 2 } } } });
		w.listing = { records: [record('c', T0 + 3 * MINUTE)], complete: true, requests: 1 };
		const last = await w.run();
		expect(w.listCalls[2]).toMatchObject({ window, resume: { parts: { p1: { afterId: 1 } } } });
		expect(last).toMatchObject({ complete: true, cursorMoved: true });
		expect(w.state.cursorMs).toBe(window.toMs);
		// the next run starts a new window from the cursor, from the start of the listing
		await w.run();
		expect(w.listCalls[3].resume).toBeUndefined();
		expect(w.listCalls[3].window.toMs).toBe(w.nowMs - SETTLE_MS);
	});

	it('a scan in which one run was not clean ends without moving the cursor, and the next scan reads the window again', async () => {
		const w = world({ cursorMs: T0, nowMs: T0 + 30 * MINUTE });
		w.listing = { records: [record('fails', T0 + MINUTE)], complete: false, requests: 1, resume: { parts: { p0: { afterId: 2 } } } };
		w.execution = () => Promise.resolve(false);
		await w.run();
		w.execution = (items) => {
			w.accept(String(items[0].json.deliveryKey));
			return Promise.resolve(true);
		};
		w.listing = { records: [record('ok', T0 + 2 * MINUTE)], complete: true, requests: 1 };
		const end = await w.run();
		expect(end).toMatchObject({ complete: true, cursorMoved: false });
		expect(w.state.cursorMs).toBe(T0);
		w.listing = { records: [record('fails', T0 + MINUTE), record('ok', T0 + 2 * MINUTE)], complete: true, requests: 1 };
		w.filterHandled = true;
		w.emitted = [];
		const again = await w.run();
		expect(w.listCalls[2].resume).toBeUndefined();
		expect(w.emittedKeys()).toEqual(['fails']);
		expect(again).toMatchObject({ cursorMoved: true });
	});

	it('moves to now - settle after a complete listing whose every emitted change was handled', async () => {
		const w = world({ cursorMs: T0, nowMs: T0 + 30 * MINUTE });
		w.listing = { records: [record('k1', T0 + MINUTE), record('k2', T0 + 2 * MINUTE)], complete: true, requests: 2 };
		const report = await w.run();
		expect(w.listCalls).toHaveLength(1);
		// the window starts an overlap before the cursor and ends a settle delay before now
		expect(w.listCalls[0].window).toEqual({ fromMs: T0 - OVERLAP_MS, toMs: T0 + 30 * MINUTE - SETTLE_MS });
		expect(w.listCalls[0].bounds).toEqual(BOUNDS);
		expect(w.emittedKeys()).toEqual(['k1', 'k2']);
		expect(report).toMatchObject({ listed: 2, emitted: 2, handled: 2, inFlight: 0, requests: 2, complete: true, cursorMoved: true });
		expect(w.state.cursorMs).toBe(T0 + 30 * MINUTE - SETTLE_MS);
		expect(w.held('k1') && w.held('k2')).toBe(true);
	});

	it('moves over an empty window listing too (nothing changed)', async () => {
		const w = world({ cursorMs: T0, nowMs: T0 + 10 * MINUTE });
		const report = await w.run();
		expect(report.cursorMoved).toBe(true);
		expect(w.state.cursorMs).toBe(T0 + 8 * MINUTE);
	});

	it('does not list at all when now - settle is not after the cursor', async () => {
		const w = world({ cursorMs: T0, nowMs: T0 + SETTLE_MS });
		const report = await w.run();
		expect(report.skipped).toBe('emptyWindow');
		expect(w.listCalls).toHaveLength(0);
		expect(w.state.cursorMs).toBe(T0);
	});

	it('stays when the listing was incomplete (pages left), though what was listed is emitted', async () => {
		const w = world({ cursorMs: T0, nowMs: T0 + 30 * MINUTE });
		w.listing = { records: [record('k1', T0 + MINUTE)], complete: false, requests: 10, error: 'page cap' };
		const report = await w.run();
		expect(w.emittedKeys()).toEqual(['k1']);
		expect(report).toMatchObject({ emitted: 1, handled: 1, complete: false, cursorMoved: false, error: 'page cap' });
		expect(w.state.cursorMs).toBe(T0);
	});

	it('stays when an execution did not succeed; its claim is released and the next run emits the change again', async () => {
		const w = world({ cursorMs: T0, nowMs: T0 + 30 * MINUTE });
		w.listing = { records: [record('ok', T0 + MINUTE), record('failed', T0 + 2 * MINUTE)], complete: true, requests: 1 };
		w.execution = (items) => {
			const key = String(items[0].json.deliveryKey);
			if (key === 'ok') {
				w.accept(key);
				return Promise.resolve(true);
			}
			return Promise.resolve(false); // e.g. the credential check failed before any node ran
		};
		const report = await w.run();
		expect(report).toMatchObject({ emitted: 2, handled: 1, complete: true, cursorMoved: false });
		expect(w.state.cursorMs).toBe(T0);
		expect(w.held('failed')).toBe(false);
		// released, not in flight: a new claim gets it
		const probe = w.session().claim('failed');
		expect(probe.verdict).toBe('new');
		w.session().release(probe.hashedKey);

		w.emitted = [];
		w.nowMs += 5 * MINUTE;
		w.execution = (items) => {
			w.accept(String(items[0].json.deliveryKey));
			return Promise.resolve(true);
		};
		const again = await w.run();
		expect(w.emittedKeys()).toEqual(['failed']);
		expect(again).toMatchObject({ emitted: 1, handled: 1, cursorMoved: true });
		expect(w.state.cursorMs).toBe(w.nowMs - SETTLE_MS);
	});

	it('stays when a change is in flight (a webhook request is processing it), and does not emit it', async () => {
		const w = world({ cursorMs: T0, nowMs: T0 + 30 * MINUTE });
		const webhook = w.session().claim('busy');
		expect(webhook.verdict).toBe('new');
		w.listing = { records: [record('busy', T0 + MINUTE), record('free', T0 + 2 * MINUTE)], complete: true, requests: 1 };
		const report = await w.run();
		expect(w.emittedKeys()).toEqual(['free']);
		expect(report).toMatchObject({ emitted: 1, handled: 1, inFlight: 1, cursorMoved: false });
		expect(w.state.cursorMs).toBe(T0);
		// the webhook's claim is still its own
		expect(w.session().claim('busy').verdict).toBe('inFlight');
		w.session().accept(webhook.hashedKey);
	});

	it('stays when the bounded wait for an execution runs out: the run stops there, the open claim is released, so the change is not held back for good', async () => {
		const w = world({ cursorMs: T0, nowMs: T0 + 30 * MINUTE });
		w.listing = { records: [record('lost', T0 + MINUTE), record('next', T0 + 2 * MINUTE)], complete: true, requests: 1 };
		// 'lost': n8n never reports the execution (it failed to start)
		w.execution = () => new Promise<boolean>(() => undefined);
		w.waitAtMost = async () => undefined;
		const report = await w.run();
		// one execution at a time: the run stopped at the first that did not end in time
		expect(report).toMatchObject({ emitted: 1, handled: 0, complete: false, cursorMoved: false });
		expect(w.state.cursorMs).toBe(T0);
		// next run: the lost change is emitted again, then the next one
		w.emitted = [];
		w.execution = (items) => {
			w.accept(String(items[0].json.deliveryKey));
			return Promise.resolve(true);
		};
		w.waitAtMost = async (p) => await p;
		w.listing = { records: [record('lost', T0 + MINUTE), record('next', T0 + 2 * MINUTE)], complete: true, requests: 1 };
		const next = await w.run();
		expect(w.emittedKeys()).toEqual(['lost', 'next']);
		// the scan that began with the timeout was not clean: it ends without moving the cursor, and
		// the next scan (everything now held) moves it
		expect(next).toMatchObject({ emitted: 2, handled: 2, inFlight: 0, cursorMoved: false });
		w.filterHandled = true;
		expect(await w.run()).toMatchObject({ emitted: 0, cursorMoved: true });
	});

	it('stays when the trigger was closed (emit returns undefined); the claim is released', async () => {
		const w = world({ cursorMs: T0, nowMs: T0 + 30 * MINUTE });
		w.listing = { records: [record('k', T0 + MINUTE)], complete: true, requests: 1 };
		w.execution = () => undefined;
		const report = await w.run();
		expect(w.emitted).toHaveLength(1);
		expect(report).toMatchObject({ emitted: 0, handled: 0, cursorMoved: false });
		expect(w.state.cursorMs).toBe(T0);
		const probe = w.session().claim('k');
		expect(probe.verdict).toBe('new');
		w.session().release(probe.hashedKey);
	});
});

describe('runCatchUp: the items', () => {
	it('carry the delivery key, the run time, source catchUp and the cursor from before the run', async () => {
		const w = world({ cursorMs: T0, nowMs: T0 + 30 * MINUTE });
		const binary = { data: { data: 'aGk=', mimeType: 'text/plain' } };
		w.listing = {
			records: [{ ...record('k1', T0 + MINUTE, { source: 'webhook', deliveryKey: 'from-vendor' }), binary }],
			complete: true,
			requests: 1,
		};
		await w.run();
		expect(w.emitted).toHaveLength(1);
		const [item] = w.emitted[0];
		expect(item.json).toEqual({
			vendorField: 'k1',
			deliveryKey: 'k1',
			receivedAt: new Date(T0 + 30 * MINUTE).toISOString(),
			source: 'catchUp',
			catchUp: { runAt: new Date(T0 + 30 * MINUTE).toISOString(), since: new Date(T0).toISOString() },
		});
		expect(item.binary).toEqual(binary);
		// the cursor moved, but the item said where it stood before
		expect(w.state.cursorMs).toBe(T0 + 28 * MINUTE);

		// the next run's items carry the moved cursor
		w.emitted = [];
		w.nowMs += 10 * MINUTE;
		w.listing = { records: [record('k2', T0 + 35 * MINUTE)], complete: true, requests: 1 };
		await w.run();
		expect((w.emitted[0][0].json.catchUp as IDataObject).since).toBe(new Date(T0 + 28 * MINUTE).toISOString());
	});

	it('one execution per change', async () => {
		const w = world({ cursorMs: T0, nowMs: T0 + 30 * MINUTE });
		w.listing = { records: ['a', 'b', 'c'].map((k, i) => record(k, T0 + i * MINUTE)), complete: true, requests: 1 };
		await w.run();
		expect(w.emitted.map((items) => items.length)).toEqual([1, 1, 1]);
	});
});

describe('runCatchUp: what is already held', () => {
	it('isHandled tells the listing which keys are held; a held key the listing returns anyway is not emitted', async () => {
		const w = world({ cursorMs: T0, nowMs: T0 + 30 * MINUTE });
		w.accept('delivered-by-webhook');
		w.listing = {
			records: [record('delivered-by-webhook', T0 + MINUTE), record('missed', T0 + 2 * MINUTE)],
			complete: true,
			requests: 1,
		};
		const report = await w.run();
		expect(w.listCalls[0].handled).toEqual({ 'delivered-by-webhook': true, missed: false });
		expect(w.emittedKeys()).toEqual(['missed']);
		// a duplicate is neither emitted nor in flight: the cursor moves
		expect(report).toMatchObject({ listed: 2, emitted: 1, handled: 1, inFlight: 0, cursorMoved: true });
	});

	it('a listing that leaves held keys out emits only the rest', async () => {
		const w = world({ cursorMs: T0, nowMs: T0 + 30 * MINUTE });
		w.accept('a');
		w.filterHandled = true;
		w.listing = { records: [record('a', T0 + MINUTE), record('b', T0 + 2 * MINUTE)], complete: true, requests: 1 };
		const report = await w.run();
		expect(w.emittedKeys()).toEqual(['b']);
		expect(report.listed).toBe(1);
	});

	it('a change emitted by one run is not emitted by the next (its key is held)', async () => {
		const w = world({ cursorMs: T0, nowMs: T0 + 30 * MINUTE });
		w.listing = { records: [record('once', T0 + 27 * MINUTE)], complete: true, requests: 1 };
		await w.run();
		w.nowMs += 5 * MINUTE;
		await w.run(); // the overlap lists it again
		expect(w.listCalls[1].window.fromMs).toBeLessThan(T0 + 27 * MINUTE);
		expect(w.emittedKeys()).toEqual(['once']);
	});
});

describe('runCatchUp: backoff', () => {
	it("a listing with the vendor's Retry-After makes the runs before then skip without listing", async () => {
		const w = world({ cursorMs: T0, nowMs: T0 + 30 * MINUTE });
		w.listing = { records: [], complete: false, requests: 1, error: '429', retryAfterMs: 10 * MINUTE };
		const first = await w.run();
		expect(first).toMatchObject({ complete: false, cursorMoved: false, error: '429' });
		expect(w.state.backoffUntilMs).toBe(T0 + 40 * MINUTE);

		w.listing = { records: [record('k', T0 + MINUTE)], complete: true, requests: 1 };
		w.nowMs = T0 + 40 * MINUTE - 1;
		const skipped = await w.run();
		expect(skipped.skipped).toBe('backoff');
		expect(w.listCalls).toHaveLength(1);
		expect(w.emitted).toHaveLength(0);
		expect(w.state.cursorMs).toBe(T0);

		w.nowMs = T0 + 40 * MINUTE;
		const resumed = await w.run();
		expect(w.listCalls).toHaveLength(2);
		expect(w.emittedKeys()).toEqual(['k']);
		expect(resumed.cursorMoved).toBe(true);
	});
});

describe('runCatchUp: queue mode', () => {
	it('an execution that succeeded elsewhere (a worker) is accepted here and counted handled', async () => {
		const w = world({ cursorMs: T0, nowMs: T0 + 30 * MINUTE });
		w.listing = { records: [record('on-worker', T0 + MINUTE)], complete: true, requests: 1 };
		// the worker's execute() accepted the key in its own memory, not in this one
		w.execution = () => Promise.resolve(true);
		const report = await w.run();
		expect(report).toMatchObject({ emitted: 1, handled: 1, cursorMoved: true });
		expect(w.held('on-worker')).toBe(true);
		// so the next run does not emit it again
		w.emitted = [];
		w.nowMs += MINUTE;
		w.state.cursorMs = T0; // the same window once more
		await w.run();
		expect(w.emitted).toHaveLength(0);
	});

	it('an execution that failed elsewhere is released, not accepted', async () => {
		const w = world({ cursorMs: T0, nowMs: T0 + 30 * MINUTE });
		w.listing = { records: [record('lost', T0 + MINUTE)], complete: true, requests: 1 };
		w.execution = () => Promise.resolve(false);
		const report = await w.run();
		expect(report).toMatchObject({ emitted: 1, handled: 0, cursorMoved: false });
		expect(w.held('lost')).toBe(false);
	});
});

describe('the cursor with parts ahead of it (issue 19, item 2)', () => {
	const at = (minutes: number) => T0 + minutes * MINUTE;
	const iso = (ms: number) => new Date(ms).toISOString();

	it('is written and read back as { since, start, parts }, with only the parts later than since', () => {
		const fields = cursorFields({ cursorMs: at(0), startMs: at(-60), partsMs: { invoices: at(30), pick_tickets: at(20), products: at(0) } });
		expect(fields).toEqual({ since: iso(at(0)), start: iso(at(-60)), parts: { invoices: iso(at(30)), pick_tickets: iso(at(20)) } });
		expect(readCursorFields(fields)).toEqual({ cursorMs: at(0), startMs: at(-60), partsMs: { invoices: at(30), pick_tickets: at(20) } });
		// a part that is not a time is left out (listed from since: more, never less)
		expect(readCursorFields({ since: iso(at(0)), parts: { invoices: 'soon', products: 7 } })).toEqual({ cursorMs: at(0) });
	});

	it('newerCursor gives each part the later of the two times the cursors give it', () => {
		const a = { cursorMs: at(0), partsMs: { invoices: at(30) } };
		const b = { cursorMs: at(10), partsMs: { products: at(20) } };
		// invoices: max(30, b's since 10); products: max(a's since 0, 20); since: 10
		expect(newerCursor(a, b)).toEqual({ cursorMs: at(10), partsMs: { invoices: at(30), products: at(20) } });
		// a since past every part clears them
		expect(newerCursor(a, { cursorMs: at(40) })).toEqual({ cursorMs: at(40) });
	});

	it('commitCursor moves since and each part only forward, and tells whether it changed', () => {
		const data: IDataObject = {};
		expect(commitCursor(data, { cursorMs: at(0), partsMs: { invoices: at(30) } })).toBe(true);
		expect(commitCursor(data, { cursorMs: at(0), partsMs: { invoices: at(20) } })).toBe(false);
		expect(commitCursor(data, { cursorMs: at(-10) })).toBe(false);
		expect(readStoredCursor(data)).toEqual({ cursorMs: at(0), partsMs: { invoices: at(30) } });
		expect(commitCursor(data, { cursorMs: at(0), partsMs: { products: at(5) } })).toBe(true);
		expect(readStoredCursor(data)).toEqual({ cursorMs: at(0), partsMs: { invoices: at(30), products: at(5) } });
		// what a reader that knows only since finds: the oldest part's time
		expect(readCursor(data)).toBe(at(0));
		expect((data[CATCH_UP_FIELD] as IDataObject).format).toBe(1);
	});

	it('a catch-up item carries the parts the state had handled when the run began', async () => {
		const w = world({ cursorMs: T0, nowMs: T0 + 30 * MINUTE });
		w.state.partCursorMs = { invoices: T0 + 10 * MINUTE };
		w.listing = { records: [record('a', T0 + 20 * MINUTE)], complete: true, requests: 1 };
		await w.run();
		expect(readCursorFields(w.emitted[0][0].json.catchUp)).toEqual({ cursorMs: T0, partsMs: { invoices: T0 + 10 * MINUTE } });
	});
});
