/**
 * Issue 19, item 8: an Uplift catch-up run with nothing new costs a small constant, not a read of
 * every `/captures` page. The real runner (nodes/shared/catchUp/run.ts) with the real listing and
 * probe (nodes/UpliftTrigger/upliftCatchUp.ts) against the fake Uplift over loopback HTTP, and the
 * real duplicate memory. The fake's list order is varied: Uplift documents none.
 */
import type { IDataObject, IHttpRequestOptions } from 'n8n-workflow';

import { runCatchUp } from '../../nodes/shared/catchUp/run';
import type { CatchUpState, RunDeps, RunReport } from '../../nodes/shared/catchUp/run';
import { MemorySession } from '../../nodes/shared/duplicateMemory/staticData';
import { hashDeliveryKey } from '../../nodes/shared/duplicateMemory/store';
import type { SendRequest } from '../../nodes/shared/vendorHttp';
import {
	listUpliftChanges,
	probeUpliftCaptures,
	upliftCaptureKey,
} from '../../nodes/UpliftTrigger/upliftCatchUp';
import { upliftApiSend } from './helpers/n8nStubs';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const fakeUplift = require('../support/fakeUplift');

type Fake = Awaited<ReturnType<typeof fakeUplift.start>>;
interface LoggedRequest {
	method: string;
	path: string;
	query: string;
}

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const T0 = Date.parse('2026-03-01T12:00:00Z');
const LIMITS = { maxAgeMs: 7 * 24 * HOUR, maxEntries: 100_000 };
const iso = (ms: number) => new Date(ms).toISOString().replace('.000Z', 'Z');
const uuid = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
/** an id that sorts between uuid(599) and uuid(600): in id order, a capture in the middle */
const MIDDLE = `${uuid(599)}5`;

let fake: Fake;
let counter = 0;
beforeEach(async () => {
	fake = await fakeUplift.start();
	fake.setExportPolls(0);
});
afterEach(async () => {
	await fake.close();
});

/** n8n's request helper with the `upliftApi` credential's Bearer header; `edit` may change an answer. */
const sendVia = (f: Fake, edit?: (body: IDataObject, options: IHttpRequestOptions) => void): SendRequest => upliftApiSend(f.apiKey, edit);

const captureAt = (id: string, atMs: number) => ({
	session_id: id,
	athlete_id: `athlete-${id.length % 7}`,
	activity: 'jump',
	movement: 'single_leg',
	status: 'completed',
	capture_time: iso(atMs),
});

function addCaptures(from: number, count: number, atMs: (i: number) => number) {
	for (let i = from; i < from + count; i++) fake.addCapture(captureAt(uuid(i), atMs(i)));
}

/**
 * One Uplift Trigger's catch-up in one process: its state, its memory, and executions that accept
 * their key (as the trigger's execute() does), over the fake. `send` may be swapped.
 */
function trigger(cursorMs: number, send: SendRequest = sendVia(fake)) {
	const workflowId = `uplift-quiet-${++counter}`;
	const place = () => ({ staticData: {}, workflowId, nodeName: 'Uplift Trigger', log: () => undefined });
	const t = {
		state: { cursorMs, floorMs: cursorMs } as CatchUpState,
		nowMs: cursorMs,
		send,
		emitted: [] as string[],
		run: async (): Promise<RunReport & { listCalls: number }> => {
			const before = fake.requests.length;
			const session = new MemorySession(place(), LIMITS);
			const deps: RunDeps = {
				list: listUpliftChanges(t.send, fake.apiBaseUrl, {
					processingAllowanceMs: 24 * HOUR,
					exportPollMs: 1,
				}),
				probe: probeUpliftCaptures(t.send, fake.apiBaseUrl),
				memory: {
					claim: (key) => session.claim(key),
					holds: (h) => session.holds(h),
					accept: (h) => session.accept(h),
					release: (h) => session.release(h),
				},
				emit: (items) => {
					const key = String(items[0].json.deliveryKey);
					t.emitted.push(key);
					new MemorySession(place(), LIMITS).accept(hashDeliveryKey(key));
					return Promise.resolve(true);
				},
				waitAtMost: async (p) => await p,
				waitWhileRunning: async (p) => await p,
				now: () => t.nowMs,
				settleMs: 2 * MINUTE,
				bounds: { maxPages: 100, maxRecords: 100 },
			};
			const report = await runCatchUp(t.state, deps);
			const listCalls = (fake.requests.slice(before) as LoggedRequest[]).filter(
				(r) => r.path === '/v1/captures',
			).length;
			return { ...report, listCalls };
		},
		/** runs every 30 minutes until `untilMs` */
		runUntil: async (untilMs: number) => {
			const reports: Array<RunReport & { listCalls: number }> = [];
			while (t.nowMs + 30 * MINUTE <= untilMs) {
				t.nowMs += 30 * MINUTE;
				reports.push(await t.run());
			}
			return reports;
		},
	};
	return t;
}

/** 1,200 completed captures from before the trigger's history, so three pages of 500. */
const HISTORY = 1_200;

describe('Uplift catch-up: a run with nothing new (issue 19, item 8)', () => {
	it.each(['added', 'newest', 'id'])(
		'costs 2 requests and leaves the cursor where the last full listing put it (list order %s)',
		async (order) => {
			fake.setCaptureOrder(order);
			addCaptures(0, HISTORY, (i) => T0 - 30 * 24 * HOUR + i * MINUTE);
			const t = trigger(T0);
			t.nowMs = T0 + 30 * MINUTE;
			const first = await t.run();
			// the first run: the probe (2), then every page (3)
			expect(first.listCalls).toBe(5);
			expect(first.cursorMoved).toBe(true);
			const cursor = t.state.cursorMs;

			const quiet = await t.runUntil(T0 + 6 * HOUR);
			expect(quiet.length).toBeGreaterThanOrEqual(10);
			for (const report of quiet) {
				expect(report.skipped).toBe('unchanged');
				expect(report.requests).toBe(2);
				expect(report.listCalls).toBe(2);
			}
			expect(t.state.cursorMs).toBe(cursor);
			expect(t.emitted).toEqual([]);
			const offsets = (fake.requests.slice(-2) as LoggedRequest[]).map((r) =>
				Object.fromEntries(new URLSearchParams(r.query)),
			);
			expect(offsets).toEqual([
				{ status: 'completed', limit: '1', offset: '0' },
				{ status: 'completed', limit: '1', offset: String(HISTORY - 1) },
			]);
		},
	);

	it.each(['added', 'newest', 'id'])(
		'a capture completed since is listed in full and emitted once (list order %s)',
		async (order) => {
			fake.setCaptureOrder(order);
			addCaptures(0, HISTORY, (i) => T0 - 30 * 24 * HOUR + i * MINUTE);
			const t = trigger(T0);
			await t.runUntil(T0 + 2 * HOUR);
			// captured an hour before it completed (inside the Processing Allowance); its id sorts
			// between the others, so in id order neither end changes and only the count does
			fake.addCapture({ ...captureAt(MIDDLE, t.nowMs - HOUR) });
			const after = await t.runUntil(T0 + 4 * HOUR);
			expect(after[0].skipped).toBeUndefined();
			expect(after[0].emitted).toBe(1);
			expect(after.slice(1).every((r) => r.skipped === 'unchanged')).toBe(true);
			expect(t.emitted).toEqual([upliftCaptureKey(MIDDLE)]);
		},
	);

	it('one capture completed while another was deleted (the count unchanged, neither at an end): listed by the full listing at most a day later, once, though the runs between were skipped', async () => {
		fake.setCaptureOrder('id');
		addCaptures(0, HISTORY, (i) => T0 - 30 * 24 * HOUR + i * MINUTE);
		const t = trigger(T0);
		t.state.floorMs = T0 - 7 * 24 * HOUR; // first activated a week ago
		await t.runUntil(T0 + 2 * HOUR);
		const cursor = t.state.cursorMs;
		// captured 20 hours before it completed: older than the cursor minus the overlap, so only a
		// window that still reaches back to the cursor (minus the allowance) lists it
		fake.addCapture(captureAt(MIDDLE, t.nowMs - 20 * HOUR));
		fake.deleteCapture(uuid(500));
		// the last full listing was the first run (T0 + 30 min): the runs up to a day after it are skipped
		const quiet = await t.runUntil(T0 + 24 * HOUR);
		expect(quiet.every((r) => r.skipped === 'unchanged')).toBe(true);
		expect(t.emitted).toEqual([]);
		expect(t.state.cursorMs).toBe(cursor);
		const later = await t.runUntil(T0 + 2 * HOUR + 27 * HOUR);
		expect(later.filter((r) => r.skipped === undefined)).toHaveLength(1);
		expect(t.emitted).toEqual([upliftCaptureKey(MIDDLE)]);
		expect(t.state.cursorMs).toBeGreaterThan(cursor);
	});

	it('a capture too recent for the window (inside the Settle Delay) makes the next run list in full, so it is emitted though the list does not change again', async () => {
		addCaptures(0, HISTORY, (i) => T0 - 30 * 24 * HOUR + i * MINUTE);
		const t = trigger(T0);
		await t.runUntil(T0 + HOUR);
		addCaptures(600_000, 1, () => t.nowMs + 30 * MINUTE - MINUTE); // 1 minute before the next run
		t.nowMs += 30 * MINUTE;
		const next = await t.run();
		expect(next.skipped).toBeUndefined(); // the count changed
		expect(next.emitted).toBe(0); // inside the Settle Delay
		const after = await t.runUntil(t.nowMs + HOUR);
		expect(after[0].skipped).toBeUndefined(); // the fingerprint is unchanged, but not trusted
		expect(t.emitted).toEqual([upliftCaptureKey(uuid(600_000))]);
		expect(after[1].skipped).toBe('unchanged');
	});

	it('after a restart (state from the stored cursor) the first run lists in full', async () => {
		addCaptures(0, HISTORY, (i) => T0 - 30 * 24 * HOUR + i * MINUTE);
		const t = trigger(T0);
		await t.runUntil(T0 + 2 * HOUR);
		expect(t.state.quiet).toBeDefined();
		const restarted = trigger(t.state.cursorMs);
		restarted.state.floorMs = T0;
		restarted.nowMs = t.nowMs;
		const first = await restarted.runUntil(t.nowMs + 30 * MINUTE);
		expect(first[0].skipped).toBeUndefined();
		expect(first[0].listCalls).toBe(5);
	});

	it('an answer without total_count gives no fingerprint: every run lists in full', async () => {
		addCaptures(0, HISTORY, (i) => T0 - 30 * 24 * HOUR + i * MINUTE);
		const t = trigger(
			T0,
			sendVia(fake, (body) => {
				delete body.total_count;
			}),
		);
		const reports = await t.runUntil(T0 + 2 * HOUR);
		expect(reports).toHaveLength(4);
		for (const r of reports) {
			expect(r.skipped).toBeUndefined();
			// the probe's one look, then the pages (no total_count: until the short page)
			expect(r.listCalls).toBe(4);
		}
	});

	it('a capture completing between the two looks gives no fingerprint, so the run lists in full', async () => {
		addCaptures(0, HISTORY, (i) => T0 - 30 * 24 * HOUR + i * MINUTE);
		let looks = 0;
		let addOnLook = -1;
		const t = trigger(
			T0,
			sendVia(fake, (_body, options) => {
				if ((options.qs as IDataObject)?.limit !== 1) return;
				looks++;
				if (looks === addOnLook) addCaptures(600_000, 1, () => t.nowMs - HOUR);
			}),
		);
		await t.runUntil(T0 + HOUR);
		addOnLook = looks + 1; // after the next run's first look
		const next = await t.runUntil(T0 + HOUR + 30 * MINUTE);
		expect(next[0].skipped).toBeUndefined();
		expect(t.emitted).toEqual([upliftCaptureKey(uuid(600_000))]);
	});

	it("the probe's 429 with Retry-After backs the runs off without listing", async () => {
		addCaptures(0, 10, (i) => T0 - 30 * 24 * HOUR + i * MINUTE);
		const t = trigger(T0);
		await t.runUntil(T0 + HOUR);
		fake.failNext(1, 429, 3600);
		const before = fake.requests.length;
		const reports = await t.runUntil(T0 + 2 * HOUR);
		expect(reports.map((r) => r.skipped)).toEqual(['backoff', 'backoff']);
		expect(reports[0].error).toMatch(/Looking at Uplift captures failed/);
		expect(fake.requests.length - before).toBe(1);
	});
});
