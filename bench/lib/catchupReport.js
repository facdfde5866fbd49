'use strict';
/** Renders bench/catchup.js's result as Markdown (BENCHMARKS.md's catch-up section; no dist/ needed). */

const num = (x) => x.toLocaleString('en-US');
const ms = (x) => (x == null ? 'n/a' : x >= 1000 ? `${(x / 1000).toFixed(2)} s` : `${x.toFixed(x < 10 ? 2 : 1)} ms`);
const ratio = (r) => (r == null ? '—' : `${r.toFixed(r < 10 ? 2 : r < 100 ? 1 : 0)}×`);
const reqs = (r, vendor) => (vendor.startsWith('Uplift') ? `${r.total} (${r.list} list + ${r.export} export)` : `${r.total} (${r.list} list)`);
const outcome = (s) => (s.skipped === 'unchanged' ? 'list unchanged (probe only), cursor held' : s.cursorMoved ? 'completed' : s.complete ? 'complete, cursor held' : `stopped at a cap${s.error ? ` (${s.error})` : ''}`);

/** Markdown tables (BENCHMARKS.md's catch-up section; report.js calls this). */
function catchUpMarkdown(result) {
	const lines = [];
	lines.push(
		`Node defaults: Max Changes per Run ${result.settings.maxRecords}, Max Pages per Run ${result.settings.maxPages}, Interval ${result.settings.intervalMinutes} min, Settle Delay ${result.settings.settleSeconds} s; Uphance: All Events, Update Window 14 days; Uplift: Processing Allowance 24 h. In-process on Node ${result.node}, real fakes on loopback, the real duplicate memory, \`emit\` resolving at once. "GET" = one plain GET of the same listing's first page from the same fake at the same N, same run (median of ${result.baselineGets ?? 15} before and ${result.baselineGets ?? 15} after).${result.quick ? ' **Quick mode: fewer repeats.**' : ''}`,
	);
	lines.push('');
	lines.push('One run with N missed changes (the first run after the outage):');
	lines.push('');
	lines.push('| Vendor | Missed N | One GET | Requests | Time | Emitted | Outcome | Time per emitted record / GET | Time / (requests × GET) |');
	lines.push('|---|---|---|---|---|---|---|---|---|');
	for (const r of result.rows)
		lines.push(
			`| ${r.vendor} | ${num(r.n)} | ${ms(r.baselineGetMs.used)} | ${reqs(r.first.requests, r.vendor)} | ${ms(r.first.ms)} | ${num(r.first.emitted)} | ${outcome(r.first)} | ${ratio(r.ratios.perRecordToGet)} | ${ratio(r.ratios.firstRunToRequestsGet)} |`,
		);
	lines.push('');
	lines.push(`Catching up fully (one run per ${result.settings.intervalMinutes}-minute interval until a run moves the cursor), then the steady state (every change handled, keys held: the cost of every later interval):`);
	lines.push('');
	lines.push('| Vendor | Missed N | Runs | Requests, all runs | Time, all runs | Time per emitted record / GET | Steady state: requests | Time | Time / GET | Outcome |');
	lines.push('|---|---|---|---|---|---|---|---|---|---|');
	for (const r of result.rows) {
		const c = r.catchUp;
		const runs = c.caughtUp
			? `${c.runs} (${((c.runs * result.settings.intervalMinutes) / 60).toFixed(1)} h)`
			: `**not caught up after ${c.runs}** (all emitted by run ${c.allEmittedAfterRuns ?? '—'})`;
		lines.push(
			`| ${r.vendor} | ${num(r.n)} | ${runs} | ${reqs(c.requests, r.vendor)} | ${ms(c.ms)} | ${ratio(r.ratios.catchUpPerRecordToGet)} | ${reqs(r.steady.requests, r.vendor)} | ${ms(r.steady.ms)} | ${ratio(r.ratios.steadyToGet)} | ${outcome(r.steady)} |`,
		);
	}
	return lines.join('\n');
}

module.exports = { catchUpMarkdown };
