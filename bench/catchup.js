#!/usr/bin/env node
'use strict';
/**
 * Catch-up benchmark (issue 16), in-process over the compiled package (dist/, run `npm run build`
 * first). No n8n.
 *
 *   node bench/catchup.js            # readable table on stdout (about a minute)
 *   node bench/catchup.js --json     # JSON result on stdout (what bench/run.js reads)
 *   node bench/catchup.js --quick    # fewer repeats; the 10,000 catch-up loop is still run in full
 *
 * What is run: the real `runCatchUp` (dist/nodes/shared/catchUp/run.js) with the real vendor
 * listings (listUphanceChanges, listUpliftChanges) against the real fake servers
 * (test/support/fakeUphance.js, test/support/fakeUplift.js) over loopback HTTP, and a real duplicate
 * memory: a MemorySession over a plain object, as the trigger's timer uses it (schedule.ts), sharing
 * this process's DuplicateMemory with the "executions". `emit` stands in for n8n: it accepts the
 * key in the memory (a MemorySession over the execution's own static data, as the trigger's
 * execute() does in regular mode) and resolves true at once.
 *
 * Scenarios, per vendor and N = 0, 100, 10,000 missed changes (all inside the catch-up window,
 * none held by the memory), with the node's defaults (Max Changes per Run 100, Max Pages per Run
 * 100, Interval 30 min, Settle Delay 120 s; Uphance: all events selected, Update Window 14 days;
 * Uplift: Processing Allowance 24 h):
 * 1. the first run: HTTP requests (from the fake's request log, split into list pages and export-job
 *    calls), wall time, records emitted, whether the listing was complete and the cursor moved;
 * 2. catching up fully: runs repeated (a simulated clock advancing one interval per run) until a run
 *    moves the cursor, or N / maxRecords + 1 runs: runs, requests, emitted, time;
 * 3. the steady state: one more run with every change already handled (keys held): requests and
 *    time, the cost paid every interval.
 * Baseline (same run, same fake, same N): one plain GET of the listing's first page (Uphance
 * `GET /pick_tickets?since_created_at=…&page=1`, Uplift `GET /v1/captures?status=completed&limit=500`)
 * through the same HTTP client, without the retry layer: median of 15, taken before and after each
 * scenario. Ratios: time per emitted record / one GET; run time / one GET; run time / (requests × GET).
 *
 * Uplift's fake is set to complete export jobs at the first poll (setExportPolls(0)): the node
 * waits 5 s between polls (exportPollMs), a vendor-side wait this benchmark leaves out (noted).
 */
const path = require('path');
const { median } = require('./lib/stats');

const DIST = path.resolve(__dirname, '..', 'dist');
const { runCatchUp } = require(path.join(DIST, 'nodes/shared/catchUp/run'));
const { keepKeysFrom } = require(path.join(DIST, 'nodes/shared/catchUp/cursor'));
const { catchUpSettingsOf } = require(path.join(DIST, 'nodes/shared/catchUp/description'));
const { MemorySession } = require(path.join(DIST, 'nodes/shared/duplicateMemory/staticData'));
const { hashDeliveryKey } = require(path.join(DIST, 'nodes/shared/duplicateMemory/store'));
const { listUphanceChanges } = require(path.join(DIST, 'nodes/UphanceTrigger/uphanceCatchUp'));
const { listUpliftChanges, probeUpliftCaptures } = require(path.join(DIST, 'nodes/UpliftTrigger/upliftCatchUp'));
const { UphanceApi } = require(path.join(DIST, 'credentials/UphanceApi.credentials'));
const fakeUphance = require('../test/support/fakeUphance');
const fakeUplift = require('../test/support/fakeUplift');

const QUICK = process.argv.includes('--quick') || process.env.BENCH_QUICK === '1';
const JSON_OUT = process.argv.includes('--json');
const SIZES = (process.env.BENCH_CATCHUP_SIZES || '0,100,10000').split(',').map(Number);
const REPEATS = QUICK ? 2 : 5; // first run and steady state at N <= 100, and steady state at any N
const BASELINE_GETS = 15;

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
// The node's defaults (nodes/shared/catchUp/description.ts, the trigger nodes).
const SETTINGS = catchUpSettingsOf({});
const INTERVAL_MS = SETTINGS.intervalMinutes * MINUTE;
const UPHANCE_LIMITS = { maxAgeMs: 48 * HOUR, maxEntries: 10000 };
const UPLIFT_LIMITS = { maxAgeMs: 168 * HOUR, maxEntries: 10000 };
const UPHANCE_UPDATE_WINDOW_MS = 14 * DAY;
const UPLIFT_PROCESSING_ALLOWANCE_MS = 24 * HOUR;
/** how long the outage was: the missed changes are spread over it */
const OUTAGE_MS = 4 * HOUR;

const log = (m) => process.stderr.write(`[bench:catchup] ${m}\n`);

// ---------- HTTP: what n8n's httpRequest does, enough for these calls ----------

async function httpRequest(options) {
	const url = new URL(options.url, options.baseURL);
	for (const [k, v] of Object.entries(options.qs || {})) url.searchParams.set(k, String(v));
	const headers = {};
	for (const [k, v] of Object.entries(options.headers || {})) headers[k.toLowerCase()] = String(v);
	let body;
	if (options.body !== undefined) {
		body = typeof options.body === 'string' || Buffer.isBuffer(options.body) ? options.body : JSON.stringify(options.body);
		if (typeof options.body === 'object' && !Buffer.isBuffer(options.body)) headers['content-type'] ??= 'application/json';
	}
	const response = await fetch(url, { method: options.method || 'GET', headers, body, signal: options.timeout ? AbortSignal.timeout(options.timeout) : undefined });
	const text = await response.text();
	const responseHeaders = {};
	response.headers.forEach((value, name) => (responseHeaders[name] = value));
	let parsed = text;
	if (options.json || String(responseHeaders['content-type'] || '').includes('json')) {
		try {
			parsed = text.length > 0 ? JSON.parse(text) : text;
		} catch {
			parsed = text;
		}
	}
	if ((response.status < 200 || response.status >= 300) && !options.ignoreHttpStatusErrors) {
		const error = new Error(`Request failed with status code ${response.status}`);
		error.response = { status: response.status, headers: responseHeaders, data: parsed };
		throw error;
	}
	return options.returnFullResponse ? { body: parsed, headers: responseHeaders, statusCode: response.status, statusMessage: response.statusText } : parsed;
}

/** The Uphance credential as n8n runs it: signed in once (preAuthentication), then `authenticate` per request. */
async function uphanceSender(fake) {
	const credType = new UphanceApi();
	const credentials = {
		email: fake.email,
		password: fake.password,
		organisationId: String(fake.organisations[0].id),
		baseUrl: fake.url,
		sessionToken: '',
	};
	Object.assign(credentials, await credType.preAuthentication.call({ helpers: { httpRequest } }, { ...credentials }));
	const send = async (request) => await httpRequest(await credType.authenticate(credentials, request));
	return { send, authorization: (await credType.authenticate(credentials, { headers: {} })).headers.Authorization };
}

const upliftSender = (fake) => async (request) =>
	await httpRequest({ ...request, headers: { ...(request.headers || {}), Authorization: `Bearer ${fake.apiKey}` } });

// ---------- the two vendors ----------

/** Changes spread over the outage, the last one 10 minutes before the first run (past the settle delay). */
const changeTimes = (n, t0) => Array.from({ length: n }, (_, i) => t0 - OUTAGE_MS + Math.round(((i + 1) * (OUTAGE_MS - 10 * MINUTE)) / n));

const VENDORS = {
	Uphance: {
		limits: UPHANCE_LIMITS,
		async start(n, t0) {
			const fake = await fakeUphance.start({ organisations: [{ id: 9579, name: 'Bench' }], giveUpAfterMs: 0 });
			const times = changeTimes(n, t0);
			// Pick tickets created and last updated inside the window (a missed pick_ticket_create), status not draft.
			fake.seed('pick_ticket', n, (i) => {
				const at = new Date(times[i]).toISOString();
				return { created_at: at, updated_at: at, status: 'picked' };
			});
			const { send, authorization } = await uphanceSender(fake);
			return {
				fake,
				list: (clock) =>
					listUphanceChanges(send, {
						baseUrl: fake.url,
						selected: new Set(['*']), // the node's default: All Events
						updateWindowMs: UPHANCE_UPDATE_WINDOW_MS,
						policy: { maxRetries: 2, timeoutMs: 10_000 },
						now: clock,
					}),
				plainGet: (clock) =>
					httpRequest({
						method: 'GET',
						url: `${fake.url}/pick_tickets`,
						qs: { since_created_at: new Date(clock() - UPHANCE_UPDATE_WINDOW_MS).toISOString(), page: 1 },
						json: true,
						headers: { Accept: 'application/json', Authorization: authorization },
					}),
				classify: (r) => (r.method === 'GET' && /^\/[a-z_]+$/.test(r.path) && r.path !== '/organisations' ? 'list' : 'other'),
				close: () => fake.close(),
			};
		},
	},
	Uplift: {
		limits: UPLIFT_LIMITS,
		probe: true,
		async start(n, t0) {
			const fake = await fakeUplift.start();
			fake.setExportPolls(0);
			const times = changeTimes(n, t0);
			for (let i = 0; i < n; i++)
				fake.addCapture({
					session_id: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
					athlete_id: `athlete-${i % 10}`,
					activity: 'jump',
					movement: 'single_leg',
					status: 'completed',
					capture_time: new Date(times[i]).toISOString().replace(/\.\d{3}Z$/, 'Z'),
				});
			const send = upliftSender(fake);
			return {
				fake,
				list: () => listUpliftChanges(send, fake.apiBaseUrl, { processingAllowanceMs: UPLIFT_PROCESSING_ALLOWANCE_MS }),
				probe: probeUpliftCaptures(send, fake.apiBaseUrl),
				plainGet: () =>
					httpRequest({
						method: 'GET',
						url: `${fake.apiBaseUrl}/captures`,
						qs: { status: 'completed', limit: 500, offset: 0 },
						json: true,
						headers: { Accept: 'application/json', Authorization: `Bearer ${fake.apiKey}` },
					}),
				classify: (r) => (r.path === '/v1/captures' ? 'list' : r.path.startsWith('/v1/data/export') ? 'export' : 'other'),
				close: () => fake.close(),
			};
		},
	},
};
// The same Uplift world without the probe (every run lists every /captures page, as before issue 19
// item 8): the baseline the steady-state figures are compared with, in the same run.
VENDORS['Uplift, no probe'] = { ...VENDORS.Uplift, probe: false };

// ---------- one scenario ----------

let workflowSeq = 0;

/** The trigger's state and memory, and the executions' static data, as in one n8n process. */
function trigger(vendor, t0) {
	const workflowId = `bench-catchup-${process.pid}-${++workflowSeq}`;
	const place = (staticData) => ({ staticData, workflowId, nodeName: `${vendor} Trigger`, log: () => undefined });
	// The cursor before the outage: everything up to then was handled.
	const state = { cursorMs: t0 - OUTAGE_MS, storedCursorMs: t0 - OUTAGE_MS };
	const executionStaticData = {};
	const limits = VENDORS[vendor].limits;
	const emitted = { count: 0 };
	return {
		state,
		emitted,
		run: async (list, nowMs, probe) => {
			// As schedule.ts: a session over a plain copy, never saved, per run.
			const session = new MemorySession(place({}), { ...limits, keepSinceMs: keepKeysFrom(state.cursorMs) });
			return await runCatchUp(state, {
				list,
				...(probe ? { probe } : {}),
				memory: {
					claim: (key) => session.claim(key),
					holds: (h) => session.holds(h),
					accept: (h) => session.accept(h),
					release: (h) => session.release(h),
				},
				// As an execution in regular mode: the trigger's execute() accepts the key, then n8n says success.
				emit: (items) => {
					emitted.count++;
					new MemorySession(place(executionStaticData), limits).accept(hashDeliveryKey(String(items[0].json.deliveryKey)));
					return Promise.resolve(true);
				},
				waitAtMost: async (promise) => await promise,
				waitWhileRunning: async (promise) => await promise,
				now: () => nowMs,
				settleMs: SETTINGS.settleMs,
				bounds: SETTINGS.bounds,
			});
		},
	};
}

async function baselineGet(world, clock) {
	const times = [];
	for (let i = 0; i < BASELINE_GETS; i++) {
		const t = process.hrtime.bigint();
		await world.plainGet(clock);
		times.push(Number(process.hrtime.bigint() - t) / 1e6);
	}
	return median(times);
}

/** Requests the fake logged since `from`, by kind. */
function countRequests(world, from) {
	const out = { list: 0, export: 0, other: 0, total: 0 };
	for (const r of world.fake.requests.slice(from)) {
		out[world.classify(r)]++;
		out.total++;
	}
	return out;
}

async function timedRun(world, trig, nowMs) {
	const from = world.fake.requests.length;
	const t = process.hrtime.bigint();
	const report = await trig.run(world.list(() => nowMs), nowMs, world.useProbe ? world.probe : undefined);
	const ms = Number(process.hrtime.bigint() - t) / 1e6;
	return { ms, report, requests: countRequests(world, from) };
}

const summary = ({ ms, report, requests }) => ({
	ms,
	requests,
	reportedRequests: report.requests,
	listed: report.listed,
	emitted: report.emitted,
	complete: report.complete,
	cursorMoved: report.cursorMoved,
	skipped: report.skipped,
	error: report.error,
});

async function scenario(vendorName, n) {
	const t0 = Date.now();
	const world = await VENDORS[vendorName].start(n, t0);
	world.useProbe = VENDORS[vendorName].probe === true;
	try {
		const clock = () => t0;
		for (let i = 0; i < 5; i++) await world.plainGet(clock); // warm the connection and both sides' code
		const getBefore = await baselineGet(world, clock);

		// 1. The first run with N missed (repeated on fresh triggers when N is small: the memory of
		//    each repeat is its own, the fake the same).
		const firsts = [];
		let trig;
		const firstRepeats = n <= 100 ? REPEATS : 1;
		for (let i = 0; i < firstRepeats; i++) {
			trig = trigger(vendorName, t0);
			firsts.push(await timedRun(world, trig, t0));
		}
		const firstMs = median(firsts.map((f) => f.ms));
		const first = { ...summary(firsts[firsts.length - 1]), ms: firstMs, msAll: firsts.map((f) => f.ms) };

		// 2. Catch up fully: one run per interval until a run moves the cursor.
		const maxRuns = Math.ceil(n / SETTINGS.bounds.maxRecords) + 1;
		const last = firsts[firsts.length - 1];
		const loop = { runs: 1, requests: { ...last.requests }, emitted: last.report.emitted, ms: last.ms, caughtUp: last.report.cursorMoved, perRun: [summary(last)] };
		let nowMs = t0;
		while (!loop.caughtUp && loop.runs < maxRuns) {
			nowMs += INTERVAL_MS;
			const r = await timedRun(world, trig, nowMs);
			loop.runs++;
			for (const k of Object.keys(loop.requests)) loop.requests[k] += r.requests[k];
			loop.emitted += r.report.emitted;
			loop.ms += r.ms;
			loop.caughtUp = r.report.cursorMoved;
			loop.perRun.push(summary(r));
		}
		loop.allEmittedAfterRuns = (() => {
			let sum = 0;
			for (let i = 0; i < loop.perRun.length; i++) if ((sum += loop.perRun[i].emitted) >= n) return i + 1;
			return null;
		})();
		// keep the per-run list short in the JSON: first 3 and last 3
		if (loop.perRun.length > 6) loop.perRun = [...loop.perRun.slice(0, 3), { elided: loop.perRun.length - 6 }, ...loop.perRun.slice(-3)];

		// 3. Steady state: every change handled, keys held; the next interval's run.
		const steadies = [];
		for (let i = 0; i < (n <= 100 ? REPEATS : 2); i++) {
			nowMs += INTERVAL_MS;
			steadies.push(await timedRun(world, trig, nowMs));
		}
		const steady = { ...summary(steadies[steadies.length - 1]), ms: median(steadies.map((s) => s.ms)), msAll: steadies.map((s) => s.ms) };

		const getAfter = await baselineGet(world, () => nowMs);
		const getMs = median([getBefore, getAfter]);
		const ratios = {
			perRecordToGet: first.emitted > 0 ? first.ms / first.emitted / getMs : null,
			firstRunToGet: first.ms / getMs,
			firstRunToRequestsGet: first.requests.total > 0 ? first.ms / (first.requests.total * getMs) : null,
			steadyToGet: steady.ms / getMs,
			steadyToRequestsGet: steady.requests.total > 0 ? steady.ms / (steady.requests.total * getMs) : null,
			catchUpPerRecordToGet: loop.emitted > 0 ? loop.ms / loop.emitted / getMs : null,
		};
		return { vendor: vendorName, n, baselineGetMs: { before: getBefore, after: getAfter, used: getMs }, first, catchUp: loop, steady, ratios };
	} finally {
		await world.close();
	}
}

// ---------- output ----------

const { catchUpMarkdown } = require('./lib/catchupReport');
const num = (x) => x.toLocaleString('en-US');
const ms = (x) => (x >= 1000 ? `${(x / 1000).toFixed(2)} s` : `${x.toFixed(x < 10 ? 2 : 1)} ms`);

async function main() {
	const result = {
		date: new Date().toISOString(),
		node: process.version,
		quick: QUICK,
		baselineGets: BASELINE_GETS,
		settings: {
			maxRecords: SETTINGS.bounds.maxRecords,
			maxPages: SETTINGS.bounds.maxPages,
			intervalMinutes: SETTINGS.intervalMinutes,
			settleSeconds: SETTINGS.settleMs / 1000,
		},
		rows: [],
	};
	const started = Date.now();
	for (const vendor of Object.keys(VENDORS))
		for (const n of SIZES) {
			log(`${vendor}, ${num(n)} missed ...`);
			const t = Date.now();
			const row = await scenario(vendor, n);
			log(`  done in ${((Date.now() - t) / 1000).toFixed(1)} s: first run ${row.first.requests.total} requests, ${ms(row.first.ms)}, ${row.first.emitted} emitted; catch-up ${row.catchUp.runs} runs, ${row.catchUp.requests.total} requests; steady ${row.steady.requests.total} requests, ${ms(row.steady.ms)}`);
			result.rows.push(row);
		}
	result.seconds = (Date.now() - started) / 1000;
	if (JSON_OUT) process.stdout.write(JSON.stringify(result, null, 2) + '\n');
	else process.stdout.write(catchUpMarkdown(result) + '\n');
}

if (require.main === module) {
	main().catch((e) => {
		process.stderr.write(`[bench:catchup] failed: ${e && e.stack ? e.stack : e}\n`);
		process.exit(1);
	});
}
